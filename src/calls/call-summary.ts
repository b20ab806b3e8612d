// The final record of a call from its live state: final state, durations, conversion and money.
// Pure, so the rules are unit-tested without a carrier.
import { isAuctionCandidate } from '../auction/auction-routing';
import type { AuctionSummary } from '../cdr/cdr-row';
import { formatMoney, type Money, parseMoney } from '../common/money';
import { computePayout } from '../publishers/payout';
import { type Attempt, connectedAttempt, derive, type FinalState, type LiveCall } from './call-machine';

export interface LegRecord {
  leg: 'A' | 'B';
  attempt: number | null;
  callControlId: string | null;
  targetId: string | null;
  destination: string | null;
  outcome: string | null;
  startedAt: string | null;
  answeredAt: string | null;
  endedAt: string | null;
  hangupCause: string | null;
  hangupSource: string | null;
  sipHangupCause: string | null;
}

export interface CallSummary {
  state: FinalState;
  reason: string | null;
  receivedAt: number;
  answeredAt: number | null;
  routingAt: number | null;
  ringingAt: number | null;
  connectedAt: number | null;
  endedAt: number;
  ringMs: number;
  talkMs: number;
  totalMs: number;
  attempts: number;
  connected: Attempt | undefined;
  converted: boolean;
  conversionSeconds: number | null;
  revenue: Money;
  payout: Money;
  profit: Money;
  legs: LegRecord[];
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

function finalState(c: LiveCall): { state: FinalState; reason: string | null } {
  const d = c.setup?.disposition;
  if (connectedAttempt(c)) return { state: 'completed', reason: null };
  if (d && d.kind !== 'route') return { state: 'rejected', reason: d.reason };
  if (!c.setup) return { state: 'failed', reason: 'incomplete' };
  if (c.endReason === 'carrier_error' || c.answer.s === 'failed')
    return { state: 'failed', reason: 'carrier_error' };
  if (c.endReason) return { state: 'failed', reason: c.endReason };
  // Nobody on our side ended the call and no buyer was connected: the caller hung up first.
  if (c.a.hangupSource === 'caller') {
    const current = c.attempts[c.attempts.length - 1];
    const stage = current ? 'ringing' : c.routing ? 'routing' : c.answer.s === 'ok' ? 'answered' : 'received';
    return { state: 'abandoned', reason: `caller_hung_up_${stage}` };
  }
  return { state: 'failed', reason: c.a.endedAt === undefined ? 'lost' : (c.a.hangupCause ?? 'unknown') };
}

export function summarize(c: LiveCall, now: number): CallSummary {
  derive(c);
  const { state, reason } = finalState(c);
  const receivedAt = c.a.startedAt ?? c.createdAt;
  const legEnds = [c.a.endedAt, ...c.attempts.map((t) => t.leg.endedAt)].filter(
    (x): x is number => x !== undefined,
  );
  const endedAt = c.a.endedAt ?? (legEnds.length ? Math.max(...legEnds) : now);
  let ringMs = 0;
  for (const t of c.attempts) {
    if (t.leg.startedAt === undefined) continue;
    const stop = t.leg.answeredAt ?? t.leg.endedAt ?? endedAt;
    ringMs += Math.max(0, stop - t.leg.startedAt);
  }
  const connected = connectedAttempt(c);
  let talkMs = 0;
  if (connected) {
    const from = connected.leg.answeredAt;
    const to = connected.leg.endedAt ?? endedAt;
    if (from !== undefined) talkMs = Math.max(0, to - from);
  }
  const conversionSeconds = connected
    ? (connected.target.conversionSeconds ?? c.setup?.conversionSeconds ?? null)
    : null;
  const converted = !!connected && conversionSeconds !== null && talkMs >= conversionSeconds * 1000;
  const revenue = converted && connected ? parseMoney(connected.target.revenue) : 0n;
  const rule = c.setup?.payout;
  const payout = converted && rule && !c.setup?.duplicate ? computePayout(rule, revenue) : 0n;
  const firstRing = c.attempts.find((t) => t.leg.startedAt !== undefined || t.transfer.at !== undefined);

  const legs: LegRecord[] = [
    {
      leg: 'A',
      attempt: null,
      callControlId: c.a.ccid ?? null,
      targetId: null,
      destination: c.to ?? null,
      outcome: null,
      startedAt: iso(c.a.startedAt),
      answeredAt: iso(c.a.answeredAt ?? (c.answer.s === 'ok' ? c.answer.at : undefined)),
      endedAt: iso(c.a.endedAt),
      hangupCause: c.a.hangupCause ?? null,
      hangupSource: c.a.hangupSource ?? null,
      sipHangupCause: c.a.sipHangupCause ?? null,
    },
    ...c.attempts.map((t): LegRecord => ({
      leg: 'B',
      attempt: t.n,
      callControlId: t.leg.ccid ?? null,
      targetId: t.target.targetId,
      destination: t.target.destination,
      outcome: t.outcome ?? null,
      startedAt: iso(t.leg.startedAt),
      answeredAt: iso(t.leg.answeredAt),
      endedAt: iso(t.leg.endedAt),
      hangupCause: t.leg.hangupCause ?? null,
      hangupSource: t.leg.hangupSource ?? null,
      sipHangupCause: t.leg.sipHangupCause ?? null,
    })),
  ];

  return {
    state,
    reason,
    receivedAt,
    answeredAt: c.a.answeredAt ?? (c.answer.s === 'ok' ? (c.answer.at ?? null) : null),
    routingAt: c.routing?.startedAt ?? null,
    ringingAt: firstRing ? (firstRing.leg.startedAt ?? firstRing.transfer.at ?? null) : null,
    connectedAt: connected ? (connected.leg.answeredAt ?? null) : null,
    endedAt,
    ringMs,
    talkMs,
    totalMs: Math.max(0, endedAt - receivedAt),
    attempts: c.attempts.filter((t) => t.transfer.s !== 'todo').length,
    connected,
    converted,
    conversionSeconds,
    revenue,
    payout,
    profit: revenue - payout,
    legs,
  };
}

/**
 * The auction summary of the record: pings and valid bids, the bid that took the call (the best bid when
 * none connected; a static fallback's fixed revenue when that took it) and the best bid after it.
 */
export function auctionSummary(c: LiveCall): AuctionSummary | null {
  const a = c.routing?.auction;
  if (!a) return null;
  const connected = connectedAttempt(c);
  const rank = connected && isAuctionCandidate(connected.target) ? connected.target.auction.bid.rank : 0;
  let winningBid: string | null;
  let runnerUpBid: string | null;
  if (rank > 0) {
    winningBid = a.bids[rank - 1] ?? connected!.target.revenue;
    runnerUpBid = (rank === 1 ? a.bids[1] : a.bids[0]) ?? null;
  } else if (connected) {
    winningBid = connected.target.revenue;
    runnerUpBid = a.bids[0] ?? null;
  } else {
    winningBid = a.bids[0] ?? null;
    runnerUpBid = a.bids[1] ?? null;
  }
  const money = (v: string | null) => (v === null ? null : formatMoney(parseMoney(v)));
  return {
    pings: a.pings,
    bids: a.bids.length,
    winningBid: money(winningBid),
    runnerUpBid: money(runnerUpBid),
  };
}
