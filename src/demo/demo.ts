// Puts the demo together on a running service (the one `npm start` runs, or a test's): sandbox bidders
// for the five ping/post buyers, the demo tenant seeded through the API, the landing page, and the
// simulated visitors. main.ts adds the terminal around it; the e2e test drives the same function.
import { AccountsService } from '../accounts/accounts.service';
import type { RunningApp } from '../app.bootstrap';
import { SandboxBidders } from '../sandbox/buyers';
import { DemoApi } from './demo-api';
import {
  DEMO_BUYERS,
  DEMO_LOGINS,
  DEMO_PASSWORD,
  DEMO_PUBLISHERS,
  DEMO_SWAP_NUMBER,
  poolSizeFor,
} from './demo-cast';
import type { DemoOptions } from './demo-options';
import { type DemoSetup, seedDemo } from './demo-seed';
import { DemoSite } from './demo-site';
import { DEMO_TRAFFIC, DemoTraffic, meanHoldSeconds, type TrafficOptions } from './demo-traffic';

export interface DemoRun {
  setup: DemoSetup;
  bidders: SandboxBidders;
  site: DemoSite;
  traffic: DemoTraffic | null;
  /** The landing page as a visitor from Alpha Media's Google ad. */
  landingUrl: string;
  /**
   * Stops the visitors, hangs up the calls still going and waits (up to 8 s) for their final records,
   * then closes the landing page and the bidders. Says how many calls it hung up and how many the
   * service still counted as live when it stopped waiting (null: the service could not tell, or
   * `waitForRecords: false` said not to ask because its stores are gone).
   */
  stop(options?: { waitForRecords?: boolean }): Promise<{ hungUp: number; stillLive: number | null }>;
}

export interface StartDemoOptions {
  options: DemoOptions;
  /** Where the landing page listens. */
  siteHost: string;
  /** Overrides of the visitor model (the test shortens the calls). */
  traffic?: Partial<Omit<TrafficOptions, 'callsPerMin' | 'callShare'>>;
  conversionSeconds?: number;
}

export async function startDemo(app: RunningApp, o: StartDemoOptions): Promise<DemoRun> {
  const carrier = app.sandbox;
  if (!carrier) {
    throw new Error('The demo runs on the sandbox carrier: unset TELNYX_API_KEY to run it.');
  }
  const trafficOptions: TrafficOptions = {
    ...DEMO_TRAFFIC,
    ...o.traffic,
    callsPerMin: o.options.callsPerMin,
    callShare: o.options.callShare,
  };
  const visitorsPerSecond = o.options.callsPerMin / 60 / o.options.callShare;
  const hold = meanHoldSeconds(trafficOptions);
  const numbersPerPool = Object.fromEntries(
    DEMO_PUBLISHERS.map((p) => [p.key, poolSizeFor(visitorsPerSecond, p.trafficShare, hold)]),
  ) as Record<'alpha' | 'beta', number>;

  const bidders = new SandboxBidders();
  await bidders.start({ host: '127.0.0.1', port: 0 });
  let site: DemoSite | undefined;
  try {
    const api = new DemoApi(app.url);
    const accounts = app.app.get(AccountsService);
    const setup = await seedDemo(
      {
        api,
        bidders,
        carrier,
        createTenant: (name, email, password) => accounts.createTenant(name, email, password),
      },
      { numbersPerPool, conversionSeconds: o.conversionSeconds },
    );
    const [alpha, beta] = setup.publishers;
    const adClick = (publisherId: string, extra: Record<string, string>) =>
      new URLSearchParams({ cb_pub: publisherId, ...extra }).toString();
    const alphaQuery = adClick(alpha.id, {
      utm_source: 'google',
      utm_medium: 'cpc',
      utm_campaign: 'auto-quotes',
      kw: 'cheap car insurance',
      gclid: 'demo-gclid-1',
    });
    site = new DemoSite(
      {
        embedHtml: setup.embedHtml,
        campaignName: setup.campaign.name,
        swapNumber: DEMO_SWAP_NUMBER,
        links: [
          { label: `${alpha.spec.name} visitor from a Google ad`, query: alphaQuery },
          {
            label: `${beta.spec.name} visitor from a Facebook ad`,
            query: adClick(beta.id, {
              utm_source: 'facebook',
              utm_medium: 'paid_social',
              utm_campaign: 'spring-savings',
              fbclid: 'demo-fbclid-1',
            }),
          },
        ],
      },
      carrier,
    );
    const siteUrl = await site.start(o.siteHost, o.options.sitePort);
    const traffic =
      o.options.traffic && o.options.callsPerMin > 0
        ? new DemoTraffic(
            {
              api,
              carrier,
              buyers: DEMO_BUYERS,
              site: {
                siteUrl,
                campaignKey: setup.campaign.publicKey,
                publishers: setup.publishers.map((p) => ({ id: p.id, share: p.spec.trafficShare })),
              },
            },
            trafficOptions,
          )
        : null;
    traffic?.start();
    const openSite = site;
    let stopped: Promise<{ hungUp: number; stillLive: number | null }> | undefined;
    return {
      setup,
      bidders,
      site,
      traffic,
      landingUrl: `${siteUrl}/?${alphaQuery}`,
      stop: (stopOptions = {}) =>
        (stopped ??= (async () => {
          await traffic?.stop();
          // Every sandbox caller hangs up: the visitors' and anyone dialling from the landing page.
          const callers = carrier.calls({ state: 'active' }).filter((c) => c.origin === 'inbound');
          for (const c of callers) carrier.farEndHangup(c.callControlId);
          const hungUp = callers.length;
          const sessions = new Set(callers.map((c) => c.callSessionId));
          let stillLive: number | null = stopOptions.waitForRecords === false ? null : 0;
          if (hungUp > 0 && stopOptions.waitForRecords !== false) {
            // Let the hangups reach the service so these calls end with final records, not mid-flight.
            // (A terminal's Ctrl-C also stops PostgreSQL and Redis: then the service cannot answer.)
            const until = Date.now() + 8000;
            for (;;) {
              const live = await setup.operator
                .get<{ items: Array<{ callSessionId: string }> }>('/calls/live')
                .catch(() => null);
              stillLive = live ? live.items.filter((c) => sessions.has(c.callSessionId)).length : null;
              if (stillLive === null || stillLive === 0 || Date.now() > until) break;
              await new Promise((r) => setTimeout(r, 100));
            }
          }
          await openSite.stop();
          await bidders.stop();
          return { hungUp, stillLive };
        })()),
    };
  } catch (e) {
    await site?.stop();
    await bidders.stop();
    throw e;
  }
}

/** The lines printed at start: where to look and how to sign in. */
export function whereToLook(run: DemoRun, publicBaseUrl: string, options: DemoOptions): string[] {
  const base = publicBaseUrl;
  const s = run.setup;
  const pools = s.publishers.map((p) => `${p.spec.name} ${p.numbers}`).join(', ');
  const rate = run.traffic
    ? `${options.callsPerMin} calls/min from about ${Math.round(run.traffic.visitorsPerSecond * 60)} visitors/min (${Math.round(options.callShare * 100)}% call)`
    : 'no simulated traffic (--no-traffic)';
  return [
    '',
    `callbid demo${s.createdTenant ? ' (tenant created)' : ' (tenant reused)'}: ${s.campaign.name}; ${rate}`,
    `  landing page  ${run.landingUrl}`,
    `  dashboards    ${base}/login   (password for every demo login: ${DEMO_PASSWORD})`,
    `    operator    ${DEMO_LOGINS.operator}   → ${base}/dashboard/overview`,
    ...s.publishers.map(
      (p) => `    publisher   ${p.spec.login}   (${p.spec.name}) → ${base}/dashboard/publisher`,
    ),
    `    buyer       ${DEMO_LOGINS.buyer}   (Apex Auto Insurance) → ${base}/dashboard/buyer`,
    `  API docs      ${base}/docs        metrics ${base}/metrics`,
    `  pools         ${pools} tracking numbers; loader from GET /campaigns/${s.campaign.id}/embed`,
    '  buyers',
    ...s.buyers.map((b) => `    ${b.spec.name.padEnd(24)} ${b.spec.blurb}`),
    '  Ctrl-C stops everything.',
    '',
  ];
}
