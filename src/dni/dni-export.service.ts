// Copies DNI sessions from the Redis queue to ClickHouse dni_session in batches, off the lease
// path. A failed insert puts the batch back, so sessions wait out a ClickHouse outage. The queue
// holds ready JSONEachRow lines, sent as they are: nothing is parsed or rebuilt per session here.
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DniSessionRepository } from './dni-session.repository';

const BATCH = 2_000;
const INTERVAL_MS = 1_000;

@Injectable()
export class DniExportService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DniExportService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(private readonly sessions: DniSessionRepository) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.run().catch(() => undefined), INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /**
   * Exports everything queued now; returns the number of sessions written. A pass already under way
   * may have taken its last batch before the caller's sessions were queued, so it is waited out first.
   */
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
      const raw = await this.sessions.takeExportBatch(BATCH);
      if (raw.length === 0) return written;
      try {
        const dropped = await this.sessions.insertClickHouse(raw);
        if (dropped) this.logger.warn(`dropped ${dropped} dni_session queue entries that were not JSON`);
        written += raw.length - dropped;
      } catch (e) {
        await this.sessions.requeue(raw);
        this.logger.warn(`dni_session export failed, will retry: ${(e as Error).message}`);
        throw e;
      }
      if (raw.length < BATCH) return written;
    }
  }
}
