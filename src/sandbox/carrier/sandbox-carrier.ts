// The sandbox carrier: a Telnyx-compatible Call Control carrier that the app, its tests, the demo, the
// benchmarks and users rehearsing a campaign talk to instead of Telnyx. It is a plain Fastify server (no Nest;
// Call Control commands are taken ahead of it, see serveCommandsAhead) so it runs inside the service, inside
// a test, or alone (main.ts):
//   /v2/...       Telnyx's API (calls, commands, numbers) for the official SDK with baseURL = <base>/v2
//   /sandbox/...  the control surface: place inbound calls, set how destinations behave, inspect calls
// and it sends Ed25519-signed webhooks to the app with Telnyx's retries, plus optional duplicates/reordering.
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { errorCodes, type FastifyError, type FastifyInstance } from 'fastify';
import { serveAhead } from '../../common/serve-ahead';
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
import { parseJsonBody } from './request-body';
import { TelnyxApiError, telnyxErrors } from './telnyx-errors';
import { COMMAND_ROUTE, registerTelnyxRoutes, runCommand } from './telnyx-routes';
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

/**
 * A command's request line as the fast path takes it: no query string, id in URL-safe characters, both
 * parameters within the router's 100-character limit (longer ones are Fastify's 404).
 */
const COMMAND_URL = /^\/v2\/calls\/([A-Za-z0-9._~:%-]{1,100})\/actions\/([a-z_]{1,100})$/;
const BODY_LIMIT = 1_048_576;

/** An id from the request line: as is, or with the SDK's %3A decoded; anything else is left to Fastify. */
function commandId(raw: string): string | undefined {
  if (!raw.includes('%')) return raw;
  const decoded = raw.replace(/%3a/gi, ':');
  return decoded.includes('%') ? undefined : decoded;
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

  /** The error the next injected fault for this request answers with, if one matches. */
  private takeFaultError(
    method: string,
    url: string,
  ): { error: TelnyxApiError; retryAfterMs?: number } | undefined {
    const fault = this.takeFault(method, url);
    if (!fault) return undefined;
    const [code, title] = FAULT_TITLES[fault.status] ?? ['10007', 'Internal server error'];
    const error = new TelnyxApiError(fault.status, [
      { code: fault.code ?? code, title, detail: 'Injected by the sandbox.' },
    ]);
    return { error, retryAfterMs: fault.retryAfterMs };
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

  /** The Bearer check of /v2 (when the carrier has an API key). */
  private authorized(url: string, headers: IncomingHttpHeaders): boolean {
    if (!this.apiKey || !url.startsWith('/v2/')) return true;
    return headers.authorization === `Bearer ${this.apiKey}`;
  }

  /** Status and Telnyx-shaped body for an error a request ended with; unexpected ones are logged. */
  private errorAnswer(
    error: FastifyError | TelnyxApiError,
    url: string,
  ): { statusCode: number; body: unknown } {
    if (error instanceof TelnyxApiError) return { statusCode: error.statusCode, body: error.toBody() };
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) {
      this.logger.error({ err: error, url }, 'sandbox carrier request failed');
      return { statusCode: 500, body: telnyxErrors.internal().toBody() };
    }
    return {
      statusCode: status,
      body: { errors: [{ code: '10015', title: 'Bad Request', detail: error.message }] },
    };
  }

  private emitApi(
    method: string,
    url: string,
    route: string | undefined,
    requestBody: unknown,
    statusCode: number,
    responseBody: string,
  ): void {
    if (this.emitter.listenerCount('api') === 0 || !url.startsWith('/v2/')) return;
    this.emitter.emit('api', {
      method,
      url,
      route,
      requestBody,
      statusCode,
      responseBody,
    } satisfies ApiExchange);
  }

  /**
   * Call Control commands (POST /v2/calls/{id}/actions/{action}) come several per call, and Fastify's
   * per-request work (an async resource around body parsing, routing, three hooks, reply serialisation)
   * cost more CPU than the command itself. They are served straight from the HTTP server, with the same
   * key check, body parsing, fault injection, error shapes and 'api' events as the Fastify route, which
   * keeps every request this path does not take (other routes, query strings, other content types,
   * chunked bodies, a bad key, a closing server) and inject() in tests.
   */
  private serveCommandsAhead(app: FastifyInstance): void {
    serveAhead(app.server, (req, res) => this.serveCommand(req, res));
  }

  /** Takes a command request if it is an ordinary one (see serveCommandsAhead); false leaves it to Fastify. */
  private serveCommand(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST' || this.stopping) return false;
    const url = req.url ?? '';
    const match = COMMAND_URL.exec(url);
    if (!match) return false;
    const headers = req.headers;
    const type = headers['content-type'];
    if (type !== 'application/json' && type !== 'application/json; charset=utf-8') return false;
    if (headers['transfer-encoding'] !== undefined) return false;
    const declared = Number(headers['content-length']); // NaN without the header: an empty body
    if (declared > BODY_LIMIT) return false;
    if (!this.authorized(url, headers)) return false;
    const callControlId = commandId(match[1]);
    if (callControlId === undefined) return false;
    const action = match[2];

    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', (error: Error & { statusCode?: number }) => {
      error.statusCode ??= 400;
      this.answerCommand(req, res, undefined, this.errorAnswer(error as FastifyError, url), 'close');
    });
    req.on('end', () => {
      // As Fastify reads a string body: decoded as UTF-8, its encoded length checked against the header.
      const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        if (!Number.isNaN(declared) && Buffer.byteLength(text) !== declared) {
          throw new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH();
        }
        body = parseJsonBody(text);
      } catch (error) {
        // A body that could not be read closes the connection, as Fastify does.
        this.answerCommand(req, res, undefined, this.errorAnswer(error as FastifyError, url), 'close');
        return;
      }
      const fault = this.faults.length ? this.takeFaultError('POST', url) : undefined;
      if (fault) {
        this.answerCommand(req, res, body, this.errorAnswer(fault.error, url), undefined, fault.retryAfterMs);
        return;
      }
      let answer: { statusCode: number; body: unknown };
      try {
        answer = { statusCode: 200, body: runCommand(this.engine, callControlId, action, body) };
      } catch (error) {
        answer = this.errorAnswer(error as TelnyxApiError, url);
      }
      this.answerCommand(req, res, body, answer);
    });
    return true;
  }

  /** Writes a fast-path answer with the headers Fastify would send, after the 'api' event as onSend does. */
  private answerCommand(
    req: IncomingMessage,
    res: ServerResponse,
    requestBody: unknown,
    answer: { statusCode: number; body: unknown },
    connection?: 'close',
    retryAfterMs?: number,
  ): void {
    const payload = JSON.stringify(answer.body);
    const url = req.url ?? '';
    try {
      this.emitApi('POST', url, COMMAND_ROUTE, requestBody, answer.statusCode, payload);
    } catch (error) {
      this.logger.error({ err: error, url }, "sandbox carrier 'api' listener failed");
    }
    const headers: Record<string, string> = {};
    if (connection) headers.connection = connection;
    if (retryAfterMs !== undefined) headers['retry-after-ms'] = String(retryAfterMs);
    headers['content-type'] = 'application/json; charset=utf-8';
    headers['content-length'] = String(Buffer.byteLength(payload));
    res.writeHead(answer.statusCode, headers);
    res.end(payload);
  }

  private buildServer(): FastifyInstance {
    const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: BODY_LIMIT });

    // The SDK sends `content-type: application/json` with an empty body for answer(id) and similar calls.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, parseJsonBody(typeof body === 'string' ? body : body.toString('utf8')));
      } catch (error) {
        done(error as TelnyxApiError, undefined);
      }
    });

    // The hooks take a callback rather than return a promise: they run on every request of a busy
    // carrier, and a promise per hook costs more than the check inside it.
    app.addHook('onRequest', (request, _reply, done) => {
      done(this.authorized(request.url, request.headers) ? undefined : telnyxErrors.unauthorized());
    });

    // After the body is parsed, so an injected failure still shows the request in the 'api' events.
    app.addHook('preHandler', (request, reply, done) => {
      const fault = this.faults.length ? this.takeFaultError(request.method, request.url) : undefined;
      if (!fault) return done();
      if (fault.retryAfterMs !== undefined) void reply.header('retry-after-ms', String(fault.retryAfterMs));
      done(fault.error);
    });

    app.addHook('onSend', (request, reply, payload, done) => {
      this.emitApi(
        request.method,
        request.url,
        request.routeOptions.url,
        request.body,
        reply.statusCode,
        typeof payload === 'string' ? payload : '',
      );
      done(null, payload);
    });

    app.setErrorHandler((error: FastifyError | TelnyxApiError, request, reply) => {
      const answer = this.errorAnswer(error, request.url);
      return reply.code(answer.statusCode).send(answer.body);
    });

    app.setNotFoundHandler((request, reply) => {
      void reply
        .code(404)
        .send(telnyxErrors.notFound(`No route for ${request.method} ${request.url.split('?')[0]}.`).toBody());
    });

    registerTelnyxRoutes(app, this.engine, this.inventory);
    registerControlRoutes(app, this);
    this.serveCommandsAhead(app);
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
