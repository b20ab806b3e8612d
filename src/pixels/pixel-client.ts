// Outbound HTTP for pixels: third-party URLs, so sockets connect only to addresses the SSRF guard of the
// auction accepted (private, loopback and link-local ranges refused unless allowPrivateTargets), with a
// hard timeout and a small cap on the response read. Failures come back as values, never exceptions.
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import { BLOCKED_ADDRESS, guardedLookup, ipLiteral, isPublicAddress } from '../auction/address-guard';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';

const MAX_RESPONSE_BYTES = 16 * 1024;
const USER_AGENT = 'callbid-pixels/0.1';

export interface PixelRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
}

export type PixelResponse =
  | { ok: true; status: number; ms: number }
  | { ok: false; status: number | null; ms: number; error: string; retryable: boolean };

/** The error codes along the cause chain (undici wraps socket errors). */
function causeCodes(e: unknown): string[] {
  const out: string[] = [];
  for (let cur = e, depth = 0; cur && typeof cur === 'object' && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') out.push(code);
    cur = (cur as { cause?: unknown }).cause;
  }
  return out;
}

/** Why a URL may not be called (scheme, credentials, a private literal address), or undefined. */
export function urlProblem(raw: string, allowPrivate: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'only http and https URLs are allowed';
  if (url.username || url.password) return 'credentials in the URL are not allowed';
  if (!url.hostname) return 'the URL has no host';
  const literal = ipLiteral(url.hostname);
  if (literal && !allowPrivate && !isPublicAddress(literal)) return `${literal} is not a public address`;
  if (!allowPrivate && /^(localhost|.*\.localhost|.*\.internal|.*\.local)$/i.test(url.hostname)) {
    return `${url.hostname} is not a public host`;
  }
  return undefined;
}

@Injectable()
export class PixelClient implements OnApplicationShutdown {
  private readonly agent: Agent;
  private readonly allowPrivate: boolean;
  private readonly timeoutMs: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.allowPrivate = config.allowPrivateTargets;
    this.timeoutMs = config.pixels.timeoutMs;
    this.agent = new Agent({
      keepAliveTimeout: 10_000,
      connections: 64,
      connect: { lookup: guardedLookup(this.allowPrivate), timeout: Math.min(this.timeoutMs, 10_000) },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.destroy().catch(() => undefined);
  }

  async send(req: PixelRequest): Promise<PixelResponse> {
    const t0 = performance.now();
    const ms = () => Math.round(performance.now() - t0);
    const problem = urlProblem(req.url, this.allowPrivate);
    if (problem) return { ok: false, status: null, ms: 0, error: problem, retryable: false };
    const url = new URL(req.url);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), this.timeoutMs);
    try {
      const res = await this.agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: req.method as 'GET',
        headers: { ...req.headers, 'user-agent': USER_AGENT },
        body: req.body ?? undefined,
        signal: ac.signal,
      });
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > MAX_RESPONSE_BYTES) {
          res.body.destroy();
          break;
        }
      }
      const status = res.statusCode;
      if (status >= 200 && status < 300) return { ok: true, status, ms: ms() };
      // A 4xx other than timeout / rate limit will not change by asking again.
      const retryable = status >= 500 || status === 408 || status === 429;
      return { ok: false, status, ms: ms(), error: `HTTP ${status}`, retryable };
    } catch (e) {
      if (ac.signal.aborted) return { ok: false, status: null, ms: ms(), error: 'timeout', retryable: true };
      const codes = causeCodes(e);
      if (codes.includes(BLOCKED_ADDRESS)) {
        return {
          ok: false,
          status: null,
          ms: ms(),
          error: 'blocked: not a public address',
          retryable: false,
        };
      }
      return { ok: false, status: null, ms: ms(), error: codes[0] ?? (e as Error).message, retryable: true };
    } finally {
      clearTimeout(timer);
    }
  }
}
