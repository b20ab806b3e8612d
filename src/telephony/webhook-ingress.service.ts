// The Telnyx webhook hot path: verify the signature over the exact bytes received, parse the envelope,
// hand the event to the call layer (which dedupes on data.id and queues it for its call), and let the
// controller answer 200 at once. Applying the event happens off the request path.
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppError } from '../common/errors';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import { MetricsService } from '../infra/metrics/metrics.service';
import { CallEvent, parseWebhook } from './telnyx-event';
import { WebhookSignatureError, WebhookVerifier } from './webhook-signature';

/** Where call events go (CallsModule registers itself; telephony does not depend on calls). */
export type IngressOutcome = 'accepted' | 'duplicate' | 'ignored';

export interface CallEventSink {
  /**
   * Queues the event for its call unless its data.id was seen ('duplicate'); events of kinds the call
   * logic never reads are 'ignored' without touching any store.
   */
  accept(event: CallEvent): Promise<IngressOutcome>;
}

const KNOWN_EVENTS = new Set([
  'call.initiated',
  'call.answered',
  'call.bridged',
  'call.hangup',
  'call.speak.started',
  'call.speak.ended',
  'call.playback.started',
  'call.playback.ended',
  'call.gather.ended',
  'call.dtmf.received',
  'call.recording.saved',
  'call.machine.detection.ended',
]);

const SIGNATURE_CODES = {
  missing: 'WEBHOOK_SIGNATURE_MISSING',
  malformed: 'WEBHOOK_SIGNATURE_INVALID',
  invalid: 'WEBHOOK_SIGNATURE_INVALID',
  stale: 'WEBHOOK_TIMESTAMP_STALE',
} as const;

@Injectable()
export class WebhookIngressService {
  private readonly logger = new Logger('TelnyxWebhooks');
  private readonly verifier: WebhookVerifier | undefined;
  private sink: CallEventSink | undefined;
  private readonly ack;
  private readonly received;

  constructor(@Inject(APP_CONFIG) config: AppConfig, metrics: MetricsService) {
    this.verifier = config.telnyx.publicKey ? new WebhookVerifier(config.telnyx.publicKey) : undefined;
    if (!this.verifier) {
      this.logger.error('TELNYX_PUBLIC_KEY is not set: every Telnyx webhook will be refused with 401');
    }
    this.ack = metrics.histogram(
      'telnyx_webhook_ack_seconds',
      'Time from receiving a Telnyx webhook to acknowledging it',
      ['outcome'],
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2],
    );
    this.received = metrics.counter('telnyx_webhooks_total', 'Telnyx webhooks by event type and outcome', [
      'event',
      'outcome',
    ]);
  }

  setSink(sink: CallEventSink): void {
    this.sink = sink;
  }

  observeAck(outcome: string, seconds: number): void {
    this.ack.observe({ outcome }, seconds);
  }

  /** Verifies, parses and hands over one webhook; throws AppError (401/400/503) for the caller to map. */
  async receive(rawBody: Buffer, headers: Record<string, unknown>): Promise<IngressOutcome> {
    if (!this.verifier) {
      throw new AppError(401, 'WEBHOOK_SIGNATURE_UNVERIFIABLE', 'No Telnyx public key is configured');
    }
    const header = (name: string) => {
      const v = headers[name];
      return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
    };
    const signature = header('telnyx-signature-ed25519');
    const timestamp = header('telnyx-timestamp');
    try {
      // On the event loop, for every event: ~60 µs of Ed25519 (libsodium). The thread pool would take
      // it off the loop but costs ~0.5 ms more CPU per call in wake-ups and context switches, and on a
      // 2-core machine the woken pool thread preempts the loop anyway (measured with the webhook bench
      // when the check was OpenSSL's: p99 13–36 ms with the pool for all but call.initiated, 2–9 ms
      // with every check here).
      this.verifier.verify(rawBody, signature, timestamp);
    } catch (e) {
      if (e instanceof WebhookSignatureError) {
        this.received.inc({ event: 'unverified', outcome: e.problem });
        throw new AppError(401, SIGNATURE_CODES[e.problem], e.message);
      }
      throw e;
    }
    // Parsed only once the signature holds: strangers' bodies are never parsed.
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw new AppError(400, 'INVALID_JSON', 'Body is not valid JSON');
    }
    const parsed = parseWebhook(body);
    if (!parsed.ok) throw new AppError(400, 'WEBHOOK_INVALID', parsed.problem);
    const event = parsed.event;
    const label = KNOWN_EVENTS.has(event.type) ? event.type : 'other';
    if (!event.sessionId || !event.type.startsWith('call.')) {
      this.logger.log({ eventId: event.id, eventType: event.type }, 'Telnyx event without a call; ignored');
      this.received.inc({ event: label, outcome: 'ignored' });
      return 'ignored';
    }
    if (label === 'other') {
      this.logger.debug(
        { eventId: event.id, eventType: event.type, callSessionId: event.sessionId },
        'unknown call event type',
      );
    }
    if (!this.sink) throw new AppError(503, 'NOT_READY', 'Call handling is not running on this instance');
    const outcome = await this.sink.accept(event);
    this.received.inc({ event: label, outcome });
    return outcome;
  }
}
