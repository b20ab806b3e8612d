// The CDR pipeline (worker role): outbox → BullMQ batches → ClickHouse `cdr`, firing conversion pixels
// on the way. `pixels` is the app's single PixelsModule instance (features.ts).
import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { CdrExportProcessor } from './cdr-export.processor';
import { CdrExportService, CdrQueue } from './cdr-export.service';
import { CdrOutboxRepository } from './cdr-outbox.repository';
import { CdrRepository } from './cdr.repository';

@Module({})
export class CdrModule {
  static register(deps: { pixels: DynamicModule }): DynamicModule {
    return {
      module: CdrModule,
      imports: [BullModule.registerQueue({ name: CdrQueue.Name }), deps.pixels],
      providers: [CdrOutboxRepository, CdrRepository, CdrExportService, CdrExportProcessor],
      exports: [CdrExportService, CdrRepository, CdrOutboxRepository],
    };
  }
}
