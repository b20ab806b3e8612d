// Conversion pixels: the API (api role); firing from the CDR export and from live calls, and delivery
// with retries (worker role).
import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module, Provider } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LiveCallRepository } from '../calls/live-call.repository';
import { LivePixelsService } from './live-pixels.service';
import { PixelClient } from './pixel-client';
import { PixelDeliveryEntity } from './pixel-delivery.entity';
import { PixelDeliveryProcessor } from './pixel-delivery.processor';
import { PixelDeliveryService } from './pixel-delivery.service';
import { PixelEntity } from './pixel.entity';
import { PixelsController } from './pixels.controller';
import { PixelsRepository } from './pixels.repository';
import { PixelQueue, PixelsService } from './pixels.service';

@Module({})
export class PixelsModule {
  static register(options: { api: boolean; worker: boolean }): DynamicModule {
    const providers: Provider[] = [PixelsRepository, PixelsService];
    if (options.worker) {
      // The live-call index is read only (same keys and scripts as src/calls; stateless).
      providers.push(
        PixelClient,
        PixelDeliveryService,
        PixelDeliveryProcessor,
        LiveCallRepository,
        LivePixelsService,
      );
    }
    return {
      module: PixelsModule,
      imports: [
        TypeOrmModule.forFeature([PixelEntity, PixelDeliveryEntity]),
        BullModule.registerQueue({ name: PixelQueue.Name }),
      ],
      controllers: options.api ? [PixelsController] : [],
      providers,
      exports: [PixelsService],
    };
  }
}
