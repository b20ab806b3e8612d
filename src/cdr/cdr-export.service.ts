// Moves finished calls from the PostgreSQL outbox into ClickHouse `cdr`, in the worker role.
//
// - Dispatcher (woken by PostgreSQL when calls enter the outbox, and every cdr.dispatchIntervalMs in case
//   a wake-up was missed): when the outbox has rows, makes sure export jobs are queued: up to
//   cdr.concurrency per worker instance, each under a fixed id (instance and slot), so a dispatch while
//   the job is still there adds nothing, and N worker instances run N × concurrency.
// - Export job: takes a batch out of the outbox (CdrOutboxRepository.take: the rows are deleted in a
//   transaction left open), fires the conversion pixels the records call for (idempotent per pixel,
//   call and event), inserts the CDR rows into ClickHouse, then commits; the next batch is read while
//   this one is inserted. It goes on while batches come back full. A failure (ClickHouse down) rolls
//   the batch back, so its rows are pending again, and throws; BullMQ retries with exponential backoff,
//   and once the job is out of tries the dispatcher queues a new one. So rows wait out an outage of
//   any length and then arrive.
// - A lost job (worker killed, Redis lost the job, process hung) leaves nothing behind: an uncommitted
//   batch goes back to the outbox when its connection closes, or after cdr.staleAfterMs of silence, and
//   the dispatcher queues jobs for whatever the outbox holds, whatever the queue remembers.
// An export that writes a call twice (the commit is lost after ClickHouse took the rows, or the call is
// re-queued) writes the same row with a higher version; `cdr` is a ReplacingMergeTree read with FINAL,
// so nothing is doubled. To export calls again after their records changed: CdrOutboxRepository.requeue.
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import { MetricsService } from '../infra/metrics/metrics.service';
import { PixelsService } from '../pixels/pixels.service';
import { CdrOutboxRepository, type OutboxBatch } from './cdr-outbox.repository';
import { cdrRowFromLine } from './cdr-row';
import { CdrRepository } from './cdr.repository';

export enum CdrQueue {
  Name = 'cdr-export',
}
export enum CdrJob {
  Export = 'export',
}
export interface ExportJob {
  slot: number;
}

/** Wake-ups closer together than this share one dispatch (a busy call path commits many outbox rows). */
const WAKE_DELAY_MS = 20;

/** One export job stops after this long (and is queued again if rows remain), so no job runs forever. */
const JOB_BUDGET_MS = 30_000;

export const exportJobId = (instance: string, slot: number) => `cdr-export-${instance}-${slot}`;

@Injectable()
export class CdrExportService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('CdrExport');
  /** Tells this instance's export jobs from other instances' (any worker may run any of them). */
  private readonly instance = randomUUID().slice(0, 8);
  private readonly exported;
  private readonly failures;
  private timers: NodeJS.Timeout[] = [];
  private wakeTimer?: NodeJS.Timeout;
  private stopListening?: () => Promise<void>;
  private dispatching?: Promise<number>;
  private closing = false;

  constructor(
    private readonly outbox: CdrOutboxRepository,
    private readonly cdr: CdrRepository,
    @InjectQueue(CdrQueue.Name) private readonly queue: Queue<ExportJob>,
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
    const t = setInterval(
      () => void this.dispatch().catch(() => undefined),
      this.config.cdr.dispatchIntervalMs,
    );
    t.unref();
    this.timers.push(t);
    this.stopListening = this.outbox.listen(() => this.wake());
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    await Promise.allSettled([this.dispatching, this.stopListening?.()]);
  }

  /** Dispatches soon (outbox rows came in), once for all wake-ups within WAKE_DELAY_MS. */
  private wake(): void {
    if (this.wakeTimer || this.closing) return;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      void this.dispatch().catch(() => undefined);
    }, WAKE_DELAY_MS);
    this.wakeTimer.unref();
  }

  /** Queues export jobs when the outbox has rows; jobs asked for. */
  dispatch(): Promise<number> {
    this.dispatching ??= this.queueJobs().finally(() => (this.dispatching = undefined));
    return this.dispatching;
  }

  /** Queues the export job of a slot (a no-op while that job exists). */
  async enqueue(slot: number): Promise<void> {
    const { attempts, retryBaseMs } = this.config.cdr;
    await this.queue.add(
      CdrJob.Export,
      { slot },
      {
        jobId: exportJobId(this.instance, slot),
        attempts,
        backoff: { type: 'exponential', delay: retryBaseMs },
        removeOnComplete: true,
        // Frees the slot's id, so the next dispatch queues the slot again (failures are logged and counted).
        removeOnFail: true,
      },
    );
  }

  /**
   * The export job: exports batches while they come back full (and the job's time budget lasts), reading
   * each next batch while the current one is written. Rows written.
   */
  async exportPending(): Promise<number> {
    const { batchSize } = this.config.cdr;
    const until = Date.now() + JOB_BUDGET_MS;
    let written = 0;
    let next: Promise<OutboxBatch> | undefined = this.take();
    try {
      while (next) {
        const batch = await next;
        next = undefined;
        const full = batch.size === batchSize;
        if (full && !this.closing && Date.now() < until) {
          next = this.take();
          // Handled where it is awaited (or rolled back below); this only keeps an early failure from
          // counting as an unhandled rejection while the current batch is written.
          next.catch(() => undefined);
        }
        written += await this.write(batch);
      }
    } finally {
      // A batch read ahead of a failed write goes back untouched.
      if (next) await next.then((b) => b.rollback()).catch(() => undefined);
    }
    return written;
  }

  /** Exports one batch; rows written. */
  async exportBatch(): Promise<number> {
    return this.write(await this.take());
  }

  private take(): Promise<OutboxBatch> {
    return this.outbox.take(this.config.cdr.batchSize, this.config.cdr.staleAfterMs, Date.now());
  }

  /** Writes a taken batch to ClickHouse and commits its removal from the outbox, or gives it back. */
  private async write(batch: OutboxBatch): Promise<number> {
    const n = batch.size;
    if (n === 0) {
      await batch.commit();
      return 0;
    }
    try {
      // Pixels first: a ClickHouse outage must not hold up conversions reported to third parties. Their
      // templates need the rows as objects, which only tenants with pixels pay for.
      if (this.pixels && (await this.pixels.anyEnabledFor(batch.tenantIds))) {
        await this.pixels.fireForCdrs(batch.lines().map(cdrRowFromLine));
      }
      await this.cdr.insertBody(batch.body);
    } catch (e) {
      await batch.rollback().catch(() => undefined);
      this.failures.inc();
      this.logger.warn({ rows: n, err: (e as Error).message }, 'CDR export failed, will retry');
      throw e;
    }
    // If the commit fails (PostgreSQL gone) the rows stay pending and are written again later: a newer
    // version of the same CDRs, which FINAL reads as one.
    await batch.commit();
    this.exported.inc(n);
    return n;
  }

  private async queueJobs(): Promise<number> {
    if (this.closing) return 0;
    const { batchSize, concurrency } = this.config.cdr;
    const pending = await this.outbox.pendingUpTo(batchSize * concurrency);
    const slots = Math.min(concurrency, Math.ceil(pending / batchSize));
    for (let slot = 0; slot < slots; slot++) await this.enqueue(slot);
    return slots;
  }
}
