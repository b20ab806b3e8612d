// Delivers the carrier's webhooks the way Telnyx does: signed JSON POSTs, at least once. A delivery that
// gets a non-2xx answer, or none within the timeout (Telnyx: 2 s), is retried with meta.attempt + 1 and the
// same data.id. Optional faults make the app prove it copes: duplicates (same data.id again) and reordering
// (events of one call held for a short window and shuffled).
//
// Events of one call session are sent one after another (so without faults the app sees them in order);
// different sessions go out concurrently over a keep-alive undici pool. Retries and duplicates are sent on
// their own, outside the session's queue, as with Telnyx, so they can overtake later events.
import { performance } from 'node:perf_hooks';
import { Agent, type Dispatcher } from 'undici';
import type { WebhookSigner } from './signing-keys';
import type { Timer, TimerSet } from './sim-runtime';

export interface DeliveryOptions {
  /** Probability (0..1) that a delivered event is delivered once more (same data.id, attempt + 1). */
  duplicateRate: number;
  /** Hold each call's events for reorderWindowMs and send them shuffled (never in the original order). */
  reorder: boolean;
  reorderWindowMs: number;
  /** Wait before retry n (1-based) is retryDelaysMs[n - 1]; the last value repeats. */
  retryDelaysMs: number[];
  /** Attempts in total, the first included. */
  maxAttempts: number;
  /** An answer slower than this counts as failed (Telnyx: 2000 ms). */
  timeoutMs: number;
  /** Upper bound of the random delay before a duplicate is sent. */
  duplicateDelayMs: number;
  /** Sockets per webhook origin. */
  connections: number;
}

export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = {
  duplicateRate: 0,
  reorder: false,
  reorderWindowMs: 50,
  // Telnyx publishes no schedule; this stays inside its per-call policy bounds (≤ 5 retries, ≤ 60 s).
  retryDelaysMs: [1000, 2000, 4000, 8000, 16000],
  maxAttempts: 6,
  timeoutMs: 2000,
  duplicateDelayMs: 20,
  connections: 256,
};

/** `data` of the webhook envelope. */
export interface WebhookEventData {
  record_type: 'event';
  event_type: string;
  id: string;
  occurred_at: string;
  payload: Record<string, unknown>;
}

export interface DeliveryAttemptReport {
  eventId: string;
  eventType: string;
  callSessionId: string;
  attempt: number;
  url: string;
  ok: boolean;
  statusCode?: number;
  error?: string;
  durationMs: number;
  duplicate: boolean;
  /** Set on the last failed attempt: no more retries follow. */
  gaveUp: boolean;
}

export interface DeliveryStats {
  /** Attempts not finished yet: queued, held for reordering, in flight, or waiting to be retried. */
  outstanding: number;
  delivered: number;
  failedAttempts: number;
  retries: number;
  duplicates: number;
  gaveUp: number;
}

interface Delivery {
  sessionKey: string;
  url: string;
  eventId: string;
  eventType: string;
  dataJson: string;
  retryDelaysMs: number[] | undefined;
  attempt: number;
  duplicate: boolean;
}

/** Where a webhook URL points, parsed once; urlJson is the URL as a JSON string (meta.delivered_to). */
interface Target {
  origin: string;
  path: string;
  urlJson: string;
}

interface SessionQueue {
  pending: Delivery[];
  held: Delivery[];
  holdTimer: Timer | null;
  busy: boolean;
}

export class WebhookDispatcher {
  private options: DeliveryOptions;
  private readonly agent: Agent;
  private readonly queues = new Map<string, SessionQueue>();
  private readonly targets = new Map<string, Target>();
  private readonly idleWaiters: Array<() => void> = [];
  private closed = false;
  private readonly counters = { delivered: 0, failedAttempts: 0, retries: 0, duplicates: 0, gaveUp: 0 };
  private outstanding = 0;

  constructor(
    private readonly signer: WebhookSigner,
    private readonly timers: TimerSet,
    private readonly random: () => number,
    options: Partial<DeliveryOptions>,
    private readonly onAttempt: (report: DeliveryAttemptReport) => void,
  ) {
    this.options = { ...DEFAULT_DELIVERY_OPTIONS, ...options };
    this.agent = new Agent({
      connections: this.options.connections,
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
    });
  }

  get settings(): Readonly<DeliveryOptions> {
    return this.options;
  }

  /** Changes fault injection and retry settings for events sent from now on. */
  configure(options: Partial<DeliveryOptions>): void {
    this.options = { ...this.options, ...options };
  }

  stats(): DeliveryStats {
    return { outstanding: this.outstanding, ...this.counters };
  }

  dispatch(
    sessionKey: string,
    url: string,
    data: WebhookEventData,
    retryDelaysMs: number[] | undefined,
  ): void {
    if (this.closed) return;
    const delivery: Delivery = {
      sessionKey,
      url,
      eventId: data.id,
      eventType: data.event_type,
      dataJson: JSON.stringify(data),
      retryDelaysMs,
      attempt: 1,
      duplicate: false,
    };
    this.outstanding++;
    let queue = this.queues.get(sessionKey);
    if (!queue) {
      queue = { pending: [], held: [], holdTimer: null, busy: false };
      this.queues.set(sessionKey, queue);
    }
    if (this.options.reorder) {
      queue.held.push(delivery);
      if (!queue.holdTimer) {
        const q = queue;
        queue.holdTimer = this.timers.after(this.options.reorderWindowMs, () => this.release(sessionKey, q));
      }
    } else {
      queue.pending.push(delivery);
      this.pump(sessionKey, queue);
    }
  }

  /** Resolves once every attempt started so far has finished (including retries and duplicates). */
  whenIdle(): Promise<void> {
    if (this.outstanding === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queues.clear();
    this.notifyIdle(true);
    await this.agent.destroy().catch(() => undefined);
  }

  private release(sessionKey: string, queue: SessionQueue): void {
    queue.holdTimer = null;
    const batch = queue.held;
    queue.held = [];
    shuffleOutOfOrder(batch, this.random);
    queue.pending.push(...batch);
    this.pump(sessionKey, queue);
  }

  private pump(sessionKey: string, queue: SessionQueue): void {
    if (queue.busy || this.closed) return;
    const next = queue.pending.shift();
    if (!next) {
      if (queue.held.length === 0 && !queue.holdTimer) this.queues.delete(sessionKey);
      return;
    }
    queue.busy = true;
    this.attempt(next, () => {
      queue.busy = false;
      this.pump(sessionKey, queue);
    });
  }

  /** Sends one attempt; `then` runs once it has been reported (retry or duplicate scheduled). */
  private attempt(delivery: Delivery, then?: () => void): void {
    const { url, attempt } = delivery;
    const timestamp = String(Math.floor(Date.now() / 1000));
    const started = performance.now();
    let request: Dispatcher.DispatchOptions;
    try {
      const target = this.target(url);
      const body = `{"data":${delivery.dataJson},"meta":{"attempt":${attempt},"delivered_to":${target.urlJson}}}`;
      // Signed inline: an Ed25519 signature costs tens of microseconds, less than handing it to the
      // thread pool and waking this loop again afterwards (two thread switches on a busy machine).
      // The signed message is `${timestamp}|${body}` encoded once; the bytes after the separator are
      // the body that goes out, so undici does not encode the same text a second time.
      const message = Buffer.from(`${timestamp}|${body}`);
      const signature = this.signer.signMessage(message);
      request = {
        origin: target.origin,
        path: target.path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'telnyx-webhooks',
          'telnyx-signature-ed25519': signature,
          'telnyx-timestamp': timestamp,
        },
        body: message.subarray(timestamp.length + 1),
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      };
    } catch (caught) {
      this.settle(delivery, started, undefined, caught instanceof Error ? caught.message : String(caught));
      then?.();
      return;
    }
    // A bare dispatch handler rather than agent.request(): no promise, async resource and body stream
    // per webhook, only the status is kept and the answer's bytes are dropped as they arrive.
    this.agent.dispatch(
      request,
      new AnswerReader((statusCode, error) => {
        this.settle(delivery, started, statusCode, error);
        then?.();
      }),
    );
  }

  /** Counts and reports a finished attempt and schedules what follows it (a retry or a duplicate). */
  private settle(
    delivery: Delivery,
    started: number,
    statusCode: number | undefined,
    failure: string | undefined,
  ): void {
    const durationMs = performance.now() - started;
    if (this.closed) return;
    const { url, attempt } = delivery;
    let error = failure;
    const ok =
      error === undefined &&
      statusCode !== undefined &&
      statusCode >= 200 &&
      statusCode < 300 &&
      durationMs <= this.options.timeoutMs;
    if (ok) {
      this.counters.delivered++;
    } else {
      this.counters.failedAttempts++;
      if (error === undefined && durationMs > this.options.timeoutMs) error = 'answered after the timeout';
    }
    // A per-event policy (webhook_retries_policies) lists one delay per retry, like Telnyx's retries_ms.
    const maxAttempts = delivery.retryDelaysMs ? delivery.retryDelaysMs.length + 1 : this.options.maxAttempts;
    const retry = !ok && attempt < maxAttempts;
    if (!ok && !retry) this.counters.gaveUp++;
    this.onAttempt({
      eventId: delivery.eventId,
      eventType: delivery.eventType,
      callSessionId: delivery.sessionKey,
      attempt,
      url,
      ok,
      statusCode,
      error,
      durationMs,
      duplicate: delivery.duplicate,
      gaveUp: !ok && !retry,
    });

    if (retry) {
      const delays = delivery.retryDelaysMs ?? this.options.retryDelaysMs;
      const delay = delays.length ? delays[Math.min(attempt - 1, delays.length - 1)] : 0;
      this.counters.retries++;
      this.later(delay, { ...delivery, attempt: attempt + 1 });
    } else if (ok && !delivery.duplicate && this.random() < this.options.duplicateRate) {
      this.counters.duplicates++;
      this.later(Math.floor(this.random() * this.options.duplicateDelayMs), {
        ...delivery,
        attempt: attempt + 1,
        duplicate: true,
      });
    }
    this.outstanding--;
    this.notifyIdle(false);
  }

  /** Origin and path of a webhook URL, parsed once per URL (a handful per carrier) rather than per POST. */
  private target(url: string): Target {
    let target = this.targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        throw new Error(`webhook URL must be http or https: ${url}`);
      }
      target = {
        origin: parsed.origin,
        path: `${parsed.pathname}${parsed.search}`,
        urlJson: JSON.stringify(url),
      };
      if (this.targets.size >= 1000) this.targets.clear();
      this.targets.set(url, target);
    }
    return target;
  }

  private later(delayMs: number, delivery: Delivery): void {
    this.outstanding++;
    const timer = this.timers.after(delayMs, () => this.attempt(delivery));
    if (!timer) this.outstanding--;
  }

  private notifyIdle(force: boolean): void {
    if (!force && this.outstanding > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

/** Past this many bytes an answer is cut off (the connection closes), as undici's body.dump() does. */
const ANSWER_LIMIT = 128 * 1024;

/**
 * Reads the answer to one webhook POST for its status code alone. An error after the status arrived
 * (the body cut short, or over ANSWER_LIMIT) still counts the attempt as answered with that status.
 */
class AnswerReader implements Dispatcher.DispatchHandler {
  private statusCode: number | undefined;
  private received = 0;
  private abort: ((error?: Error) => void) | undefined;
  private finished = false;

  constructor(private readonly finish: (statusCode: number | undefined, error: string | undefined) => void) {}

  onConnect(abort: (error?: Error) => void): void {
    this.abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true; // 1xx: the final answer is still to come
    this.statusCode = statusCode;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i];
      if (name.length === 14 && name.toString('latin1').toLowerCase() === 'content-length') {
        if (Number(rawHeaders[i + 1].toString('latin1')) > ANSWER_LIMIT) this.abort?.();
        break;
      }
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.received += chunk.length;
    if (this.received > ANSWER_LIMIT) this.abort?.();
    return true;
  }

  onComplete(): void {
    this.done(undefined);
  }

  onError(error: Error): void {
    this.done(this.statusCode === undefined ? error.message : undefined);
  }

  private done(error: string | undefined): void {
    if (this.finished) return;
    this.finished = true;
    this.finish(this.statusCode, error);
  }
}

/** Fisher-Yates shuffle that never leaves a batch of two or more in its original order. */
export function shuffleOutOfOrder<T>(items: T[], random: () => number): void {
  if (items.length < 2) return;
  const original = items.slice();
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  if (items.every((item, index) => item === original[index])) {
    [items[0], items[1]] = [items[1], items[0]];
  }
}
