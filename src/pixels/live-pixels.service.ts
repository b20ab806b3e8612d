// Incoming and connected pixels of calls that are still up (worker role). The call flow has no event
// hook for them, so this looks at the live-call index of each tenant that has such pixels every
// pixels.livePollMs and fires what is new: incoming once the call is tagged, connected once a buyer
// answered. A call shorter than one poll is covered by the CDR export, which fires incoming and
// connected too; the delivery's unique key (pixel, call, event) keeps every pixel to one request.
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { LiveCall } from '../calls/call-machine';
import { LiveCallRepository } from '../calls/live-call.repository';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import { contextFromLive, type PixelContext, type PixelEvent } from './pixel-context';
import { PixelsRepository } from './pixels.repository';
import { PixelsService } from './pixels.service';

const LIVE_LIMIT = 5_000;
/** How long this process remembers that it fired an event for a call. */
const REMEMBER_MS = 6 * 3600_000;

@Injectable()
export class LivePixelsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('LivePixels');
  private readonly fired = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly live: LiveCallRepository,
    private readonly repo: PixelsRepository,
    private readonly pixels: PixelsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.poll().catch(() => undefined), this.config.pixels.livePollMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One look at the live calls; deliveries created. */
  poll(): Promise<number> {
    this.running ??= this.scan().finally(() => (this.running = undefined));
    return this.running;
  }

  private async scan(): Promise<number> {
    const now = Date.now();
    if (this.fired.size > 100_000) {
      for (const [k, at] of this.fired) if (now - at > REMEMBER_MS) this.fired.delete(k);
    }
    let created = 0;
    // One small query per poll: a pixel saved a moment ago is live for the next call.
    const tenants = await this.repo.tenantsWithLivePixels();
    for (const tenantId of tenants) {
      const wanted: Array<{ event: PixelEvent; context: PixelContext }> = [];
      const keys: string[] = [];
      for (const call of await this.live.liveCalls(tenantId, LIVE_LIMIT)) {
        for (const event of liveEvents(call)) {
          const key = `${call.id}:${event}`;
          if (this.fired.has(key)) continue;
          const context = contextFromLive(call, event);
          if (!context) continue;
          wanted.push({ event, context });
          keys.push(key);
        }
      }
      if (wanted.length === 0) continue;
      try {
        created += await this.pixels.fireLive(tenantId, wanted);
        for (const k of keys) this.fired.set(k, now);
      } catch (e) {
        this.logger.warn({ tenantId, err: (e as Error).message }, 'live pixels not fired, will retry');
      }
    }
    return created;
  }
}

/** The events a live call has reached: incoming once tagged, connected once a buyer answered. */
export function liveEvents(call: LiveCall): PixelEvent[] {
  if (!call.setup?.tenantId || !call.setup.enriched || call.final) return [];
  const out: PixelEvent[] = ['incoming'];
  if (call.attempts.some((a) => a.leg.answeredAt !== undefined)) out.push('connected');
  return out;
}
