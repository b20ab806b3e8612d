// Every instance looks, every CALL_SWEEP_INTERVAL_MS, for calls whose next timer is due: a ring timeout
// that produced no webhook, a message that should be over, a liveness check, a grace period after the
// last hangup, and calls whose owner died (their lock expires, their due time passes). Draining such a
// call takes its lock, so exactly one instance acts on it.
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import { CALLS_PLACEMENT, type CallsPlacement } from './calls-placement';
import { CallProcessor } from './call-processor.service';
import { LiveCallRepository } from './live-call.repository';

const PER_SWEEP = 200;

@Injectable()
export class CallSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CallSweeper');
  private timer?: NodeJS.Timeout;
  private sweeping = false;
  /** How long a call stays due before this instance takes it (0 but on api instances that hand off). */
  private readonly graceMs: number;

  constructor(
    private readonly store: LiveCallRepository,
    private readonly processor: CallProcessor,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CALLS_PLACEMENT) placement: CallsPlacement,
  ) {
    this.graceMs = config.calls.handoff && !placement.runner ? config.calls.lockTtlMs : 0;
  }

  onApplicationBootstrap(): void {
    const every = this.config.calls.sweepIntervalMs;
    // A random phase so instances started together do not sweep in lockstep.
    const first = setTimeout(
      () => {
        this.timer = setInterval(() => void this.sweep(), every);
        this.timer.unref();
      },
      Math.floor(Math.random() * every),
    );
    first.unref();
    this.timer = first;
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass; returns how many calls were due. */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    try {
      const due = await this.store.dueSessions(Date.now() - this.graceMs, PER_SWEEP);
      for (const sessionId of due) {
        if (!this.processor.isActive(sessionId)) this.processor.schedule(sessionId);
      }
      return due.length;
    } catch (e) {
      this.logger.warn({ err: e }, 'sweep failed');
      return 0;
    } finally {
      this.sweeping = false;
    }
  }
}
