// LiveCallRepository on the real Redis of the test run: a lock hold ends with one script that stores the
// state, lets go of the lock and moves the call in the global indexes (calls:due, the tenant's live calls,
// calls:wake for a runner, always or only when events wait), and writes none of it once the lock has
// passed to someone else. The suite
// uses a database of its own, so the call runners of other suites never see its calls:wake.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { newCall } from '../../src/calls/call-machine';
import { decodeCall, FINAL_TTL_MS, LiveCallRepository } from '../../src/calls/live-call.repository';
import type { AppConfig } from '../../src/infra/config/app-config';
import type { ResolvedStores } from '../../src/infra/embedded/embedded-stores';
import { RedisService } from '../../src/infra/redis/redis.service';
import { redisKeys } from '../../src/infra/redis/redis-keys';
import { redisConnectionOptions } from '../../src/infra/redis/redis-url';

const DB = 11;

function onDatabase(url: string, db: number): string {
  const u = new URL(url);
  if (u.protocol === 'unix:') u.searchParams.set('db', String(db));
  else u.pathname = `/${db}`;
  return u.toString();
}

describe('live call store on a real Redis', () => {
  let redis: RedisService;
  let admin: Redis;
  let store: LiveCallRepository;

  beforeAll(async () => {
    const url = onDatabase(process.env.CB_TEST_REDIS_URL!, DB);
    redis = new RedisService({ redisUrl: url } as ResolvedStores, {} as AppConfig);
    admin = new Redis(redisConnectionOptions(url));
    await admin.flushdb();
    store = new LiveCallRepository(redis);
  });

  afterAll(async () => {
    await admin.flushdb();
    await admin.quit();
    await redis.onApplicationShutdown();
  });

  it('ends a hold in one write: state, lock, due time, live calls and the hand-off', async () => {
    const sid = randomUUID();
    const token = randomUUID();
    const got = await store.acquireAndLoad(sid, token, 5_000, 10);
    expect(got).toEqual({ ok: true, state: undefined, events: [] });

    const call = newCall(sid, 1_000);
    const pending = await store.commitAndRelease(sid, token, call, 0, {
      dueAt: 123_456,
      live: { tenantId: 'tenant-a', op: 'add' },
      handOff: true,
    });
    expect(pending).toBe(0);
    expect(decodeCall((await admin.get(redisKeys.callState(sid)))!)).toEqual(call);
    expect(await admin.exists(redisKeys.callLock(sid))).toBe(0);
    expect(await admin.zscore(redisKeys.callsDue(), sid)).toBe('123456');
    expect(await admin.sismember(redisKeys.callsLive('tenant-a'), sid)).toBe(1);
    expect(await admin.lrange(redisKeys.callsWake(), 0, -1)).toContain(sid);

    // The call's last hold: off calls:due and off the live calls, no hand-off, state kept briefly.
    const token2 = randomUUID();
    const again = await store.acquireAndLoad(sid, token2, 5_000, 10);
    expect(again.ok).toBe(true);
    call.final = { state: 'completed', at: 2_000, reason: null };
    const wakes = await admin.llen(redisKeys.callsWake());
    expect(
      await store.commitAndRelease(sid, token2, call, 0, {
        dueAt: null,
        live: { tenantId: 'tenant-a', op: 'rem' },
      }),
    ).toBe(0);
    expect(await admin.zscore(redisKeys.callsDue(), sid)).toBeNull();
    expect(await admin.sismember(redisKeys.callsLive('tenant-a'), sid)).toBe(0);
    expect(await admin.llen(redisKeys.callsWake())).toBe(wakes);
    const ttl = await admin.pttl(redisKeys.callState(sid));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(FINAL_TTL_MS);
  });

  it('writes nothing when the lock has passed to another holder', async () => {
    const sid = randomUUID();
    const token = randomUUID();
    expect((await store.acquireAndLoad(sid, token, 5_000, 10)).ok).toBe(true);
    const first = newCall(sid, 1_000);
    await admin.set(redisKeys.callState(sid), 'kept');
    await admin.zadd(redisKeys.callsDue(), 777, sid);
    // The lock expired and another instance took the call over.
    await admin.set(redisKeys.callLock(sid), 'someone-else', 'PX', 5_000);
    const wakes = await admin.llen(redisKeys.callsWake());

    const pending = await store.commitAndRelease(sid, token, first, 0, {
      dueAt: 999,
      live: { tenantId: 'tenant-b', op: 'add' },
      handOff: true,
    });
    expect(pending).toBe(-1);
    expect(await admin.get(redisKeys.callState(sid))).toBe('kept');
    expect(await admin.get(redisKeys.callLock(sid))).toBe('someone-else');
    expect(await admin.zscore(redisKeys.callsDue(), sid)).toBe('777');
    expect(await admin.sismember(redisKeys.callsLive('tenant-b'), sid)).toBe(0);
    expect(await admin.llen(redisKeys.callsWake())).toBe(wakes);
  });

  it('reports the events another instance queued while the lock was held', async () => {
    const sid = randomUUID();
    const token = randomUUID();
    expect((await store.acquireAndLoad(sid, token, 5_000, 10)).ok).toBe(true);
    // Another instance took an event in, found the lock taken and asked the holder to drain again.
    expect(await store.acquireAndLoad(sid, randomUUID(), 5_000, 10)).toMatchObject({ ok: false });
    await admin.rpush(redisKeys.callInbox(sid), '{}', '{}');
    const wakes = await admin.llen(redisKeys.callsWake());
    const pending = await store.commitAndRelease(sid, token, newCall(sid, 1_000), 0, {
      dueAt: 5,
      handOff: 'if-pending',
    });
    expect(pending).toBe(2);
    expect(await admin.zscore(redisKeys.callsDue(), sid)).toBe('5');
    // An answer-only hold hands the waiting events to a runner in the same write.
    expect(await admin.lrange(redisKeys.callsWake(), wakes, -1)).toEqual([sid]);
  });

  it('hands off only if events wait, when asked to', async () => {
    const sid = randomUUID();
    const token = randomUUID();
    expect((await store.acquireAndLoad(sid, token, 5_000, 10)).ok).toBe(true);
    const wakes = await admin.llen(redisKeys.callsWake());
    const pending = await store.commitAndRelease(sid, token, newCall(sid, 1_000), 0, {
      dueAt: 5,
      handOff: 'if-pending',
    });
    expect(pending).toBe(0);
    expect(await admin.llen(redisKeys.callsWake())).toBe(wakes);
  });
});
