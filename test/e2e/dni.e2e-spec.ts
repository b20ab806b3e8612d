// DNI against real Redis, PostgreSQL and ClickHouse: the lease API as the snippet calls it, the
// allocator's guarantees under concurrency, and call attribution tiers.
import { randomBytes } from 'node:crypto';
import { RunningApp } from '../../src/app.bootstrap';
import { DniExportService } from '../../src/dni/dni-export.service';
import { DniSessionRepository } from '../../src/dni/dni-session.repository';
import { CallAttributionService } from '../../src/dni/call-attribution.service';
import { PoolAllocatorRepository } from '../../src/dni/pool-allocator.repository';
import { Http, newTenant, startTestApp, uniqueNumber } from '../support/test-app';

const sid = () => randomBytes(12).toString('base64url');

describe('DNI lease API and pool allocator', () => {
  let app: RunningApp;
  let anon: Http;

  beforeAll(async () => {
    app = await startTestApp({ DNI_RATE_LIMIT_PER_IP: '1000000' });
    anon = new Http(app.url);
  });
  afterAll(async () => {
    await app?.close();
  });

  /** Posts like the snippet does: JSON in a text/plain body, no credentials. */
  async function beacon(path: string, body: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(app.url + path, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain;charset=UTF-8',
        origin: 'https://landing.example.com',
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  async function setup(
    size: number,
    pool: Record<string, unknown> = {},
    campaign: Record<string, unknown> = {},
  ) {
    const t = await newTenant(app);
    const c = await t.operator.post('/campaigns', {
      name: 'DNI',
      swapNumbers: ['+18005550100'],
      paramTags: { kw: 'keyword' },
      ...campaign,
    });
    const pub = await t.operator.post('/publishers', {
      name: 'pub',
      payoutType: 'fixed',
      payoutAmount: '10',
    });
    const p = await t.operator.post('/pools', {
      campaignId: c.body.id,
      publisherId: pub.body.id,
      name: 'pool',
      kind: 'session',
      ...pool,
    });
    expect(p.status).toBe(201);
    const numbers = Array.from({ length: size }, uniqueNumber);
    for (let i = 0; i < numbers.length; i += 500) {
      const r = await t.operator.post(`/pools/${p.body.id}/numbers`, { numbers: numbers.slice(i, i + 500) });
      expect(r.status).toBe(201);
    }
    return { ...t, campaign: c.body, pool: p.body, numbers, key: c.body.publicKey as string };
  }

  it('leases a number with CORS, keeps it for the same visitor, and frees it on release', async () => {
    const s = await setup(3);
    const first = await beacon('/dni/v1/lease', {
      key: s.key,
      page: 'https://landing.example.com/?utm_source=google&gclid=G1&kw=cheap',
      ref: 'https://www.google.com/',
      params: { utm_source: 'google', utm_medium: 'cpc', gclid: 'G1', kw: 'cheap' },
    });
    expect(first.status).toBe(200);
    expect(first.headers.get('access-control-allow-origin')).toBe('*');
    expect(first.body).toMatchObject({ overflow: false, targets: ['+18005550100'], ttl: 300, heartbeat: 60 });
    expect(s.numbers).toContain(first.body.number);

    const again = await beacon('/dni/v1/lease', {
      key: s.key,
      sid: first.body.sid,
      page: 'https://landing.example.com/page2',
    });
    expect(again.body.number).toBe(first.body.number);
    const hb = await beacon('/dni/v1/heartbeat', { key: s.key, sid: first.body.sid });
    expect(hb.status).toBe(200);
    expect(hb.body.number).toBe(first.body.number);

    const session = await app.app.get(DniSessionRepository).get(first.body.sid);
    expect(session).toMatchObject({
      utm: { source: 'google', medium: 'cpc' },
      clickIds: { gclid: 'G1' },
      tags: { keyword: 'cheap' },
    });
    expect(session?.landingPage).toContain('utm_source=google'); // first touch kept on page 2

    expect((await beacon('/dni/v1/release', { key: s.key, sid: first.body.sid })).status).toBe(204);
    const gone = await beacon('/dni/v1/heartbeat', { key: s.key, sid: first.body.sid });
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('DNI_LEASE_GONE');
    // Coming back before anyone else took it re-binds the same number.
    const back = await beacon('/dni/v1/lease', { key: s.key, sid: first.body.sid });
    expect(back.body.number).toBe(first.body.number);
  });

  it('never puts one number in two live leases: 1,000 concurrent leases on 50 numbers', async () => {
    const s = await setup(50, { overflowNumber: uniqueNumber() });
    const results = await Promise.all(
      Array.from({ length: 1000 }, () =>
        beacon('/dni/v1/lease', { key: s.key, params: { utm_source: 'load' } }),
      ),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const leased = results.filter((r) => !r.body.overflow && r.body.number).map((r) => r.body.number);
    const overflow = results.filter((r) => r.body.overflow);
    expect(leased).toHaveLength(50);
    expect(new Set(leased).size).toBe(50);
    expect(overflow).toHaveLength(950);
    expect(overflow.every((r) => r.body.number === s.pool.overflowNumber)).toBe(true);

    const health = await s.operator.get(`/pools/${s.pool.id}/health`);
    expect(health.body).toMatchObject({
      numbers: 50,
      liveLeases: 50,
      leaseRequests: 1000,
      exhausted: 950,
      peakConcurrentLeases: 50,
    });
    expect(health.body.exhaustionRate).toBeCloseTo(0.95, 5);
    expect(health.body.utilisation).toBe(1);
    expect(health.body.recommendedSize).toBeGreaterThan(50);
  });

  it('hands out the number released longest ago, and honours the cooldown', async () => {
    const s = await setup(3, { cooldownS: 0 });
    const sids = [sid(), sid(), sid()];
    const got: string[] = [];
    for (const v of sids) got.push((await beacon('/dni/v1/lease', { key: s.key, sid: v })).body.number);
    expect(new Set(got).size).toBe(3);
    // release in the order 2, 0, 1; new visitors must get them back in that order
    for (const i of [2, 0, 1]) {
      await beacon('/dni/v1/release', { key: s.key, sid: sids[i] });
      await new Promise((r) => setTimeout(r, 5));
    }
    const next: string[] = [];
    for (let i = 0; i < 3; i++) next.push((await beacon('/dni/v1/lease', { key: s.key })).body.number);
    expect(next).toEqual([got[2], got[0], got[1]]);

    // With a cooldown, a just-released number is not handed to someone else.
    const alloc = app.app.get(PoolAllocatorRepository);
    const poolId = `cool-${sid()}`;
    await alloc.sync(poolId, ['+13125550001'], Date.now());
    const t0 = Date.now();
    expect((await alloc.lease(poolId, 'visitor-a-000000001', t0, 60_000, 10_000)).number).toBe(
      '+13125550001',
    );
    await alloc.release(poolId, 'visitor-a-000000001', t0 + 1);
    expect((await alloc.lease(poolId, 'visitor-b-000000001', t0 + 5_000, 60_000, 10_000)).outcome).toBe(
      'exhausted',
    );
    expect((await alloc.lease(poolId, 'visitor-b-000000001', t0 + 10_002, 60_000, 10_000)).number).toBe(
      '+13125550001',
    );
  });

  it('frees a lease after its idle timeout and never steals a live one', async () => {
    const alloc = app.app.get(PoolAllocatorRepository);
    const poolId = `idle-${sid()}`;
    await alloc.sync(poolId, ['+13125550011', '+13125550012'], Date.now());
    const t0 = Date.now();
    const a = await alloc.lease(poolId, 'visitor-a-000000001', t0, 1_000, 0);
    const b = await alloc.lease(poolId, 'visitor-b-000000001', t0, 60_000, 0);
    expect(a.number).not.toBe(b.number);
    expect((await alloc.lease(poolId, 'visitor-c-000000001', t0 + 500, 1_000, 0)).outcome).toBe('exhausted');
    expect(await alloc.heartbeat(poolId, 'visitor-a-000000001', t0 + 2_000, 1_000)).toBeUndefined();
    const c = await alloc.lease(poolId, 'visitor-c-000000001', t0 + 2_000, 1_000, 0);
    expect(c.number).toBe(a.number);
    const holder = await alloc.holderOf(poolId, a.number!);
    expect(holder.holder).toBe('visitor-c-000000001');
    expect(holder.previous?.sid).toBe('visitor-a-000000001');
  });

  it('skips the session only for renewals its fingerprint mark describes', async () => {
    const alloc = app.app.get(PoolAllocatorRepository);
    const poolId = `fp-${sid()}`;
    await alloc.sync(poolId, ['+13125550021', '+13125550022'], Date.now());
    const t0 = Date.now();
    const a = 'visitor-a-000000001';
    const lease = (at: number, fp: string) => alloc.lease(poolId, a, at, 60_000, 0, fp, 1_000);
    const first = await lease(t0, 'fp one');
    expect(first).toMatchObject({ outcome: 'new', fresh: false });
    expect((await lease(t0 + 1, 'fp one')).fresh).toBe(false); // nothing marked yet
    alloc.mark(poolId, a, first.number!, t0 + 1, 'fp one');
    expect(await lease(t0 + 2, 'fp one')).toEqual({ number: first.number, outcome: 'kept', fresh: true });
    expect((await lease(t0 + 3, 'fp two')).fresh).toBe(false); // another visit
    expect((await lease(t0 + 1_001, 'fp one')).fresh).toBe(false); // marked too long ago
    // A mark for a number the visitor does not hold is ignored.
    alloc.mark(poolId, a, '+13125550022', t0 + 1_002, 'fp one');
    expect((await lease(t0 + 1_003, 'fp one')).fresh).toBe(false);
    // Forgetting drops the mark but not the lease.
    alloc.mark(poolId, a, first.number!, t0 + 1_004, 'fp one');
    expect((await lease(t0 + 1_005, 'fp one')).fresh).toBe(true);
    await alloc.forget(poolId, a);
    expect(await lease(t0 + 1_006, 'fp one')).toEqual({
      number: first.number,
      outcome: 'kept',
      fresh: false,
    });
    // After a release, coming back rebinds the number; a mark made before still counts.
    alloc.mark(poolId, a, first.number!, t0 + 1_007, 'fp one');
    await alloc.release(poolId, a, t0 + 1_008);
    expect(await lease(t0 + 1_009, 'fp one')).toEqual({
      number: first.number,
      outcome: 'rebound',
      fresh: true,
    });
    // Once someone else takes the number, the visitor's binding and mark are gone.
    await alloc.release(poolId, a, t0 + 1_010);
    const b = await alloc.lease(poolId, 'visitor-b-000000001', t0 + 1_011, 60_000, 0, 'fp b', 1_000);
    const c = await alloc.lease(poolId, 'visitor-c-000000001', t0 + 1_012, 60_000, 0, 'fp c', 1_000);
    expect(new Set([b.number, c.number])).toEqual(new Set(['+13125550021', '+13125550022']));
    expect(await lease(t0 + 1_013, 'fp one')).toEqual({ outcome: 'exhausted', fresh: false });
  });

  it('updates the stored session when a renewal brings new attribution', async () => {
    const s = await setup(2);
    const sessions = app.app.get(DniSessionRepository);
    const visitor = sid();
    const lease = (kw: string) => beacon('/dni/v1/lease', { key: s.key, sid: visitor, params: { kw } });
    const first = await lease('cheap');
    expect((await sessions.get(visitor))?.tags).toEqual({ keyword: 'cheap' });
    for (const kw of ['cheap', 'cheap', 'fast', 'fast', 'cheap']) {
      const r = await lease(kw);
      expect(r.body.number).toBe(first.body.number);
      expect((await sessions.get(visitor))?.tags).toEqual({ keyword: kw });
    }
  });

  it('attributes calls by dial click, current holder, previous holder, repeat caller, then source', async () => {
    const s = await setup(2, { cooldownS: 600 });
    const dni = app.app.get(CallAttributionService);
    const v1 = await beacon('/dni/v1/lease', { key: s.key, params: { utm_source: 'fb', fbclid: 'F1' } });
    const v2 = await beacon('/dni/v1/lease', { key: s.key, params: { utm_source: 'bing', msclkid: 'M1' } });
    const caller = '+14155550123';

    const current = await dni.attribute(v1.body.number, caller, new Date());
    expect(current).toMatchObject({
      method: 'current_holder',
      campaignId: s.campaign.id,
      publisherId: s.pool.publisherId,
    });
    expect(current?.session?.sid).toBe(v1.body.sid);
    expect(current?.session?.clickIds.fbclid).toBe('F1');

    await beacon('/dni/v1/click', { key: s.key, sid: v2.body.sid, number: v2.body.number });
    const clicked = await dni.attribute(v2.body.number, '+14155550999', new Date());
    expect(clicked).toMatchObject({ method: 'dial_click', confidence: 0.95 });
    expect(clicked?.session?.sid).toBe(v2.body.sid);

    await beacon('/dni/v1/release', { key: s.key, sid: v1.body.sid });
    const prev = await dni.attribute(v1.body.number, '+14155550124', new Date());
    expect(prev).toMatchObject({ method: 'previous_holder' });
    expect(prev?.session?.sid).toBe(v1.body.sid);

    // The first caller calls the overflow/unknown path later: recognised as a repeat caller.
    const later = await dni.attribute(v1.body.number, caller, new Date(Date.now() + 3_600_000));
    expect(later).toMatchObject({ method: 'repeat_caller' });
    expect(later?.session?.sid).toBe(v1.body.sid);

    const stranger = await dni.attribute(v1.body.number, '+14155550777', new Date(Date.now() + 3_600_000));
    expect(stranger).toMatchObject({ method: 'source_only', confidence: 0.2 });
    expect(stranger?.session).toBeUndefined();
    expect(await dni.attribute('+19998887777', caller, new Date())).toBeUndefined();
  });

  it('copies sessions to ClickHouse dni_session', async () => {
    const s = await setup(5);
    for (let i = 0; i < 4; i++)
      await beacon('/dni/v1/lease', { key: s.key, params: { utm_source: `s${i}` } });
    await app.app.get(DniExportService).flush();
    expect(await app.app.get(DniSessionRepository).countClickHouse(s.tenantId)).toBe(4);
  });

  it('refuses hostile or useless input with clear errors', async () => {
    const s = await setup(2);
    const unknown = await beacon('/dni/v1/lease', { key: 'cmp_nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('DNI_UNKNOWN_KEY');
    expect((await beacon('/dni/v1/lease', '{"key":')).status).toBe(400);
    const many = Object.fromEntries(Array.from({ length: 41 }, (_, i) => [`p${i}`, 'x']));
    const tooMany = await beacon('/dni/v1/lease', { key: s.key, params: many });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toContain('params');
    expect((await beacon('/dni/v1/lease', { key: s.key, page: 'x'.repeat(5000) })).status).toBe(400);
    expect((await beacon('/dni/v1/lease', { key: s.key, sid: 'short' })).status).toBe(400);
    expect((await beacon('/dni/v1/lease', { key: s.key, params: { a: { nested: 1 } } })).status).toBe(400);

    const bot = await beacon(
      '/dni/v1/lease',
      { key: s.key },
      { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1)' },
    );
    expect(bot.body.number).toBeNull();

    await s.operator.patch(`/campaigns/${s.campaign.id}`, { status: 'paused' });
    await new Promise((r) => setTimeout(r, 5_100)); // campaign cache lifetime
    const paused = await beacon('/dni/v1/lease', { key: s.key });
    expect(paused.status).toBe(200);
    expect(paused.body.number).toBeNull();
  });

  it('rate-limits per client IP', async () => {
    const limited = await startTestApp({ DNI_RATE_LIMIT_PER_IP: '5' });
    try {
      const t = await newTenant(limited);
      const c = await t.operator.post('/campaigns', { name: 'rl' });
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const r = await fetch(`${limited.url}/dni/v1/lease`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain', 'x-forwarded-for': '203.0.113.77' },
          body: JSON.stringify({ key: c.body.publicKey }),
        });
        statuses.push(r.status);
      }
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
    } finally {
      await limited.close();
    }
  });

  it('serves pool health only to the tenant', async () => {
    const s = await setup(1);
    const other = await newTenant(app);
    expect((await other.operator.get(`/pools/${s.pool.id}/health`)).status).toBe(404);
    expect((await anon.get(`/pools/${s.pool.id}/health`)).status).toBe(401);
  });
});
