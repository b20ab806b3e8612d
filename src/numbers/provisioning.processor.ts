// Finishes number orders that were still pending when POST /pools/:id/provision answered.
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { type CompleteOrderJob, ProvisioningQueue, ProvisioningService } from './provisioning.service';

@Processor(ProvisioningQueue.Name)
export class ProvisioningProcessor extends WorkerHost {
  private readonly logger = new Logger('ProvisioningProcessor');

  constructor(private readonly provisioning: ProvisioningService) {
    super();
  }

  async process(job: Job<CompleteOrderJob>): Promise<void> {
    this.logger.debug({ jobId: job.id, orderId: job.data.orderId }, 'completing number order');
    await this.provisioning.completeOrder(job.data);
  }
}
