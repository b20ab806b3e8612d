// Call attribution: which visit made a call to a tracking number. Telephony asks this once per
// incoming call, so it keeps the dialled number's pool and campaign in short caches and reads the
// visit state the lease path wrote in Redis.
import { Injectable, OnModuleInit } from '@nestjs/common';
import { CampaignEntity } from '../campaigns/campaign.entity';
import { CampaignsService } from '../campaigns/campaigns.service';
import { TtlCache } from '../common/ttl-cache';
import { NumberPoolEntity } from '../numbers/number-pool.entity';
import { NumbersService } from '../numbers/numbers.service';
import type { TrackingNumberEntity } from '../numbers/tracking-number.entity';
import { DniSession, DniSessionRepository } from './dni-session.repository';
import { PoolAllocatorRepository } from './pool-allocator.repository';

export type AttributionMethod =
  'dial_click' | 'current_holder' | 'previous_holder' | 'repeat_caller' | 'source_only';

export interface CallAttribution {
  tenantId: string;
  campaignId: string;
  publisherId: string | null;
  poolId: string;
  trackingNumber: string;
  overflow: boolean;
  method: AttributionMethod;
  /** 0..1: how sure we are that `session` made the call. */
  confidence: number;
  session?: DniSession;
}

const CONFIDENCE: Record<AttributionMethod, number> = {
  dial_click: 0.95,
  current_holder: 0.85,
  previous_holder: 0.6,
  repeat_caller: 0.5,
  source_only: 0.2,
};

@Injectable()
export class CallAttributionService implements OnModuleInit {
  /** Call path (attribute): dialled number → its tracking number and pool, and campaigns by id. */
  private readonly dialled = new TtlCache<
    string,
    { tracking: TrackingNumberEntity | null; pool: NumberPoolEntity | null }
  >(5_000);
  private readonly campaignsById = new TtlCache<string, CampaignEntity>(5_000);

  constructor(
    private readonly allocator: PoolAllocatorRepository,
    private readonly sessions: DniSessionRepository,
    private readonly campaignsService: CampaignsService,
    private readonly numbers: NumbersService,
  ) {}

  onModuleInit(): void {
    this.numbers.onPoolChanged(async () => this.dialled.clear());
  }

  /**
   * Which visit made a call to `dialled` from `caller` at `at`? Tiers, best first: a dial-click
   * beacon within 120 s, the number's current lease holder, its previous holder within the
   * cooldown, the caller's last attributed session, and finally the pool's source only.
   */
  async attribute(dialled: string, caller: string, at: Date): Promise<CallAttribution | undefined> {
    const { tracking, pool } = await this.dialled.get(dialled, async () => {
      const tracking = await this.numbers.findTrackingNumber(dialled);
      const pool = tracking
        ? await this.numbers.findPoolById(tracking.poolId)
        : await this.numbers.poolByOverflowNumber(dialled);
      return { tracking, pool };
    });
    if (!pool) return undefined;
    const campaign = await this.campaignsById.get(pool.campaignId, () =>
      this.campaignsService.get(pool.tenantId, pool.campaignId),
    );
    const base = {
      tenantId: pool.tenantId,
      campaignId: pool.campaignId,
      publisherId: pool.publisherId,
      poolId: pool.id,
      trackingNumber: dialled,
      overflow: !tracking,
    };
    const t = at.getTime();
    const found = async (method: AttributionMethod, sid: string | null | undefined) => {
      if (!sid) return undefined;
      const session = await this.sessions.get(sid);
      if (!session || session.campaignId !== pool.campaignId) return undefined;
      await this.sessions.rememberCaller(pool.tenantId, caller, sid, campaign.attributionWindowS);
      return { ...base, method, confidence: CONFIDENCE[method], session } satisfies CallAttribution;
    };

    if (tracking && pool.kind === 'session') {
      const clicked = await found('dial_click', await this.sessions.clickedBy(dialled));
      if (clicked) return clicked;
      const h = await this.allocator.holderOf(pool.id, dialled);
      if (h.liveUntil !== undefined && h.liveUntil >= t) {
        const r = await found('current_holder', h.holder);
        if (r) return r;
      }
      if (h.releasedAt !== undefined && t - h.releasedAt <= pool.cooldownS * 1000) {
        const r = await found('previous_holder', h.holder);
        if (r) return r;
      }
    }
    const repeat = await found(
      'repeat_caller',
      await this.sessions.lastSessionOfCaller(pool.tenantId, caller),
    );
    if (repeat) return repeat;
    return { ...base, method: 'source_only', confidence: CONFIDENCE.source_only };
  }
}
