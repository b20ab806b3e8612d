// Buyers and targets as an operator, a buyer and a publisher meet them, on the real stores: create and
// read back static and ping/post targets, refuse bad configuration with a message naming the field,
// and keep each buyer and tenant to its own objects.
import { DataSource } from 'typeorm';
import { RunningApp } from '../../src/app.bootstrap';
import { Http, newTenant, startTestApp } from '../support/test-app';

const NIL_UUID = '00000000-0000-4000-8000-000000000000';

const pingTarget = (campaignIds: string[] = []) => ({
  name: 'Acme RTB',
  kind: 'ping_post',
  priority: 2,
  weight: 50,
  conversionSeconds: 90,
  ringTimeoutS: 25,
  concurrencyCap: 5,
  cacheWindowS: 60,
  caps: { calls: { hour: 10, day: 100 }, conversions: { total: 1000 }, revenue: { day: '2500.5' } },
  schedule: {
    timezone: 'America/New_York',
    windows: [
      { days: [5, 1, 2, 3, 4], start: '09:00', end: '17:00' },
      { days: [6], start: '22:00', end: '06:00' },
    ],
  },
  filters: [
    { tag: 'caller_state', op: 'in', values: ['CA', 'NY'] },
    { tag: 'caller_zip', op: 'regex', value: '^1\\d{4}$' },
    { tag: 'loan_amount', op: 'gte', value: '10000' },
  ],
  destination: 'sip:fallback@pbx.example.com',
  campaignIds,
  ping: {
    url: 'https://buyer.example.com/ping?zip={{caller_zip}}',
    method: 'POST',
    headers: { Authorization: 'Bearer abc', 'X-Source': 'callbid' },
    bodyTemplate: '{"caller_state":"{{caller_state}}","zip":"{{caller_zip}}"}',
    contentType: 'application/json',
    timeoutMs: 1500,
    parse: {
      accepted: { path: 'data.accepted', value: 'true' },
      bid: { path: 'data.bid' },
      destination: { path: 'data.phone', regex: '^(\\+?\\d+)$' },
      bidId: { path: 'data.bidId' },
      expiry: { path: 'data.expireInSeconds', unit: 'seconds' },
      requiredTalkSeconds: { path: 'data["call length"]' },
    },
    confirm: {
      url: 'https://buyer.example.com/confirm',
      bodyTemplate: '{"bid_id":"{{bid_id}}"}',
      timeoutMs: 800,
      acceptPath: 'status',
      acceptValue: 'confirmed',
    },
  },
});

const staticTarget = {
  name: 'Acme call centre',
  kind: 'static',
  destination: '(212) 555-0123',
  revenue: '35',
};

describe('buyers and targets (real PostgreSQL, Redis, ClickHouse)', () => {
  let app: RunningApp;
  let http: Http;

  beforeAll(async () => {
    app = await startTestApp();
    http = new Http(app.url);
  });
  afterAll(async () => {
    await app?.close();
  });

  async function buyerWithKey(operator: Http, name: string) {
    const buyer = await operator.post('/buyers', { name });
    expect(buyer.status).toBe(201);
    const key = await operator.post('/api-keys', {
      name: `${name} key`,
      role: 'buyer',
      buyerId: buyer.body.id,
    });
    expect(key.status).toBe(201);
    return { id: buyer.body.id as string, http: http.withKey(key.body.key) };
  }

  it('lets an operator create a buyer with a ping/post and a static target and read them back', async () => {
    const t = await newTenant(app);
    const campaign = await t.operator.post('/campaigns', { name: 'Auto insurance' });
    expect(campaign.status).toBe(201);

    const buyer = await t.operator.post('/buyers', { name: 'Acme' });
    expect(buyer.status).toBe(201);
    expect(buyer.body).toMatchObject({ name: 'Acme', status: 'active' });

    const ping = await t.operator.post(`/buyers/${buyer.body.id}/targets`, pingTarget([campaign.body.id]));
    expect(ping.status).toBe(201);
    const stat = await t.operator.post(`/buyers/${buyer.body.id}/targets`, staticTarget);
    expect(stat.status).toBe(201);

    const readPing = await t.operator.get(`/targets/${ping.body.id}`);
    expect(readPing.status).toBe(200);
    expect(readPing.body).toMatchObject({
      buyerId: buyer.body.id,
      kind: 'ping_post',
      status: 'active',
      destination: 'sip:fallback@pbx.example.com',
      revenue: null,
      priority: 2,
      weight: 50,
      conversionSeconds: 90,
      ringTimeoutS: 25,
      concurrencyCap: 5,
      cacheWindowS: 60,
      caps: { calls: { hour: 10, day: 100 }, conversions: { total: 1000 }, revenue: { day: '2500.50' } },
      campaignIds: [campaign.body.id],
    });
    expect(readPing.body.schedule.windows[0].days).toEqual([1, 2, 3, 4, 5]);
    expect(readPing.body.filters).toEqual(pingTarget().filters);
    expect(readPing.body.ping).toEqual({
      ...pingTarget().ping,
      confirm: { ...pingTarget().ping.confirm, method: 'POST', headers: {}, contentType: 'application/json' },
    });

    const readStatic = await t.operator.get(`/targets/${stat.body.id}`);
    expect(readStatic.body).toMatchObject({
      kind: 'static',
      destination: '+12125550123',
      revenue: '35.00',
      priority: 1,
      weight: 1,
      ringTimeoutS: 30,
      conversionSeconds: null,
      concurrencyCap: null,
      schedule: null,
      filters: [],
      caps: {},
      ping: null,
      campaignIds: [],
    });

    const list = await t.operator.get(`/buyers/${buyer.body.id}/targets`);
    expect(list.body).toMatchObject({ page: 1, limit: 50, total: 2 });
    expect(list.body.items.map((x: { id: string }) => x.id).sort()).toEqual(
      [ping.body.id, stat.body.id].sort(),
    );
    const byCampaign = await t.operator.get(`/targets?campaignId=${campaign.body.id}`);
    expect(byCampaign.body.items.map((x: { id: string }) => x.id)).toEqual([ping.body.id]);
    const buyers = await t.operator.get('/buyers?limit=1');
    expect(buyers.body).toMatchObject({ page: 1, limit: 1, total: 1, items: [{ id: buyer.body.id }] });
  });

  it('changes a target with PATCH, checking the merged result, and archives on DELETE', async () => {
    const t = await newTenant(app);
    const buyer = await t.operator.post('/buyers', { name: 'Patchable' });
    const target = await t.operator.post(`/buyers/${buyer.body.id}/targets`, {
      ...staticTarget,
      schedule: { timezone: 'Europe/Paris', windows: [{ days: [1], start: '08:00', end: '12:00' }] },
    });
    const url = `/targets/${target.body.id}`;

    const patched = await t.operator.patch(url, { revenue: '40.1', schedule: null, priority: 3 });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      revenue: '40.10',
      schedule: null,
      priority: 3,
      name: staticTarget.name,
    });

    const nullName = await t.operator.patch(url, { name: null });
    expect(nullName.status).toBe(400);
    expect(nullName.body.message).toContain('name');

    // Becoming ping_post needs a ping spec, and the static revenue no longer fits once a bid path exists.
    const noPing = await t.operator.patch(url, { kind: 'ping_post' });
    expect(noPing.status).toBe(400);
    expect(noPing.body.message).toContain('ping: required for a ping_post target');
    const switched = await t.operator.patch(url, {
      kind: 'ping_post',
      revenue: null,
      ping: { url: 'https://b.example.com/p', parse: { bid: { path: 'bid' } } },
    });
    expect(switched.status).toBe(200);
    expect(switched.body.ping).toMatchObject({ method: 'POST', timeoutMs: 2000, confirm: null, headers: {} });

    expect((await t.operator.delete(url)).status).toBe(204);
    expect((await t.operator.get(url)).body.status).toBe('archived');
    expect((await t.operator.delete(`/buyers/${buyer.body.id}`)).status).toBe(204);
    expect((await t.operator.get(`/buyers/${buyer.body.id}`)).body.status).toBe('archived');
    const archived = await t.operator.get('/buyers?status=archived');
    expect(archived.body.total).toBe(1);
  });

  describe('refuses bad configuration with 400 and a message naming the field', () => {
    let operator: Http;
    let buyerId: string;
    beforeAll(async () => {
      const t = await newTenant(app);
      operator = t.operator;
      buyerId = (await operator.post('/buyers', { name: 'Validation' })).body.id;
    });

    const cases: [string, () => object, string, string?][] = [
      ['an invalid E.164 destination', () => ({ ...staticTarget, destination: '+1 000 000' }), 'destination'],
      [
        'a regex that does not compile',
        () => ({ ...staticTarget, filters: [{ tag: 'caller_zip', op: 'regex', value: '([0-9' }] }),
        'filters.0.value',
      ],
      [
        'a catastrophic regex',
        () => ({ ...staticTarget, filters: [{ tag: 'x', op: 'regex', value: '(a+)+$' }] }),
        'filters.0.value',
      ],
      [
        'a numeric filter on a non-number',
        () => ({ ...staticTarget, filters: [{ tag: 'loan_amount', op: 'gt', value: 'lots' }] }),
        'filters.0.value',
      ],
      [
        'an unknown IANA time zone',
        () => ({
          ...staticTarget,
          schedule: {
            timezone: 'America/Springfield',
            windows: [{ days: [1], start: '09:00', end: '17:00' }],
          },
        }),
        'schedule.timezone',
      ],
      [
        'a bad schedule time',
        () => ({
          ...staticTarget,
          schedule: { timezone: 'UTC', windows: [{ days: [8], start: '9am', end: '17:00' }] },
        }),
        'schedule.windows.0.start',
      ],
      [
        'a Handlebars body that does not compile',
        () => ({
          ...pingTarget(),
          ping: { ...pingTarget().ping, bodyTemplate: '{"zip":"{{#if caller_zip}}"}' },
        }),
        'ping.bodyTemplate',
      ],
      [
        'a confirm body with an unknown helper',
        () => ({
          ...pingTarget(),
          ping: {
            ...pingTarget().ping,
            confirm: { url: 'https://b.example.com/c', bodyTemplate: '{{json x}}' },
          },
        }),
        'ping.confirm.bodyTemplate',
      ],
      [
        'an out-of-range ping timeout',
        () => ({ ...pingTarget(), ping: { ...pingTarget().ping, timeoutMs: 20000 } }),
        'ping.timeoutMs',
      ],
      ['revenue as a JSON number', () => ({ ...staticTarget, revenue: 12.5 }), 'revenue'],
      ['revenue above the limit', () => ({ ...staticTarget, revenue: '100000.01' }), 'revenue'],
      ['negative revenue', () => ({ ...staticTarget, revenue: '-1' }), 'revenue'],
      [
        'a money cap as a number',
        () => ({ ...staticTarget, caps: { revenue: { day: 100 } } }),
        'caps.revenue.day',
      ],
      ['a fractional call cap', () => ({ ...staticTarget, caps: { calls: { day: 1.5 } } }), 'caps.calls.day'],
      [
        'an unknown nested field',
        () => ({
          ...pingTarget(),
          ping: { ...pingTarget().ping, parse: { bid: { path: 'bid', default: '1' } } },
        }),
        'ping.parse.bid.default',
      ],
      [
        'an unknown field in caps',
        () => ({ ...staticTarget, caps: { calls: { week: 3 } } }),
        'caps.calls.week',
      ],
      [
        'a non-http ping URL',
        () => ({ ...pingTarget(), ping: { ...pingTarget().ping, url: 'ftp://buyer.example.com/x' } }),
        'ping.url',
      ],
      [
        'a template in the ping host',
        () => ({ ...pingTarget(), ping: { ...pingTarget().ping, url: 'https://{{host}}/x' } }),
        'ping.url',
      ],
      [
        'a bad JSON path',
        () => ({ ...pingTarget(), ping: { ...pingTarget().ping, parse: { bid: { path: 'data..bid' } } } }),
        'ping.parse.bid.path',
      ],
      [
        'a header with a bad name',
        () => ({ ...pingTarget(), ping: { ...pingTarget().ping, headers: { 'Bad Header': 'x' } } }),
        'ping.headers',
      ],
      [
        'too many headers',
        () => ({
          ...pingTarget(),
          ping: {
            ...pingTarget().ping,
            headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, 'v'])),
          },
        }),
        'ping.headers',
      ],
      [
        'a ping without parse rules',
        () => ({ ...pingTarget(), ping: { url: 'https://buyer.example.com/ping' } }),
        'ping.parse',
      ],
      [
        'a static target without a destination',
        () => ({ ...staticTarget, destination: undefined }),
        'destination',
      ],
      ['a static target with a ping spec', () => ({ ...staticTarget, ping: pingTarget().ping }), 'ping'],
      ['a ping_post target without ping', () => ({ ...pingTarget(), ping: undefined }), 'ping'],
      [
        'a GET ping with a body',
        () => ({ ...pingTarget(), ping: { ...pingTarget().ping, method: 'GET' } }),
        'ping.bodyTemplate',
      ],
      ['priority out of range', () => ({ ...staticTarget, priority: 101 }), 'priority'],
      [
        'more than 50 filters',
        () => ({ ...staticTarget, filters: Array(51).fill({ tag: 'a', op: 'exists' }) }),
        'filters',
      ],
      ['a campaign id that is not a uuid', () => ({ ...staticTarget, campaignIds: ['abc'] }), 'campaignIds'],
    ];

    it.each(cases)('%s', async (_label, body, field) => {
      const res = await operator.post(`/buyers/${buyerId}/targets`, body());
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.message).toContain(`${field}:`);
    });

    it('refuses a campaign of another tenant or one that does not exist', async () => {
      const other = await newTenant(app);
      const foreign = await other.operator.post('/campaigns', { name: 'Theirs' });
      for (const id of [foreign.body.id, NIL_UUID]) {
        const res = await operator.post(`/buyers/${buyerId}/targets`, { ...staticTarget, campaignIds: [id] });
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('CAMPAIGN_NOT_FOUND');
        expect(res.body.message).toContain(`campaignIds: no campaign ${id}`);
      }
      const count: { n: string }[] = await app.app
        .get(DataSource)
        .query('SELECT count(*) AS n FROM campaign_targets WHERE campaign_id = $1', [foreign.body.id]);
      expect(count[0].n).toBe('0');
    });
  });

  it('lets a buyer key read only its own buyer and targets', async () => {
    const t = await newTenant(app);
    const mine = await buyerWithKey(t.operator, 'Mine');
    const theirs = await buyerWithKey(t.operator, 'Theirs');
    const myTarget = await t.operator.post(`/buyers/${mine.id}/targets`, staticTarget);
    const theirTarget = await t.operator.post(`/buyers/${theirs.id}/targets`, staticTarget);

    expect((await mine.http.get(`/buyers/${mine.id}`)).body).toMatchObject({ id: mine.id, name: 'Mine' });
    expect((await mine.http.get(`/targets/${myTarget.body.id}`)).status).toBe(200);
    const ownList = await mine.http.get(`/buyers/${mine.id}/targets`);
    expect(ownList.body.items.map((x: { id: string }) => x.id)).toEqual([myTarget.body.id]);
    const allTargets = await mine.http.get('/targets');
    expect(allTargets.body.items.map((x: { id: string }) => x.id)).toEqual([myTarget.body.id]);
    const buyers = await mine.http.get('/buyers');
    expect(buyers.body).toMatchObject({ total: 1, items: [{ id: mine.id }] });

    expect((await mine.http.get(`/buyers/${theirs.id}`)).status).toBe(404);
    expect((await mine.http.get(`/buyers/${theirs.id}/targets`)).status).toBe(404);
    expect((await mine.http.get(`/targets/${theirTarget.body.id}`)).status).toBe(404);
    expect((await mine.http.get(`/targets?buyerId=${theirs.id}`)).body.total).toBe(0);

    // Reading is all a buyer key may do, even on its own objects.
    expect((await mine.http.patch(`/buyers/${mine.id}`, { name: 'x' })).status).toBe(403);
    expect((await mine.http.post(`/buyers/${mine.id}/targets`, staticTarget)).status).toBe(403);
    expect((await mine.http.patch(`/targets/${myTarget.body.id}`, { priority: 1 })).status).toBe(403);
    expect((await mine.http.delete(`/targets/${myTarget.body.id}`)).status).toBe(403);
    expect((await mine.http.post('/buyers', { name: 'new' })).status).toBe(403);
  });

  it('refuses publisher keys with 403', async () => {
    const t = await newTenant(app);
    const buyer = await t.operator.post('/buyers', { name: 'B' });
    const target = await t.operator.post(`/buyers/${buyer.body.id}/targets`, staticTarget);
    const publisher = await t.operator.post('/publishers', {
      name: 'P',
      payoutType: 'fixed',
      payoutAmount: '10',
    });
    expect(publisher.status).toBe(201);
    const key = await t.operator.post('/api-keys', {
      name: 'pub',
      role: 'publisher',
      publisherId: publisher.body.id,
    });
    const pub = http.withKey(key.body.key);
    for (const path of [
      '/buyers',
      `/buyers/${buyer.body.id}`,
      `/buyers/${buyer.body.id}/targets`,
      '/targets',
    ]) {
      expect((await pub.get(path)).status).toBe(403);
    }
    expect((await pub.get(`/targets/${target.body.id}`)).status).toBe(403);
    expect((await pub.post('/buyers', { name: 'x' })).status).toBe(403);
  });

  it("answers 404 for another tenant's buyers and targets", async () => {
    const a = await newTenant(app);
    const b = await newTenant(app);
    const buyer = await a.operator.post('/buyers', { name: 'A only' });
    const target = await a.operator.post(`/buyers/${buyer.body.id}/targets`, staticTarget);
    expect((await b.operator.get(`/buyers/${buyer.body.id}`)).status).toBe(404);
    expect((await b.operator.patch(`/buyers/${buyer.body.id}`, { name: 'mine now' })).status).toBe(404);
    expect((await b.operator.delete(`/buyers/${buyer.body.id}`)).status).toBe(404);
    expect((await b.operator.get(`/buyers/${buyer.body.id}/targets`)).status).toBe(404);
    expect((await b.operator.post(`/buyers/${buyer.body.id}/targets`, staticTarget)).status).toBe(404);
    expect((await b.operator.get(`/targets/${target.body.id}`)).status).toBe(404);
    expect((await b.operator.patch(`/targets/${target.body.id}`, { priority: 9 })).status).toBe(404);
    expect((await b.operator.delete(`/targets/${target.body.id}`)).status).toBe(404);
    expect((await b.operator.get('/targets')).body.total).toBe(0);
    expect((await b.operator.get('/buyers')).body.total).toBe(0);
    // Nothing changed for the owner.
    expect((await a.operator.get(`/targets/${target.body.id}`)).body).toMatchObject({
      status: 'active',
      priority: 1,
    });
  });

  it('documents the routes and shapes in OpenAPI', async () => {
    const docs = await http.get('/docs/json');
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining([
        '/buyers',
        '/buyers/{id}',
        '/buyers/{buyerId}/targets',
        '/targets',
        '/targets/{id}',
      ]),
    );
    const schemas = docs.body.components.schemas;
    expect(Object.keys(schemas.CreateTargetDto.properties)).toEqual(
      expect.arrayContaining([
        'kind',
        'destination',
        'revenue',
        'ping',
        'caps',
        'schedule',
        'filters',
        'campaignIds',
      ]),
    );
    expect(Object.keys(schemas.PingRequestDto.properties)).toEqual(
      expect.arrayContaining([
        'url',
        'method',
        'headers',
        'bodyTemplate',
        'contentType',
        'timeoutMs',
        'parse',
        'confirm',
      ]),
    );
    expect(Object.keys(schemas.ParseRulesDto.properties)).toEqual(
      expect.arrayContaining(['accepted', 'bid', 'destination', 'bidId', 'expiry', 'requiredTalkSeconds']),
    );
  });
});
