// The DNI pool allocator in Redis: one atomic Lua call per lease, heartbeat or release.
import { Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { RedisService } from '../infra/redis/redis.service';
import { redisKeys } from '../infra/redis/redis-keys';
import {
  HEARTBEAT_SCRIPT,
  LEASE_SCRIPT,
  RELEASE_SCRIPT,
  STATUS_SCRIPT,
  SYNC_SCRIPT,
} from './pool-allocator.scripts';

export type LeaseOutcome = 'new' | 'kept' | 'rebound' | 'exhausted';

export interface PoolStatus {
  liveLeases: number;
  freeNumbers: number;
  stats: Record<string, number>;
}

export interface NumberHolder {
  /** sid holding the number now (live lease) or last (released). */
  holder?: string;
  /** lease expiry when live. */
  liveUntil?: number;
  /** when it was released, if not live. */
  releasedAt?: number;
  /** the holder before the current one and when that one released it. */
  previous?: { sid: string; releasedAt: number };
}

type AllocatorRedis = Redis & {
  dniLease(...args: (string | number)[]): Promise<[string | null, LeaseOutcome]>;
  dniHeartbeat(...args: (string | number)[]): Promise<[string, number] | null>;
  dniRelease(...args: (string | number)[]): Promise<string | null>;
  dniSync(...args: (string | number)[]): Promise<number>;
  dniStatus(...args: (string | number)[]): Promise<[number, number, string[]]>;
};

const MAX_LEASE_MS = 4 * 3600 * 1000;

@Injectable()
export class PoolAllocatorRepository {
  private readonly redis: AllocatorRedis;

  constructor(redis: RedisService) {
    const client = redis.client;
    for (const [name, lua] of [
      ['dniLease', LEASE_SCRIPT],
      ['dniHeartbeat', HEARTBEAT_SCRIPT],
      ['dniRelease', RELEASE_SCRIPT],
      ['dniSync', SYNC_SCRIPT],
      ['dniStatus', STATUS_SCRIPT],
    ] as const) {
      if (!(name in client)) client.defineCommand(name, { numberOfKeys: 7, lua });
    }
    this.redis = client as AllocatorRedis;
  }

  async lease(poolId: string, sid: string, now: number, idleMs: number, cooldownMs: number) {
    const [number, outcome] = await this.redis.dniLease(
      ...redisKeys.dniPool(poolId),
      sid,
      now,
      idleMs,
      cooldownMs,
    );
    return { number: number ?? undefined, outcome };
  }

  async heartbeat(poolId: string, sid: string, now: number, idleMs: number) {
    const r = await this.redis.dniHeartbeat(...redisKeys.dniPool(poolId), sid, now, idleMs, MAX_LEASE_MS);
    return r ? { number: r[0], expiresAt: Number(r[1]) } : undefined;
  }

  async release(poolId: string, sid: string, now: number): Promise<string | undefined> {
    return (await this.redis.dniRelease(...redisKeys.dniPool(poolId), sid, now)) ?? undefined;
  }

  /** Makes Redis hold exactly the pool's active numbers; returns how many were added. */
  async sync(poolId: string, numbers: string[], now: number): Promise<number> {
    const added = await this.redis.dniSync(...redisKeys.dniPool(poolId), now, ...numbers);
    await this.redis.set(redisKeys.dniPoolSynced(poolId), '1');
    return added;
  }

  async isSynced(poolId: string): Promise<boolean> {
    return (await this.redis.exists(redisKeys.dniPoolSynced(poolId))) === 1;
  }

  async status(poolId: string, now: number): Promise<PoolStatus> {
    const [live, free, flat] = await this.redis.dniStatus(...redisKeys.dniPool(poolId), now);
    const stats: Record<string, number> = {};
    for (let i = 0; i < flat.length; i += 2) stats[flat[i]] = Number(flat[i + 1]);
    return { liveLeases: Number(live), freeNumbers: Number(free), stats };
  }

  /** Who holds or last held a number, for call attribution. One pipelined round trip. */
  async holderOf(poolId: string, number: string): Promise<NumberHolder> {
    const [leases, free, holder, , prev] = redisKeys.dniPool(poolId);
    const r = await this.redis
      .multi()
      .zscore(leases, number)
      .zscore(free, number)
      .hget(holder, number)
      .hget(prev, number)
      .exec();
    const [liveUntil, releasedAt, sid, previous] = (r ?? []).map(([, v]) => v as string | null);
    const out: NumberHolder = {};
    if (sid) out.holder = sid;
    if (liveUntil) out.liveUntil = Number(liveUntil);
    if (releasedAt) out.releasedAt = Number(releasedAt);
    if (previous) {
      const [psid, pat] = previous.split('|');
      out.previous = { sid: psid, releasedAt: Number(pat) };
    }
    return out;
  }
}
