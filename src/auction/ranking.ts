// How the winner is picked: bids under the campaign's floor and expired bids drop out; the rest go
// highest bid first, then priority (1 first), then a weighted random order among equals, seeded by the
// call id so every instance (and a retry) computes the same order for the same call. Also the money
// rule of a won call: the bid is the revenue when the call talked long enough.
import { hash } from 'node:crypto';
import type { Money } from '../common/money';

export interface Rankable {
  targetId: string;
  revenue: Money;
  priority: number;
  weight: number;
  expiresAt: number | null;
}

export interface Ranking<T> {
  ranked: T[];
  belowFloor: T[];
  expired: T[];
}

/** Uniform value in (0, 1) from the seed and the item id. */
function unit(seed: string, id: string): number {
  const h = hash('sha256', `${seed}:${id}`, 'buffer');
  return (h.readUIntBE(0, 6) + 1) / (2 ** 48 + 2);
}

export function rankBids<T extends Rankable>(
  bids: readonly T[],
  opts: { floor: Money; now: number; seed: string },
): Ranking<T> {
  const out: Ranking<T> = { ranked: [], belowFloor: [], expired: [] };
  for (const b of bids) {
    if (b.expiresAt !== null && b.expiresAt <= opts.now) out.expired.push(b);
    else if (b.revenue < opts.floor) out.belowFloor.push(b);
    else out.ranked.push(b);
  }
  // Efraimidis–Spirakis: sorting by u^(1/w), i.e. log(u)/w, descending samples by weight. The key
  // costs a hash, and only bids equal in amount and priority need it, so it is made on first use.
  let keys: Map<T, number> | undefined;
  const key = (b: T): number => {
    keys ??= new Map();
    let k = keys.get(b);
    if (k === undefined) {
      k = Math.log(unit(opts.seed, b.targetId)) / Math.max(1, b.weight);
      keys.set(b, k);
    }
    return k;
  };
  out.ranked.sort(
    (a, b) =>
      (a.revenue === b.revenue ? 0 : a.revenue > b.revenue ? -1 : 1) ||
      a.priority - b.priority ||
      key(b) - key(a) ||
      (a.targetId < b.targetId ? -1 : a.targetId > b.targetId ? 1 : 0),
  );
  return out;
}

/**
 * What a won call earns: the bid when the talk time reaches the bid's required seconds (else the
 * target's, else the campaign's conversion seconds), nothing otherwise.
 */
export function bidRevenue(
  bid: { revenue: Money; conversionSeconds: number | null },
  talkSeconds: number,
  campaignConversionSeconds: number,
): Money {
  const needed = bid.conversionSeconds ?? campaignConversionSeconds;
  return talkSeconds >= needed ? bid.revenue : 0n;
}
