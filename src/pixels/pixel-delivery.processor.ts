// Runs pixel delivery jobs (worker role): one HTTP request per attempt.
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { type DeliveryOutcome, PixelDeliveryService } from './pixel-delivery.service';
import { type DeliverJob, PixelQueue } from './pixels.service';

@Processor(PixelQueue.Name, { concurrency: 16 })
export class PixelDeliveryProcessor extends WorkerHost {
  private readonly logger = new Logger('PixelDeliveryProcessor');

  constructor(private readonly delivery: PixelDeliveryService) {
    super();
  }

  async process(job: Job<DeliverJob>): Promise<DeliveryOutcome> {
    const attempt = job.attemptsMade + 1;
    this.logger.debug({ jobId: job.id, deliveryId: job.data.deliveryId, attempt }, 'delivering pixel');
    return this.delivery.deliver(job.data.deliveryId, attempt >= (job.opts.attempts ?? 1));
  }
}
