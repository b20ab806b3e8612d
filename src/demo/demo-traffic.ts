// Simulated visitors and callers for the demo. Each visitor lands on a publisher's page from an ad, a
// social post, a newsletter or a search, and leases a tracking number through the real snippet API
// (POST /dni/v1/lease with the page URL, referrer, UTM parameters and click ids, from its own IP and
// browser). Some browse and leave (release); the others think for a few seconds, often tap the number
// (the snippet's dial-click beacon), and call it through the sandbox carrier's inbound-call
// simulation. From there everything is the product: the webhook, attribution, routing or the auction,
// the bridge to a buyer, the hangup, the final record and the CDR. Arrivals are a Poisson process at the
// configured rate; every random choice comes from one injectable source.
import { toE164 } from '../common/phone';
import type { SandboxCarrier } from '../sandbox/carrier';
import type { DemoApi } from './demo-api';
import type { DemoBuyerSpec } from './demo-cast';

export interface Range {
  min: number;
  max: number;
}

export interface TrafficOptions {
  callsPerMin: number;
  /** Share of visitors who call. */
  callShare: number;
  /** Seconds a connected caller talks: a share of long calls (they convert), the rest short. */
  talkS: { short: Range; long: Range; longShare: number };
  /** Seconds from dialling until a buyer is typically on the line (answer, auction, ringing). */
  setupS: number;
  /** Seconds from landing to dialling, for callers. */
  thinkS: Range;
  /** Seconds a visitor who does not call stays on the page. */
  browseS: Range;
  /** Seconds a caller's page stays open after dialling. */
  afterCallS: Range;
  /** Share of callers who tap the number on the page (dial-click beacon) rather than typing it. */
  tapShare: number;
  /** Share of callers who hang up if nobody answers within `abandonAfterS`. */
  impatientShare: number;
  abandonAfterS: number;
}

export const DEMO_TRAFFIC: Omit<TrafficOptions, 'callsPerMin' | 'callShare'> = {
  talkS: { short: { min: 4, max: 25 }, long: { min: 35, max: 110 }, longShare: 0.55 },
  setupS: 6,
  thinkS: { min: 2, max: 12 },
  browseS: { min: 4, max: 20 },
  afterCallS: { min: 2, max: 8 },
  tapShare: 0.6,
  impatientShare: 0.08,
  abandonAfterS: 6,
};

export interface TrafficCounters {
  visitors: number;
  /** Leases that gave a tracking number (overflow included). */
  leased: number;
  overflow: number;
  /** Leases without a number (the page kept its own). */
  noNumber: number;
  clicks: number;
  calls: number;
  /** Requests the service refused or that failed (rate limits, errors). */
  errors: number;
}

export interface TrafficSite {
  /** Base URL of the landing page (what the visitors' `page` starts with). */
  siteUrl: string;
  campaignKey: string;
  publishers: Array<{ id: string; share: number }>;
}

export interface Visit {
  publisherId: string;
  page: string;
  ref: string;
  params: Record<string, string>;
  ip: string;
  userAgent: string;
}

type Random = () => number;

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];
const between = (random: Random, r: Range): number => r.min + random() * (r.max - r.min);
const token = (random: Random, n: number): string =>
  Array.from(
    { length: n },
    () => 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-'[Math.floor(random() * 64)],
  ).join('');

const KEYWORDS = [
  'cheap car insurance',
  'auto insurance quote',
  'full coverage auto insurance',
  'car insurance near me',
  'sr22 insurance',
  'young driver insurance',
];

const USER_AGENTS = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0',
];

interface Source {
  weight: number;
  ref: string;
  params: (random: Random) => Record<string, string>;
}

const SOURCES: Source[] = [
  {
    weight: 40,
    ref: 'https://www.google.com/',
    params: (r) => {
      const kw = pick(r, KEYWORDS);
      return {
        utm_source: 'google',
        utm_medium: 'cpc',
        utm_campaign: 'auto-quotes',
        utm_term: kw,
        kw,
        gclid: `Cj0K${token(r, 28)}`,
      };
    },
  },
  {
    weight: 20,
    ref: 'https://l.facebook.com/',
    params: (r) => ({
      utm_source: 'facebook',
      utm_medium: 'paid_social',
      utm_campaign: pick(r, ['spring-savings', 'new-drivers']),
      utm_content: pick(r, ['video-a', 'carousel-b']),
      fbclid: `IwAR${token(r, 30)}`,
    }),
  },
  {
    weight: 12,
    ref: 'https://www.bing.com/',
    params: (r) => {
      const kw = pick(r, KEYWORDS);
      return {
        utm_source: 'bing',
        utm_medium: 'cpc',
        utm_campaign: 'auto-quotes',
        utm_term: kw,
        kw,
        msclkid: token(r, 32).toLowerCase(),
      };
    },
  },
  {
    weight: 8,
    ref: '',
    params: (r) => ({
      utm_source: 'newsletter',
      utm_medium: 'email',
      utm_campaign: pick(r, ['weekly-deals', 'renewal-reminder']),
    }),
  },
  { weight: 20, ref: 'https://www.google.com/', params: () => ({}) },
];

/** One visitor: which publisher's page, from where, with which parameters, IP and browser. */
export function drawVisit(random: Random, site: TrafficSite, path = '/'): Visit {
  let roll = random() * site.publishers.reduce((s, p) => s + p.share, 0);
  const publisher = site.publishers.find((p) => (roll -= p.share) < 0) ?? site.publishers[0];
  roll = random() * SOURCES.reduce((s, x) => s + x.weight, 0);
  const source = SOURCES.find((s) => (roll -= s.weight) < 0) ?? SOURCES[0];
  const params = { cb_pub: publisher.id, ...source.params(random) };
  const page = `${site.siteUrl}${path}?${new URLSearchParams(params).toString()}`;
  // Addresses from ranges ISPs hand to homes and phones, so per-IP limits see many visitors.
  const ip = `${pick(random, [24, 47, 68, 71, 73, 76, 98, 99, 107, 172, 174])}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`;
  return {
    publisherId: publisher.id,
    page,
    ref: source.ref,
    params,
    ip,
    userAgent: pick(random, USER_AGENTS),
  };
}

// Area codes weighted towards Texas (one buyer takes Texas only) and the big metros.
const AREA_CODES = [
  '512',
  '214',
  '713',
  '210',
  '817',
  '469', // TX
  '213',
  '415',
  '619',
  '916', // CA
  '305',
  '407',
  '813', // FL
  '212',
  '718', // NY
  '312',
  '773', // IL
  '404',
  '602',
  '614',
  '206',
  '303',
  '617',
  '702',
];

/** A caller's number: a valid US number from one of the area codes above. */
export function drawCaller(random: Random): string {
  for (;;) {
    const exchange = 200 + Math.floor(random() * 800);
    if (exchange % 100 === 11 || exchange === 555) continue; // N11 codes and the fictional exchange
    const line = String(Math.floor(random() * 10000)).padStart(4, '0');
    const number = toE164(`+1${pick(random, AREA_CODES)}${exchange}${line}`);
    if (number) return number;
  }
}

/** Mean seconds a visitor holds a tracking number (for sizing the pools). */
export function meanHoldSeconds(
  o: Pick<TrafficOptions, 'callShare' | 'thinkS' | 'afterCallS' | 'browseS'>,
): number {
  const mean = (r: Range) => (r.min + r.max) / 2;
  return o.callShare * (mean(o.thinkS) + mean(o.afterCallS)) + (1 - o.callShare) * mean(o.browseS);
}

export interface TrafficDeps {
  /** The service, without credentials: visitors use only the public snippet API. */
  api: DemoApi;
  carrier: SandboxCarrier;
  site: TrafficSite;
  /** Buyers whose lines are busy part of the time. */
  buyers: DemoBuyerSpec[];
  random?: Random;
}

export class DemoTraffic {
  readonly counters: TrafficCounters = {
    visitors: 0,
    leased: 0,
    overflow: 0,
    noNumber: 0,
    clicks: 0,
    calls: 0,
    errors: 0,
  };
  /** The last error a visitor met, for the terminal. */
  lastError: string | undefined;
  private readonly random: Random;
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private readonly visits = new Set<Promise<void>>();
  private readonly callTimes: number[] = [];
  /** Cancels the visitors' requests still in flight when the traffic stops. */
  private readonly inFlight = new AbortController();
  private running = false;

  constructor(
    private readonly deps: TrafficDeps,
    private readonly options: TrafficOptions,
  ) {
    this.random = deps.random ?? Math.random;
  }

  /** Visitors per second the call rate and share imply. */
  get visitorsPerSecond(): number {
    return this.options.callsPerMin / 60 / this.options.callShare;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.scheduleArrival(true);
    this.scheduleLines();
  }

  /** Calls placed per second over the last `windowMs`. */
  callsPerSecond(now = Date.now(), windowMs = 10_000): number {
    while (this.callTimes.length && this.callTimes[0] < now - windowMs) this.callTimes.shift();
    return this.callTimes.length / (windowMs / 1000);
  }

  /**
   * Stops new visitors and cuts every pending wait short (those visitors leave at once), then waits
   * for requests in flight. Calls already placed go on (the demo's stop hangs them up).
   */
  async stop(): Promise<void> {
    this.running = false;
    this.inFlight.abort();
    for (const [timer, wake] of this.timers) {
      clearTimeout(timer);
      wake();
    }
    this.timers.clear();
    await Promise.allSettled([...this.visits]);
  }

  // ---- scheduling ----------------------------------------------------------------------------------

  /** Resolves after `ms`, or at once when the traffic stops; true when the traffic still runs. */
  private wait(ms: number): Promise<boolean> {
    if (!this.running) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve(this.running);
      }, ms);
      this.timers.set(timer, () => resolve(false));
    });
  }

  private scheduleArrival(opening = false): void {
    const rate = this.visitorsPerSecond;
    if (!this.running || !(rate > 0)) return;
    const delayMs = opening ? 0 : (-Math.log(1 - this.random()) / rate) * 1000;
    void this.wait(Math.min(delayMs, 600_000)).then((go) => {
      if (!go) return;
      const visit = this.visit(opening).catch((e: unknown) => {
        this.counters.errors++;
        this.lastError = e instanceof Error ? e.message : String(e);
      });
      this.visits.add(visit);
      void visit.finally(() => this.visits.delete(visit));
      this.scheduleArrival();
    });
  }

  /** Lines that are busy part of the time switch between busy and answering every few seconds. */
  private scheduleLines(): void {
    const moody = this.deps.buyers.filter((b) => b.busyShare);
    if (!this.running || moody.length === 0) return;
    for (const b of moody) {
      const busy = this.random() < (b.busyShare ?? 0);
      this.deps.carrier.setDestinationBehaviour(
        b.destination,
        busy ? { mode: 'busy', answerAfterMs: 1500 } : b.line,
      );
    }
    void this.wait(3000 + this.random() * 4000).then((go) => {
      if (go) this.scheduleLines();
    });
  }

  // ---- one visitor ---------------------------------------------------------------------------------

  private async snippet(path: string, body: Record<string, unknown>, visit: Visit) {
    // A visitor leaving as the demo stops still says goodbye (release); nothing else starts then.
    const r = await this.deps.api.send<any>(
      'POST',
      `/dni/v1/${path}`,
      body,
      { 'x-forwarded-for': visit.ip, 'user-agent': visit.userAgent, origin: this.deps.site.siteUrl },
      path === 'release' ? AbortSignal.timeout(2000) : this.inFlight.signal,
    );
    if (r.status >= 400) {
      this.counters.errors++;
      this.lastError = `POST /dni/v1/${path} answered ${r.status}: ${r.body?.message ?? ''}`;
    }
    return r;
  }

  /** `opening`: the first visitor, who lands at once and calls a second later (a demo should not idle). */
  private async visit(opening = false): Promise<void> {
    const o = this.options;
    const key = this.deps.site.campaignKey;
    const v = drawVisit(this.random, this.deps.site);
    this.counters.visitors++;
    const lease = await this.snippet('lease', { key, page: v.page, ref: v.ref, params: v.params }, v);
    if (lease.status !== 200) return;
    const { sid, number, overflow } = lease.body as { sid: string; number: string | null; overflow: boolean };
    if (!number) {
      this.counters.noNumber++;
      return;
    }
    this.counters.leased++;
    if (overflow) this.counters.overflow++;
    const release = () => this.snippet('release', { key, sid }, v);

    if (!opening && this.random() >= o.callShare) {
      await this.wait(between(this.random, o.browseS) * 1000);
      await release();
      return;
    }
    if (!(await this.wait(opening ? 1000 : between(this.random, o.thinkS) * 1000))) {
      await release();
      return;
    }
    if (this.random() < o.tapShare) {
      const click = await this.snippet('click', { key, sid, number }, v);
      if (click.status === 204) this.counters.clicks++;
    }
    const long = this.random() < o.talkS.longShare;
    const talkS = between(this.random, long ? o.talkS.long : o.talkS.short);
    const impatient = this.random() < o.impatientShare;
    this.deps.carrier.placeInboundCall({
      from: drawCaller(this.random),
      to: number,
      callerHangupAfterMs: Math.round((o.setupS + talkS) * 1000),
      ...(impatient ? { abandonIfNotBridgedWithinMs: Math.round(o.abandonAfterS * 1000) } : {}),
    });
    this.counters.calls++;
    this.callTimes.push(Date.now());
    await this.wait(between(this.random, o.afterCallS) * 1000);
    await release();
  }
}
