// Live calls in Redis. Per call (hash tag {call:<session id>}): the ids of events already taken in
// (dedupe), the inbox of events waiting to be applied, the state machine as JSON, and a lock. Applying
// events and storing the new state happen under the lock, and the state write, the removal of the
// applied events from the inbox and the lock renewal are one atomic script that only succeeds for the
// lock's owner, so an event is applied at most once whichever instance holds the call.
// Two global indexes: calls:due (session ids by the time their timers fire; the sweeper's work list and
// the safety net for calls whose owner died) and calls:live:<tenant> (GET /calls/live); and the list
// calls:wake, session ids api instances hand to the call runners (CALL_HANDOFF).
//
// Every command goes through RedisBatch (one pipeline per turn of the event loop, never waiting for
// another batch's replies), so a webhook on the path to the answer command is not held behind the
// round trips of other calls' commands, and this repository's commands reach Redis in issue order;
// the one exception is a new caller's first command, which takes a second connection (see `urgent`).
import { Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { RedisService } from '../infra/redis/redis.service';
import { redisKeys } from '../infra/redis/redis-keys';
import type { CallEvent } from '../telephony/telnyx-event';
import { type AuctionCandidate, bidCandidate, isAuctionCandidate } from '../auction/auction-routing';
import type { Bid } from '../auction/auction.types';
import type { Attempt, Candidate, LiveCall } from './call-machine';
import { type Batch, RedisBatch } from '../infra/redis/redis-batch';

// Queues the event (KEYS[2]) unless its id (ARGV[1]) is in the seen set (KEYS[1]); 0 when it was.
const TAKE_IN_EVENT = `
if redis.call('HSETNX', KEYS[1], ARGV[1], '1') == 0 then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])`;

const TAKE_IN = `${TAKE_IN_EVENT}
return 1`;

// TAKE_IN, then (if the event was new) the call onto calls:due by ARGV[5] (unless due sooner) and its
// session id onto calls:wake.
const TAKE_IN_HAND_OFF = `${TAKE_IN_EVENT}
redis.call('ZADD', KEYS[3], 'LT', ARGV[5], ARGV[4])
redis.call('RPUSH', KEYS[4], ARGV[4])
return 1`;

const COMMIT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
local n = tonumber(ARGV[3])
if n > 0 then redis.call('LTRIM', KEYS[3], n, -1) end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[4], ARGV[4])
return 1`;

// Takes the lock and, if it got it, returns the state and the first events of the inbox in one trip.
// If someone else holds it, leaves a wake-up for the holder and returns the lock's remaining time.
const ACQUIRE_LOAD = `
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then
  redis.call('SET', KEYS[4], '1', 'PX', ARGV[2])
  return {0, redis.call('PTTL', KEYS[1])}
end
redis.call('DEL', KEYS[4])
return {1, redis.call('GET', KEYS[2]) or '', redis.call('LRANGE', KEYS[3], 0, tonumber(ARGV[3]) - 1)}`;

// The last commit of a lock hold: store the state, drop the applied events, let go of the lock, update
// the global indexes (calls:due by ARGV[6], or off it when empty; calls:live:<tenant> when ARGV[7] says
// add or rem; calls:wake when ARGV[8] is 1, or when it is 2 and events wait), and report how many
// events wait if another instance asked for a wake-up while we held the lock (else 0: this instance
// re-runs the call itself for its own events, and quiet events wait for the next event that wakes the
// call); -1 when the lock was not ours any more and nothing was written (the new holder keeps the
// indexes).
const COMMIT_RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
local n = tonumber(ARGV[3])
if n > 0 then redis.call('LTRIM', KEYS[3], n, -1) end
redis.call('PEXPIRE', KEYS[4], ARGV[4])
redis.call('DEL', KEYS[1])
if ARGV[6] == '' then redis.call('ZREM', KEYS[6], ARGV[5]) else redis.call('ZADD', KEYS[6], ARGV[6], ARGV[5]) end
if ARGV[7] == 'add' then redis.call('SADD', KEYS[7], ARGV[5]) elseif ARGV[7] == 'rem' then redis.call('SREM', KEYS[7], ARGV[5]) end
local pending = 0
if redis.call('DEL', KEYS[5]) == 1 then pending = redis.call('LLEN', KEYS[3]) end
if ARGV[8] == '1' or (ARGV[8] == '2' and pending > 0) then redis.call('RPUSH', KEYS[8], ARGV[5]) end
return pending`;

// An event that wakes its call: queue it (unless seen) and try to take the call's lock in the same trip.
const TAKE_IN_ACQUIRE = `
if redis.call('HSETNX', KEYS[1], ARGV[1], '1') == 0 then return {-1} end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if not redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[5], 'NX') then
  redis.call('SET', KEYS[5], '1', 'PX', ARGV[5])
  return {0, redis.call('PTTL', KEYS[3])}
end
redis.call('DEL', KEYS[5])
return {1, redis.call('GET', KEYS[4]) or '', redis.call('LRANGE', KEYS[2], 0, tonumber(ARGV[6]) - 1)}`;

const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return redis.call('LLEN', KEYS[2])`;

/** The scripts above, as defineCommand adds them to the client (one command each). */
type Script = (...args: (string | number)[]) => Promise<unknown>;
type LiveBatch = Batch & {
  callTakeIn: Script;
  callTakeInHandOff: Script;
  callCommit: Script;
  callRenew: Script;
  callTakeInAcquire: Script;
  callCommitRelease: Script;
  callAcquireLoad: Script;
  callRelease: Script;
};

/**
 * The stored form of a call: an attempt's target is one of the routing candidates (the same object),
 * so it is stored as its index there (`ti`) rather than a second copy of the candidate and its bid.
 * An auction's candidate repeats its bid's fields and the auction's identity (the same for every
 * candidate of the call), so it is stored as its bid alone (`b`, with `t: 1` when it carries the
 * auction's tags) and the identity and tags once (`routing.actx`, `routing.atags`): the webhook bench's
 * one-bid state took 3,226 bytes, 2,981 this way, and the saving grows with every bid. States written
 * before this form still read the same.
 */
type StoredAttempt = Omit<Attempt, 'target'> & { target?: Candidate; ti?: number };
type AuctionCtx = AuctionCandidate['auction']['ctx'];
type StoredCandidate = Candidate | { b: Bid; t?: 1 };
type StoredRouting = Omit<NonNullable<LiveCall['routing']>, 'candidates'> & {
  candidates: StoredCandidate[];
  actx?: Omit<AuctionCtx, 'tags'>;
  atags?: AuctionCtx['tags'];
};

/** The auction's identity in every candidate's ctx (besides its tags). */
const AUCTION_ID = ['auctionId', 'callId', 'tenantId', 'campaignId', 'caller'] as const;

const SAME_AS_BID = [
  'targetId',
  'buyerId',
  'destination',
  'ringTimeoutS',
  'conversionSeconds',
  'revenue',
  'concurrencyCap',
  'caps',
] as const;

/** Equal as stored: the same primitive, or objects with the same JSON (a cap set read back is a copy). */
const sameValue = (a: unknown, b: unknown): boolean =>
  a === b || (typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b));

/** The candidates in their stored form, or undefined when some candidate does not fit it. */
function compactCandidates(
  candidates: Candidate[],
): Pick<StoredRouting, 'candidates' | 'actx' | 'atags'> | undefined {
  let actx: Omit<AuctionCtx, 'tags'> | undefined;
  let atags: AuctionCtx['tags'] = null;
  const out: StoredCandidate[] = [];
  for (const c of candidates) {
    if (!isAuctionCandidate(c)) {
      out.push(c);
      continue;
    }
    const { bid, ctx } = c.auction;
    const keys = Object.keys(c);
    if (keys.length !== SAME_AS_BID.length + 1 || SAME_AS_BID.some((k) => !sameValue(c[k], bid[k]))) {
      return undefined;
    }
    const { tags, ...id } = ctx;
    if (Object.keys(id).length !== AUCTION_ID.length) return undefined;
    if (!actx) actx = id;
    else if (AUCTION_ID.some((k) => actx![k] !== id[k])) return undefined;
    if (tags) {
      if (atags && !sameValue(atags, tags)) return undefined;
      atags = tags;
    }
    out.push(tags ? { b: bid, t: 1 } : { b: bid });
  }
  if (!actx) return undefined;
  return { candidates: out, actx, ...(atags ? { atags } : {}) };
}

export function encodeCall(call: LiveCall): string {
  const candidates = call.routing?.candidates;
  if (!candidates) return JSON.stringify(call);
  const attempts = call.attempts.map((t): StoredAttempt => {
    const ti = candidates.indexOf(t.target);
    if (ti < 0) return t;
    const { target: _target, ...rest } = t;
    return { ...rest, ti };
  });
  const compact = compactCandidates(candidates);
  const routing = compact ? { ...call.routing, ...compact } : call.routing;
  return JSON.stringify({ ...call, routing, attempts });
}

export function decodeCall(json: string): LiveCall {
  const call = JSON.parse(json) as LiveCall;
  const routing = call.routing as StoredRouting | undefined;
  if (routing?.actx) {
    const { actx, atags } = routing;
    routing.candidates = routing.candidates.map((c): Candidate =>
      'b' in c ? bidCandidate(c.b, actx, c.t === 1 ? (atags ?? null) : null) : c,
    );
    // Cleared rather than deleted: a deleted property turns the object into a dictionary, which
    // JSON.stringify writes ~30 % slower on the next commit (JSON leaves undefined fields out).
    routing.actx = undefined;
    routing.atags = undefined;
  }
  const candidates = call.routing?.candidates;
  for (const t of call.attempts as StoredAttempt[]) {
    if (t.ti === undefined) continue;
    const target = candidates?.[t.ti];
    if (!target) throw new Error(`call ${call.sessionId}: attempt ${t.n} names a candidate it does not have`);
    t.target = target;
    t.ti = undefined;
  }
  return call;
}

/** How long a live call's keys live without activity (longest call 4 h + margin). */
export const LIVE_TTL_MS = 6 * 3600_000;
/** How long a finished call's state stays to absorb late retries and duplicates. */
export const FINAL_TTL_MS = 30 * 60_000;

@Injectable()
export class LiveCallRepository {
  private readonly redis: Redis;
  private readonly batch: RedisBatch;
  /**
   * A new caller's first command goes out on the service's second connection (RedisService.direct):
   * on `client` its reply would queue behind the replies of the turn's whole batch, which Redis
   * answers first (a few hundred commands and Lua scripts under load). The order between the two
   * connections does not matter to it: the script dedupes and takes the lock atomically, as it must
   * anyway for events of one call that reach different instances.
   */
  private readonly urgent: RedisBatch;

  constructor(redis: RedisService) {
    const client = redis.client;
    const direct = redis.direct;
    const scripts: Array<[string, number, string]> = [
      ['callTakeIn', 2, TAKE_IN],
      ['callTakeInHandOff', 4, TAKE_IN_HAND_OFF],
      ['callCommit', 4, COMMIT],
      ['callRenew', 1, RENEW],
      ['callTakeInAcquire', 5, TAKE_IN_ACQUIRE],
      ['callCommitRelease', 8, COMMIT_RELEASE],
      ['callAcquireLoad', 4, ACQUIRE_LOAD],
      ['callRelease', 2, RELEASE],
    ];
    for (const [name, keys, lua] of scripts) {
      for (const c of [client, direct]) {
        if (!(name in c)) c.defineCommand(name, { numberOfKeys: keys, lua });
      }
    }
    this.redis = client;
    this.batch = RedisBatch.for(client);
    this.urgent = RedisBatch.for(direct);
  }

  /**
   * Sends one command (a script of this repository or a plain one) in this turn's batch; `soon`:
   * on the second connection, at the end of this tick (see `urgent`).
   */
  private send<T>(add: (p: LiveBatch) => unknown, soon = false): Promise<T> {
    return (soon ? this.urgent : this.batch).send<T>((p) => add(p as LiveBatch), soon);
  }

  /**
   * Queues the event for its call unless its id was taken in before. With `dueAt`, also makes the call
   * due by then: if this instance dies before applying the event, the sweeper finds the call.
   */
  async takeIn(sessionId: string, event: CallEvent, dueAt: number | undefined): Promise<boolean> {
    const [fresh] = await Promise.all([
      this.send<number>((p) =>
        p.callTakeIn(
          redisKeys.callSeen(sessionId),
          redisKeys.callInbox(sessionId),
          event.id,
          JSON.stringify(event),
          LIVE_TTL_MS,
        ),
      ),
      dueAt === undefined ? undefined : this.lowerDue(sessionId, dueAt),
    ]);
    return fresh === 1;
  }

  /**
   * takeIn for an event that wakes its call, and in the same trip an attempt at the call's lock: the
   * event was a duplicate, or the lock is someone else's (they are asked to drain again), or it is ours
   * with the state and the queued events. `soon`: someone waits on it right now (a new caller), so it
   * leaves at the end of this tick rather than of the turn (RedisBatch).
   */
  async takeInAndAcquire(
    sessionId: string,
    event: CallEvent,
    token: string,
    lockTtlMs: number,
    batch: number,
    soon = false,
  ): Promise<
    | { kind: 'duplicate' }
    | { kind: 'locked'; pttl: number }
    | { kind: 'acquired'; state: LiveCall | undefined; events: CallEvent[] }
  > {
    const [r] = await Promise.all([
      this.send<[-1] | [0, number] | [1, string, string[]]>(
        (p) =>
          p.callTakeInAcquire(
            redisKeys.callSeen(sessionId),
            redisKeys.callInbox(sessionId),
            redisKeys.callLock(sessionId),
            redisKeys.callState(sessionId),
            redisKeys.callWake(sessionId),
            event.id,
            JSON.stringify(event),
            LIVE_TTL_MS,
            token,
            lockTtlMs,
            batch,
          ),
        soon,
      ),
      // Safety net: if this instance dies before applying the event, the sweeper finds the call. In
      // the same write as the take-in (a new caller waits on both replies).
      this.lowerDue(sessionId, Date.now() + lockTtlMs, soon),
    ]);
    if (r[0] === -1) return { kind: 'duplicate' };
    if (r[0] === 0) return { kind: 'locked', pttl: Math.max(0, r[1]) };
    return {
      kind: 'acquired',
      state: r[1] ? decodeCall(r[1]) : undefined,
      events: r[2].map((e) => JSON.parse(e) as CallEvent),
    };
  }

  /** Takes the call's lock and loads its state and queued events, or says how long the lock lasts. */
  async acquireAndLoad(
    sessionId: string,
    token: string,
    ttlMs: number,
    batch: number,
  ): Promise<{ ok: true; state: LiveCall | undefined; events: CallEvent[] } | { ok: false; pttl: number }> {
    const r = await this.send<[0, number] | [1, string, string[]]>((p) =>
      p.callAcquireLoad(
        redisKeys.callLock(sessionId),
        redisKeys.callState(sessionId),
        redisKeys.callInbox(sessionId),
        redisKeys.callWake(sessionId),
        token,
        ttlMs,
        batch,
      ),
    );
    if (r[0] === 0) return { ok: false, pttl: Math.max(0, r[1]) };
    return {
      ok: true,
      state: r[1] ? decodeCall(r[1]) : undefined,
      events: r[2].map((e) => JSON.parse(e) as CallEvent),
    };
  }

  async renew(sessionId: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.send<number>((p) => p.callRenew(redisKeys.callLock(sessionId), token, ttlMs))) === 1;
  }

  /** Frees the lock if still ours; returns how many events wait in the inbox. */
  release(sessionId: string, token: string): Promise<number> {
    return this.send((p) =>
      p.callRelease(redisKeys.callLock(sessionId), redisKeys.callInbox(sessionId), token),
    );
  }

  /** Stores the state and drops the first `trim` inbox events, only while `token` holds the lock. */
  async commit(
    sessionId: string,
    token: string,
    call: LiveCall,
    trim: number,
    lockTtlMs: number,
  ): Promise<boolean> {
    const r = await this.send<number>((p) =>
      p.callCommit(
        redisKeys.callLock(sessionId),
        redisKeys.callState(sessionId),
        redisKeys.callInbox(sessionId),
        redisKeys.callSeen(sessionId),
        token,
        encodeCall(call),
        trim,
        call.final ? FINAL_TTL_MS : LIVE_TTL_MS,
        lockTtlMs,
      ),
    );
    return r === 1;
  }

  /**
   * commit + release in one trip, with the call's place in the global indexes: `dueAt` (null: off
   * calls:due), `live` (into or out of its tenant's live calls), `handOff` (onto calls:wake, for a
   * runner: it then finds the state written and the lock free; 'if-pending': only when events came in
   * meanwhile). Returns the pending event count, or -1 when the lock was lost (then nothing is written).
   */
  commitAndRelease(
    sessionId: string,
    token: string,
    call: LiveCall,
    trim: number,
    index: {
      dueAt: number | null;
      live?: { tenantId: string; op: 'add' | 'rem' };
      handOff?: boolean | 'if-pending';
    },
  ): Promise<number> {
    return this.send((p) =>
      p.callCommitRelease(
        redisKeys.callLock(sessionId),
        redisKeys.callState(sessionId),
        redisKeys.callInbox(sessionId),
        redisKeys.callSeen(sessionId),
        redisKeys.callWake(sessionId),
        redisKeys.callsDue(),
        // A script declares its keys; without a live-calls change this slot holds one it never touches.
        index.live ? redisKeys.callsLive(index.live.tenantId) : redisKeys.callsDue(),
        redisKeys.callsWake(),
        token,
        encodeCall(call),
        trim,
        call.final ? FINAL_TTL_MS : LIVE_TTL_MS,
        sessionId,
        index.dueAt === null ? '' : index.dueAt,
        index.live?.op ?? '',
        index.handOff === 'if-pending' ? 2 : index.handOff ? 1 : 0,
      ),
    );
  }

  async setDue(sessionId: string, at: number): Promise<void> {
    await this.send((p) => p.zadd(redisKeys.callsDue(), at, sessionId));
  }

  async lowerDue(sessionId: string, at: number, soon = false): Promise<void> {
    await this.send((p) => p.zadd(redisKeys.callsDue(), 'LT', at, sessionId), soon);
  }

  dueSessions(now: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(redisKeys.callsDue(), '-inf', now, 'LIMIT', 0, limit);
  }

  /**
   * takeIn on an api instance that hands its calls over (CALL_HANDOFF): in the same script, unless the
   * event was seen, the call goes onto calls:due by `dueAt` (the net if no runner takes it) and its
   * session id onto calls:wake, for a runner to drain it.
   */
  async takeInAndHandOff(sessionId: string, event: CallEvent, dueAt: number): Promise<boolean> {
    const fresh = await this.send<number>((p) =>
      p.callTakeInHandOff(
        redisKeys.callSeen(sessionId),
        redisKeys.callInbox(sessionId),
        redisKeys.callsDue(),
        redisKeys.callsWake(),
        event.id,
        JSON.stringify(event),
        LIVE_TTL_MS,
        sessionId,
        dueAt,
      ),
    );
    return fresh === 1;
  }

  /** Live calls of a tenant (at most `limit`); stale index entries are dropped on the way. */
  async liveCalls(tenantId: string, limit: number): Promise<LiveCall[]> {
    const key = redisKeys.callsLive(tenantId);
    const ids = (await this.redis.smembers(key)).sort().slice(0, limit);
    if (ids.length === 0) return [];
    const states = await Promise.all(ids.map((id) => this.redis.get(redisKeys.callState(id))));
    const out: LiveCall[] = [];
    const gone: string[] = [];
    states.forEach((s, i) => {
      const call = s ? decodeCall(s) : undefined;
      if (call && !call.final) out.push(call);
      else gone.push(ids[i]);
    });
    if (gone.length) await this.redis.srem(key, ...gone);
    return out;
  }
}
