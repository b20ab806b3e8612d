// The DNI pool allocator in Redis: one atomic Lua call per heartbeat or release, and one per pool
// for all the leases asked for in the same turn of the event loop (each still handled alone and in
// order inside the script, so the guarantees are those of one call per lease; Redis parses one
// command and the keys travel once). Those calls leave in the turn's pipeline (DniRedisTurn).
// Fingerprint marks (see LEASE_SCRIPT) ride along with the next such call instead of costing a
// script call of their own.
import { Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { RedisService } from '../infra/redis/redis.service';
import { redisKeys } from '../infra/redis/redis-keys';
import { DniRedisTurn } from './dni-redis-turn';
import {
  HEARTBEAT_SCRIPT,
  LEASE_SCRIPT,
  RELEASE_SCRIPT,
  STATUS_SCRIPT,
  SYNC_SCRIPT,
} from './pool-allocator.scripts';

export type LeaseOutcome = 'new' | 'kept' | 'rebound' | 'exhausted';

export interface LeaseResult {
  number?: string;
  outcome: LeaseOutcome;
  /** The visitor's stored session already reflects this visit and this number (see LEASE_SCRIPT). */
  fresh: boolean;
}

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
  dniLeases(...args: (string | number)[]): Promise<string[]>;
  dniHeartbeat(...args: (string | number)[]): Promise<[string, number] | null>;
  dniRelease(...args: (string | number)[]): Promise<string | null>;
  dniSync(...args: (string | number)[]): Promise<number>;
  dniStatus(...args: (string | number)[]): Promise<[number, number, string[]]>;
};

const MAX_LEASE_MS = 4 * 3600 * 1000;
/** Leases per script call at most, so one call never holds Redis for long. */
const MAX_BATCH = 256;
/** Sids travel space-separated inside the lease script's arguments. */
const SID = /^\S{1,128}$/;
type PoolKeys = ReturnType<typeof redisKeys.dniPool>;

const OUTCOMES: Record<string, LeaseOutcome> = { k: 'kept', r: 'rebound', n: 'new', x: 'exhausted' };

interface QueuedLease {
  /** The lease's text as LEASE_SCRIPT reads it. */
  arg: string;
  resolve(r: LeaseResult): void;
  reject(e: unknown): void;
}

/** A mark's text as LEASE_SCRIPT reads it, and whoever waits for it (nobody for a plain mark). */
interface QueuedMark {
  arg: string;
  resolve?(): void;
  reject?(e: unknown): void;
}

/** What goes to one pool in the next script call(s). */
interface PoolQueue {
  /** The pool settings of the leases in `leases` (one call carries one set). */
  idleMs: number;
  cooldownMs: number;
  rewriteMs: number;
  leases: QueuedLease[];
  marks: QueuedMark[];
  /** Leases asked for with other settings in the same turn (rare: a pool changed meanwhile). */
  others?: PoolQueue[];
}

const newQueue = (idleMs: number, cooldownMs: number, rewriteMs: number): PoolQueue => ({
  idleMs,
  cooldownMs,
  rewriteMs,
  leases: [],
  marks: [],
});

@Injectable()
export class PoolAllocatorRepository {
  private readonly redis: AllocatorRedis;
  /** Key names per pool, built once (the lease path asks for them on every request). */
  private readonly keyCache = new Map<string, PoolKeys>();
  /** Leases and marks waiting for the end of this event-loop turn, by pool. */
  private queued = new Map<string, PoolQueue>();

  constructor(
    redis: RedisService,
    private readonly turn: DniRedisTurn,
  ) {
    const client = redis.client;
    for (const [name, lua] of [
      ['dniLeases', LEASE_SCRIPT],
      ['dniHeartbeat', HEARTBEAT_SCRIPT],
      ['dniRelease', RELEASE_SCRIPT],
      ['dniSync', SYNC_SCRIPT],
      ['dniStatus', STATUS_SCRIPT],
    ] as const) {
      if (!(name in client)) client.defineCommand(name, { numberOfKeys: 8, lua });
    }
    this.redis = client as AllocatorRedis;
    turn.beforeEachSend(this.flush);
  }

  private keys(poolId: string): PoolKeys {
    let keys = this.keyCache.get(poolId);
    if (!keys) {
      if (this.keyCache.size >= 10_000) this.keyCache.clear();
      keys = redisKeys.dniPool(poolId);
      this.keyCache.set(poolId, keys);
    }
    return keys;
  }

  private queueOf(poolId: string): PoolQueue {
    let queue = this.queued.get(poolId);
    if (!queue) {
      this.queued.set(poolId, (queue = newQueue(0, 0, 0)));
      this.turn.schedule();
    }
    return queue;
  }

  /**
   * Keeps, re-binds or hands out a number. `fingerprint` describes the visit (see
   * visitFingerprint); `rewriteMs` is how long a marked session counts as fresh.
   */
  lease(
    poolId: string,
    sid: string,
    now: number,
    idleMs: number,
    cooldownMs: number,
    fingerprint = '',
    rewriteMs = 0,
  ): Promise<LeaseResult> {
    if (!SID.test(sid)) return Promise.reject(new Error(`invalid sid for the allocator: ${sid}`));
    return new Promise((resolve, reject) => {
      let queue = this.queueOf(poolId);
      if (queue.idleMs !== idleMs || queue.cooldownMs !== cooldownMs || queue.rewriteMs !== rewriteMs) {
        if (queue.leases.length === 0) {
          queue.idleMs = idleMs;
          queue.cooldownMs = cooldownMs;
          queue.rewriteMs = rewriteMs;
        } else {
          const same = (q: PoolQueue) =>
            q.idleMs === idleMs && q.cooldownMs === cooldownMs && q.rewriteMs === rewriteMs;
          const other = queue.others?.find(same);
          if (other) queue = other;
          else (queue.others ??= []).push((queue = newQueue(idleMs, cooldownMs, rewriteMs)));
        }
      }
      queue.leases.push({ arg: `${now} ${sid} ${fingerprint}`, resolve, reject });
    });
  }

  /**
   * Notes that the session stored for `sid` at `writtenAt` describes a visit with `fingerprint`
   * while it holds `number` (ignored when the visitor is no longer bound to that number). Only a
   * hint that lets later renewals skip the session: it travels with the pool's next lease call,
   * and a failure is ignored (it costs the next renewal a session read).
   */
  mark(poolId: string, sid: string, number: string, writtenAt: number, fingerprint: string): void {
    if (!SID.test(sid)) return;
    this.queueOf(poolId).marks.push({ arg: `${sid} ${number} ${writtenAt} ${fingerprint}` });
  }

  /** Drops the visitor's fingerprint here (its session now belongs to another pool). */
  forget(poolId: string, sid: string): Promise<void> {
    if (!SID.test(sid)) return Promise.reject(new Error(`invalid sid for the allocator: ${sid}`));
    return new Promise((resolve, reject) => {
      this.queueOf(poolId).marks.push({ arg: `${sid} - 0 `, resolve, reject });
    });
  }

  /** Adds this turn's calls to the turn's pipeline. */
  private readonly flush = (): void => {
    if (this.queued.size === 0) return;
    const queued = this.queued;
    this.queued = new Map();
    for (const [poolId, queue] of queued) {
      this.send(poolId, queue, queue.marks);
      if (queue.others) for (const q of queue.others) this.send(poolId, q, []);
    }
  };

  private send(poolId: string, queue: PoolQueue, marks: QueuedMark[]): void {
    const { leases } = queue;
    const settings = `${queue.idleMs} ${queue.cooldownMs} ${queue.rewriteMs}`;
    if (leases.length <= MAX_BATCH) return this.call(poolId, settings, marks, leases);
    for (let i = 0; i < leases.length; i += MAX_BATCH) {
      this.call(poolId, settings, i === 0 ? marks : [], leases.slice(i, i + MAX_BATCH));
    }
  }

  private call(poolId: string, settings: string, marks: QueuedMark[], leases: QueuedLease[]): void {
    const args: string[] = [...this.keys(poolId), `${settings} ${marks.length}`];
    for (const m of marks) args.push(m.arg);
    for (const l of leases) args.push(l.arg);
    this.turn.add(
      (p) => (p as unknown as AllocatorRedis).dniLeases(...args),
      (error, reply) => {
        if (error) {
          for (const m of marks) m.reject?.(error);
          for (const l of leases) l.reject(error);
          return;
        }
        for (const m of marks) m.resolve?.();
        const texts = reply as string[];
        for (let i = 0; i < leases.length; i++) {
          const r = texts[i];
          if (typeof r !== 'string') leases[i].reject(new Error('the lease script gave no answer'));
          else {
            leases[i].resolve({
              number: r.length > 2 ? r.slice(2) : undefined,
              outcome: OUTCOMES[r[0]],
              fresh: r.charCodeAt(1) === 49, // '1'
            });
          }
        }
      },
    );
  }

  async heartbeat(poolId: string, sid: string, now: number, idleMs: number) {
    const r = await this.redis.dniHeartbeat(...this.keys(poolId), sid, now, idleMs, MAX_LEASE_MS);
    return r ? { number: r[0], expiresAt: Number(r[1]) } : undefined;
  }

  async release(poolId: string, sid: string, now: number): Promise<string | undefined> {
    return (await this.redis.dniRelease(...this.keys(poolId), sid, now)) ?? undefined;
  }

  /** Makes Redis hold exactly the pool's active numbers; returns how many were added. */
  async sync(poolId: string, numbers: string[], now: number): Promise<number> {
    const added = await this.redis.dniSync(...this.keys(poolId), now, ...numbers);
    await this.redis.set(redisKeys.dniPoolSynced(poolId), '1');
    return added;
  }

  async isSynced(poolId: string): Promise<boolean> {
    return (await this.redis.exists(redisKeys.dniPoolSynced(poolId))) === 1;
  }

  async status(poolId: string, now: number): Promise<PoolStatus> {
    const [live, free, flat] = await this.redis.dniStatus(...this.keys(poolId), now);
    const stats: Record<string, number> = {};
    for (let i = 0; i < flat.length; i += 2) stats[flat[i]] = Number(flat[i + 1]);
    return { liveLeases: Number(live), freeNumbers: Number(free), stats };
  }

  /** Who holds or last held a number, for call attribution. One pipelined round trip. */
  async holderOf(poolId: string, number: string): Promise<NumberHolder> {
    const [leases, free, holder, , prev] = this.keys(poolId);
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
