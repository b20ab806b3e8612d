// Copies bid log rows from the Redis queue to ClickHouse bid_log in batches, off the auction path (it
// runs with the worker role). A failed insert puts the batch back, so rows wait out a ClickHouse outage;
// replaying a batch is harmless (ReplacingMergeTree keys rows by ping id).
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { BidLogRepository } from './bid-log.repository';

/** Queue entries per insert (an entry holds the rows of one call: its auction's pings, or an award). */
const BATCH = 500;
const INTERVAL_MS = 1_000;

function lineCount(entry: Buffer): number {
  let n = 1;
  for (let i = entry.indexOf(0x0a); i !== -1; i = entry.indexOf(0x0a, i + 1)) n++;
  return n;
}

@Injectable()
export class BidLogExportService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('BidLogExport');
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(private readonly log: BidLogRepository) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.run().catch(() => undefined), INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Exports everything queued up to now (waiting for a copy already under way); rows written. */
  async flush(): Promise<number> {
    await this.running?.catch(() => undefined);
    return this.run();
  }

  private run(): Promise<number> {
    this.running ??= this.drain().finally(() => (this.running = undefined));
    return this.running;
  }

  private async drain(): Promise<number> {
    let written = 0;
    for (;;) {
      const raw = await this.log.takeBatch(BATCH);
      if (raw.length === 0) return written;
      try {
        await this.log.insertClickHouse(raw);
        for (const entry of raw) written += lineCount(entry);
      } catch (e) {
        // Put back what can be inserted at all: a row that is not JSON would block the queue forever.
        const dropped = await this.log.requeue(raw);
        if (dropped > 0) this.logger.warn(`dropped ${dropped} unreadable bid log rows`);
        this.logger.warn(`bid_log export failed, will retry: ${(e as Error).message}`);
        throw e;
      }
      if (raw.length < BATCH) return written;
    }
  }
}
