// Runs CDR export jobs (worker role): each job exports outbox batches until the outbox runs dry.
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import { CdrExportService, CdrQueue, type ExportJob } from './cdr-export.service';

@Processor(CdrQueue.Name)
export class CdrExportProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger('CdrExportProcessor');

  constructor(
    private readonly exporter: CdrExportService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.cdr.concurrency;
  }

  async process(job: Job<ExportJob>): Promise<number> {
    this.logger.debug(
      { jobId: job.id, slot: job.data.slot, attempt: job.attemptsMade + 1 },
      'exporting CDRs',
    );
    return this.exporter.exportPending();
  }
}
