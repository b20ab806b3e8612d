// @ts-check
// An example ping/post buyer endpoint for callbid, small enough to read in one sitting and copy into
// your own stack. Plain Node (20+), no dependencies: `node server.mjs`.
//
//   POST /ping     callbid asks "would you take this call, and for how much?" (the ping). We answer
//                  with a bid, a bid id, where to send the call, how long the bid holds, and the talk
//                  time we pay for; or with accepted: false.
//   POST /confirm  callbid says "you won; still want it?" (the post). We answer confirmed true or false.
//   GET  /health   for your load balancer.
//
// The decision is deliberately simple: a base bid, optional per-state prices, a list of states we buy,
// and a number of agents. A confirmed call holds an agent for SLOT_SECONDS (a stand-in for "until the
// call ends", which a real call centre knows from its own phone system); with every agent busy, pings
// are declined and confirmations refused. Replace decide() and confirm() with your own rules.
//
// Configuration (environment):
//   PORT (8090), HOST (0.0.0.0)
//   BUYER_TOKEN        when set, requests must carry `Authorization: Bearer <token>` (401 otherwise)
//   BID ("25.00")      the default bid, a decimal string
//   STATE_BIDS         per-state bids, e.g. "CA=35.00,NY=30.00"
//   STATES             comma-separated states we buy (empty: every state, and calls without one)
//   DESTINATION        where our calls go: E.164 number or SIP URI ("+12125550123")
//   EXPIRES_IN_S (60)  how long a bid holds; MIN_TALK_S (90): talk seconds we pay for
//   AGENTS (5)         calls we take at once; SLOT_SECONDS (300): how long a confirmed call holds an agent
//   LOG (1)            one line per request on stdout; 0 to silence
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const MAX_BODY_BYTES = 16 * 1024;
const MONEY = /^\d{1,6}(\.\d{1,4})?$/;

/**
 * @typedef {object} BuyerOptions
 * @property {string} [token]
 * @property {string} bid
 * @property {Record<string, string>} stateBids
 * @property {string[]} states
 * @property {string} destination
 * @property {number} expiresInS
 * @property {number} minTalkS
 * @property {number} agents
 * @property {number} slotSeconds
 * @property {boolean} log
 */

/**
 * @param {Record<string, string | undefined>} env
 * @returns {BuyerOptions}
 */
export function optionsFromEnv(env) {
  const int = (/** @type {string} */ name, /** @type {number} */ fallback) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got ${raw}`);
    return n;
  };
  const money = (/** @type {string} */ name, /** @type {string} */ value) => {
    if (!MONEY.test(value)) throw new Error(`${name} must be a decimal string such as 25.00, got ${value}`);
    return value;
  };
  /** @type {Record<string, string>} */
  const stateBids = {};
  for (const pair of (env.STATE_BIDS ?? '').split(',').filter(Boolean)) {
    const [state, amount] = pair.split('=').map((s) => s.trim());
    stateBids[state.toUpperCase()] = money(`STATE_BIDS ${state}`, amount ?? '');
  }
  return {
    token: env.BUYER_TOKEN || undefined,
    bid: money('BID', env.BID ?? '25.00'),
    stateBids,
    states: (env.STATES ?? '')
      .split(',')
      .map((s) => s.trim().toUpperCase())
      .filter(Boolean),
    destination: env.DESTINATION ?? '+12125550123',
    expiresInS: int('EXPIRES_IN_S', 60),
    minTalkS: int('MIN_TALK_S', 90),
    agents: int('AGENTS', 5),
    slotSeconds: int('SLOT_SECONDS', 300),
    log: env.LOG !== '0',
  };
}

/**
 * The buyer's state: bids it has made (until they expire) and agents busy with confirmed calls.
 * @param {BuyerOptions} o
 */
export function createBuyer(o) {
  /** @type {Map<string, { callId: string, bid: string, expiresAt: number }>} */
  const bids = new Map();
  /** @type {number[]} when each busy agent frees up (ms since epoch) */
  let busyUntil = [];

  const freeAgents = (/** @type {number} */ now) => {
    busyUntil = busyUntil.filter((t) => t > now);
    return o.agents - busyUntil.length;
  };
  const forgetExpired = (/** @type {number} */ now) => {
    for (const [id, b] of bids) if (b.expiresAt <= now) bids.delete(id);
  };

  return {
    /**
     * The ping: whether we want the call and what we pay for it.
     * @param {Record<string, unknown>} ping
     */
    decide(ping, now = Date.now()) {
      forgetExpired(now);
      const callId = typeof ping.call_id === 'string' ? ping.call_id : '';
      const state = typeof ping.state === 'string' ? ping.state.toUpperCase() : '';
      if (!callId) return { accepted: false, reason: 'call_id missing' };
      if (o.states.length > 0 && !o.states.includes(state)) {
        return { accepted: false, reason: `state ${state || '(unknown)'} not covered` };
      }
      if (freeAgents(now) <= 0) return { accepted: false, reason: 'no agent free' };
      const bid = o.stateBids[state] ?? o.bid;
      const bidId = `bid_${randomBytes(9).toString('base64url')}`;
      bids.set(bidId, { callId, bid, expiresAt: now + o.expiresInS * 1000 });
      return {
        accepted: true,
        bid,
        bid_id: bidId,
        destination: o.destination,
        expires_in: o.expiresInS,
        min_talk_seconds: o.minTalkS,
      };
    },

    /**
     * The post: we won; take the call if the bid is ours, still valid, and an agent is free.
     * @param {Record<string, unknown>} post
     */
    confirm(post, now = Date.now()) {
      forgetExpired(now);
      const bidId = typeof post.bid_id === 'string' ? post.bid_id : '';
      const made = bids.get(bidId);
      if (!made) return { confirmed: false, reason: 'unknown or expired bid' };
      if (post.call_id !== made.callId) return { confirmed: false, reason: 'bid was made for another call' };
      if (freeAgents(now) <= 0) return { confirmed: false, reason: 'no agent free' };
      bids.delete(bidId);
      busyUntil.push(now + o.slotSeconds * 1000);
      return { confirmed: true };
    },
  };
}

/**
 * The HTTP side: routes, token check, body limit, JSON in and out. Bad requests get a 4xx with a reason.
 * @param {BuyerOptions} o
 */
export function createBuyerServer(o) {
  const buyer = createBuyer(o);
  const expected = o.token ? Buffer.from(`Bearer ${o.token}`) : undefined;
  const authorised = (/** @type {string | undefined} */ header) => {
    if (!expected) return true;
    const given = Buffer.from(header ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  return createServer((req, res) => {
    const started = Date.now();
    const send = (/** @type {number} */ status, /** @type {unknown} */ body) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
      if (o.log) console.log(`${req.method} ${req.url} ${status} ${Date.now() - started} ms ${text}`);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/health') return send(200, { ok: true });
    if (path !== '/ping' && path !== '/confirm') return send(404, { error: 'not found' });
    if (req.method !== 'POST') return send(405, { error: 'use POST' });
    if (!authorised(req.headers.authorization)) return send(401, { error: 'bad or missing bearer token' });

    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    req.on('data', (/** @type {Buffer} */ chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return send(413, { error: 'body too large' });
      /** @type {unknown} */
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(400, { error: 'body is not JSON' });
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        return send(400, { error: 'body must be a JSON object' });
      }
      const fields = /** @type {Record<string, unknown>} */ (body);
      send(200, path === '/ping' ? buyer.decide(fields) : buyer.confirm(fields));
    });
    req.on('error', () => res.destroy());
  });
}

async function main() {
  const o = optionsFromEnv(process.env);
  const server = createBuyerServer(o);
  // callbid keeps connections to buyers alive between pings; let idle ones live a while.
  server.keepAliveTimeout = 65_000;
  const port = Number(process.env.PORT ?? 8090);
  server.listen(port, process.env.HOST ?? '0.0.0.0', () => {
    const a = server.address();
    const where = a && typeof a === 'object' ? `${a.address}:${a.port}` : String(a);
    console.log(`buyer endpoint listening on http://${where}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
