// The sandbox carrier: a Telnyx-compatible Call Control carrier that the app, its tests, the demo, the
// benchmarks and users rehearsing a campaign talk to instead of Telnyx. It is a plain Fastify server (no Nest)
// so it runs inside the service, inside a test, or alone (main.ts):
//   /v2/...       Telnyx's API (calls, commands, numbers) for the official SDK with baseURL = <base>/v2
//   /sandbox/...  the control surface: place inbound calls, set how destinations behave, inspect calls
// and it sends Ed25519-signed webhooks to the app with Telnyx's retries, plus optional duplicates/reordering.
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { CallEngine, type Leg } from './call-engine';
import type {
  CallSnapshot,
  CarrierLogger,
  DestinationBehaviour,
  InboundCallOptions,
  SandboxCarrierOptions,
  SimulationTiming,
} from './carrier-types';
import { registerControlRoutes } from './control-routes';
import { NumberInventory } from './number-inventory';
import { generateSigningKeys, type SigningKeys, WebhookSigner } from './signing-keys';
import { createRandom, MicroClock, TimerSet } from './sim-runtime';
import { TelnyxApiError, telnyxErrors } from './telnyx-errors';
import { registerTelnyxRoutes } from './telnyx-routes';
import {
  type DeliveryAttemptReport,
  type DeliveryOptions,
  type DeliveryStats,
  WebhookDispatcher,
  type WebhookEventData,
} from './webhook-dispatcher';

export const DEFAULT_CONNECTION_ID = '1000000000000000001';

export const DEFAULT_TIMING: SimulationTiming = {
  speakMsPerChar: 60,
  minSpeakMs: 500,
  playbackMs: 3000,
  dtmfIntervalMs: 300,
  refuseAfterMs: 500,
};

export const DEFAULT_DESTINATION: DestinationBehaviour = {
  mode: 'answer',
  answerAfterMs: 2000,
  talkMs: 60_000,
};

/** A webhook the carrier generated (before delivery), in generation order. */
export interface EmittedWebhook {
  data: WebhookEventData;
  url: string | undefined;
  callControlId: string;
  callSessionId: string;
}

/** One /v2 request and the carrier's answer (emitted only while someone listens). */
export interface ApiExchange {
  method: string;
  url: string;
  /** Route pattern, e.g. /v2/calls/:id/actions/:action. */
  route: string | undefined;
  requestBody: unknown;
  statusCode: number;
  responseBody: string;
}

export interface CarrierEvents {
  webhook: EmittedWebhook;
  delivery: DeliveryAttemptReport;
  'call.created': CallSnapshot;
  'call.ended': CallSnapshot;
  api: ApiExchange;
}

/**
 * Fault injection for rehearsing carrier errors: the next `times` (default 1) requests for `action`
 * (a Call Control command such as 'answer' or 'transfer', or 'dial') get this error instead of running.
 * `code` defaults to Telnyx's code for the status (422 → 90018 call ended, 429 → 10011, 5xx → 10007).
 */
export interface InjectedFault {
  action: string;
  status: number;
  code?: string;
  times?: number;
  /** Sent as retry-after-ms (the SDK honours it before retrying). */
  retryAfterMs?: number;
}

const FAULT_TITLES: Record<number, [string, string]> = {
  422: ['90018', 'Call has already ended'],
  429: ['10011', 'Too many requests'],
};

export interface CarrierStats {
  activeCalls: number;
  retainedEndedCalls: number;
  timers: number;
  webhooks: DeliveryStats;
}

const silentLogger: CarrierLogger = { debug() {}, info() {}, warn() {}, error() {} };

export class SandboxCarrier {
  readonly connectionId: string;
  readonly timeScale: number;
  private readonly signer: WebhookSigner;
  private readonly logger: CarrierLogger;
  private readonly timers: TimerSet;
  private readonly clock = new MicroClock();
  private readonly dispatcher: WebhookDispatcher;
  private readonly inventory: NumberInventory;
  private readonly engine: CallEngine;
  private readonly emitter = new EventEmitter();
  private readonly app: FastifyInstance;
  private readonly apiKey: string | undefined;
  private readonly waiters = new Set<(error: Error) => void>();
  private faults: Array<InjectedFault & { left: number }> = [];
  private webhookUrl: string | undefined;
  private base: string | null = null;
  private stopping: Promise<void> | null = null;

  constructor(options: SandboxCarrierOptions = {}) {
    this.connectionId = options.connectionId ?? DEFAULT_CONNECTION_ID;
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale >= 0)) throw new Error('timeScale must be a number ≥ 0');
    this.webhookUrl = options.webhookUrl;
    this.apiKey = options.apiKey || undefined;
    this.logger = options.logger ?? silentLogger;
    this.signer = new WebhookSigner((options.signingKeys ?? generateSigningKeys()).privateKeyPem);
    this.emitter.setMaxListeners(0);
    this.timers = new TimerSet((error) => this.logger.error({ err: error }, 'sandbox carrier timer failed'));
    const random = createRandom(options.seed);

    this.dispatcher = new WebhookDispatcher(
      this.signer,
      this.timers,
      random,
      options.delivery ?? {},
      (report) => {
        if (!report.ok) {
          const log = {
            eventId: report.eventId,
            eventType: report.eventType,
            attempt: report.attempt,
            status: report.statusCode,
            error: report.error,
          };
          if (report.gaveUp) this.logger.warn(log, 'sandbox webhook delivery gave up');
          else this.logger.debug(log, 'sandbox webhook delivery failed, will retry');
        }
        if (this.emitter.listenerCount('delivery') > 0) this.emitter.emit('delivery', report);
      },
    );
    this.inventory = new NumberInventory(this.clock, random, 'sandbox-call-control-app');
    this.engine = new CallEngine(
      {
        connectionId: this.connectionId,
        timeScale: this.timeScale,
        timing: { ...DEFAULT_TIMING, ...options.timing },
        defaultDestination: { ...DEFAULT_DESTINATION, ...options.defaultDestination },
        commandIdWindowMs: options.commandIdWindowMs ?? 60_000,
        endedCallRetentionMs: options.endedCallRetentionMs ?? 600_000,
        maxEndedCalls: options.maxEndedCalls ?? 20_000,
        recordingBaseUrl: () => this.base ?? 'http://sandbox.invalid',
      },
      this.timers,
      this.clock,
      this.inventory,
      {
        webhook: (leg, data) => this.onWebhook(leg, data),
        callCreated: (leg) => {
          if (this.emitter.listenerCount('call.created') > 0)
            this.emitter.emit('call.created', this.engine.snapshot(leg));
        },
        callEnded: (leg) => {
          if (this.emitter.listenerCount('call.ended') > 0)
            this.emitter.emit('call.ended', this.engine.snapshot(leg));
        },
      },
    );
    this.app = this.buildServer();
  }

  // ================================================================================================
  // Life cycle
  // ================================================================================================

  /** Listens (port 0 = a free port) and returns the base URL, e.g. http://127.0.0.1:41234. */
  async start(listen: { host?: string; port?: number } = {}): Promise<string> {
    if (this.stopping) throw new Error('the sandbox carrier was stopped');
    const host = listen.host ?? '127.0.0.1';
    await this.app.listen({ host, port: listen.port ?? 0 });
    const { port } = this.app.server.address() as AddressInfo;
    const reachable =
      host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    this.base = `http://${reachable}:${port}`;
    this.logger.info({ baseUrl: this.base, connectionId: this.connectionId }, 'sandbox carrier listening');
    return this.base;
  }

  /** Closes the server, cancels every timer and in-flight delivery; pending waits reject. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.timers.close();
      for (const reject of [...this.waiters]) reject(new Error('the sandbox carrier stopped'));
      await this.dispatcher.close();
      await this.app.close();
    })();
    return this.stopping;
  }

  get baseUrl(): string {
    if (!this.base) throw new Error('the sandbox carrier is not listening; call start() first');
    return this.base;
  }

  /** What the telnyx SDK takes as baseURL. */
  get apiBaseUrl(): string {
    return `${this.baseUrl}/v2`;
  }

  /** Base64 of the raw 32-byte Ed25519 public key: the app's TELNYX_PUBLIC_KEY. */
  get publicKeyBase64(): string {
    return this.signer.publicKeyBase64;
  }

  get signingKeys(): SigningKeys {
    return this.signer.keys;
  }

  /** The Fastify instance, e.g. for inject() in tests that do not need a socket. */
  get server(): FastifyInstance {
    return this.app;
  }

  // ================================================================================================
  // Configuration at run time
  // ================================================================================================

  getWebhookUrl(): string | undefined {
    return this.webhookUrl;
  }

  /** Where webhooks of calls without their own webhook_url go from now on. */
  setWebhookUrl(url: string | undefined): void {
    this.webhookUrl = url || undefined;
  }

  get deliverySettings(): Readonly<DeliveryOptions> {
    return this.dispatcher.settings;
  }

  /** Changes duplicates, reordering, retries and timeout for events sent from now on. */
  configureDelivery(options: Partial<DeliveryOptions>): void {
    this.dispatcher.configure(options);
  }

  /** How calls to `destination` (E.164 or SIP URI, as transferred/dialled to) behave; '*' sets the default. */
  setDestinationBehaviour(destination: string, behaviour: DestinationBehaviour): void {
    validateBehaviour(behaviour);
    this.engine.setDestinationBehaviour(destination, behaviour);
  }

  /** Forgets one destination's behaviour, or all of them (the default stays). */
  clearDestinationBehaviour(destination?: string): void {
    this.engine.clearDestinationBehaviour(destination);
  }

  destinationBehaviours(): Record<string, DestinationBehaviour> {
    return this.engine.destinationBehaviours();
  }

  /** Makes the next matching API requests fail (see InjectedFault). */
  injectFault(fault: InjectedFault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  private takeFault(method: string, url: string): InjectedFault | undefined {
    const path = url.split('?')[0];
    const action =
      method === 'POST' && path === '/v2/calls'
        ? 'dial'
        : /^\/v2\/calls\/[^/]+\/actions\/([a-z_]+)$/.exec(path)?.[1];
    if (!action) return undefined;
    const fault = this.faults.find((f) => f.left > 0 && f.action === action);
    if (fault) fault.left--;
    return fault;
  }

  // ================================================================================================
  // Simulated parties
  // ================================================================================================

  /** A caller dials `to`: sends call.initiated (incoming, parked) and returns leg A. */
  placeInboundCall(options: InboundCallOptions): CallSnapshot {
    this.assertRunning();
    return this.engine.snapshot(this.engine.placeInboundCall(options));
  }

  /** The far end of the leg hangs up: the caller of an inbound leg, the callee of an outgoing one. */
  farEndHangup(callControlId: string): boolean {
    return this.engine.farEndHangupById(callControlId);
  }

  /** The far end keys digits (call.dtmf.received each; they feed a running gather). */
  sendDtmf(callControlId: string, digits: string): boolean {
    return this.engine.sendDtmf(callControlId, digits);
  }

  /** Adds a number to the owned inventory as an order would (inbound calls to it carry its connection and tags). */
  addPhoneNumber(
    phoneNumber: string,
    options: { connectionId?: string | null; tags?: string[] } = {},
  ): Record<string, unknown> {
    return this.inventory.toResource(
      this.inventory.add(phoneNumber, {
        connectionId: options.connectionId ?? this.connectionId,
        tags: options.tags,
      }),
    );
  }

  phoneNumbers(): Array<Record<string, unknown>> {
    return this.inventory.list({}).map((n) => this.inventory.toResource(n));
  }

  // ================================================================================================
  // Inspection
  // ================================================================================================

  calls(filter: { state?: 'active' | 'ended'; callSessionId?: string } = {}): CallSnapshot[] {
    const result: CallSnapshot[] = [];
    for (const leg of this.engine.all()) {
      const alive = leg.state !== 'hangup';
      if (filter.state === 'active' && !alive) continue;
      if (filter.state === 'ended' && alive) continue;
      if (filter.callSessionId && leg.callSessionId !== filter.callSessionId) continue;
      result.push(this.engine.snapshot(leg));
    }
    return result;
  }

  getCall(callControlId: string): CallSnapshot | undefined {
    const leg = this.engine.get(callControlId);
    return leg ? this.engine.snapshot(leg) : undefined;
  }

  stats(): CarrierStats {
    const counts = this.engine.counts();
    return {
      activeCalls: counts.active,
      retainedEndedCalls: counts.retainedEnded,
      timers: this.timers.size,
      webhooks: this.dispatcher.stats(),
    };
  }

  on<K extends keyof CarrierEvents>(event: K, listener: (value: CarrierEvents[K]) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  /** Resolves with the first matching event of this kind (rejects after timeoutMs or on stop). */
  waitFor<K extends keyof CarrierEvents>(
    event: K,
    predicate: (value: CarrierEvents[K]) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<CarrierEvents[K]> {
    return new Promise((resolve, reject) => {
      const finish = (error: Error | null, value?: CarrierEvents[K]): void => {
        clearTimeout(timer);
        off();
        this.waiters.delete(fail);
        if (error) reject(error);
        else resolve(value as CarrierEvents[K]);
      };
      const fail = (error: Error): void => finish(error);
      const off = this.on(event, (value) => {
        if (predicate(value)) finish(null, value);
      });
      const timer = setTimeout(
        () => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${event}`)),
        timeoutMs,
      );
      timer.unref();
      this.waiters.add(fail);
    });
  }

  /** Resolves with the leg once it has hung up (at once if it already has). */
  async waitForCallEnd(callControlId: string, timeoutMs = 30_000): Promise<CallSnapshot> {
    const current = this.getCall(callControlId);
    if (!current) throw new Error(`unknown call ${callControlId}`);
    if (!current.isAlive) return current;
    return this.waitFor('call.ended', (call) => call.callControlId === callControlId, timeoutMs);
  }

  /** Resolves when every webhook generated so far has been delivered or given up (retries included). */
  whenIdle(): Promise<void> {
    return this.dispatcher.whenIdle();
  }

  // ================================================================================================
  // Internals
  // ================================================================================================

  private assertRunning(): void {
    if (this.stopping) throw new Error('the sandbox carrier was stopped');
  }

  private onWebhook(leg: Leg, data: WebhookEventData): void {
    const url = leg.webhookUrl ?? this.webhookUrl;
    if (url) this.dispatcher.dispatch(leg.callSessionId, url, data, leg.retryPolicies?.[data.event_type]);
    if (this.emitter.listenerCount('webhook') > 0) {
      this.emitter.emit('webhook', {
        data,
        url,
        callControlId: leg.callControlId,
        callSessionId: leg.callSessionId,
      } satisfies EmittedWebhook);
    }
  }

  private buildServer(): FastifyInstance {
    const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 1_048_576 });

    // The SDK sends `content-type: application/json` with an empty body for answer(id) and similar calls.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '') return done(null, {});
      try {
        done(null, JSON.parse(text));
      } catch {
        done(telnyxErrors.badRequest('The request body is not valid JSON.'), undefined);
      }
    });

    // The hooks take a callback rather than return a promise: they run on every request of a busy
    // carrier, and a promise per hook costs more than the check inside it.
    app.addHook('onRequest', (request, _reply, done) => {
      if (!this.apiKey || !request.url.startsWith('/v2/')) return done();
      if (request.headers.authorization !== `Bearer ${this.apiKey}`) return done(telnyxErrors.unauthorized());
      done();
    });

    // After the body is parsed, so an injected failure still shows the request in the 'api' events.
    app.addHook('preHandler', (request, reply, done) => {
      const fault = this.faults.length ? this.takeFault(request.method, request.url) : undefined;
      if (!fault) return done();
      const [code, title] = FAULT_TITLES[fault.status] ?? ['10007', 'Internal server error'];
      if (fault.retryAfterMs !== undefined) void reply.header('retry-after-ms', String(fault.retryAfterMs));
      done(
        new TelnyxApiError(fault.status, [
          { code: fault.code ?? code, title, detail: 'Injected by the sandbox.' },
        ]),
      );
    });

    app.addHook('onSend', (request, reply, payload, done) => {
      if (this.emitter.listenerCount('api') > 0 && request.url.startsWith('/v2/')) {
        this.emitter.emit('api', {
          method: request.method,
          url: request.url,
          route: request.routeOptions.url,
          requestBody: request.body,
          statusCode: reply.statusCode,
          responseBody: typeof payload === 'string' ? payload : '',
        } satisfies ApiExchange);
      }
      done(null, payload);
    });

    app.setErrorHandler((error: FastifyError | TelnyxApiError, request, reply) => {
      if (error instanceof TelnyxApiError) return reply.code(error.statusCode).send(error.toBody());
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
      if (status >= 500) {
        this.logger.error({ err: error, url: request.url }, 'sandbox carrier request failed');
        return reply.code(500).send(telnyxErrors.internal().toBody());
      }
      return reply
        .code(status)
        .send({ errors: [{ code: '10015', title: 'Bad Request', detail: error.message }] });
    });

    app.setNotFoundHandler((request, reply) => {
      void reply
        .code(404)
        .send(telnyxErrors.notFound(`No route for ${request.method} ${request.url.split('?')[0]}.`).toBody());
    });

    registerTelnyxRoutes(app, this.engine, this.inventory);
    registerControlRoutes(app, this);
    return app;
  }
}

const MODES: ReadonlyArray<DestinationBehaviour['mode']> = ['answer', 'busy', 'no_answer', 'reject', 'fail'];

export function validateBehaviour(behaviour: DestinationBehaviour): void {
  const fail = (detail: string, pointer: string): never => {
    throw new TelnyxApiError(422, [
      { code: '10015', title: 'Invalid destination behaviour', detail, source: { pointer } },
    ]);
  };
  if (!behaviour || typeof behaviour !== 'object') fail('A behaviour object is required.', '/');
  if (!MODES.includes(behaviour.mode)) fail(`mode must be one of: ${MODES.join(', ')}.`, '/mode');
  const nonNegative = (value: unknown): boolean =>
    typeof value === 'number' && Number.isFinite(value) && value >= 0;
  if (behaviour.answerAfterMs !== undefined && !nonNegative(behaviour.answerAfterMs)) {
    fail('answerAfterMs must be a number ≥ 0.', '/answerAfterMs');
  }
  if (behaviour.talkMs !== undefined && behaviour.talkMs !== null && !nonNegative(behaviour.talkMs)) {
    fail('talkMs must be a number ≥ 0 or null.', '/talkMs');
  }
}
