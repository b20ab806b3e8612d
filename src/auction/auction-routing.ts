// The auction in the shape the call flow walks (src/calls: RoutingService.candidates() gives an ordered
// list of Candidates, one transfer attempt each, and reserve() takes a candidate's slot before its
// transfer). An auction bid becomes a candidate whose revenue is the bid and whose conversion seconds are
// the buyer's required talk time, carrying what claim() needs to take it later, possibly on another
// instance: the bid and the auction's identity, plus the call's tags only where a confirmation will be
// rendered (kept out of the other candidates to keep the call state small).
import type { TargetCaps } from '../buyers/target.entity';
import type { AuctionResult, Bid, ClaimContext } from './auction.types';

/** Structurally a src/calls Candidate, plus the bid it came from. */
export interface AuctionCandidate {
  targetId: string;
  buyerId: string;
  destination: string;
  ringTimeoutS: number;
  conversionSeconds: number | null;
  revenue: string;
  concurrencyCap: number | null;
  caps: TargetCaps;
  auction: {
    ctx: Omit<ClaimContext, 'tags'> & { tags: Readonly<Record<string, string>> | null };
    bid: Bid;
  };
}

export interface AuctionPlan {
  candidates: AuctionCandidate[];
  skipped: Array<{ targetId: string; reason: string }>;
}

/** The bids of an auction, best first, as call-flow candidates; rejections and skips as skipped. */
export function routingPlan(result: AuctionResult): AuctionPlan {
  const ctx = {
    auctionId: result.auctionId,
    callId: result.callId,
    tenantId: result.tenantId,
    campaignId: result.campaignId,
    caller: result.caller,
  };
  return {
    candidates: result.bids.map((bid) => bidCandidate(bid, ctx, bid.confirm ? result.tags : null)),
    skipped: [
      ...result.skipped.map((s) => ({ targetId: s.targetId, reason: s.reason })),
      ...result.rejected.map((r) => ({ targetId: r.targetId, reason: `bid_${r.reason}` })),
    ],
  };
}

/** A bid as a call-flow candidate: the bid's own fields, and the auction's identity for claim(). */
export function bidCandidate(
  bid: Bid,
  id: Omit<AuctionCandidate['auction']['ctx'], 'tags'>,
  tags: AuctionCandidate['auction']['ctx']['tags'],
): AuctionCandidate {
  return {
    targetId: bid.targetId,
    buyerId: bid.buyerId,
    destination: bid.destination,
    ringTimeoutS: bid.ringTimeoutS,
    conversionSeconds: bid.conversionSeconds,
    revenue: bid.revenue,
    concurrencyCap: bid.concurrencyCap,
    caps: bid.caps,
    auction: { ctx: { ...id, tags }, bid },
  };
}

export function isAuctionCandidate(c: object): c is AuctionCandidate {
  return (
    typeof (c as { auction?: unknown }).auction === 'object' && (c as { auction?: unknown }).auction !== null
  );
}
