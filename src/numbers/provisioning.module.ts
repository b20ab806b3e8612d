// Number provisioning through the carrier (Telnyx or the sandbox): the API on api instances, the job
// that completes pending orders on worker instances.
import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { NumbersModule } from './numbers.module';
import { ProvisioningController } from './provisioning.controller';
import { ProvisioningProcessor } from './provisioning.processor';
import { ProvisioningQueue, ProvisioningService } from './provisioning.service';

@Module({})
export class ProvisioningModule {
  static register(deps: { telephony: DynamicModule; api: boolean; worker: boolean }): DynamicModule {
    return {
      module: ProvisioningModule,
      imports: [NumbersModule, deps.telephony, BullModule.registerQueue({ name: ProvisioningQueue.Name })],
      controllers: deps.api ? [ProvisioningController] : [],
      providers: [ProvisioningService, ...(deps.worker ? [ProvisioningProcessor] : [])],
      exports: [ProvisioningService],
    };
  }
}
