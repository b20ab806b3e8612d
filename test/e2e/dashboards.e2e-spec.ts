/// <reference lib="dom" />
// The dashboards in a real browser (Debian's chromium through playwright-core) against the running
// service with sandbox traffic: sign in, the operator overview picks up new calls within seconds with
// numbers, a chart and live calls; a publisher sees only its own calls (callers masked); a buyer its
// won calls; CSV buttons download the report. Screenshots go to test-artifacts/.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import type { RunningApp } from '../../src/app.bootstrap';
import type { SandboxCarrier } from '../../src/sandbox/carrier';
import { Http, newTenant, startTestApp, uniqueNumber } from '../support/test-app';
import { callerNumber, eventually, waitForRecord } from './telephony-support';

const root = join(__dirname, '..', '..');
const artifacts = join(root, 'test-artifacts');
const TZ = 'America/Chicago';

interface Side {
  publisher: { id: string; name: string };
  numbers: string[];
  campaign: { id: string; publicKey: string; name: string };
}

describe('dashboards in a browser', () => {
  let app: RunningApp;
  let carrier: SandboxCarrier;
  let browser: Browser;
  let op: Http;
  let email = '';
  let password = '';
  let alpha: Side;
  let beta: Side;
  let buyer: { id: string; destination: string };

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    app = await startTestApp({ DNI_RATE_LIMIT_PER_IP: '1000000', CDR_DISPATCH_INTERVAL_MS: '300' });
    carrier = app.sandbox!;
    const t = await newTenant(app);
    op = t.operator;
    email = t.email;
    password = t.password;
    const ok = async (path: string, body: object) => {
      const r = await op.post(path, body);
      if (r.status !== 201) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const b = await ok('/buyers', { name: 'Acme Insurance' });
    const side = async (name: string, campaignName: string): Promise<Side> => {
      const campaign = await ok('/campaigns', { name: campaignName, conversionSeconds: 1 });
      const publisher = await ok('/publishers', { name, payoutType: 'fixed', payoutAmount: '12.5' });
      const pool = await ok('/pools', {
        campaignId: campaign.id,
        publisherId: publisher.id,
        name,
        kind: 'session',
      });
      const numbers = Array.from({ length: 6 }, uniqueNumber);
      await ok(`/pools/${pool.id}/numbers`, { numbers });
      return { publisher, numbers, campaign };
    };
    alpha = await side('Alpha Media', 'Auto leads');
    beta = await side('Beta Traffic', 'Home leads');
    const target = await ok(`/buyers/${b.id}/targets`, {
      name: 'Acme call center',
      kind: 'static',
      destination: uniqueNumber(),
      revenue: '40',
      campaignIds: [alpha.campaign.id, beta.campaign.id],
    });
    buyer = { id: b.id, destination: target.destination };
    await ok('/users', {
      email: `pub-${t.tenantId}@example.com`,
      password: 'publisher password',
      role: 'publisher',
      publisherId: alpha.publisher.id,
    });
    await ok('/users', {
      email: `buy-${t.tenantId}@example.com`,
      password: 'buyer password 1',
      role: 'buyer',
      buyerId: b.id,
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function signIn(who: string, pw: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      timezoneId: TZ,
      acceptDownloads: true,
      viewport: { width: 1400, height: 1000 },
    });
    const page = await context.newPage();
    await page.goto(`${app.url}/dashboard`);
    await page.waitForURL(/\/login\?next=/);
    await page.fill('#email', who);
    await page.fill('#password', pw);
    await page.click('button[type=submit]');
    await page
      .waitForURL(/\/dashboard\/(overview|publisher|buyer)\?.*tz=/, { timeout: 5000 })
      .catch(async (e) => {
        console.log(page.url(), (await page.content()).slice(0, 3000));
        throw e;
      });
    return { context, page };
  }

  const card = (page: Page, label: string) => page.textContent(`.card[data-card="${label}"] .value`);

  async function placeCalls(side: Side, source: string, count: number) {
    const calls = [];
    for (let i = 0; i < count; i++) {
      const lease = await fetch(`${app.url}/dni/v1/lease`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
        body: JSON.stringify({
          key: side.campaign.publicKey,
          page: `https://lp.example.com/${source}?utm_source=${source}`,
          params: { utm_source: source, utm_term: `${source} keyword` },
        }),
      });
      const { number } = (await lease.json()) as { number: string };
      calls.push(carrier.placeInboundCall({ from: callerNumber(), to: number }));
    }
    return calls;
  }

  it('signs in, shows sandbox calls on the overview within seconds, with a chart, live calls and CSV', async () => {
    const wrong = await browser.newPage();
    await wrong.goto(`${app.url}/login`);
    await wrong.fill('#email', email);
    await wrong.fill('#password', 'not the password');
    await wrong.click('button[type=submit]');
    await wrong.waitForSelector('#login-error:not([hidden])');
    expect(await wrong.textContent('#login-error')).toContain('Wrong email or password');
    await wrong.close();

    const { context, page } = await signIn(email, password);
    expect(page.url()).toContain(`tz=${encodeURIComponent(TZ)}`);
    expect(await card(page, 'Calls')).toBe('0');

    carrier.setDestinationBehaviour(buyer.destination, { mode: 'answer', answerAfterMs: 100, talkMs: 1_200 });
    const calls = [...(await placeCalls(alpha, 'google', 3)), ...(await placeCalls(beta, 'bing', 2))];
    for (const c of calls) await carrier.waitForCallEnd(c.callControlId, 15_000);
    const ended = Date.now();
    // A call still up shows in the live table, refreshed without a reload.
    carrier.setDestinationBehaviour(buyer.destination, { mode: 'answer', answerAfterMs: 100, talkMs: 8_000 });
    const longCall = (await placeCalls(alpha, 'google', 1))[0];
    await page.waitForFunction(() => Number(document.querySelector('#live-count')?.textContent) >= 1, null, {
      timeout: 10_000,
    });
    expect(await page.textContent('#live-calls tbody')).toContain('Auto leads');

    // The numbers: reload until the finished calls are in (the CDR export runs in the background).
    await eventually(
      async () => {
        await page.reload();
        return (await card(page, 'Calls')) === '5' ? true : undefined;
      },
      15_000,
      'the overview to count 5 calls',
    );
    const seconds = (Date.now() - ended) / 1000;
    expect(seconds).toBeLessThan(10);
    expect(await card(page, 'Converted')).toBe('5');
    expect(await card(page, 'Revenue')).toBe('200.00');
    expect(await card(page, 'Payout')).toBe('62.50');
    await page.waitForSelector('canvas#chart-series[data-rendered="4"]');
    const top = await page.textContent('#top-publisher');
    expect(top).toContain('Alpha Media');
    expect(top).toContain('Beta Traffic');
    expect(await page.textContent('#top-campaign')).toContain('Auto leads');
    expect(await page.textContent('#top-buyer')).toContain('Acme Insurance');

    // Sortable tables: sorting by calls descending puts Alpha (3 calls) first.
    await page.click('#top-publisher th:nth-child(2)');
    expect(await page.textContent('#top-publisher tbody tr:first-child td:first-child')).toBe('Alpha Media');
    await page.click('#top-publisher th:nth-child(2)');
    expect(await page.textContent('#top-publisher tbody tr:first-child td:first-child')).toBe('Beta Traffic');
    await page.screenshot({ path: join(artifacts, 'dashboard-overview.png'), fullPage: true });

    // CSV button.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#top-publisher a.csv')]);
    const csv = readFileSync((await download.path())!, 'utf8').split('\r\n');
    expect(csv[0]).toBe(
      'publisher,publisher_name,calls,connected,converted,conversion_rate,revenue,payout,profit',
    );
    expect(csv).toContain(`${alpha.publisher.id},Alpha Media,3,3,3,1,120.00,37.50,82.50`);
    expect(csv).toContain(`${beta.publisher.id},Beta Traffic,2,2,2,1,80.00,25.00,55.00`);

    // Filter by a publisher with the form: the cards follow.
    await page.selectOption('select[name=publisher]', alpha.publisher.id);
    await page.waitForURL(new RegExp(`publisher=${alpha.publisher.id}`));
    expect(await card(page, 'Calls')).toBe('3');
    await context.close();
    await carrier.waitForCallEnd(longCall.callControlId, 15_000);
    await waitForRecord(op, longCall.callSessionId);
  });

  it('shows a publisher only its own calls, by source and keyword, with callers masked', async () => {
    const { context, page } = await signIn(
      `pub-${(await op.get('/auth/me')).body.tenantId}@example.com`,
      'publisher password',
    );
    expect(page.url()).toContain('/dashboard/publisher');
    await eventually(
      async () => {
        await page.reload();
        return (await card(page, 'Calls')) === '4' ? true : undefined;
      },
      15_000,
      'the publisher page to count 4 calls',
    );
    expect(await card(page, 'Payout')).toBe('50.00');
    const text = (await page.textContent('main'))!;
    expect(text).toContain('google');
    expect(text).toContain('google keyword');
    expect(text).toContain('Auto leads');
    for (const other of ['bing', 'Beta Traffic', 'Home leads', 'Acme Insurance', '200.00', 'Revenue'])
      expect(text).not.toContain(other);
    const callers = await page.$$eval('#recent-calls tbody tr', (rows) =>
      rows.map((r) => Array.from(r.querySelectorAll('td')).map((td) => td.textContent ?? '')),
    );
    expect(callers).toHaveLength(4);
    for (const row of callers) expect(row.some((c) => /^\+1512\d{3}\*\*\*\*$/.test(c))).toBe(true);
    await page.waitForSelector('canvas#chart-sources[data-rendered="1"]');
    await page.screenshot({ path: join(artifacts, 'dashboard-publisher.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-calls')]);
    const csv = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\r\n');
    expect(csv).toHaveLength(5);
    expect(csv.join('\n')).not.toContain('bing');
    // The API under the page refuses what the page does not show.
    const status = await page.evaluate(
      async (id) => (await fetch(`/reports?metrics=calls&filter.publisher=${id}`)).status,
      beta.publisher.id,
    );
    expect(status).toBe(403);
    const overview = await page.goto(`${app.url}/dashboard/overview`);
    expect(overview?.status()).toBe(403);
    await context.close();
  });

  it('shows a buyer the calls it won and its spend', async () => {
    const { context, page } = await signIn(
      `buy-${(await op.get('/auth/me')).body.tenantId}@example.com`,
      'buyer password 1',
    );
    expect(page.url()).toContain('/dashboard/buyer');
    expect(await card(page, 'Calls won')).toBe('6');
    expect(await card(page, 'Spend')).toBe('240.00');
    const text = (await page.textContent('main'))!;
    expect(text).toContain('Acme call center');
    expect(text).not.toContain('Payout');
    // Every call was sold in the auction: the buyer's fixed-revenue target took part in each one and
    // won each one, and its bid log lists them.
    const summary = (await page.textContent('#bid-summary'))!.replace(/\s+/g, ' ');
    expect(summary).toMatch(/wins 6\b/);
    expect(summary).toMatch(/won bids 240\b/);
    await page.screenshot({ path: join(artifacts, 'dashboard-buyer.png'), fullPage: true });
    await page.click('#logout');
    await page.waitForURL(/\/login/);
    const again = await page.goto(`${app.url}/dashboard/buyer`);
    expect(again?.url()).toContain('/login?next=');
    await context.close();
  });
});
