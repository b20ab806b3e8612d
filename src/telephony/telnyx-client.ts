// The one Telnyx SDK client of the process. Against Telnyx when TELNYX_API_KEY is set; otherwise
// app.bootstrap.ts has started the sandbox carrier and put its base URL, public key and connection id
// into the configuration, so the same code talks to it through the same SDK.
//
// The SDK is given a fetch built on node:http over keep-alive agents: the same HTTP, but without the
// WHATWG fetch machinery (streams, abort plumbing) that cost more than the rest of a command on the
// call path. node:http rather than undici: undici holds every request on a reused keep-alive socket
// until the end of the event loop's turn (a check for stray bytes on the idle socket), and under load
// a turn is long, so the answer command sat there for milliseconds; node:http writes it on the next
// tick. Timeouts (the SDK's AbortSignal), retries and error classes stay the SDK's own.
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import * as http from 'node:http';
import * as https from 'node:https';
import Telnyx from 'telnyx';
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

/** Keep-alive connections to the carrier's API, one agent per scheme. */
export interface HttpAgents {
  http: http.Agent;
  https: https.Agent;
}

/**
 * fetch for the SDK over node:http. It answers with the part of the Response interface the SDK reads
 * (ok, status, url, headers.get, body, text, json): the body is read once, as text.
 */
export function nodeHttpFetch(agents: HttpAgents): FetchLike {
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const url = new URL(href);
      const headers: Record<string, string> = {};
      // The SDK hands over a Headers object: read it as it is rather than copying it into another.
      const given = init?.headers;
      (given instanceof Headers ? given : new Headers(given)).forEach((value, key) => (headers[key] = value));
      const raw = init?.body;
      const body =
        typeof raw === 'string' || raw instanceof Uint8Array ? raw : raw == null ? undefined : String(raw);
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const secure = url.protocol === 'https:';
      const req = (secure ? https : http).request(
        url,
        {
          method: init?.method ?? 'GET',
          headers,
          agent: secure ? agents.https : agents.http,
          signal: init?.signal ?? undefined,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () =>
            resolve(
              responseOf(href, res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString('utf8')),
            ),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

function responseOf(
  url: string,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  text: string,
): Response {
  const response = {
    ok: status >= 200 && status < 300,
    status,
    statusText: '',
    url,
    redirected: false,
    headers: new ResponseHeaders(headers),
    body: null,
    bodyUsed: false,
    text: () => Promise.resolve(text),
    json: () => Promise.resolve(text === '' ? undefined : (JSON.parse(text) as unknown)),
    arrayBuffer: () => Promise.resolve(new TextEncoder().encode(text).buffer),
  };
  return response as unknown as Response;
}

/** The keep-alive connections to the carrier's API, closed with the app. */
@Injectable()
export class TelnyxHttpAgent implements OnApplicationShutdown {
  readonly agents: HttpAgents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 128, keepAliveMsecs: 30_000 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 128, keepAliveMsecs: 30_000 }),
  };

  onApplicationShutdown(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

export function createTelnyxClient(config: AppConfig, agents: HttpAgents): Telnyx {
  return new Telnyx({
    apiKey: config.telnyx.apiKey ?? 'sandbox',
    baseURL: config.telnyx.baseUrl ?? TELNYX_DEFAULT_BASE_URL,
    publicKey: config.telnyx.publicKey ?? null,
    maxRetries: config.telnyx.maxRetries,
    timeout: config.telnyx.commandTimeoutMs,
    logLevel: 'off',
    fetch: nodeHttpFetch(agents),
  });
}
