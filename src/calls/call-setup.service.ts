// What a call is, looked up when it arrives. First what decides how to treat it, from cached lookups so
// the caller is answered without waiting on anything slow: the tracking number's pool and campaign
// (unknown number, paused campaign) and the tenant's block list. Then, while the answer goes out, what
// routing and the record need: the visitor the call is attributed to (DNI), the call's tags, the
// publisher's payout rule and the duplicate-caller rule.
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { CampaignEntity } from '../campaigns/campaign.entity';
import { CampaignsService } from '../campaigns/campaigns.service';
import { toE164 } from '../common/phone';
import { type CallAttribution, CallAttributionService } from '../dni/call-attribution.service';
import { RefreshingCache } from '../auction/refreshing-cache';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import type { NumberPoolEntity } from '../numbers/number-pool.entity';
import { NumbersService } from '../numbers/numbers.service';
import type { PublisherEntity } from '../publishers/publisher.entity';
import { PublishersService } from '../publishers/publishers.service';
import { BlocklistRepository } from './blocklist.repository';
import type { CallSetup, Disposition } from './call-machine';
import { buildCallTags } from './call-tags';
import { DuplicatesRepository } from './duplicates.repository';

export interface SetupInput {
  id: string;
  from: string;
  to: string;
  at: Date;
}

/** Carrier numbers arrive in E.164 already; only other shapes go through the full parser. */
const E164 = /^\+[1-9]\d{6,14}$/;
const e164 = (n: string): string | undefined => (E164.test(n) ? n : toE164(n));

/** Block lists up to this size are cached whole per tenant; larger ones are queried per call. */
const BLOCKLIST_CACHE_MAX = 20_000;
/**
 * How long a change to pools, campaigns or block lists may take to reach the call path (plus one
 * reload). Older values are still served while a reload runs in the background, so once a number is
 * warm no caller waits on PostgreSQL before being answered; only values older than STALE_MS are waited for.
 */
const CACHE_MS = 5_000;
const STALE_MS = 10 * 60_000;
/**
 * Which pool a number belongs to: reloaded less often, because a pool or number change made through
 * this instance clears it at once (onPoolChanged); other instances see it within this time.
 */
const NUMBER_CACHE_MS = 60_000;

const numberCache = () => new RefreshingCache<string, NumberPoolEntity | null>(NUMBER_CACHE_MS, STALE_MS);

@Injectable()
export class CallSetupService implements OnModuleInit {
  private readonly logger = new Logger('CallSetup');
  private pools = numberCache();
  private readonly campaigns = new RefreshingCache<string, CampaignEntity | null>(CACHE_MS, STALE_MS);
  private readonly publishers = new RefreshingCache<string, PublisherEntity | null>(30_000, STALE_MS);
  private readonly blocked = new RefreshingCache<string, Set<string> | null>(CACHE_MS, STALE_MS);

  constructor(
    private readonly numbers: NumbersService,
    private readonly campaignsService: CampaignsService,
    private readonly publishersService: PublishersService,
    private readonly dni: CallAttributionService,
    private readonly blocklist: BlocklistRepository,
    private readonly duplicates: DuplicatesRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    // A fresh cache rather than a cleared one: a load still running lands in the old one.
    this.numbers.onPoolChanged(() => {
      this.pools = numberCache();
      return Promise.resolve();
    });
  }

  private poolOf(number: string): Promise<NumberPoolEntity | null> {
    return this.pools.get(number, async () => {
      const tracking = await this.numbers.findTrackingNumber(number);
      if (tracking) return this.numbers.findPoolById(tracking.poolId);
      return this.numbers.poolByOverflowNumber(number);
    });
  }

  private campaign(tenantId: string, id: string): Promise<CampaignEntity | null> {
    return this.campaigns.get(id, () => this.campaignsService.get(tenantId, id).catch(() => null));
  }

  private publisher(tenantId: string, id: string | null): Promise<PublisherEntity | null> {
    if (!id) return Promise.resolve(null);
    return this.publishers.get(id, () =>
      this.publishersService.get({ tenantId, role: 'operator', via: 'api_key' }, id).catch(() => null),
    );
  }

  private async isBlocked(tenantId: string, caller: string): Promise<boolean> {
    const set = await this.blocked.get(tenantId, async () => {
      const numbers = await this.blocklist.numbers(tenantId, BLOCKLIST_CACHE_MAX + 1);
      return numbers.length > BLOCKLIST_CACHE_MAX ? null : new Set(numbers);
    });
    return set ? set.has(caller) : this.blocklist.isBlocked(tenantId, caller);
  }

  /** A block list changed on this instance: apply it at once here (others within CACHE_MS). */
  forgetBlocklist(tenantId: string): void {
    this.blocked.delete(tenantId);
  }

  private unknown(): CallSetup {
    const c = this.config.calls;
    const disposition: Disposition =
      c.unknownNumberAction === 'message'
        ? { kind: 'message', reason: 'unknown_number', message: c.unknownNumberMessage }
        : { kind: 'reject', reason: 'unknown_number' };
    return {
      enriched: true,
      tenantId: null,
      campaignId: null,
      publisherId: null,
      poolId: null,
      disposition,
      tags: {},
      attribution: null,
      duplicate: false,
      conversionSeconds: 0,
      dupRoutingWindowS: 0,
      unroutedAction: 'reject',
      unroutedMessage: '',
      holdMessage: '',
      payout: null,
    };
  }

  private tags(
    input: SetupInput,
    pool: NumberPoolEntity,
    campaign: CampaignEntity,
    attribution?: CallAttribution,
  ) {
    return buildCallTags({
      caller: e164(input.from) ?? input.from,
      trackingNumber: e164(input.to) ?? input.to,
      campaign,
      publisherId: pool.publisherId,
      poolId: pool.id,
      attribution,
    });
  }

  /** How to treat the call: route it, reject it, or play a message (cached lookups only). */
  async decide(input: SetupInput): Promise<CallSetup> {
    const dialled = e164(input.to);
    const pool = dialled ? await this.poolOf(dialled) : null;
    const campaign = pool ? await this.campaign(pool.tenantId, pool.campaignId) : null;
    if (!pool || !campaign) return this.unknown();
    const caller = e164(input.from) ?? input.from;
    let disposition: Disposition = { kind: 'route' };
    if (campaign.status !== 'active') {
      disposition =
        campaign.unroutedAction === 'message' && campaign.unroutedMessage.trim() !== ''
          ? { kind: 'message', reason: 'campaign_paused', message: campaign.unroutedMessage }
          : { kind: 'reject', reason: 'campaign_paused' };
    } else if (await this.isBlocked(pool.tenantId, caller)) {
      disposition = { kind: 'reject', reason: 'blocked' };
    }
    return {
      enriched: disposition.kind !== 'route',
      tenantId: pool.tenantId,
      campaignId: campaign.id,
      publisherId: pool.publisherId,
      poolId: pool.id,
      disposition,
      tags: this.tags(input, pool, campaign),
      attribution: null,
      duplicate: false,
      conversionSeconds: campaign.conversionSeconds,
      dupRoutingWindowS: campaign.dupRoutingWindowS,
      unroutedAction: campaign.unroutedAction,
      unroutedMessage: campaign.unroutedMessage,
      holdMessage: campaign.holdMessage,
      payout: null,
    };
  }

  /** Attribution, tags, payout rule and the payout-duplicate flag of a call that will be routed. */
  async enrich(input: SetupInput, setup: CallSetup): Promise<Partial<CallSetup>> {
    const pool = setup.poolId ? await this.poolOf(e164(input.to) ?? input.to) : null;
    const campaign = pool ? await this.campaign(pool.tenantId, pool.campaignId) : null;
    if (!pool || !campaign) return { enriched: true };
    const caller = e164(input.from) ?? input.from;
    const [attribution, duplicate, publisher] = await Promise.all([
      this.dni.attribute(e164(input.to) ?? input.to, caller, input.at).catch((e: unknown) => {
        this.logger.warn({ err: e, callId: input.id }, 'attribution failed; the call goes on without it');
        return undefined;
      }),
      this.duplicates.isPayoutDuplicate(campaign.id, caller, input.id, campaign.dupPayoutWindowS),
      this.publisher(pool.tenantId, pool.publisherId),
    ]);
    return {
      enriched: true,
      tags: this.tags(input, pool, campaign, attribution),
      attribution: attribution
        ? {
            method: attribution.method,
            confidence: attribution.confidence,
            sid: attribution.session?.sid ?? null,
          }
        : null,
      duplicate,
      payout: publisher
        ? {
            type: publisher.payoutType,
            amount: publisher.payoutAmount,
            percent: publisher.payoutPercent,
            min: publisher.payoutMin,
            max: publisher.payoutMax,
          }
        : null,
    };
  }
}
