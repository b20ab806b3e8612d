// The outbound HTTP client of the auction: keep-alive connections per buyer origin (undici Clients,
// one request at a time each) whose sockets connect only to addresses the SSRF guard accepted, a hard
// timeout per request that holds even while a request waits for a connection, one deadline per auction
// that cuts every ping still open, and a cap on the response body (the request is aborted past it). A
// plain dispatch handler collects the answer: no stream per response. Every failure comes back as a
// value with a reason, never as an exception, because a buyer's server is hostile input like its
// response.
//
// Why not undici's Agent/Pool: a Pool looks for a free connection by walking its whole list of
// clients on every request, so with a few hundred pings in flight to one origin that walk costs more
// than the request. Here the idle connections of an origin sit on a stack: taking one and giving it back
// are O(1), and the most recently used (warm) socket goes out first while the others age out on their
// keep-alive timeout.
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { buildConnector, Client, type Dispatcher } from 'undici';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import { BLOCKED_ADDRESS, guardedLookup, ipLiteral, isPublicAddress } from './address-guard';

/** Largest response body read from a buyer. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
const USER_AGENT = 'callbid-auction/0.1';

export interface OutboundRequest {
  url: string;
  method: 'GET' | 'POST' | 'PUT';
  headers: Record<string, string>;
  body: string | null;
  contentType: string | null;
}

export type HttpFailure = 'timeout' | 'oversized' | 'network_error' | 'blocked_address' | 'bad_url';

export type HttpOutcome =
  | { ok: true; status: number; body: string; latencyMs: number }
  | { ok: false; reason: HttpFailure; status: number; latencyMs: number; detail?: string };

const TIMED_OUT = new Error('timed out');
const TOO_LARGE = new Error('response body over the cap');
const URL_CACHE = 10_000;
/** Connections open at once to one origin; requests past it wait for one (their timeout still runs). */
const CONNECTIONS_PER_ORIGIN = 512;
const KEEP_ALIVE_MS = 30_000;
const KEEP_ALIVE_MAX_MS = 600_000;
/** How long a request cut by its timeout or deadline may still answer and keep its connection. */
const LATE_GRACE_MS = 100;
/** An origin unused this long gives its connections back (swept once a minute). */
const ORIGIN_IDLE_MS = 5 * 60_000;

interface ParsedTarget {
  origin: string;
  path: string;
  /** The refused IP literal, when the URL names one that is not public. */
  blocked?: string;
}

function errorCode(e: unknown): string | undefined {
  for (let cur = e, depth = 0; cur && typeof cur === 'object' && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function isBlocked(e: unknown): boolean {
  for (let cur = e, depth = 0; cur && typeof cur === 'object' && depth < 4; depth++) {
    if ((cur as { code?: unknown }).code === BLOCKED_ADDRESS) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Collects one response for PingClient.send: status, body up to the cap, or the reason it failed. It
 * settles exactly once; anything undici reports after that (the abort it was asked for) is ignored.
 */
class PingHandler implements Dispatcher.DispatchHandler {
  timer?: NodeJS.Timeout;
  private grace?: NodeJS.Timeout;
  /** The connection carrying the request, given back when the answer settles. */
  client?: Client;
  pool?: OriginConnections;
  private controller?: Dispatcher.DispatchController;
  private readonly t0 = performance.now();
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private status = 0;
  private done = false;

  constructor(
    private readonly maxBytes: number,
    private readonly resolve: (o: HttpOutcome) => void,
  ) {}

  get settled(): boolean {
    return this.done;
  }

  private settle(o: HttpOutcome): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.resolve(o);
  }

  /** The connection goes back to its origin's stack (after any abort, so it is not handed out mid-way). */
  private giveBack(): void {
    if (this.grace) clearTimeout(this.grace);
    this.grace = undefined;
    const c = this.client;
    if (!c) return;
    this.client = undefined;
    this.pool!.release(c);
  }

  private fail(reason: HttpFailure, detail?: string): void {
    this.settle({ ok: false, reason, status: this.status, latencyMs: performance.now() - this.t0, detail });
  }

  timeOut(): void {
    if (this.done) return;
    this.fail('timeout');
    // The caller has its answer now. The request stays open a little longer: a buyer that is only a
    // bit late then answers on its keep-alive connection, which serves its next ping without a new
    // TCP (or TLS) handshake. Past the grace it is aborted and its socket closed, away from the moment
    // the auction closed, when the call and other auctions' deadlines need the event loop.
    this.grace = setTimeout(() => {
      this.grace = undefined;
      this.controller?.abort(TIMED_OUT);
      this.giveBack();
    }, LATE_GRACE_MS);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Timed out while waiting for a socket: do not send it at all.
    if (this.done) controller.abort(TIMED_OUT);
    else this.controller = controller;
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return; // 1xx: the real answer follows
    this.status = statusCode;
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > this.maxBytes) {
      this.fail('oversized');
      controller.abort(TOO_LARGE);
      this.giveBack();
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    // Counted even after a timeout: a late answer is read only up to the cap too.
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      this.fail('oversized');
      controller.abort(TOO_LARGE);
      this.giveBack();
      return;
    }
    if (!this.done) this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (!this.done) {
      const body =
        this.chunks.length === 1
          ? this.chunks[0].toString('utf8')
          : Buffer.concat(this.chunks).toString('utf8');
      this.settle({ ok: true, status: this.status, body, latencyMs: performance.now() - this.t0 });
    }
    this.giveBack();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (!this.done) {
      if (isBlocked(err)) this.fail('blocked_address', err.message);
      else this.fail('network_error', errorCode(err));
    }
    this.giveBack();
  }
}

/**
 * The hard deadline of one auction: one timer that settles every ping sent under it that is still open
 * as a timeout (cheaper than an AbortSignal listener per ping). cancel() once the auction has closed.
 */
export class Deadline {
  private readonly open: PingHandler[] = [];
  private readonly at: number;
  private timer?: NodeJS.Timeout;
  private check?: NodeJS.Immediate;
  private fired = false;

  constructor(ms: number) {
    this.at = performance.now() + ms;
    this.timer = setTimeout(() => this.fire(), Math.max(0, ms));
  }

  get passed(): boolean {
    return this.fired;
  }

  /** @internal PingClient's side: a request to settle at the deadline. */
  add(h: PingHandler): void {
    this.open.push(h);
  }

  cancel(): void {
    clearTimeout(this.timer);
    if (this.check) clearImmediate(this.check);
    this.open.length = 0;
  }

  private fire(): void {
    // A timer counts from the event loop's clock, which lags while a turn of the loop runs, so it can
    // fire a little early: the auction still waits for its deadline. Under a millisecond (a timer's
    // grain), each turn of the loop checks again, answers that arrive meanwhile included.
    const early = this.at - performance.now();
    if (early > 0) {
      if (early >= 1) this.timer = setTimeout(() => this.fire(), early);
      else this.check = setImmediate(() => this.fire());
      return;
    }
    this.fired = true;
    for (const h of this.open) if (!h.settled) h.timeOut();
    this.open.length = 0;
  }
}

interface Waiting {
  handler: PingHandler;
  opts: Dispatcher.DispatchOptions;
}

/** The keep-alive connections to one origin: idle ones on a stack, a cap, a queue past the cap. */
class OriginConnections {
  private readonly idle: Client[] = [];
  private readonly waiting: Waiting[] = [];
  /** Every connection made and not closed, idle or busy. */
  private readonly all = new Set<Client>();
  usedAt = 0;

  constructor(
    private readonly origin: string,
    private readonly connect: buildConnector.connector,
  ) {}

  dispatch(handler: PingHandler, opts: Dispatcher.DispatchOptions): void {
    this.usedAt = Date.now();
    let client = this.idle.pop();
    if (!client && this.all.size < CONNECTIONS_PER_ORIGIN) {
      client = new Client(this.origin, {
        connect: this.connect,
        keepAliveTimeout: KEEP_ALIVE_MS,
        keepAliveMaxTimeout: KEEP_ALIVE_MAX_MS,
        pipelining: 1,
        // Every request carries its own timeout or its auction's deadline (send() refuses one with
        // neither), so undici's own header and body timers would only add a timer per request.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      this.all.add(client);
    }
    if (client) this.start(client, handler, opts);
    else this.waiting.push({ handler, opts });
  }

  /** A request on `client` has settled: the next waiting one takes it, else it goes back to the stack. */
  release(client: Client): void {
    while (this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      if (next.handler.settled) continue; // timed out while it waited
      // Not from inside undici's callback that gave the connection back.
      queueMicrotask(() => this.start(client, next.handler, next.opts));
      return;
    }
    this.idle.push(client);
  }

  private start(client: Client, handler: PingHandler, opts: Dispatcher.DispatchOptions): void {
    handler.client = client;
    handler.pool = this;
    try {
      client.dispatch(opts, handler);
    } catch (e) {
      handler.onResponseError(undefined, e as Error);
    }
  }

  /** Closes the idle connections when the origin has not been used lately; true when none is left. */
  sweep(now: number): boolean {
    if (now - this.usedAt < ORIGIN_IDLE_MS || this.idle.length < this.all.size) return false;
    for (const c of this.all) void c.close().catch(() => undefined);
    this.all.clear();
    this.idle.length = 0;
    return true;
  }

  async destroy(): Promise<void> {
    this.waiting.length = 0;
    this.idle.length = 0;
    const all = [...this.all];
    this.all.clear();
    await Promise.all(all.map((c) => c.destroy().catch(() => undefined)));
  }
}

@Injectable()
export class PingClient implements OnApplicationShutdown {
  private readonly connect: buildConnector.connector;
  private readonly origins = new Map<string, OriginConnections>();
  private readonly sweeper: NodeJS.Timeout;
  readonly allowPrivate: boolean;
  /** Parsed URLs (rendered ping URLs repeat: most carry no per-call tokens). */
  private readonly urls = new Map<string, ParsedTarget>();
  /** Header objects per target spec (its headers object is shared by every ping of the target). */
  private readonly headerSets = new WeakMap<Record<string, string>, Map<string, Record<string, string>>>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.allowPrivate = config.allowPrivateTargets;
    this.connect = buildConnector({ lookup: guardedLookup(this.allowPrivate), timeout: 10_000 });
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const [origin, c] of this.origins) if (c.sweep(now)) this.origins.delete(origin);
    }, 60_000);
    this.sweeper.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.origins.values()].map((c) => c.destroy()));
    this.origins.clear();
  }

  /**
   * Sends one request; resolves when the answer is read, or at `timeoutMs` / when `deadline` passes,
   * whatever the other side (or the connection pool) is doing: a request still waiting for a socket
   * is settled as a timeout too. `timeoutMs` null: only `deadline` bounds it.
   */
  send(
    req: OutboundRequest,
    timeoutMs: number | null,
    deadline?: Deadline,
    maxBytes = MAX_RESPONSE_BYTES,
  ): Promise<HttpOutcome> {
    const target = this.target(req.url);
    if (!target) return Promise.resolve({ ok: false, reason: 'bad_url', status: 0, latencyMs: 0 });
    if (target.blocked) {
      return Promise.resolve({
        ok: false,
        reason: 'blocked_address',
        status: 0,
        latencyMs: 0,
        detail: target.blocked,
      });
    }
    if ((timeoutMs !== null && timeoutMs <= 0) || deadline?.passed || (timeoutMs === null && !deadline)) {
      return Promise.resolve({ ok: false, reason: 'timeout', status: 0, latencyMs: 0 });
    }
    return new Promise<HttpOutcome>((resolve) => {
      const handler = new PingHandler(maxBytes, resolve);
      if (timeoutMs !== null) handler.timer = setTimeout(() => handler.timeOut(), timeoutMs);
      deadline?.add(handler);
      let pool = this.origins.get(target.origin);
      if (!pool) {
        pool = new OriginConnections(target.origin, this.connect);
        this.origins.set(target.origin, pool);
      }
      pool.dispatch(handler, {
        origin: target.origin,
        path: target.path,
        method: req.method,
        headers: this.headers(req),
        body: req.body ?? undefined,
      });
    });
  }

  /** Origin and path of a URL, and whether its IP literal is refused; undefined = not a usable URL. */
  private target(raw: string): ParsedTarget | undefined {
    const hit = this.urls.get(raw);
    if (hit) return hit;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return undefined;
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password)
      return undefined;
    // An IP literal never goes through the lookup hook, so it is checked here.
    const literal = ipLiteral(url.hostname);
    const blocked = literal && !this.allowPrivate && !isPublicAddress(literal) ? literal : undefined;
    const parsed: ParsedTarget = { origin: url.origin, path: `${url.pathname}${url.search}`, blocked };
    if (this.urls.size >= URL_CACHE) this.urls.clear();
    this.urls.set(raw, parsed);
    return parsed;
  }

  /** The request headers: the target's own, plus ours (one object per target spec and body kind). */
  private headers(req: OutboundRequest): Record<string, string> {
    const withBody = req.body !== null && req.contentType ? req.contentType : '';
    let perSpec = this.headerSets.get(req.headers);
    if (!perSpec) {
      perSpec = new Map();
      this.headerSets.set(req.headers, perSpec);
    }
    let h = perSpec.get(withBody);
    if (!h) {
      h = { ...req.headers, 'user-agent': USER_AGENT, accept: 'application/json' };
      if (withBody) h['content-type'] = withBody;
      perSpec.set(withBody, h);
    }
    return h;
  }
}
