import { toE164 } from '../common/phone';
import { DEMO_POOL, poolNumbers, poolSizeFor, DEMO_PUBLISHERS } from './demo-cast';
import { DEMO_TRAFFIC, drawCaller, drawVisit, meanHoldSeconds } from './demo-traffic';

/** A small seeded generator, so the draws below are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const site = {
  siteUrl: 'http://localhost:3100',
  campaignKey: 'pk_demo',
  publishers: [
    { id: 'pub-a', share: 0.6 },
    { id: 'pub-b', share: 0.4 },
  ],
};

describe('demo visitors', () => {
  it('split between the publishers by their share, each visit naming its publisher in the page URL', () => {
    const random = seeded(7);
    const visits = Array.from({ length: 4000 }, () => drawVisit(random, site));
    const a = visits.filter((v) => v.publisherId === 'pub-a').length / visits.length;
    expect(a).toBeGreaterThan(0.56);
    expect(a).toBeLessThan(0.64);
    for (const v of visits.slice(0, 200)) {
      expect(v.params.cb_pub).toBe(v.publisherId);
      const url = new URL(v.page);
      expect(url.origin).toBe(site.siteUrl);
      expect(Object.fromEntries(url.searchParams)).toEqual(v.params);
      expect(v.ip).toMatch(/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);
      expect(v.userAgent).not.toMatch(/bot|crawl|spider/i);
    }
  });

  it('carry the click id of the ad network they came from, and organic visits carry none', () => {
    const random = seeded(11);
    const visits = Array.from({ length: 1000 }, () => drawVisit(random, site));
    const by = (source?: string) => visits.filter((v) => v.params.utm_source === source);
    for (const v of by('google')) expect(v.params.gclid).toBeTruthy();
    for (const v of by('facebook')) expect(v.params.fbclid).toBeTruthy();
    for (const v of by('bing')) expect(v.params.msclkid).toBeTruthy();
    const organic = by(undefined);
    expect(organic.length).toBeGreaterThan(100);
    for (const v of organic) {
      expect(Object.keys(v.params)).toEqual(['cb_pub']);
      expect(v.ref).toBe('https://www.google.com/');
    }
    expect(new Set(visits.map((v) => v.params.utm_source)).size).toBe(5);
  });

  it('call from valid US numbers, a good share of them from Texas', () => {
    const random = seeded(3);
    const callers = Array.from({ length: 2000 }, () => drawCaller(random));
    for (const c of callers) expect(toE164(c)).toBe(c);
    const texas = callers.filter((c) => /^\+1(512|214|713|210|817|469)/.test(c)).length / callers.length;
    expect(texas).toBeGreaterThan(0.15);
    expect(new Set(callers).size).toBeGreaterThan(1990);
  });
});

describe('demo pools', () => {
  it('are sized from the visit rate and hold time, within 10..100 numbers', () => {
    const hold = meanHoldSeconds({ ...DEMO_TRAFFIC, callShare: 0.5 });
    // Callers hold for think (2–12 s) plus the page after dialling (2–8 s); browsers for 4–20 s.
    expect(hold).toBeCloseTo(0.5 * (7 + 5) + 0.5 * 12, 5);
    // 1 visitor/s, 60% through this publisher: 0.6 × (12 + 30 s cooldown) × 1.4 headroom.
    expect(poolSizeFor(1, 0.6, hold)).toBe(Math.ceil(0.6 * (hold + DEMO_POOL.cooldownS) * 1.4));
    expect(poolSizeFor(0.01, 0.5, hold)).toBe(10);
    expect(poolSizeFor(50, 0.5, hold)).toBe(100);
  });

  it('count their numbers up from the publisher block, never past 100', () => {
    const alpha = DEMO_PUBLISHERS[0];
    expect(poolNumbers(alpha, 3)).toEqual(['+17375551000', '+17375551001', '+17375551002']);
    expect(poolNumbers(alpha, 500)).toHaveLength(100);
    for (const n of poolNumbers(DEMO_PUBLISHERS[1], 100)) expect(toE164(n)).toBe(n);
    expect(poolNumbers(alpha, 100)).not.toContain(alpha.overflowNumber);
  });
});
