// Test harness for the snippet's browser tests: builds dist/, serves test pages, the
// built dni.js and loader, and a fake DNI API that follows the wire protocol with
// behaviour chosen per campaign key, and records every call it receives.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..');
export const DIST = join(ROOT, 'dist');

export function buildSnippet(): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'build.mjs')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('build failed: ' + r.stderr);
}

export interface Behaviour {
  /** HTTP status of the lease answer (default 200) */
  status?: number;
  /** answer the lease after this long */
  delayMs?: number;
  /** answer 200 with a body that is not JSON */
  badJson?: boolean;
  /** the number to lease; default: one pool number per sid; null: keep the page's numbers */
  number?: string | null;
  targets?: string[];
  ttl?: number;
  heartbeat?: number;
  /** heartbeats answer 404 DNI_LEASE_GONE */
  gone?: boolean;
  /** heartbeats answer with this number instead of the leased one */
  beatNumber?: string;
}

export interface Call {
  path: string;
  key: string;
  body: Record<string, unknown>;
  contentType: string;
  host: string;
  at: number;
  /** the JSON the fake API answered with, if any */
  reply?: Record<string, unknown>;
}

export const TARGET = '+18005551234';
export const OTHER_TARGET = '+18005550000';

export class Harness {
  origin = '';
  port = 0;
  readonly calls: Call[] = [];
  private server?: Server;
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly pages = new Map<string, string>();
  private readonly numbers = new Map<string, string>();
  private pool = 0;
  private keys = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((ok) => this.server!.listen(0, '127.0.0.1', ok));
    this.port = (this.server.address() as AddressInfo).port;
    this.origin = `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((ok) => this.server?.close(ok));
  }

  /** A fresh campaign key with its own behaviour, so tests never see each other's calls. */
  campaign(b: Behaviour = {}): string {
    const key = `pk_test_${++this.keys}_${randomBytes(4).toString('hex')}`;
    this.behaviours.set(key, b);
    return key;
  }

  setBehaviour(key: string, b: Behaviour): void {
    this.behaviours.set(key, b);
  }

  callsFor(key: string, path?: string): Call[] {
    return this.calls.filter((c) => c.key === key && (!path || c.path === path));
  }

  /** Registers a page; returns its URL on this server (or on `host`, e.g. www.shop.test). */
  page(name: string, html: string, host?: string): string {
    this.pages.set(name, html);
    return `http://${host ?? '127.0.0.1'}:${this.port}/p/${name}`;
  }

  /** The paste-in tag from dist/loader.html with the key and origin filled in. */
  loaderTag(key: string, opts: { origin?: string; attrs?: string } = {}): string {
    return readFileSync(join(DIST, 'loader.html'), 'utf8')
      .trim()
      .replace('"KEY"', JSON.stringify(key))
      .replace('"ORIGIN"', JSON.stringify(opts.origin ?? this.origin))
      .replace('<script ', `<script ${opts.attrs ?? ''} `);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');

    if (req.method === 'GET' && url.pathname.endsWith('/dni.js')) {
      if (url.pathname.startsWith('/slow/')) await sleep(400);
      res.writeHead(200, { 'Content-Type': 'text/javascript', 'Cache-Control': 'no-store' });
      return void res.end(readFileSync(join(DIST, 'dni.min.js')));
    }
    if (req.method === 'GET' && url.pathname.startsWith('/p/')) {
      const html = this.pages.get(url.pathname.slice(3));
      res.writeHead(html ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8' });
      return void res.end(html ?? 'not found');
    }
    const m = /^\/dni\/v1\/(lease|heartbeat|release|click)$/.exec(url.pathname);
    if (req.method !== 'POST' || !m) {
      res.writeHead(404);
      return void res.end();
    }
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // recorded as an empty body; the test will notice
    }
    const key = String(body.key);
    const call: Call = {
      path: m[1],
      key,
      body,
      contentType: String(req.headers['content-type']),
      host: String(req.headers.host),
      at: Date.now(),
    };
    this.calls.push(call);
    const b = this.behaviours.get(key);
    if (!b) return json(res, 404, { code: 'DNI_UNKNOWN_KEY' });
    if (m[1] === 'release' || m[1] === 'click') {
      res.writeHead(204);
      return void res.end();
    }
    const sid = typeof body.sid === 'string' ? body.sid : randomBytes(18).toString('base64url');
    if (m[1] === 'heartbeat') {
      if (b.gone || !this.numbers.has(sid)) return json(res, 404, { code: 'DNI_LEASE_GONE' });
      return json(res, 200, { number: b.beatNumber ?? this.numbers.get(sid), ttl: b.ttl ?? 300 });
    }
    if (b.delayMs) await sleep(b.delayMs);
    if (b.status && b.status !== 200) return json(res, b.status, { code: 'DNI_FAIL' });
    if (b.badJson) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return void res.end('{"sid": "abc", "number": ');
    }
    let number: string | null;
    if (b.number !== undefined) number = b.number;
    else {
      number = this.numbers.get(sid) ?? `+1888555${String(1001 + this.pool++).padStart(4, '0')}`;
    }
    if (number) this.numbers.set(sid, number);
    call.reply = {
      sid,
      number,
      overflow: false,
      targets: b.targets ?? [TARGET],
      ttl: b.ttl ?? 300,
      heartbeat: b.heartbeat ?? 60,
    };
    json(res, 200, call.reply);
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

export const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** A minimal HTML document. */
export function doc(body: string, head = ''): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Acme Plumbing</title>${head}</head><body>${body}</body></html>`;
}
