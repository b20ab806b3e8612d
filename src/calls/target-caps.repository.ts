// Caps and concurrency of targets in Redis, all keys of one target under the hash tag {tgt:<id>}.
// Concurrency is a sorted set of the target's live call attempts scored by an expiry, so a reservation
// that is never released (an instance died and the call state was lost) stops counting by itself;
// normal exits remove the member. Call counters per period (UTC hour, day, month, total) are taken
// when a transfer is reserved and given back when that attempt does not connect; conversion and
// revenue counters grow when a call converts. Guard keys make each reservation and count happen once
// per call attempt, whatever replays a takeover causes.
import { Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { parseMoney } from '../common/money';
import type { TargetCaps, CapPeriod } from '../buyers/target.entity';
import { RedisService } from '../infra/redis/redis.service';
import { redisKeys } from '../infra/redis/redis-keys';
import { type Batch, RedisBatch } from '../infra/redis/redis-batch';

const PERIODS: CapPeriod[] = ['hour', 'day', 'month', 'total'];
const TTL_S: Record<CapPeriod, number> = { hour: 7_200, day: 2 * 86_400, month: 40 * 86_400, total: 0 };
const GUARD_TTL_S = 8 * 3600;

// KEYS: live, guard, calls×4, conv×4, rev×4. ARGV: now, member, expiry, concurrency cap, guard ttl,
// calls caps×4, conv caps×4, revenue caps×4 (ten-thousandths), ttls×4. A cap of -1 means none.
const RESERVE = `
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
  return 'ok'
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local conc = tonumber(ARGV[4])
if conc >= 0 and redis.call('ZCARD', KEYS[1]) >= conc then return 'concurrency' end
local names = {'hour', 'day', 'month', 'total'}
local kinds = {'calls', 'conversions', 'revenue'}
for k = 0, 2 do
  for i = 1, 4 do
    local cap = tonumber(ARGV[5 + k * 4 + i])
    if cap >= 0 and tonumber(redis.call('GET', KEYS[2 + k * 4 + i]) or '0') >= cap then
      return 'cap_' .. kinds[k + 1] .. '_' .. names[i]
    end
  end
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
for i = 1, 4 do
  redis.call('INCR', KEYS[2 + i])
  local ttl = tonumber(ARGV[17 + i])
  if ttl > 0 then redis.call('EXPIRE', KEYS[2 + i], ttl) end
end
redis.call('SET', KEYS[2], '1', 'EX', ARGV[5])
return 'ok'`;

// KEYS: live, guard, calls×4. ARGV: member, give back the call counts (1/0).
const RELEASE = `
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('DEL', KEYS[2]) == 0 then return 0 end
if ARGV[2] == '1' then
  for i = 3, 6 do redis.call('DECR', KEYS[i]) end
end
return 1`;

// KEYS: guard, conv×4, rev×4. ARGV: guard ttl, revenue units, ttls×4.
const CONVERSION = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
for i = 1, 4 do
  redis.call('INCR', KEYS[1 + i])
  redis.call('INCRBY', KEYS[5 + i], ARGV[2])
  local ttl = tonumber(ARGV[2 + i])
  if ttl > 0 then
    redis.call('EXPIRE', KEYS[1 + i], ttl)
    redis.call('EXPIRE', KEYS[5 + i], ttl)
  end
end
return 1`;

/** The scripts above, as defineCommand adds them to the client. */
type Script = (...args: (string | number)[]) => Promise<unknown>;
type CapsBatch = Batch & { tgtReserve: Script; tgtRelease: Script; tgtConversion: Script };

export interface CapTarget {
  targetId: string;
  caps: TargetCaps;
  concurrencyCap: number | null;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** UTC buckets of a moment: 2026051923, 20260519, 202605, all. */
export function periodBuckets(at: number): Record<CapPeriod, string> {
  const d = new Date(at);
  const m = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}`;
  const day = `${m}${pad(d.getUTCDate())}`;
  return { hour: `${day}${pad(d.getUTCHours())}`, day, month: m, total: 'all' };
}

@Injectable()
export class TargetCapsRepository {
  private readonly redis: Redis;
  /** Writes go in the call path's per-turn batches (see RedisBatch), in issue order. */
  private readonly batch: RedisBatch;

  constructor(redis: RedisService) {
    const client = redis.client;
    for (const [name, lua] of [
      ['tgtReserve', RESERVE],
      ['tgtRelease', RELEASE],
      ['tgtConversion', CONVERSION],
    ] as const) {
      if (!(name in client)) client.defineCommand(name, { lua });
    }
    this.redis = client;
    this.batch = RedisBatch.for(client);
  }

  private send<T>(add: (p: CapsBatch) => unknown): Promise<T> {
    return this.batch.send<T>((p) => add(p as CapsBatch));
  }

  private counters(targetId: string, kind: 'calls' | 'conv' | 'rev', at: number): string[] {
    const b = periodBuckets(at);
    return PERIODS.map((p) => redisKeys.targetCounter(targetId, kind, p[0], b[p]));
  }

  /**
   * Takes a concurrency slot and counts the call for the target, unless a cap is reached. Returns 'ok'
   * or the reason ('concurrency', 'cap_calls_day', …). Repeating it for the same member is a no-op.
   */
  async reserve(t: CapTarget, member: string, at: number, expiresAt: number): Promise<string> {
    const caps = (kind: 'calls' | 'conversions') => PERIODS.map((p) => t.caps[kind]?.[p] ?? -1);
    const revenue = PERIODS.map((p) => {
      const v = t.caps.revenue?.[p];
      return v === undefined ? -1 : parseMoney(v).toString();
    });
    const keys = [
      redisKeys.targetLive(t.targetId),
      redisKeys.targetGuard(t.targetId, 'res', member),
      ...this.counters(t.targetId, 'calls', at),
      ...this.counters(t.targetId, 'conv', at),
      ...this.counters(t.targetId, 'rev', at),
    ];
    const args = [
      keys.length,
      ...keys,
      at,
      member,
      expiresAt,
      t.concurrencyCap ?? -1,
      GUARD_TTL_S,
      ...caps('calls'),
      ...caps('conversions'),
      ...revenue,
      ...PERIODS.map((p) => TTL_S[p]),
    ];
    return this.send((p) => p.tgtReserve(...args));
  }

  /** Moves the member's expiry (a connected call may last hours). */
  async extend(targetId: string, member: string, expiresAt: number): Promise<void> {
    await this.send((p) => p.zadd(redisKeys.targetLive(targetId), 'XX', expiresAt, member));
  }

  /** Frees the slot; `giveBack` also un-counts the call (the attempt never connected). Idempotent. */
  async release(targetId: string, member: string, reservedAt: number, giveBack: boolean): Promise<void> {
    const keys = [
      redisKeys.targetLive(targetId),
      redisKeys.targetGuard(targetId, 'res', member),
      ...this.counters(targetId, 'calls', reservedAt),
    ];
    await this.send((p) => p.tgtRelease(keys.length, ...keys, member, giveBack ? 1 : 0));
  }

  /** Counts a converted call and its revenue once per call. */
  async countConversion(targetId: string, callId: string, at: number, revenueUnits: bigint): Promise<void> {
    const keys = [
      redisKeys.targetGuard(targetId, 'conv', callId),
      ...this.counters(targetId, 'conv', at),
      ...this.counters(targetId, 'rev', at),
    ];
    await this.send((p) =>
      p.tgtConversion(
        keys.length,
        ...keys,
        GUARD_TTL_S,
        revenueUnits.toString(),
        ...PERIODS.map((p) => TTL_S[p]),
      ),
    );
  }

  /** Live attempts of a target now (expired members excluded). */
  async live(targetId: string, now = Date.now()): Promise<number> {
    return this.redis.zcount(redisKeys.targetLive(targetId), `(${now}`, '+inf');
  }

  async callsCounted(targetId: string, period: CapPeriod, at = Date.now()): Promise<number> {
    const key = redisKeys.targetCounter(targetId, 'calls', period[0], periodBuckets(at)[period]);
    return Number((await this.redis.get(key)) ?? 0);
  }
}
