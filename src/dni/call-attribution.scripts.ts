// The Redis side of call attribution: one Lua script that walks the tiers (dial click, current lease
// holder, previous holder within the cooldown, the caller's last session) and remembers the caller for
// the session it settles on, in one round trip instead of one per tier. It reads what the lease path
// wrote (pool-allocator.scripts.ts: the holder hash and the leases/free sorted sets of the pool;
// dni-session.repository.ts: sessions, click and caller pointers) and changes nothing there but the
// caller pointer, exactly as the step-by-step reads did.
//
// The session key is only known once a tier gives a sid, so the script builds it from the prefix it is
// given: the keys it touches must live on one Redis node, as they do with the single-node client
// RedisService opens (the call path's pipelines assume the same, see src/infra/redis/redis-batch.ts).
import type Redis from 'ioredis';
import { RedisBatch, type Batch } from '../infra/redis/redis-batch';
import { redisKeys } from '../infra/redis/redis-keys';

/**
 * KEYS: 1 click pointer of the dialled number, 2 the pool's leases (ZSET number → lease expiry ms),
 *       3 its free list (ZSET number → released-at ms), 4 its holder hash (number → sid), 5 the
 *       caller pointer (tenant + caller → sid).
 * ARGV: 1 dialled number, 2 call time ms, 3 pool cooldown ms, 4 campaign id, 5 attribution window s,
 *       6 '1' when the click and holder tiers apply (a tracking number of a session pool), 7 session
 *       key prefix.
 * Returns {tier, session JSON} for the first tier whose session exists and belongs to the campaign,
 * or false (the call keeps its source only).
 */
export const ATTRIBUTE_CALL_SCRIPT = `
local n, t, cooldown, campaign = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local window, prefix = tonumber(ARGV[5]), ARGV[7]
local function found(sid)
  if not sid then return nil end
  local raw = redis.call('GET', prefix .. sid)
  if not raw then return nil end
  local ok, s = pcall(cjson.decode, raw)
  if not ok or type(s) ~= 'table' or s.campaignId ~= campaign then return nil end
  if window > 0 then redis.call('SET', KEYS[5], sid, 'EX', window) end
  return raw
end
if ARGV[6] == '1' then
  local r = found(redis.call('GET', KEYS[1]))
  if r then return {'dial_click', r} end
  local holder = redis.call('HGET', KEYS[4], n)
  if holder then
    local live = redis.call('ZSCORE', KEYS[2], n)
    if live and tonumber(live) >= t then
      r = found(holder)
      if r then return {'current_holder', r} end
    end
    local released = redis.call('ZSCORE', KEYS[3], n)
    if released and t - tonumber(released) <= cooldown then
      r = found(holder)
      if r then return {'previous_holder', r} end
    end
  end
end
local r = found(redis.call('GET', KEYS[5]))
if r then return {'repeat_caller', r} end
return false
`;

export type SessionTier = 'dial_click' | 'current_holder' | 'previous_holder' | 'repeat_caller';

export interface AttributeCallInput {
  dialled: string;
  caller: string;
  tenantId: string;
  campaignId: string;
  poolId: string;
  atMs: number;
  cooldownS: number;
  attributionWindowS: number;
  /** The click and holder tiers apply (the dialled number is a tracking number of a session pool). */
  holderTiers: boolean;
}

type AttributionBatch = Batch & { dniAttributeCall(...args: (string | number)[]): Promise<unknown> };

/** Runs the attribution script in the call path's Redis batch (one write per event-loop turn). */
export class CallAttributionScripts {
  private readonly batch: RedisBatch;

  constructor(client: Redis) {
    if (!('dniAttributeCall' in client)) {
      client.defineCommand('dniAttributeCall', { numberOfKeys: 5, lua: ATTRIBUTE_CALL_SCRIPT });
    }
    this.batch = RedisBatch.for(client);
  }

  /** The tier and the raw session JSON the call is attributed to, or undefined for source only. */
  async attribute(a: AttributeCallInput): Promise<{ tier: SessionTier; sessionJson: string } | undefined> {
    const [leases, free, holder] = redisKeys.dniPool(a.poolId);
    const r = await this.batch.send<[SessionTier, string] | null>((p) =>
      (p as AttributionBatch).dniAttributeCall(
        redisKeys.dniClick(a.dialled),
        leases,
        free,
        holder,
        redisKeys.dniCaller(a.tenantId, a.caller),
        a.dialled,
        a.atMs,
        a.cooldownS * 1000,
        a.campaignId,
        a.attributionWindowS,
        a.holderTiers ? '1' : '0',
        redisKeys.dniSession(''),
      ),
    );
    return r ? { tier: r[0], sessionJson: r[1] } : undefined;
  }
}
