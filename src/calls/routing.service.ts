// Where a call can go, in order: candidates() is the list the call processor walks, attempt by attempt.
// With the auction (src/auction, registered by the API role): the call is sold in a real-time auction
// among the campaign's ping/post buyers and static targets, and the valid bids, best first, are the
// candidates (revenue recovery: a busy or unanswered winner passes the call to the next bid); static
// targets that did not make the ranking (under the floor) follow as fallbacks. Should the auction fail
// (its stores down), the call still goes to the static targets. Without it: the campaign's static
// targets by priority and weight, open by their schedule, whose tag filters match the call, minus buyers
// this caller reached inside the campaign's routing-duplicate window. Caps and concurrency are checked
// atomically when a candidate is reserved (reserve; for a bid, the auction's claim, which also asks the
// buyer to confirm when its target says so).
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { isAuctionCandidate, routingPlan } from '../auction/auction-routing';
import { AuctionService } from '../auction/auction.service';
import type { AuctionRequest, AuctionResult } from '../auction/auction.types';
import { isOpen } from '../common/schedule';
import { matches } from '../common/tag-filter';
import { TtlCache } from '../common/ttl-cache';
import type { TargetEntity } from '../buyers/target.entity';
import type { Candidate, RoutingAuction } from './call-machine';
import { DuplicatesRepository } from './duplicates.repository';
import { orderByPriorityAndWeight } from './routing-order';
import { RoutingRepository } from './routing.repository';
import { TargetCapsRepository } from './target-caps.repository';

export interface RoutingRequest {
  callId: string;
  tenantId: string;
  campaignId: string;
  caller: string;
  tags: Record<string, string>;
  at: Date;
  dupRoutingWindowS: number;
}

export interface RoutingPlan {
  candidates: Candidate[];
  skipped: Array<{ targetId: string; reason: string }>;
  auction?: RoutingAuction;
}

/** Skip reasons after which a static target is not offered the call as a fallback either. */
const NO_FALLBACK = new Set(['closed', 'filters', 'duplicate_caller', 'misconfigured', 'concurrency']);

/** Slack on a concurrency slot past the ring timeout, before it stops counting on its own. */
const RESERVATION_SLACK_MS = 60_000;
/** A connected call's slot lives as long as Telnyx's longest call (time_limit_secs 14 400) plus slack. */
export const CONNECTED_SLOT_MS = 14_400_000 + RESERVATION_SLACK_MS;

@Injectable()
export class RoutingService {
  private readonly targets = new TtlCache<string, TargetEntity[]>(2_000);

  private readonly logger = new Logger('Routing');

  constructor(
    private readonly repo: RoutingRepository,
    private readonly duplicates: DuplicatesRepository,
    private readonly caps: TargetCapsRepository,
    @Optional() @Inject(AuctionService) private readonly auction?: AuctionService,
  ) {}

  /** Starts the auction's reads ahead of candidates() (call it when the call is answered). */
  prepare(req: RoutingRequest): void {
    this.auction?.prepare(this.auctionRequest(req));
  }

  async candidates(req: RoutingRequest): Promise<RoutingPlan> {
    if (!this.auction) return this.staticPlan(req);
    let result: AuctionResult;
    try {
      result = await this.auction.run(this.auctionRequest(req));
    } catch (e) {
      this.logger.error({ err: e, callId: req.callId }, 'auction failed; routing to static targets');
      return this.staticPlan(req);
    }
    const plan = routingPlan(result);
    const out = new Set<string>(plan.candidates.map((c) => c.targetId));
    for (const s of result.skipped)
      if (NO_FALLBACK.has(s.reason) || s.reason.startsWith('cap_')) out.add(s.targetId);
    const targets = await this.staticTargets(req);
    const fallbacks = orderByPriorityAndWeight(
      targets.filter((t) => !out.has(t.id)),
      req.callId,
    ).map(toCandidate);
    return {
      candidates: [...plan.candidates, ...fallbacks],
      skipped: plan.skipped,
      auction: {
        auctionId: result.auctionId,
        pings:
          result.bids.filter((b) => b.kind === 'ping_post').length +
          result.rejected.filter((r) => r.kind === 'ping_post').length,
        bids: result.bids.map((b) => b.revenue),
      },
    };
  }

  private auctionRequest(req: RoutingRequest): AuctionRequest {
    return {
      callId: req.callId,
      tenantId: req.tenantId,
      campaignId: req.campaignId,
      caller: req.caller,
      tags: req.tags,
      at: req.at,
    };
  }

  private staticTargets(req: RoutingRequest): Promise<TargetEntity[]> {
    return this.targets.get(`${req.tenantId}:${req.campaignId}`, () =>
      this.repo.staticTargets(req.tenantId, req.campaignId),
    );
  }

  /** The static targets alone, by priority and weight. */
  private async staticPlan(req: RoutingRequest): Promise<RoutingPlan> {
    const [targets, routedBuyers] = await Promise.all([
      this.staticTargets(req),
      this.duplicates.routedBuyers(req.campaignId, req.caller, req.dupRoutingWindowS, req.at.getTime()),
    ]);
    const skipped: RoutingPlan['skipped'] = [];
    const open = targets.filter((t) => {
      const reason = !isOpen(t.schedule, req.at)
        ? 'closed'
        : !matches(t.filters, req.tags)
          ? 'filters'
          : routedBuyers.has(t.buyerId)
            ? 'duplicate_caller'
            : undefined;
      if (reason) skipped.push({ targetId: t.id, reason });
      return !reason;
    });
    return { candidates: orderByPriorityAndWeight(open, req.callId).map(toCandidate), skipped };
  }

  /**
   * Takes the candidate's concurrency slot and call caps for this attempt: 'ok' or why not. A bid is
   * claimed through the auction (still valid, caps, the buyer's confirmation when asked for).
   */
  reserve(c: Candidate, member: string, at: number): Promise<string> {
    if (isAuctionCandidate(c)) {
      if (!this.auction) return Promise.resolve('auction_unavailable');
      return this.auction.claimCandidate(c, member, at);
    }
    const expiresAt = at + c.ringTimeoutS * 1000 + RESERVATION_SLACK_MS;
    return this.caps.reserve(
      { targetId: c.targetId, caps: c.caps, concurrencyCap: c.concurrencyCap },
      member,
      at,
      expiresAt,
    );
  }
}

function toCandidate(t: TargetEntity): Candidate {
  return {
    targetId: t.id,
    buyerId: t.buyerId,
    destination: t.destination!,
    ringTimeoutS: t.ringTimeoutS,
    conversionSeconds: t.conversionSeconds,
    revenue: t.revenue ?? '0',
    concurrencyCap: t.concurrencyCap,
    caps: t.caps ?? {},
  };
}
