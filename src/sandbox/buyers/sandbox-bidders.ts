// Sandbox bidders: simulated ping/post buyers behind one plain node:http server, for the tests, the
// demo, the benchmark and users rehearsing a campaign. Each bidder answers
//   POST|GET|PUT /bidders/<name>/ping      with a bid, a no, or a failure (hang, 500, garbage, huge body)
//   POST         /bidders/<name>/confirm   with confirmed / rejected / 500 / nothing
// after a latency drawn from its behaviour. Random choices are drawn from the ping's call_id when it
// carries one, so the same call gets the same latency and bid every time (the benchmark relies on it).
// Control surface (for a standalone server; in process, call the methods):
//   GET /sandbox/bidders, PUT|DELETE /sandbox/bidders/<name>, GET /sandbox/bidders/<name>/requests,
//   GET /sandbox/bidders/<name>/target (the ping spec to paste into a target), POST /sandbox/reset
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  type BidderBehaviour,
  type BidderRequest,
  type BidderStats,
  CONFIRM_MODES,
  DEFAULT_BEHAVIOUR,
  PING_MODES,
  type PingMode,
  type Range,
} from './bidder-types';

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_BODY = 64 * 1024;
const KEEP_REQUESTS = 500;
const HUGE_BYTES = 1024 * 1024;

/** A uniform value in [0, 1) from the inputs (FNV-1a, then murmur3's finaliser), or Math.random() without a call id. */
function draw(name: string, callId: string | null, what: string): number {
  if (!callId) return Math.random();
  const text = `${name}:${callId}:${what}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

function cents(text: string): number {
  const m = /^(\d{1,10})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!m) throw new RangeError(`not an amount with at most 2 decimals: ${text}`);
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

const centsText = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;

/** The latency a bidder applies to a ping of this call (reproducible when callId is given). */
export function bidderLatency(
  name: string,
  b: Pick<BidderBehaviour, 'latencyMs'>,
  callId: string | null,
): number {
  const l = b.latencyMs;
  if (typeof l === 'number') return l;
  return l.min + Math.floor(draw(name, callId, 'latency') * (l.max - l.min + 1));
}

/** The bid a bidder makes for this call, decimal string with 2 decimals. */
export function bidderBid(name: string, b: Pick<BidderBehaviour, 'bid'>, callId: string | null): string {
  if (typeof b.bid === 'string') return centsText(cents(b.bid));
  const lo = cents(b.bid.min);
  const hi = cents(b.bid.max);
  return centsText(lo + Math.floor(draw(name, callId, 'bid') * (hi - lo + 1)));
}

/** Checks and completes a (partial) behaviour; throws a message naming the field. */
export function behaviourOf(
  input: Partial<BidderBehaviour>,
  base: BidderBehaviour = DEFAULT_BEHAVIOUR,
): BidderBehaviour {
  const b: BidderBehaviour = { ...base, ...input, failures: { ...(input.failures ?? base.failures) } };
  const range = (r: unknown, field: string): void => {
    if (typeof r === 'number') {
      if (!(r >= 0 && r <= 600_000)) throw new RangeError(`${field} must be 0..600000`);
      return;
    }
    const x = r as Range;
    if (
      !x ||
      typeof x.min !== 'number' ||
      typeof x.max !== 'number' ||
      x.min < 0 ||
      x.max < x.min ||
      x.max > 600_000
    ) {
      throw new RangeError(`${field} must be a number or {min, max} with 0 <= min <= max`);
    }
  };
  range(b.latencyMs, 'latencyMs');
  if (typeof b.bid === 'string') cents(b.bid);
  else if (!b.bid || cents(b.bid.max) < cents(b.bid.min)) throw new RangeError('bid.max must be >= bid.min');
  if (!PING_MODES.includes(b.mode)) throw new RangeError(`mode must be one of ${PING_MODES.join(', ')}`);
  if (b.confirm !== null && !CONFIRM_MODES.includes(b.confirm)) {
    throw new RangeError(`confirm must be null or one of ${CONFIRM_MODES.join(', ')}`);
  }
  for (const [mode, p] of Object.entries(b.failures)) {
    if (!PING_MODES.includes(mode as PingMode) || mode === 'bid' || typeof p !== 'number' || p < 0 || p > 1) {
      throw new RangeError(`failures.${mode} must be a failure mode with a chance 0..1`);
    }
  }
  if (typeof b.destination !== 'string' || b.destination.length === 0)
    throw new RangeError('destination is required');
  return b;
}

interface Bidder {
  behaviour: BidderBehaviour;
  pings: number;
  confirms: number;
  seq: number;
  requests: BidderRequest[];
}

const CALL_ID_IN_BODY = /"call_id"\s*:\s*"([^"\\]{1,128})"/;

function callIdOf(url: URL, body: string): string | null {
  const q = url.searchParams.get('call_id');
  if (q) return q;
  return CALL_ID_IN_BODY.exec(body)?.[1] ?? null;
}

export interface SandboxBiddersOptions {
  /**
   * Requests each bidder remembers for requests() (default 500). 0 keeps none: the auction benchmark
   * turns the log off, since holding thousands of requests per second costs the bidders' process
   * more garbage collection than answering them, on the same cores as the auction it measures.
   */
  keepRequests?: number;
}

export class SandboxBidders {
  private server?: Server;
  private readonly bidders = new Map<string, Bidder>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly keep: number;
  private base = '';

  constructor(opts: SandboxBiddersOptions = {}) {
    const keep = opts.keepRequests ?? KEEP_REQUESTS;
    if (!Number.isInteger(keep) || keep < 0) throw new RangeError('keepRequests must be a whole number >= 0');
    this.keep = keep;
  }

  /** Starts listening; returns the base URL (http://host:port). */
  async start(opts: { host?: string; port?: number } = {}): Promise<string> {
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 70_000;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
    });
    this.server = server;
    const a = server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    this.base = `http://${host}:${a.port}`;
    return this.base;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  get baseUrl(): string {
    return this.base;
  }

  /** Creates or replaces a bidder (fields not given: the defaults, or its current behaviour with `merge`). */
  set(name: string, behaviour: Partial<BidderBehaviour> = {}, merge = false): BidderBehaviour {
    if (!NAME.test(name)) throw new RangeError('name must be 1-64 letters, digits, _ or -');
    const current = this.bidders.get(name);
    const b = behaviourOf(behaviour, merge && current ? current.behaviour : DEFAULT_BEHAVIOUR);
    if (current) current.behaviour = b;
    else this.bidders.set(name, { behaviour: b, pings: 0, confirms: 0, seq: 0, requests: [] });
    return b;
  }

  remove(name: string): boolean {
    return this.bidders.delete(name);
  }

  /** Forgets every bidder. */
  reset(): void {
    this.bidders.clear();
  }

  stats(name: string): BidderStats | undefined {
    const b = this.bidders.get(name);
    return b && { name, behaviour: b.behaviour, pings: b.pings, confirms: b.confirms };
  }

  list(): BidderStats[] {
    return [...this.bidders.keys()].map((n) => this.stats(n)!);
  }

  /** The latest requests the bidder got (the last 500, or keepRequests), oldest first. */
  requests(name: string): BidderRequest[] {
    return this.keep === 0 ? [] : (this.bidders.get(name)?.requests ?? []).slice(-this.keep);
  }

  pingUrl(name: string): string {
    return `${this.base}/bidders/${name}/ping`;
  }

  /**
   * The ping spec of a target that buys from this bidder (the `ping` field of POST
   * /buyers/:id/targets): its URL, a JSON body over the call's tags, and parse rules for its answers.
   */
  targetPing(name: string, opts: { timeoutMs?: number; baseUrl?: string } = {}): Record<string, unknown> {
    const b = this.bidders.get(name)?.behaviour ?? DEFAULT_BEHAVIOUR;
    const base = opts.baseUrl ?? this.base;
    return {
      url: `${base}/bidders/${name}/ping`,
      method: 'POST',
      headers: { 'X-Sandbox-Bidder': name },
      bodyTemplate:
        '{"call_id":"{{call_id}}","caller":"{{caller_number}}","state":"{{caller_state}}",' +
        '"zip":"{{caller_zip}}","vertical":"{{vertical}}"}',
      contentType: 'application/json',
      timeoutMs: opts.timeoutMs ?? 2000,
      parse: {
        accepted: { path: 'accepted' },
        bid: { path: 'bidAmount' },
        destination: { path: 'phoneNumber' },
        bidId: { path: 'bidId' },
        expiry: { path: 'expireInSeconds', unit: 'seconds' },
        requiredTalkSeconds: { path: 'callLengthSeconds' },
      },
      confirm:
        b.confirm === null
          ? null
          : {
              url: `${base}/bidders/${name}/confirm`,
              method: 'POST',
              bodyTemplate: '{"bid_id":"{{bid_id}}","call_id":"{{call_id}}","caller":"{{caller_number}}"}',
              contentType: 'application/json',
              timeoutMs: 1000,
              acceptPath: 'status',
              acceptValue: 'confirmed',
            },
    };
  }

  // ---- HTTP ----------------------------------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return this.json(res, 413, { error: 'body too large' });
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        this.route(req, res, body);
      } catch (e) {
        this.json(res, 400, { error: (e as Error).message });
      }
    });
  }

  private route(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] === 'bidders' && parts.length === 3) {
      const bidder = this.bidders.get(parts[1]);
      if (!bidder) return this.json(res, 404, { error: `no bidder ${parts[1]}` });
      if (parts[2] === 'ping') return this.ping(parts[1], bidder, req, res, url, body);
      if (parts[2] === 'confirm' && req.method === 'POST')
        return this.confirm(parts[1], bidder, req, res, url, body);
      return this.json(res, 404, { error: 'not found' });
    }
    if (parts[0] === 'sandbox') return this.control(req, res, parts.slice(1), body);
    this.json(res, 404, { error: 'not found' });
  }

  private control(req: IncomingMessage, res: ServerResponse, parts: string[], body: string): void {
    const method = req.method ?? 'GET';
    if (parts.length === 1 && parts[0] === 'reset' && method === 'POST') {
      this.reset();
      return this.json(res, 204, null);
    }
    if (parts[0] !== 'bidders') return this.json(res, 404, { error: 'not found' });
    if (parts.length === 1 && method === 'GET') return this.json(res, 200, this.list());
    const name = parts[1];
    if (parts.length === 2) {
      if (method === 'PUT') {
        const input = body ? (JSON.parse(body) as Partial<BidderBehaviour>) : {};
        return this.json(res, 200, { name, behaviour: this.set(name, input) });
      }
      if (method === 'DELETE') return this.json(res, this.remove(name) ? 204 : 404, null);
      if (method === 'GET') {
        const s = this.stats(name);
        return s ? this.json(res, 200, s) : this.json(res, 404, { error: `no bidder ${name}` });
      }
    }
    if (parts.length === 3 && method === 'GET' && this.bidders.has(name)) {
      if (parts[2] === 'requests') return this.json(res, 200, this.requests(name));
      if (parts[2] === 'target') {
        const host = req.headers.host ? `http://${req.headers.host}` : this.base;
        return this.json(res, 200, this.targetPing(name, { baseUrl: host }));
      }
    }
    this.json(res, 404, { error: 'not found' });
  }

  private record(b: Bidder, r: () => BidderRequest): void {
    if (this.keep === 0) return;
    b.requests.push(r());
    // Trim in chunks: shifting a long array on every request costs more than the request.
    if (b.requests.length >= this.keep * 2) b.requests.splice(0, b.requests.length - this.keep);
  }

  private later(ms: number, fn: () => void): void {
    if (ms <= 0) return fn();
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private pickMode(name: string, b: BidderBehaviour, callId: string | null): PingMode {
    let roll = draw(name, callId, 'failure');
    for (const [mode, p] of Object.entries(b.failures) as Array<[PingMode, number]>) {
      if (roll < p) return mode;
      roll -= p;
    }
    return b.mode;
  }

  private ping(
    name: string,
    bidder: Bidder,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    body: string,
  ): void {
    const b = bidder.behaviour;
    bidder.pings++;
    bidder.seq++;
    const callId = callIdOf(url, body);
    const mode = this.pickMode(name, b, callId);
    const delayMs = bidderLatency(name, b, callId);
    const amount = mode === 'bid' || mode === 'invalid_destination' ? bidderBid(name, b, callId) : null;
    this.record(bidder, () => ({
      kind: 'ping',
      at: Date.now(),
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body,
      callId,
      answered: mode,
      delayMs,
      bid: amount,
    }));
    if (mode === 'hang') return; // the socket stays open until the client gives up or stop()
    const bidId = `sbx-${name}-${bidder.seq}`;
    this.later(delayMs, () => {
      switch (mode) {
        case 'error':
          return this.json(res, 500, { error: 'internal error' });
        case 'garbage':
          res.writeHead(200, { 'content-type': 'text/html' });
          return res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        case 'huge':
          return this.huge(res);
        case 'no_bid':
          return this.json(res, 200, { accepted: false, bidId, bidAmount: 0, rejectReason: 'no coverage' });
        default: {
          const fields = [
            `"accepted":true`,
            `"bidId":${JSON.stringify(bidId)}`,
            `"bidAmount":${amount}`,
            `"phoneNumber":${JSON.stringify(mode === 'invalid_destination' ? 'call-me-maybe' : b.destination)}`,
          ];
          if (b.expireInSeconds !== null) fields.push(`"expireInSeconds":${b.expireInSeconds}`);
          if (b.requiredTalkSeconds !== null) fields.push(`"callLengthSeconds":${b.requiredTalkSeconds}`);
          return this.raw(res, 200, `{${fields.join(',')}}`);
        }
      }
    });
  }

  private confirm(
    name: string,
    bidder: Bidder,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    body: string,
  ): void {
    const b = bidder.behaviour;
    bidder.confirms++;
    const mode = b.confirm ?? 'accept';
    this.record(bidder, () => ({
      kind: 'confirm',
      at: Date.now(),
      method: req.method ?? 'POST',
      url: req.url ?? '/',
      headers: req.headers,
      body,
      callId: callIdOf(url, body),
      answered: mode,
      delayMs: b.confirmLatencyMs,
      bid: null,
    }));
    if (mode === 'hang') return;
    this.later(b.confirmLatencyMs, () => {
      if (mode === 'error') return this.json(res, 500, { error: 'internal error' });
      this.json(res, 200, { status: mode === 'accept' ? 'confirmed' : 'rejected' });
    });
  }

  private huge(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = 'x'.repeat(16 * 1024);
    res.write('{"accepted":true,"bidAmount":99,"padding":"');
    let sent = 0;
    const pump = (): void => {
      while (sent < HUGE_BYTES) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end('"}');
    };
    res.on('error', () => undefined);
    pump();
  }

  private raw(res: ServerResponse, status: number, text: string): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private json(res: ServerResponse, status: number, value: unknown): void {
    if (res.destroyed) return;
    if (status === 204 || value === null) {
      res.writeHead(status);
      return void res.end();
    }
    this.raw(res, status, JSON.stringify(value));
  }
}
