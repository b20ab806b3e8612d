// Who is in the demo: the network's logins, its two publishers, the campaign with its landing-page
// number, the tracking-number blocks, and five ping/post buyers that each behave differently (bid level,
// answer speed, flakiness, geography, how their call centre picks up) plus one static fallback buyer.
// Everything the seeding creates and the traffic relies on is named here, in one place.
import type { BidderBehaviour } from '../sandbox/buyers';
import type { DestinationBehaviour } from '../sandbox/carrier';

export const DEMO_TENANT = 'Demo Network';
export const DEMO_PASSWORD = 'demo-password';

export const DEMO_LOGINS = {
  operator: 'operator@demo.callbid.dev',
  publishers: ['alpha@demo.callbid.dev', 'beta@demo.callbid.dev'],
  buyer: 'apex@demo.callbid.dev',
} as const;

/** The number printed on the landing page; the snippet swaps it for the visitor's tracking number. */
export const DEMO_SWAP_NUMBER = '+18005550100';

export const DEMO_CAMPAIGN = {
  name: 'Demo: Auto insurance quotes',
  vertical: 'auto insurance',
  // Short enough that a demo shows conversions within a minute.
  conversionSeconds: 30,
  auctionDeadlineMs: 1500,
  floorPrice: '5.00',
  callerIdPolicy: 'masked',
  swapNumbers: [DEMO_SWAP_NUMBER],
  paramTags: { kw: 'keyword' },
  dupRoutingWindowS: 0,
  unroutedAction: 'message',
  unroutedMessage: 'All of our agents are busy right now. Please call again in a few minutes.',
} as const;

export interface DemoPublisherSpec {
  key: 'alpha' | 'beta';
  name: string;
  login: string;
  payout: Record<string, string>;
  /** First tracking number of its pool (numbers count up from here), and its overflow number. */
  firstNumber: number;
  overflowNumber: string;
  /** Share of the visitors who come through this publisher. */
  trafficShare: number;
}

export const DEMO_PUBLISHERS: DemoPublisherSpec[] = [
  {
    key: 'alpha',
    name: 'Alpha Media',
    login: DEMO_LOGINS.publishers[0],
    payout: { payoutType: 'fixed', payoutAmount: '10.00' },
    firstNumber: 17375551000,
    overflowNumber: '+17375551999',
    trafficShare: 0.6,
  },
  {
    key: 'beta',
    name: 'Beta Traffic',
    login: DEMO_LOGINS.publishers[1],
    payout: { payoutType: 'percent', payoutPercent: '40', payoutMin: '4.00', payoutMax: '20.00' },
    firstNumber: 17375552000,
    overflowNumber: '+17375552999',
    trafficShare: 0.4,
  },
];

/** Pools hand numbers out for a visit and rest them briefly afterwards (short, so a small pool keeps up). */
export const DEMO_POOL = { leaseIdleS: 60, cooldownS: 30 } as const;
export const MAX_POOL_NUMBERS = 100;

export interface DemoBuyerSpec {
  /** Sandbox bidder name (also the key the traffic and the line use). */
  key: string;
  name: string;
  /** How its sandbox bidder answers pings (null: a static buyer, no pings). */
  bidder: Partial<BidderBehaviour> | null;
  /** Ping timeout of its target. */
  pingTimeoutMs?: number;
  /** Where its calls ring and how the call centre picks up. */
  destination: string;
  line: DestinationBehaviour;
  /** Chance that its line is busy, re-drawn every few seconds (a call centre that fills up). */
  busyShare?: number;
  /** Target fields besides kind, destination and ping. */
  target: Record<string, unknown>;
  /** One-line description printed at start. */
  blurb: string;
}

// Call centres answer after a few rings and stay on the line; the caller decides when the call ends.
const answers = (afterMs: number): DestinationBehaviour => ({
  mode: 'answer',
  answerAfterMs: afterMs,
  talkMs: null,
});

export const DEMO_BUYERS: DemoBuyerSpec[] = [
  {
    key: 'apex',
    name: 'Apex Auto Insurance',
    bidder: {
      bid: { min: '18.00', max: '32.00' },
      latencyMs: { min: 40, max: 160 },
      expireInSeconds: 60,
      requiredTalkSeconds: 45,
      confirm: 'accept',
      confirmLatencyMs: 30,
    },
    destination: '+13125550110',
    line: answers(1500),
    target: { priority: 1, concurrencyCap: 6, caps: { calls: { day: 5000 } } },
    blurb: 'bids $18–32 in 40–160 ms, confirms each win, wants 45 s of talk',
  },
  {
    key: 'lonestar',
    name: 'Lone Star Leads',
    bidder: { bid: '35.00', latencyMs: { min: 20, max: 60 }, expireInSeconds: 30 },
    destination: '+13125550111',
    line: answers(1000),
    target: {
      priority: 1,
      filters: [{ tag: 'caller_state', op: 'in', values: ['TX'] }],
    },
    blurb: 'Texas callers only (geo filter), a flat $35 in 20–60 ms',
  },
  {
    key: 'harbor',
    name: 'Harbor Health Partners',
    bidder: { bid: { min: '25.00', max: '45.00' }, latencyMs: { min: 900, max: 2600 } },
    pingTimeoutMs: 2500,
    destination: '+13125550112',
    line: answers(2500),
    target: { priority: 1 },
    blurb: 'bids high ($25–45) but slowly (0.9–2.6 s): mostly misses the 1.5 s auction deadline',
  },
  {
    key: 'nimbus',
    name: 'Nimbus Call Center',
    bidder: {
      bid: { min: '12.00', max: '20.00' },
      latencyMs: { min: 60, max: 250 },
      failures: { no_bid: 0.35, error: 0.08, garbage: 0.04 },
    },
    destination: '+13125550113',
    line: answers(3000),
    busyShare: 0.35,
    target: { priority: 1, ringTimeoutS: 20 },
    blurb: 'flaky: declines 35%, errors 12%; its line is busy a third of the time',
  },
  {
    key: 'quartz',
    name: 'Quartz Media',
    bidder: { bid: { min: '8.00', max: '14.00' }, latencyMs: { min: 10, max: 30 }, expireInSeconds: 20 },
    destination: '+13125550114',
    line: answers(800),
    target: { priority: 1 },
    blurb: 'a fast, low bidder ($8–14 in 10–30 ms) that wins when the others pass',
  },
  {
    key: 'house',
    name: 'House Call Center',
    bidder: null,
    destination: '+13125550100',
    line: answers(1200),
    target: { priority: 2, revenue: '6.00' },
    blurb: 'static fallback target: a fixed $6.00 per converted call, no ping',
  },
];

/** The tracking numbers of a publisher's pool: `count` numbers counting up from its first. */
export function poolNumbers(publisher: DemoPublisherSpec, count: number): string[] {
  const n = Math.max(1, Math.min(MAX_POOL_NUMBERS, Math.floor(count)));
  return Array.from({ length: n }, (_, i) => `+${publisher.firstNumber + i}`);
}

/**
 * Numbers a pool needs so visitors rarely meet an exhausted pool: visitors per second through this
 * publisher times how long each holds a number (visit plus cooldown), with headroom.
 */
export function poolSizeFor(visitorsPerSecond: number, share: number, meanHoldS: number): number {
  const busy = visitorsPerSecond * share * (meanHoldS + DEMO_POOL.cooldownS);
  return Math.max(10, Math.min(MAX_POOL_NUMBERS, Math.ceil(busy * 1.4)));
}
