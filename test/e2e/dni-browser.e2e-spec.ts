/// <reference lib="dom" />
// The snippet in a real browser (Debian's chromium through playwright-core) against the real
// service: a landing page on another origin carries the pasted loader, shows the leased number,
// keeps it across navigation, and the service records the visit's attribution.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { RunningApp } from '../../src/app.bootstrap';
import { DniSessionRepository } from '../../src/dni/dni-session.repository';
import { newTenant, startTestApp, uniqueNumber } from '../support/test-app';

const root = join(__dirname, '..', '..');

describe('DNI snippet in a browser against the service', () => {
  let app: RunningApp;
  let browser: Browser;
  let site: Server;
  let siteOrigin = '';
  let loaderTag = '';

  beforeAll(async () => {
    const build = spawnSync(process.execPath, [join(root, 'dni-snippet', 'build.mjs')], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(build.stderr);
    app = await startTestApp();
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
    const page = (
      title: string,
      link: string,
    ) => `<!doctype html><html><head><title>${title}</title>${loaderTag}</head>
      <body><h1>${title}</h1>
      <p id="main">Call us: <a id="tel" href="tel:+18005550100">(800) 555-0100</a></p>
      <p id="plain">Or dial 1-800-555-0100 today. Order #8005550199 stays.</p>
      <a id="next" href="${link}">next page</a></body></html>`;
    site = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(url.pathname === '/two' ? page('Page two', '/') : page('Landing', '/two'));
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await browser?.close();
    site?.close();
    await app?.close();
  });

  it('swaps to a leased number, keeps it across pages, and records the UTM data', async () => {
    const t = await newTenant(app);
    const campaign = (
      await t.operator.post('/campaigns', { name: 'Browser', swapNumbers: ['(800) 555-0100'] })
    ).body;
    const pool = (await t.operator.post('/pools', { campaignId: campaign.id, name: 'web', kind: 'session' }))
      .body;
    const leased = [uniqueNumber(), uniqueNumber()];
    await t.operator.post(`/pools/${pool.id}/numbers`, { numbers: leased });
    const embed = await t.operator.get(`/campaigns/${campaign.id}/embed`);
    expect(embed.status).toBe(200);
    // The service runs on a random port; point the tag at it.
    loaderTag = embed.body.html.replace(
      JSON.stringify(embed.body.scriptUrl.replace('/dni.js', '')),
      JSON.stringify(app.url),
    );
    expect(Buffer.byteLength(loaderTag)).toBeLessThanOrEqual(600);

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${siteOrigin}/?utm_source=google&utm_medium=cpc&gclid=BROWSER1`);
    await page.waitForFunction(
      () => !document.querySelector('#tel')?.getAttribute('href')?.endsWith('5550100'),
      null,
      { timeout: 10_000 },
    );
    const href = await page.getAttribute('#tel', 'href');
    const number = href!.replace('tel:', '');
    expect(leased).toContain(number);
    const national = number.slice(2);
    const display = `(${national.slice(0, 3)}) ${national.slice(3, 6)}-${national.slice(6)}`;
    expect(await page.textContent('#tel')).toBe(display);
    expect(await page.textContent('#plain')).toBe(
      `Or dial 1-${national.slice(0, 3)}-${national.slice(3, 6)}-${national.slice(6)} today. Order #8005550199 stays.`,
    );
    mkdirSync(join(root, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(root, 'test-artifacts', 'dni-service-swap.png') });

    await page.click('#next');
    await page.waitForURL(/\/two$/);
    await page.waitForFunction(
      (n) => document.querySelector('#tel')?.getAttribute('href') === `tel:${n}`,
      number,
      { timeout: 10_000 },
    );

    const sessions = app.app.get(DniSessionRepository);
    const sid = await page.evaluate(() => {
      for (let i = 0; i < localStorage.length; i++) {
        const v = localStorage.getItem(localStorage.key(i)!) ?? '';
        const m = /"sid":"([A-Za-z0-9_-]+)"/.exec(v) ?? /([A-Za-z0-9_-]{16,64})/.exec(v);
        if (m) return m[1];
      }
      return null;
    });
    expect(sid).toBeTruthy();
    const session = await sessions.get(sid!);
    expect(session).toMatchObject({
      number,
      utm: { source: 'google', medium: 'cpc' },
      clickIds: { gclid: 'BROWSER1' },
    });
    expect(session!.landingPage).toContain('utm_source=google');
    await context.close();
  });
});
