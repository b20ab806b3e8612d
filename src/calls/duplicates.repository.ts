// Repeat callers per campaign in Redis. Payout duplicates: the first call of a caller opens a window
// (dupPayoutWindowS) and later calls inside it are duplicates; the window runs from that first call.
// Routing duplicates: the buyers a caller was connected to, so a repeat call inside dupRoutingWindowS
// is not sent to the same buyer again.
import { Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { RedisService } from '../infra/redis/redis.service';
import { redisKeys } from '../infra/redis/redis-keys';

// Idempotent for one call: the call that opened the window is never its own duplicate.
const PAYOUT_DUP = `
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 0
end
if v == ARGV[1] then return 0 end
return 1`;

type DupRedis = Redis & { dupPayout(key: string, callId: string, ttl: number): Promise<number> };

@Injectable()
export class DuplicatesRepository {
  private readonly redis: DupRedis;

  constructor(redis: RedisService) {
    const client = redis.client;
    if (!('dupPayout' in client)) client.defineCommand('dupPayout', { numberOfKeys: 1, lua: PAYOUT_DUP });
    this.redis = client as DupRedis;
  }

  async isPayoutDuplicate(
    campaignId: string,
    caller: string,
    callId: string,
    windowS: number,
  ): Promise<boolean> {
    if (windowS <= 0) return false;
    return (await this.redis.dupPayout(redisKeys.dupPayout(campaignId, caller), callId, windowS)) === 1;
  }

  /** Buyers this caller was connected to inside the window. */
  async routedBuyers(campaignId: string, caller: string, windowS: number, now: number): Promise<Set<string>> {
    if (windowS <= 0) return new Set();
    const all = await this.redis.hgetall(redisKeys.dupRouted(campaignId, caller));
    const since = now - windowS * 1000;
    return new Set(
      Object.entries(all)
        .filter(([, at]) => Number(at) >= since)
        .map(([buyer]) => buyer),
    );
  }

  async recordRouted(
    campaignId: string,
    caller: string,
    buyerId: string,
    at: number,
    windowS: number,
  ): Promise<void> {
    if (windowS <= 0) return;
    const key = redisKeys.dupRouted(campaignId, caller);
    await this.redis.multi().hset(key, buyerId, at).expire(key, windowS).exec();
  }
}
