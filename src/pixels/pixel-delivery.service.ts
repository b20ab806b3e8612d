// Sends pixel deliveries (worker role): signs each attempt (HMAC-SHA256 with the pixel's secret), records
// it in the delivery log, and lets BullMQ retry with exponential backoff while the receiver fails with a
// timeout, a network error, 408/429 or a 5xx. Other 4xx, blocked addresses and the last attempt end the
// delivery as failed. A sweeper re-queues pending deliveries whose job was lost.
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import { MetricsService } from '../infra/metrics/metrics.service';
import { PixelClient } from './pixel-client';
import {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  signPixel,
  TIMESTAMP_HEADER,
} from './pixel-signature';
import { PixelsRepository } from './pixels.repository';
import { type DeliverJob, deliveryJobId, PixelQueue, PixelsService } from './pixels.service';

export class RetryDelivery extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryDelivery';
  }
}

const ALIVE = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);
const SWEEP_EVERY_MS = 60_000;
const SWEEP_LIMIT = 500;

export type DeliveryOutcome = 'delivered' | 'failed' | 'retry' | 'skipped';

@Injectable()
export class PixelDeliveryService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('PixelDelivery');
  private readonly sent;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly repo: PixelsRepository,
    private readonly client: PixelClient,
    private readonly pixels: PixelsService,
    @InjectQueue(PixelQueue.Name) private readonly queue: Queue<DeliverJob>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.sent = metrics.counter('pixel_requests_total', 'Pixel requests sent, by outcome', ['outcome']);
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sweep().catch(() => undefined), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /**
   * One attempt of a delivery. Throws RetryDelivery when it should be tried again (BullMQ schedules
   * the retry); `lastAttempt` turns that into a final failure.
   */
  async deliver(deliveryId: string, lastAttempt: boolean): Promise<DeliveryOutcome> {
    const found = await this.repo.deliveryWithPixel(deliveryId);
    if (!found || found.delivery.status !== 'pending') return 'skipped';
    const { delivery, pixel } = found;
    if (!pixel.enabled) {
      await this.repo.markFailed(deliveryId, 'pixel disabled');
      return 'failed';
    }
    const body = delivery.body ?? '';
    let target = '/';
    try {
      const u = new URL(delivery.url);
      target = `${u.pathname}${u.search}`;
    } catch {
      /* the client refuses it below */
    }
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      ...pixel.headers,
      [TIMESTAMP_HEADER]: String(timestamp),
      [SIGNATURE_HEADER]: signPixel(pixel.secret, timestamp, delivery.method, target, body),
      [EVENT_HEADER]: delivery.event,
      [DELIVERY_HEADER]: delivery.id,
    };
    if (delivery.body !== null && delivery.contentType) headers['content-type'] = delivery.contentType;
    const res = await this.client.send({
      url: delivery.url,
      method: delivery.method,
      headers,
      body: delivery.body,
    });
    const attempt = {
      at: new Date().toISOString(),
      status: res.status,
      ms: res.ms,
      error: res.ok ? null : res.error.slice(0, 300),
    };
    if (res.ok) {
      await this.repo.recordAttempt(deliveryId, attempt, 'delivered');
      this.sent.inc({ outcome: 'delivered' });
      return 'delivered';
    }
    if (!res.retryable || lastAttempt) {
      await this.repo.recordAttempt(deliveryId, attempt, 'failed');
      this.sent.inc({ outcome: 'failed' });
      this.logger.warn({ deliveryId, pixelId: pixel.id, error: attempt.error }, 'pixel delivery failed');
      return 'failed';
    }
    await this.repo.recordAttempt(deliveryId, attempt, 'pending');
    this.sent.inc({ outcome: 'retry' });
    throw new RetryDelivery(`pixel delivery ${deliveryId}: ${attempt.error}`);
  }

  /** Re-queues pending deliveries that have no job any more; deliveries re-queued. */
  async sweep(olderThanMs = Math.max(60_000, this.config.pixels.retryBaseMs * 4)): Promise<number> {
    let n = 0;
    for (const id of await this.repo.stalePending(olderThanMs, SWEEP_LIMIT)) {
      const state = await this.queue.getJobState(deliveryJobId(id));
      if (ALIVE.has(state)) continue;
      if (state === 'failed' || state === 'completed') await this.queue.remove(deliveryJobId(id));
      await this.repo.touch(id);
      await this.pixels.enqueue([id]);
      n++;
    }
    return n;
  }
}
