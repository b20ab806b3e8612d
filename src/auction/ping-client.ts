// The outbound HTTP client of the auction: one undici Agent (keep-alive pools per buyer origin) whose
// sockets connect only to addresses the SSRF guard accepted, a hard timeout per request that holds even
// while a request waits for a connection, and a cap on the response body (the request is aborted past
// it). A plain dispatch handler collects the answer: no stream per response. Every failure comes back as
// a value with a reason, never as an exception, because a buyer's server is hostile input like its
// response.
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { Agent, type Dispatcher } from 'undici';
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
  cleanup?: () => void;
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

  private settle(o: HttpOutcome): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.cleanup?.();
    this.resolve(o);
  }

  private fail(reason: HttpFailure, detail?: string): void {
    this.settle({ ok: false, reason, status: this.status, latencyMs: performance.now() - this.t0, detail });
  }

  timeOut(): void {
    if (this.done) return;
    this.fail('timeout');
    this.controller?.abort(TIMED_OUT);
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
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return;
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      this.fail('oversized');
      controller.abort(TOO_LARGE);
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const body =
      this.chunks.length === 1
        ? this.chunks[0].toString('utf8')
        : Buffer.concat(this.chunks).toString('utf8');
    this.settle({ ok: true, status: this.status, body, latencyMs: performance.now() - this.t0 });
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.done) return;
    if (isBlocked(err)) this.fail('blocked_address', err.message);
    else this.fail('network_error', errorCode(err));
  }
}

@Injectable()
export class PingClient implements OnApplicationShutdown {
  private readonly agent: Agent;
  readonly allowPrivate: boolean;
  /** Parsed URLs (rendered ping URLs repeat: most carry no per-call tokens). */
  private readonly urls = new Map<string, ParsedTarget>();
  /** Header objects per target spec (its headers object is shared by every ping of the target). */
  private readonly headerSets = new WeakMap<Record<string, string>, Map<string, Record<string, string>>>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.allowPrivate = config.allowPrivateTargets;
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connections: 512,
      pipelining: 1,
      connect: { lookup: guardedLookup(this.allowPrivate), timeout: 10_000 },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.destroy().catch(() => undefined);
  }

  /**
   * Sends one request; resolves when the answer is read, or at `timeoutMs` / when `deadline` aborts,
   * whatever the other side (or the connection pool) is doing: a request still waiting for a socket
   * is settled as a timeout too. `timeoutMs` null: only `deadline` bounds it.
   */
  send(
    req: OutboundRequest,
    timeoutMs: number | null,
    deadline?: AbortSignal,
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
    if ((timeoutMs !== null && timeoutMs <= 0) || deadline?.aborted || (timeoutMs === null && !deadline)) {
      return Promise.resolve({ ok: false, reason: 'timeout', status: 0, latencyMs: 0 });
    }
    return new Promise<HttpOutcome>((resolve) => {
      const handler = new PingHandler(maxBytes, resolve);
      if (timeoutMs !== null) handler.timer = setTimeout(() => handler.timeOut(), timeoutMs);
      if (deadline) {
        const onAbort = () => handler.timeOut();
        deadline.addEventListener('abort', onAbort, { once: true });
        handler.cleanup = () => deadline.removeEventListener('abort', onAbort);
      }
      try {
        this.agent.dispatch(
          {
            origin: target.origin,
            path: target.path,
            method: req.method,
            headers: this.headers(req),
            body: req.body ?? undefined,
          },
          handler,
        );
      } catch (e) {
        handler.onResponseError(undefined, e as Error);
      }
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
