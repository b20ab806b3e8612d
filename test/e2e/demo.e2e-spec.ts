// `npm run demo` end to end on the real stores: the demo seeded into a test app through the API (and
// seeded again without conflicts), its landing page serving the pasted loader, simulated visitors
// leasing numbers through the snippet API and calling through the sandbox carrier, buyers bidding, calls
// bridging and ending with final records and CDR rows, the dashboards answering the demo logins, and a
// clean stop that leaves no live call behind. Calls are shortened to a few seconds.
import type { RunningApp } from '../../src/app.bootstrap';
import { AccountsService } from '../../src/accounts/accounts.service';
import { startDemo, type DemoRun } from '../../src/demo/demo';
import { DemoApi } from '../../src/demo/demo-api';
import { DEMO_BUYERS, DEMO_LOGINS, DEMO_PASSWORD, DEMO_SWAP_NUMBER } from '../../src/demo/demo-cast';
import { seedDemo } from '../../src/demo/demo-seed';
import { startTestApp } from '../support/test-app';
import { eventually } from './telephony-support';

jest.setTimeout(120_000);

describe('the demo (npm run demo) on the real stores', () => {
  let app: RunningApp;
  let run: DemoRun;
  let operator: DemoApi;

  beforeAll(async () => {
    app = await startTestApp({ CDR_DISPATCH_INTERVAL_MS: '200' });
    run = await startDemo(app, {
      options: { callsPerMin: 150, callShare: 0.7, sitePort: 0, durationS: null, traffic: true },
      siteHost: '127.0.0.1',
      conversionSeconds: 2,
      // Calls of a few seconds, so a short run still sees calls end, convert and reach the CDR.
      traffic: {
        talkS: { short: { min: 0.5, max: 1.5 }, long: { min: 3, max: 4 }, longShare: 0.7 },
        setupS: 4,
        thinkS: { min: 0.2, max: 1 },
        browseS: { min: 0.5, max: 2 },
        afterCallS: { min: 0.2, max: 1 },
        impatientShare: 0,
      },
    });
    operator = run.setup.operator;
  });

  afterAll(async () => {
    await run?.stop();
    await app?.close();
  });

  it('seeds the tenant through the API, and seeding again reuses every object', async () => {
    const s = run.setup;
    expect(s.publishers.map((p) => p.spec.name)).toEqual(['Alpha Media', 'Beta Traffic']);
    expect(s.buyers).toHaveLength(6);
    const targets = await Promise.all(s.buyers.map((b) => operator.get(`/targets/${b.targetId}`)));
    expect(targets.filter((t) => t.kind === 'ping_post')).toHaveLength(5);
    expect(targets.find((t) => t.kind === 'static')).toMatchObject({ revenue: '6.00' });
    // The ping targets point at the running sandbox bidders.
    for (const t of targets.filter((x) => x.kind === 'ping_post')) {
      expect(t.ping.url.startsWith(run.bidders.baseUrl)).toBe(true);
    }

    const again = await seedDemo(
      {
        api: new DemoApi(app.url),
        bidders: run.bidders,
        carrier: app.sandbox!,
        createTenant: (n, e, p) => app.app.get(AccountsService).createTenant(n, e, p),
      },
      { numbersPerPool: { alpha: 12, beta: 10 }, conversionSeconds: 2 },
    );
    expect(again.createdTenant).toBe(false);
    expect(again.tenantId).toBe(s.tenantId);
    expect(again.campaign).toEqual(s.campaign);
    expect(again.publishers.map((p) => [p.id, p.poolId])).toEqual(s.publishers.map((p) => [p.id, p.poolId]));
    expect(again.buyers.map((b) => b.targetId)).toEqual(s.buyers.map((b) => b.targetId));
    // Pools only grow: the numbers already there stay.
    for (const [i, p] of again.publishers.entries()) {
      expect(p.numbers).toBe(Math.max(s.publishers[i].numbers, p.spec.key === 'alpha' ? 12 : 10));
    }
    const campaigns = await operator.get('/campaigns');
    expect(campaigns.items.filter((c: any) => c.name === s.campaign.name)).toHaveLength(1);
    const users: Array<{ email: string }> = await operator.get('/users');
    for (const email of [DEMO_LOGINS.operator, ...DEMO_LOGINS.publishers, DEMO_LOGINS.buyer]) {
      expect(users.filter((u) => u.email === email)).toHaveLength(1);
    }
  });

  it('serves the landing page with the loader from the embed endpoint, and dials from it', async () => {
    const page = await fetch(run.landingUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    const embed = await operator.get(`/campaigns/${run.setup.campaign.id}/embed`);
    expect(html).toContain(embed.html);
    expect(html).toContain(run.setup.campaign.publicKey);
    expect(html).toContain('(800) 555-0100');
    expect(html).toContain(`href="tel:${DEMO_SWAP_NUMBER}"`);

    const dial = (body: string) =>
      fetch(`${run.site.url}/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const bad = await dial('{"number":"call me"}');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'INVALID_NUMBER' });
    expect((await dial('not json')).status).toBe(400);
    const ok = await dial(JSON.stringify({ number: '+1 (737) 555-1000' }));
    expect(ok.status).toBe(201);
    const placed = await ok.json();
    expect(placed.to).toBe('+17375551000');
    expect(app.sandbox!.getCall(placed.callControlId)).toMatchObject({ to: '+17375551000' });
  });

  it('sends visitors who lease numbers and call; buyers bid, calls bridge, end and reach the CDR', async () => {
    const traffic = run.traffic!;
    await eventually(async () => (traffic.counters.calls >= 15 ? true : undefined), 60_000, '15 calls');
    expect(traffic.counters.leased).toBeGreaterThanOrEqual(15);
    expect(traffic.counters.clicks).toBeGreaterThan(0);

    // Both publishers' pools handed out numbers through POST /dni/v1/lease.
    for (const p of run.setup.publishers) {
      const health = await operator.get(`/pools/${p.poolId}/health`);
      expect(health.leaseRequests).toBeGreaterThan(0);
    }

    // Final records: attributed to the visit that leased the number, routed to a demo buyer.
    const campaignId = run.setup.campaign.id;
    const targetIds = new Set(run.setup.buyers.map((b) => b.targetId));
    const records = await eventually(
      async () => {
        const r = await operator.get(`/calls?campaignId=${campaignId}&limit=200`);
        const done = (r.items as any[]).filter((c) => c.state === 'completed' && c.converted);
        return done.length >= 5 ? (r.items as any[]) : undefined;
      },
      60_000,
      'five converted calls',
    );
    const publisherIds = new Set(run.setup.publishers.map((p) => p.id));
    for (const c of records) {
      expect(publisherIds.has(c.publisherId)).toBe(true);
      expect(c.trackingNumber).toMatch(/^\+1737555[12]\d{3}$/);
    }
    const attributed = records.filter((c) => ['dial_click', 'current_holder'].includes(c.attributionMethod));
    expect(attributed.length).toBeGreaterThan(records.length / 2);
    for (const c of attributed) {
      expect(c.dniSessionId).toBeTruthy();
      expect(c.tags.landing_page.startsWith(run.site.url)).toBe(true);
    }
    expect(attributed.some((c) => c.tags.utm_source === 'google' && c.tags.gclid)).toBe(true);
    const converted = records.filter((c) => c.converted);
    for (const c of converted) {
      expect(targetIds.has(c.targetId)).toBe(true);
      expect(Number(c.revenue)).toBeGreaterThan(0);
      expect(c.talkMs).toBeGreaterThanOrEqual(2000);
    }

    // The buyers were pinged, and the platform logged their bids.
    const pings = DEMO_BUYERS.filter((b) => b.bidder).map((b) => run.bidders.stats(b.key)?.pings ?? 0);
    expect(pings.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const apex = run.setup.buyers.find((b) => b.spec.key === 'apex')!;
    await eventually(
      async () =>
        (await operator.get(`/buyers/${apex.buyerId}/bid-stats`)).totals.pings > 0 ? true : undefined,
      20_000,
      "Apex's bid log",
    );

    // One CDR row per finished call, in ClickHouse, with the visit's UTM source and the auction's figures.
    const cdr = await eventually(
      async () => {
        const r = await operator.get(`/reports/calls?limit=500&filter.campaign=${campaignId}`);
        return (r.items as any[]).filter((x) => x.converted).length >= 5 ? (r.items as any[]) : undefined;
      },
      30_000,
      'CDR rows',
    );
    expect(cdr.some((x) => x.utm_source === 'google')).toBe(true);
    expect(cdr.some((x) => x.auction_bids > 0 && x.winning_bid)).toBe(true);
    for (const x of cdr.filter((r) => r.connected)) expect(x.buyer_name).toBeTruthy();
    const report = await operator.get(
      `/reports?groupBy=utm_source&metrics=calls,converted,revenue&filter.campaign=${campaignId}&totals=true`,
    );
    expect(report.totals.converted).toBeGreaterThanOrEqual(5);
    expect(report.rows.map((r: any) => r.utm_source)).toContain('google');
  });

  it('lets the demo logins into their dashboards', async () => {
    const api = new DemoApi(app.url);
    const page = async (email: string, path: string) => {
      const cookie = await api.login(email, DEMO_PASSWORD);
      expect(cookie).toBeTruthy();
      const r = await api.withCookie(cookie!).send('GET', path);
      expect(r.status).toBe(200);
      return String(r.body);
    };
    expect(await page(DEMO_LOGINS.operator, '/dashboard/overview')).toContain('Alpha Media');
    const live = await api
      .withCookie((await api.login(DEMO_LOGINS.operator, DEMO_PASSWORD))!)
      .get('/dashboard/live.json');
    expect(Array.isArray(live.items)).toBe(true);
    // A publisher sees its own visitors' calls only: its landing pages carry its own cb_pub id.
    const [alphaPub, betaPub] = run.setup.publishers;
    const alpha = await page(DEMO_LOGINS.publishers[0], '/dashboard/publisher');
    expect(alpha).toContain(run.setup.campaign.name);
    expect(alpha).toContain(alphaPub.id);
    expect(alpha).not.toContain(betaPub.id);
    expect(await page(DEMO_LOGINS.buyer, '/dashboard/buyer')).toContain('Apex Auto Insurance');
    expect(await api.login(DEMO_LOGINS.operator, 'not the password')).toBeUndefined();
  });

  it('stops cleanly: no new visitors, every call hung up and finalised', async () => {
    const { stillLive } = await run.stop();
    expect(stillLive).toBe(0);
    const visitors = run.traffic!.counters.visitors;
    const live = await operator.get('/calls/live');
    expect(live.total).toBe(0);
    expect(app.sandbox!.calls({ state: 'active' })).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 1500));
    expect(run.traffic!.counters.visitors).toBe(visitors);
    expect((await fetch(run.landingUrl).catch(() => null))?.status).toBeUndefined();
  });
});
