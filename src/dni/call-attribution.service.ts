// Call attribution: which visit made a call to a tracking number. Telephony asks this once per
// incoming call, so it keeps the dialled number's pool and campaign in short caches and reads the
// visit state the lease path wrote in Redis.
import { Injectable, OnModuleInit } from '@nestjs/common';
import { RefreshingCache } from '../auction/refreshing-cache';
import { CampaignEntity } from '../campaigns/campaign.entity';
import { CampaignsService } from '../campaigns/campaigns.service';
import { RedisService } from '../infra/redis/redis.service';
import { NumberPoolEntity } from '../numbers/number-pool.entity';
import { NumbersService } from '../numbers/numbers.service';
import type { TrackingNumberEntity } from '../numbers/tracking-number.entity';
import { CallAttributionScripts } from './call-attribution.scripts';
import type { DniSession } from './dni-session.repository';

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

/**
 * How long a dialled number's pool may be served from memory before a reload (in the background:
 * older values are served meanwhile, up to STALE_MS). A pool or number change made through this
 * instance clears it at once; other instances see it within this time, as in CallSetupService.
 */
const NUMBER_CACHE_MS = 60_000;
const CAMPAIGN_CACHE_MS = 5_000;
const STALE_MS = 10 * 60_000;

type Dialled = { tracking: TrackingNumberEntity | null; pool: NumberPoolEntity | null };
const dialledCache = () => new RefreshingCache<string, Dialled>(NUMBER_CACHE_MS, STALE_MS);

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
  private dialled = dialledCache();
  private readonly campaignsById = new RefreshingCache<string, CampaignEntity>(CAMPAIGN_CACHE_MS, STALE_MS);
  private readonly scripts: CallAttributionScripts;

  constructor(
    redis: RedisService,
    private readonly campaignsService: CampaignsService,
    private readonly numbers: NumbersService,
  ) {
    this.scripts = new CallAttributionScripts(redis.client);
  }

  onModuleInit(): void {
    // A fresh cache rather than a cleared one: a load still running lands in the old one.
    this.numbers.onPoolChanged(() => {
      this.dialled = dialledCache();
      return Promise.resolve();
    });
  }

  /**
   * Which visit made a call to `dialled` from `caller` at `at`? Tiers, best first: a dial-click
   * beacon within 120 s, the number's current lease holder, its previous holder within the
   * cooldown, the caller's last attributed session, and finally the pool's source only. A tier
   * counts only when its session still exists and belongs to the pool's campaign; the caller is then
   * remembered for that session (the repeat-caller tier of later calls). The tiers are walked in
   * Redis, in one round trip (call-attribution.scripts.ts).
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
    const hit = await this.scripts.attribute({
      dialled,
      caller,
      tenantId: pool.tenantId,
      campaignId: pool.campaignId,
      poolId: pool.id,
      atMs: at.getTime(),
      cooldownS: pool.cooldownS,
      attributionWindowS: campaign.attributionWindowS,
      holderTiers: !!tracking && pool.kind === 'session',
    });
    if (!hit) return { ...base, method: 'source_only', confidence: CONFIDENCE.source_only };
    return {
      ...base,
      method: hit.tier,
      confidence: CONFIDENCE[hit.tier],
      session: JSON.parse(hit.sessionJson) as DniSession,
    };
  }
}
