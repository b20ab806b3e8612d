// Moves finished calls from the PostgreSQL outbox into ClickHouse `cdr`, in the worker role.
//
// - Dispatcher (every cdr.dispatchIntervalMs): claims pending outbox rows into batches and queues one
//   BullMQ job per batch (job id = batch id, so adding it twice is one job).
// - Export job: loads the batch's records, fires the conversion pixels they call for (idempotent per
//   pixel, call and event), inserts the CDR rows, marks the outbox rows exported. A failure (ClickHouse
//   down) throws, and BullMQ retries with exponential backoff; the rows stay pending meanwhile.
// - Sweeper (every cdr.sweepIntervalMs): a batch still pending long after it was claimed whose job is
//   gone (lost with Redis, out of retries, never queued because the process died) is moved into a new
//   batch and queued again. So rows wait out an outage of any length and then arrive.
// An export that runs twice (duplicated job, retry after a lost acknowledgement) writes the same rows
// again with a higher version; `cdr` is a ReplacingMergeTree read with FINAL, so nothing is doubled.
// To export a call again after its record changed, set its outbox row's batch_id and exported_at to NULL.
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import { MetricsService } from '../infra/metrics/metrics.service';
import { PixelsService } from '../pixels/pixels.service';
import { CdrOutboxRepository } from './cdr-outbox.repository';
import { toCdrRow } from './cdr-row';
import { CdrRepository } from './cdr.repository';

export enum CdrQueue {
  Name = 'cdr-export',
}
export enum CdrJob {
  ExportBatch = 'export-batch',
}
export interface ExportBatchJob {
  batchId: string;
}

/** Job states in which a batch's job will still run (or is running). */
const ALIVE = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);
const SWEEP_LIMIT = 200;

export const exportJobId = (batchId: string) => `cdr-${batchId}`;

@Injectable()
export class CdrExportService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('CdrExport');
  private readonly exported;
  private readonly failures;
  private timers: NodeJS.Timeout[] = [];
  private dispatching?: Promise<number>;
  private sweeping?: Promise<number>;
  private closing = false;

  constructor(
    private readonly outbox: CdrOutboxRepository,
    private readonly cdr: CdrRepository,
    @InjectQueue(CdrQueue.Name) private readonly queue: Queue<ExportBatchJob>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
    @Optional() private readonly pixels?: PixelsService,
  ) {
    this.exported = metrics.counter('cdr_exported_total', 'CDR rows written to ClickHouse');
    this.failures = metrics.counter('cdr_export_failures_total', 'CDR export batches that failed (retried)');
    const outboxRepo = this.outbox;
    metrics.gauge('cdr_outbox_pending', 'Finished calls not yet in ClickHouse', [], async function () {
      this.set(await outboxRepo.pending().catch(() => -1));
    });
  }

  onModuleInit(): void {
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const t = setInterval(() => void fn().catch(() => undefined), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.config.cdr.dispatchIntervalMs, () => this.dispatch());
    every(this.config.cdr.sweepIntervalMs, () => this.sweep());
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled([this.dispatching, this.sweeping]);
  }

  /** Claims pending outbox rows into batches and queues their jobs; rows claimed. */
  dispatch(): Promise<number> {
    this.dispatching ??= this.claimAll().finally(() => (this.dispatching = undefined));
    return this.dispatching;
  }

  /** Re-queues the rows of batches whose job is gone; rows re-queued. */
  sweep(): Promise<number> {
    this.sweeping ??= this.sweepStale().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  /** The export job: writes the batch's pending records to ClickHouse; rows written. */
  async exportBatch(batchId: string): Promise<number> {
    const records = await this.outbox.loadBatch(batchId);
    if (records.length === 0) return 0;
    const now = Date.now();
    const rows = records.map((r) => toCdrRow(r, now));
    try {
      // Pixels first: a ClickHouse outage must not hold up conversions reported to third parties.
      await this.pixels?.fireForCdrs(rows);
      await this.cdr.insert(rows);
      await this.outbox.markExported(batchId);
    } catch (e) {
      this.failures.inc();
      this.logger.warn(
        { batchId, rows: rows.length, err: (e as Error).message },
        'CDR export failed, will retry',
      );
      throw e;
    }
    this.exported.inc(rows.length);
    return rows.length;
  }

  /** Queues the export job of a batch (a no-op while that job exists). */
  async enqueue(batchId: string): Promise<void> {
    const { attempts, retryBaseMs } = this.config.cdr;
    await this.queue.add(
      CdrJob.ExportBatch,
      { batchId },
      {
        jobId: exportJobId(batchId),
        attempts,
        backoff: { type: 'exponential', delay: retryBaseMs },
        removeOnComplete: true,
        removeOnFail: { count: 1_000 },
      },
    );
  }

  private async claimAll(): Promise<number> {
    let claimed = 0;
    while (!this.closing) {
      const batchId = randomUUID();
      const n = await this.outbox.claim(batchId, this.config.cdr.batchSize);
      if (n === 0) break;
      claimed += n;
      // If this fails (Redis down) the rows stay claimed; the sweeper queues them later.
      await this.enqueue(batchId);
      if (n < this.config.cdr.batchSize) break;
    }
    return claimed;
  }

  private async sweepStale(): Promise<number> {
    let moved = 0;
    for (const batchId of await this.outbox.staleBatches(this.config.cdr.staleAfterMs, SWEEP_LIMIT)) {
      if (this.closing) break;
      const state = await this.queue.getJobState(exportJobId(batchId));
      if (ALIVE.has(state)) continue;
      const fresh = randomUUID();
      const n = await this.outbox.rebatch(batchId, fresh);
      if (n === 0) continue;
      await this.enqueue(fresh);
      moved += n;
      this.logger.log({ batchId, newBatchId: fresh, rows: n, jobState: state }, 'CDR batch re-queued');
    }
    return moved;
  }
}
