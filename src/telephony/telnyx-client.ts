// The one Telnyx SDK client of the process. Against Telnyx when TELNYX_API_KEY is set; otherwise
// app.bootstrap.ts has started the sandbox carrier and put its base URL, public key and connection id
// into the configuration, so the same code talks to it through the same SDK.
//
// The SDK is given a fetch built on undici's request() over a keep-alive pool: the same HTTP, but
// without the WHATWG fetch machinery (streams, abort plumbing) that cost more than the rest of a
// command on the call path. Timeouts, retries and error classes stay the SDK's own.
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import Telnyx from 'telnyx';
import { Agent, request } from 'undici';
import type { AppConfig } from '../infra/config/app-config';

export const TELNYX_CLIENT = Symbol('TELNYX_CLIENT');

export const TELNYX_DEFAULT_BASE_URL = 'https://api.telnyx.com/v2';

type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Read-only response headers with the lookup the SDK uses (get, has, forEach). */
class ResponseHeaders {
  constructor(private readonly map: Record<string, string | string[] | undefined>) {}
  get(name: string): string | null {
    const v = this.map[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  }
  has(name: string): boolean {
    return this.map[name.toLowerCase()] !== undefined;
  }
  forEach(fn: (value: string, key: string) => void): void {
    for (const key of Object.keys(this.map)) {
      const v = this.get(key);
      if (v !== null) fn(v, key);
    }
  }
}

/**
 * fetch for the SDK over undici's request(). It answers with the part of the Response interface the
 * SDK reads (ok, status, url, headers.get, body, text, json): the body is read once, as text.
 */
export function undiciFetch(agent: Agent): FetchLike {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers: Record<string, string> = {};
    // The SDK hands over a Headers object: read it as it is rather than copying it into another.
    const given = init?.headers;
    (given instanceof Headers ? given : new Headers(given)).forEach((value, key) => (headers[key] = value));
    const body = init?.body;
    const res = await request(url, {
      method: (init?.method ?? 'GET') as 'GET',
      headers,
      body:
        typeof body === 'string' || body instanceof Uint8Array
          ? body
          : body == null
            ? undefined
            : String(body),
      signal: init?.signal ?? undefined,
      dispatcher: agent,
    });
    const text = await res.body.text();
    const status = res.statusCode;
    const response = {
      ok: status >= 200 && status < 300,
      status,
      statusText: '',
      url,
      redirected: false,
      headers: new ResponseHeaders(res.headers),
      body: null,
      bodyUsed: false,
      text: () => Promise.resolve(text),
      json: () => Promise.resolve(text === '' ? undefined : (JSON.parse(text) as unknown)),
      arrayBuffer: () => Promise.resolve(new TextEncoder().encode(text).buffer),
    };
    return response as unknown as Response;
  };
}

/** The keep-alive connections to the carrier's API, closed with the app. */
@Injectable()
export class TelnyxHttpAgent implements OnApplicationShutdown {
  readonly agent = new Agent({ connections: 128, keepAliveTimeout: 30_000 });

  async onApplicationShutdown(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}

export function createTelnyxClient(config: AppConfig, agent: Agent): Telnyx {
  return new Telnyx({
    apiKey: config.telnyx.apiKey ?? 'sandbox',
    baseURL: config.telnyx.baseUrl ?? TELNYX_DEFAULT_BASE_URL,
    publicKey: config.telnyx.publicKey ?? null,
    maxRetries: config.telnyx.maxRetries,
    timeout: config.telnyx.commandTimeoutMs,
    logLevel: 'off',
    fetch: undiciFetch(agent),
  });
}
