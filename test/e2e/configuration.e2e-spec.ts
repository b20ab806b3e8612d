// The configuration API as an operator uses it, and what publishers may and may not see.
import { RunningApp } from '../../src/app.bootstrap';
import { Http, newTenant, startTestApp, uniqueNumber } from '../support/test-app';

describe('configuration API: campaigns, publishers, pools and numbers', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  async function seed(op: Http) {
    const campaign = await op.post('/campaigns', {
      name: 'Auto insurance',
      vertical: 'insurance',
      floorPrice: '5.5',
      auctionDeadlineMs: 1200,
      swapNumbers: ['(800) 555-0100'],
      paramTags: { kw: 'keyword' },
    });
    expect(campaign.status).toBe(201);
    const pubA = await op.post('/publishers', { name: 'A', payoutType: 'fixed', payoutAmount: '12.5' });
    const pubB = await op.post('/publishers', {
      name: 'B',
      payoutType: 'percent',
      payoutPercent: '60',
      payoutMin: '5',
      payoutMax: '40',
    });
    expect(pubA.status).toBe(201);
    expect(pubB.status).toBe(201);
    const pool = await op.post('/pools', {
      campaignId: campaign.body.id,
      publisherId: pubA.body.id,
      name: 'A pool',
      kind: 'session',
      overflowNumber: '+1 (212) 555-0199',
    });
    expect(pool.status).toBe(201);
    const wanted = [uniqueNumber(), uniqueNumber()];
    // the first one written the way people type it
    const typed = wanted[0].replace(/^\+1(\d{3})(\d{3})(\d{4})$/, '($1) $2-$3');
    const numbers = await op.post(`/pools/${pool.body.id}/numbers`, { numbers: [typed, wanted[1]] });
    expect(numbers.status).toBe(201);
    return {
      campaign: campaign.body,
      pubA: pubA.body,
      pubB: pubB.body,
      pool: pool.body,
      numbers: numbers.body,
      wanted,
    };
  }

  it('creates and reads back a campaign, publishers, a pool and numbers, normalised', async () => {
    const t = await newTenant(app);
    const s = await seed(t.operator);
    expect(s.campaign).toMatchObject({
      floorPrice: '5.50',
      swapNumbers: ['+18005550100'],
      status: 'active',
      callerIdPolicy: 'masked',
    });
    expect(s.campaign.publicKey).toMatch(/^cmp_/);
    expect(s.pubA).toMatchObject({ payoutType: 'fixed', payoutAmount: '12.50' });
    expect(s.pool).toMatchObject({ kind: 'session', overflowNumber: '+12125550199', leaseIdleS: 300 });
    expect(s.numbers.map((n: { number: string }) => n.number).sort()).toEqual([...s.wanted].sort());

    const read = await t.operator.get(`/campaigns/${s.campaign.id}`);
    expect(read.body).toEqual(s.campaign);
    const patched = await t.operator.patch(`/campaigns/${s.campaign.id}`, {
      status: 'paused',
      floorPrice: '7',
    });
    expect(patched.body).toMatchObject({ status: 'paused', floorPrice: '7.00', name: 'Auto insurance' });
    const list = await t.operator.get('/pools/' + s.pool.id + '/numbers?limit=1');
    expect(list.body).toMatchObject({ total: 2, limit: 1, page: 1 });
    expect(list.body.items).toHaveLength(1);
  });

  it('rejects bad configuration with a code and the field name', async () => {
    const t = await newTenant(app);
    const op = t.operator;
    const cases: [string, unknown, string][] = [
      ['/campaigns', { name: 'x', floorPrice: 5.5 }, 'floorPrice'],
      ['/campaigns', { name: 'x', floorPrice: '1.23456' }, 'floorPrice'],
      ['/campaigns', { name: 'x', auctionDeadlineMs: 50 }, 'auctionDeadlineMs'],
      ['/campaigns', { name: 'x', swapNumbers: ['555'] }, 'swapNumbers'],
      ['/campaigns', { name: 'x', paramTags: { kw: 'bad tag!' } }, 'paramTags'],
      ['/publishers', { name: 'x', payoutType: 'fixed' }, 'payoutAmount'],
      ['/publishers', { name: 'x', payoutType: 'percent', payoutPercent: '150' }, 'payoutPercent'],
      [
        '/publishers',
        { name: 'x', payoutType: 'percent', payoutPercent: '10', payoutMin: '9', payoutMax: '1' },
        'payoutMin',
      ],
    ];
    for (const [path, body, field] of cases) {
      const res = await op.post(path, body);
      expect({ path, field, status: res.status, code: res.body.code }).toEqual({
        path,
        field,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
      expect(res.body.message).toContain(field);
    }
    const pool = await op.post('/pools', {
      campaignId: '00000000-0000-4000-8000-000000000000',
      name: 'p',
      kind: 'session',
    });
    expect(pool.status).toBe(404);
  });

  it('refuses a number that is already tracked', async () => {
    const t = await newTenant(app);
    const s = await seed(t.operator);
    const again = await t.operator.post(`/pools/${s.pool.id}/numbers`, { numbers: [s.wanted[0]] });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('NUMBER_TAKEN');
  });

  it("keeps a publisher's key to its own publisher and pools", async () => {
    const t = await newTenant(app);
    const s = await seed(t.operator);
    const keyA = await t.operator.post('/api-keys', {
      name: 'pub A',
      role: 'publisher',
      publisherId: s.pubA.id,
    });
    expect(keyA.status).toBe(201);
    const a = new Http(app.url).withKey(keyA.body.key);

    expect((await a.get(`/publishers/${s.pubA.id}`)).status).toBe(200);
    expect((await a.get(`/publishers/${s.pubB.id}`)).status).toBe(404);
    const list = await a.get('/publishers');
    expect(list.body.items.map((p: { id: string }) => p.id)).toEqual([s.pubA.id]);
    expect((await a.get(`/pools/${s.pool.id}`)).status).toBe(200);
    expect((await a.get('/campaigns')).status).toBe(403);
    expect((await a.post('/publishers', { name: 'x', payoutType: 'fixed', payoutAmount: '1' })).status).toBe(
      403,
    );

    const poolB = await t.operator.post('/pools', {
      campaignId: s.campaign.id,
      publisherId: s.pubB.id,
      name: 'B',
      kind: 'static',
    });
    expect((await a.get(`/pools/${poolB.body.id}`)).status).toBe(404);
    expect((await a.get(`/pools/${poolB.body.id}/numbers`)).status).toBe(404);
  });

  it("answers 404 for another tenant's objects", async () => {
    const t1 = await newTenant(app);
    const t2 = await newTenant(app);
    const s = await seed(t1.operator);
    for (const path of [
      `/campaigns/${s.campaign.id}`,
      `/publishers/${s.pubA.id}`,
      `/pools/${s.pool.id}`,
      `/pools/${s.pool.id}/numbers`,
    ]) {
      expect({ path, status: (await t2.operator.get(path)).status }).toEqual({ path, status: 404 });
    }
    expect((await t2.operator.patch(`/numbers/${s.numbers[0].id}`, { status: 'inactive' })).status).toBe(404);
    expect((await t2.operator.delete(`/campaigns/${s.campaign.id}`)).status).toBe(404);
  });
});
