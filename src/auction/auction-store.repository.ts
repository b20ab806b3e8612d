// The auction's Redis reads and writes besides cap reservations (TargetCapsRepository owns those):
// a snapshot of a target's counters before it is pinged, and the per-caller bid cache. Keys of one
// target share its hash tag, so each target's reads are one command on one Cluster slot.
import { Injectable } from '@nestjs/common';
import { CAP_PERIODS, type CapPeriod } from '../buyers/target.entity';
import { periodBuckets } from '../calls/target-caps.repository';
import { redisKeys } from '../infra/redis/redis-keys';
import { AuctionRedis } from './auction-redis';
import type { CapSnapshot } from './eligibility';

/** What the cache keeps of a buyer's answer: a bid, or its explicit no. */
export interface CachedAnswer {
  /** Valid bid: amount (decimal string); no: null. */
  revenue: string | null;
  reason: 'not_accepted' | 'no_bid' | null;
  destination: string | null;
  bidId: string | null;
  expiresAt: number | null;
  requiredTalkSeconds: number | null;
  at: number;
}

const KINDS = ['calls', 'conv', 'rev'] as const;

@Injectable()
export class AuctionStoreRepository {
  constructor(private readonly redis: AuctionRedis) {}

  /** Live attempts and period counters of the target at `at` (a read; nothing is reserved). */
  async capSnapshot(targetId: string, at: number): Promise<CapSnapshot> {
    const b = periodBuckets(at);
    const keys = KINDS.flatMap((k) =>
      CAP_PERIODS.map((p) => redisKeys.targetCounter(targetId, k, p[0], b[p])),
    );
    const client = this.redis.client;
    const [live, values] = await Promise.all([
      client.zcount(redisKeys.targetLive(targetId), `(${at}`, '+inf'),
      client.mget(...keys),
    ]);
    const per = <T>(offset: number, conv: (v: string | null) => T) =>
      Object.fromEntries(CAP_PERIODS.map((p, i) => [p, conv(values[offset + i])])) as Record<CapPeriod, T>;
    const num = (v: string | null) => Number(v ?? 0);
    return {
      live,
      calls: per(0, num),
      conversions: per(4, num),
      revenue: per(8, (v) => (v && /^-?\d+$/.test(v) ? BigInt(v) : 0n)),
    };
  }

  async cachedAnswer(targetId: string, campaignId: string, caller: string): Promise<CachedAnswer | null> {
    const raw = await this.redis.client.get(redisKeys.bidCache(targetId, campaignId, caller));
    if (!raw) return null;
    try {
      return JSON.parse(raw) as CachedAnswer;
    } catch {
      return null;
    }
  }

  async cacheAnswer(
    targetId: string,
    campaignId: string,
    caller: string,
    answer: CachedAnswer,
    ttlS: number,
  ): Promise<void> {
    if (ttlS <= 0) return;
    const key = redisKeys.bidCache(targetId, campaignId, caller);
    await this.redis.client.set(key, JSON.stringify(answer), 'EX', ttlS);
  }
}
