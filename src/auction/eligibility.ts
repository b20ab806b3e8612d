// Which of a campaign's targets may take part in an auction, before any ping: well-formed, open by
// their schedule, tag/geo filters matching the call, buyer not already reached by this caller inside
// the campaign's routing-duplicate window, and below every cap and the concurrency limit (a read of
// the counters; the atomic reservation happens when a bid is taken, see TargetCapsRepository).
import { CAP_PERIODS, type CapPeriod, type TargetCaps, type TargetEntity } from '../buyers/target.entity';
import { parseMoney } from '../common/money';
import { isOpen, type Schedule } from '../common/schedule';
import { matches } from '../common/tag-filter';
import type { SkipReason } from './auction.types';

/** Counters of one target now: live attempts, and calls / conversions / revenue per period. */
export interface CapSnapshot {
  live: number;
  calls: Record<CapPeriod, number>;
  conversions: Record<CapPeriod, number>;
  /** Ten-thousandths, like parseMoney. */
  revenue: Record<CapPeriod, bigint>;
}

export function hasCaps(t: Pick<TargetEntity, 'caps' | 'concurrencyCap'>): boolean {
  if (t.concurrencyCap !== null && t.concurrencyCap !== undefined) return true;
  const c = t.caps ?? {};
  return [c.calls, c.conversions, c.revenue].some((m) => m && Object.keys(m).length > 0);
}

/**
 * The first limit the target has reached, in the same order and with the same meaning as the
 * reservation script (a count equal to its cap is full), or undefined when it can take a call.
 */
export function capBlock(
  caps: TargetCaps,
  concurrencyCap: number | null,
  s: CapSnapshot,
): SkipReason | undefined {
  if (concurrencyCap !== null && s.live >= concurrencyCap) return 'concurrency';
  for (const kind of ['calls', 'conversions', 'revenue'] as const) {
    const limits = caps[kind];
    if (!limits) continue;
    for (const p of CAP_PERIODS) {
      const cap = limits[p];
      if (cap === undefined) continue;
      const full =
        kind === 'revenue' ? s.revenue[p] >= parseMoney(cap as string) : s[kind][p] >= (cap as number);
      if (full) return `cap_${kind}_${p}`;
    }
  }
  return undefined;
}

// isOpen builds a zoned DateTime; the answer only changes at minute boundaries, and the targets of a
// campaign are cached objects, so remember it per schedule object and minute.
const openMemo = new WeakMap<Schedule, { minute: number; open: boolean }>();

export function scheduleOpen(schedule: Schedule | null, at: Date): boolean {
  if (!schedule) return true;
  const minute = Math.floor(at.getTime() / 60_000);
  const hit = openMemo.get(schedule);
  if (hit && hit.minute === minute) return hit.open;
  const open = isOpen(schedule, at);
  openMemo.set(schedule, { minute, open });
  return open;
}

/** A target that cannot take part whatever the counters say: misconfigured, closed, filtered out. */
export function ruleBlock(
  t: Pick<TargetEntity, 'kind' | 'ping' | 'destination' | 'revenue' | 'schedule' | 'filters'>,
  at: Date,
  tags: Readonly<Record<string, string>>,
): SkipReason | undefined {
  if (t.kind === 'static') {
    if (!t.destination || t.revenue === null) return 'misconfigured';
  } else if (!t.ping || (!t.ping.parse.destination && !t.destination)) {
    return 'misconfigured';
  } else if (!t.ping.parse.bid && t.revenue === null) {
    return 'misconfigured';
  }
  if (!scheduleOpen(t.schedule, at)) return 'closed';
  if (!matches(t.filters, tags)) return 'filters';
  return undefined;
}
