// Where a call can go, in order. Today: the campaign's static targets by priority and weight, open by
// their schedule, whose tag filters match the call, minus buyers this caller reached inside the
// campaign's routing-duplicate window. Caps and concurrency are checked atomically when a transfer is
// reserved (reserve). The auction adds bidders in front of this seam: candidates() is the list the call
// processor walks, attempt by attempt.
import { Injectable } from '@nestjs/common';
import { isOpen } from '../common/schedule';
import { matches } from '../common/tag-filter';
import { TtlCache } from '../common/ttl-cache';
import type { TargetEntity } from '../buyers/target.entity';
import type { Candidate } from './call-machine';
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
}

/** Slack on a concurrency slot past the ring timeout, before it stops counting on its own. */
const RESERVATION_SLACK_MS = 60_000;
/** A connected call's slot lives as long as Telnyx's longest call (time_limit_secs 14 400) plus slack. */
export const CONNECTED_SLOT_MS = 14_400_000 + RESERVATION_SLACK_MS;

@Injectable()
export class RoutingService {
  private readonly targets = new TtlCache<string, TargetEntity[]>(2_000);

  constructor(
    private readonly repo: RoutingRepository,
    private readonly duplicates: DuplicatesRepository,
    private readonly caps: TargetCapsRepository,
  ) {}

  async candidates(req: RoutingRequest): Promise<RoutingPlan> {
    const [targets, routedBuyers] = await Promise.all([
      this.targets.get(`${req.tenantId}:${req.campaignId}`, () =>
        this.repo.staticTargets(req.tenantId, req.campaignId),
      ),
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
    const ordered = orderByPriorityAndWeight(open, req.callId);
    return {
      candidates: ordered.map((t) => ({
        targetId: t.id,
        buyerId: t.buyerId,
        destination: t.destination!,
        ringTimeoutS: t.ringTimeoutS,
        conversionSeconds: t.conversionSeconds,
        revenue: t.revenue ?? '0',
        concurrencyCap: t.concurrencyCap,
        caps: t.caps ?? {},
      })),
      skipped,
    };
  }

  /** Takes the candidate's concurrency slot and call caps for this attempt: 'ok' or why not. */
  reserve(c: Candidate, member: string, at: number): Promise<string> {
    const expiresAt = at + c.ringTimeoutS * 1000 + RESERVATION_SLACK_MS;
    return this.caps.reserve(
      { targetId: c.targetId, caps: c.caps, concurrencyCap: c.concurrencyCap },
      member,
      at,
      expiresAt,
    );
  }
}
