import { parseMoney } from '../common/money';
import { bidRevenue, rankBids, type Rankable } from './ranking';

const bid = (targetId: string, revenue: string, over: Partial<Rankable> = {}): Rankable => ({
  targetId,
  revenue: parseMoney(revenue),
  priority: 1,
  weight: 1,
  expiresAt: null,
  ...over,
});

const ids = (r: Rankable[]) => r.map((b) => b.targetId);
const opts = { floor: 0n, now: 1_000_000, seed: 'call-1' };

describe('rankBids', () => {
  it('puts the highest bid first, whatever priority says', () => {
    const r = rankBids([bid('a', '10'), bid('b', '25.50', { priority: 9 }), bid('c', '25.49')], opts);
    expect(ids(r.ranked)).toEqual(['b', 'c', 'a']);
  });

  it('drops bids under the floor and keeps those exactly at it', () => {
    const r = rankBids([bid('a', '4.9999'), bid('b', '5'), bid('c', '12')], {
      ...opts,
      floor: parseMoney('5'),
    });
    expect(ids(r.ranked)).toEqual(['c', 'b']);
    expect(ids(r.belowFloor)).toEqual(['a']);
  });

  it('drops expired bids, including one expiring right now', () => {
    const r = rankBids(
      [bid('a', '50', { expiresAt: opts.now }), bid('b', '40', { expiresAt: opts.now + 1 }), bid('c', '30')],
      opts,
    );
    expect(ids(r.ranked)).toEqual(['b', 'c']);
    expect(ids(r.expired)).toEqual(['a']);
  });

  it('breaks equal bids by priority, 1 first', () => {
    const r = rankBids(
      [bid('a', '10', { priority: 3 }), bid('b', '10', { priority: 1 }), bid('c', '10', { priority: 2 })],
      opts,
    );
    expect(ids(r.ranked)).toEqual(['b', 'c', 'a']);
  });

  it('gives the same order for the same call every time', () => {
    const bids = ['a', 'b', 'c', 'd'].map((id) => bid(id, '10'));
    const first = ids(rankBids(bids, opts).ranked);
    for (let i = 0; i < 5; i++) expect(ids(rankBids([...bids].reverse(), opts).ranked)).toEqual(first);
  });

  it('shares equal bids by weight across calls', () => {
    const wins: Record<string, number> = { heavy: 0, light: 0 };
    const calls = 4000;
    for (let i = 0; i < calls; i++) {
      const r = rankBids([bid('heavy', '10', { weight: 3 }), bid('light', '10', { weight: 1 })], {
        ...opts,
        seed: `call-${i}`,
      });
      wins[r.ranked[0].targetId]++;
    }
    // Expected share 75 % ± a generous 4 points.
    expect(wins.heavy / calls).toBeGreaterThan(0.71);
    expect(wins.heavy / calls).toBeLessThan(0.79);
  });
});

describe('bidRevenue', () => {
  it('is the bid when the talk time reaches the required seconds, else nothing', () => {
    const b = { revenue: parseMoney('42.1234'), conversionSeconds: 120 };
    expect(bidRevenue(b, 120, 60)).toBe(parseMoney('42.1234'));
    expect(bidRevenue(b, 119, 60)).toBe(0n);
  });

  it('uses the campaign conversion seconds when neither bid nor target names any', () => {
    const b = { revenue: parseMoney('9'), conversionSeconds: null };
    expect(bidRevenue(b, 59, 60)).toBe(0n);
    expect(bidRevenue(b, 60, 60)).toBe(parseMoney('9'));
  });
});
