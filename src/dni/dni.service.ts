// Dynamic Number Insertion: leases tracking numbers to visitors, keeps their attribution, and
// keeps the visit state that call attribution (call-attribution.service.ts) reads.
import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { CampaignEntity } from '../campaigns/campaign.entity';
import { CampaignsService } from '../campaigns/campaigns.service';
import { AppError } from '../common/errors';
import { toE164 } from '../common/phone';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import { MetricsService } from '../infra/metrics/metrics.service';
import { NumberPoolEntity } from '../numbers/number-pool.entity';
import { NumbersService } from '../numbers/numbers.service';
import { attributionFrom, isCrawler, resetsAttribution, visitFingerprint } from './attribution';
import { DniSession, DniSessionRepository } from './dni-session.repository';
import { ClickRequest, LeaseRequest, SessionRequest } from './dni.schemas';
import { LeaseResponseDto, PoolHealthResponseDto } from './dto/dni.dto';
import { recommendedPoolSize } from './erlang';
import { HotCache } from './hot-cache';
import { PoolAllocatorRepository } from './pool-allocator.repository';

export const HEARTBEAT_S = 60;
/** A session is rewritten (and re-exported) at most this often when nothing changes. */
const SESSION_REWRITE_MS = 60_000;
/** Sids remembered per window by recentlyFresh (bounds its memory). */
const MAX_FRESH_HINTS = 100_000;
const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export interface ClientInfo {
  ip: string;
  userAgent?: string;
}

@Injectable()
export class DniService implements OnModuleInit, OnModuleDestroy {
  private readonly campaigns = new HotCache<string, CampaignEntity | null>(5_000);
  private readonly pools = new HotCache<string, NumberPoolEntity[]>(5_000);
  private readonly synced = new HotCache<string, true>(60_000);
  private readonly leaseCounter;
  /** Lease outcomes by pool since the last flush into `leaseCounter` (once a second, off the hot path). */
  private leaseCounts = new Map<string, Record<string, number>>();
  private countsTimer?: NodeJS.Timeout;
  private freshNow = new Set<string>();
  private freshBefore = new Set<string>();
  private freshSince = Date.now();

  constructor(
    private readonly allocator: PoolAllocatorRepository,
    private readonly sessions: DniSessionRepository,
    private readonly campaignsService: CampaignsService,
    private readonly numbers: NumbersService,
    metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.leaseCounter = metrics.counter(
      'dni_lease_requests_total',
      'DNI lease requests by pool and outcome',
      ['pool', 'outcome'],
    );
  }

  onModuleInit(): void {
    this.numbers.onPoolChanged((poolId) => this.syncPool(poolId));
    this.countsTimer = setInterval(() => this.flushLeaseCounts(), 1_000);
    this.countsTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.countsTimer);
    this.flushLeaseCounts();
  }

  private flushLeaseCounts(): void {
    const counts = this.leaseCounts;
    this.leaseCounts = new Map();
    for (const [pool, outcomes] of counts) {
      for (const outcome in outcomes) this.leaseCounter.inc({ pool, outcome }, outcomes[outcome]);
    }
  }

  /** Makes the allocator hold exactly the pool's active numbers (after any pool change). */
  async syncPool(poolId: string): Promise<void> {
    const pool = await this.numbers.findPoolById(poolId);
    const active = pool && pool.kind === 'session' ? await this.numbers.activeNumbers(poolId) : [];
    await this.allocator.sync(
      poolId,
      active.map((n) => n.number),
      Date.now(),
    );
    this.synced.delete(poolId);
    this.pools.clear();
  }

  private ensureSynced(poolId: string): Promise<true> {
    return this.synced.get(poolId, async () => {
      if (!(await this.allocator.isSynced(poolId))) await this.syncPool(poolId);
      return true;
    });
  }

  private async campaignByKey(key: string): Promise<CampaignEntity> {
    const c = await this.campaigns.get(key, () => this.campaignsService.findByPublicKey(key));
    if (!c) throw new AppError(404, 'DNI_UNKNOWN_KEY', 'Unknown campaign key');
    return c;
  }

  private campaignPools(campaignId: string): Promise<NumberPoolEntity[]> {
    return this.pools.get(campaignId, () => this.numbers.poolsOfCampaign(campaignId));
  }

  /** The pool serving a visit: the publisher's own when the page names one, else the first. */
  private pickPool(pools: NumberPoolEntity[], publisherHint?: string): NumberPoolEntity | undefined {
    // Plain loops: this runs on every lease.
    let hinted = false;
    if (publisherHint) for (const p of pools) if (p.publisherId === publisherHint) hinted = true;
    let fallback: NumberPoolEntity | undefined;
    for (const p of pools) {
      if (hinted && p.publisherId !== publisherHint) continue;
      if (p.kind === 'session') return p;
      if (p.kind === 'static') fallback ??= p;
    }
    return fallback;
  }

  async lease(req: LeaseRequest, client: ClientInfo): Promise<LeaseResponseDto> {
    // Cache hits are read synchronously: a renewal waits on Redis and nothing else.
    const campaign = this.campaigns.peek(req.key) ?? (await this.campaignByKey(req.key));
    const sid = req.sid ?? randomBytes(16).toString('base64url');
    if (campaign.status !== 'active' || isCrawler(client.userAgent)) return this.none(sid, campaign);

    const params = req.params ?? NO_PARAMS;
    const pools = this.pools.peek(campaign.id) ?? (await this.campaignPools(campaign.id));
    const pool = this.pickPool(pools, params.cb_pub ?? req.tags?.publisher);
    if (!pool) return this.none(sid, campaign);

    const now = Date.now();
    // Only a visitor that brings its own sid can have a session already.
    let previousPromise: Promise<DniSession | undefined> | undefined;
    let number: string | null = null;
    let overflow = false;
    let outcome: string;
    let fingerprint = '';
    if (pool.kind === 'static') {
      // A static source number is the publisher's own line: no lease, source-level attribution.
      if (req.sid) previousPromise = this.sessions.getInTurn(sid);
      const active = await this.numbers.activeNumbers(pool.id);
      number = active[0]?.number ?? null;
      outcome = number ? 'static' : 'none';
    } else {
      if (!this.synced.peek(pool.id)) await this.ensureSynced(pool.id);
      fingerprint = visitFingerprint(params, req.tags, campaign.paramTags);
      // A visitor not seen renewing lately will likely need its session: read it alongside.
      if (req.sid && !this.recentlyFresh(sid)) {
        previousPromise = this.sessions.getInTurn(sid);
        previousPromise.catch(() => undefined); // unused when the lease turns out fresh
      }
      const r = await this.allocator.lease(
        pool.id,
        sid,
        now,
        pool.leaseIdleS * 1000,
        pool.cooldownS * 1000,
        fingerprint,
        SESSION_REWRITE_MS,
      );
      if (r.fresh) {
        // A renewal the stored session already reflects: nothing to read or write.
        this.noteFresh(sid);
        this.countLease(pool.id, r.outcome);
        return this.answer(sid, r.number!, false, campaign, pool);
      }
      outcome = r.outcome;
      if (r.number) number = r.number;
      else if (pool.overflowNumber) {
        number = pool.overflowNumber;
        overflow = true;
        outcome = 'overflow';
      } else outcome = 'none';
    }
    this.countLease(pool.id, outcome);
    // Leased from the pool (not overflow): the allocator can remember this visit's fingerprint.
    const leased = pool.kind === 'session' && !overflow ? number : null;

    const visit = attributionFrom(req.page ?? '', req.ref ?? '', params, req.tags ?? {}, campaign.paramTags);
    const previous = req.sid ? await (previousPromise ?? this.sessions.getInTurn(sid)) : undefined;
    const keep = previous && previous.campaignId === campaign.id && !resetsAttribution(previous, visit);
    // A renewal that changes nothing and comes soon after the last write needs no write at all.
    const unchanged =
      keep &&
      previous.number === number &&
      previous.poolId === pool.id &&
      now - previous.lastSeenAt < SESSION_REWRITE_MS &&
      Object.entries(visit.tags).every(([k, v]) => previous.tags[k] === v);
    if (unchanged) {
      // Next time the same visit is recognised by the allocator alone. Only a hint: a failure
      // costs the next renewal a session read, nothing else.
      if (leased) this.allocator.mark(pool.id, sid, leased, previous.lastSeenAt, fingerprint);
      return this.answer(sid, number, overflow, campaign, pool);
    }
    const session: DniSession = {
      ...(keep ? previous : visit),
      tags: keep ? { ...previous.tags, ...visit.tags } : visit.tags,
      sid,
      tenantId: campaign.tenantId,
      campaignId: campaign.id,
      publisherId: pool.publisherId,
      poolId: pool.id,
      number,
      overflow,
      userAgent: (client.userAgent ?? '').slice(0, 512),
      leasedAt: keep ? previous.leasedAt : now,
      lastSeenAt: now,
    };
    const saved = this.sessions.save(session, campaign.attributionWindowS);
    // The session moves away from another pool: that pool's fingerprint no longer describes it.
    if (previous?.poolId && previous.poolId !== pool.id) {
      await Promise.all([saved, this.allocator.forget(previous.poolId, sid)]);
    } else await saved;
    // Marked only once the session is stored, so a mark never describes a session not written.
    if (leased) this.allocator.mark(pool.id, sid, leased, now, fingerprint);
    return this.answer(sid, number, overflow, campaign, pool);
  }

  /**
   * Sids whose lease was fresh in this or the previous window. Only decides whether the session is
   * fetched together with the lease (saving a round trip for visitors that need it); a wrong guess
   * costs one read too many or one round trip more, never a different answer.
   */
  private recentlyFresh(sid: string): boolean {
    return this.freshNow.has(sid) || this.freshBefore.has(sid);
  }

  private noteFresh(sid: string): void {
    const now = Date.now();
    if (now - this.freshSince >= SESSION_REWRITE_MS || this.freshNow.size >= MAX_FRESH_HINTS) {
      this.freshBefore = this.freshNow;
      this.freshNow = new Set();
      this.freshSince = now;
    }
    this.freshNow.add(sid);
  }

  private none(sid: string, campaign: CampaignEntity): LeaseResponseDto {
    return {
      sid,
      number: null,
      overflow: false,
      targets: campaign.swapNumbers,
      ttl: 0,
      heartbeat: HEARTBEAT_S,
    };
  }

  private countLease(poolId: string, outcome: string): void {
    let outcomes = this.leaseCounts.get(poolId);
    if (!outcomes) this.leaseCounts.set(poolId, (outcomes = {}));
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }

  private answer(
    sid: string,
    number: string | null,
    overflow: boolean,
    campaign: CampaignEntity,
    pool: NumberPoolEntity,
  ): LeaseResponseDto {
    return {
      sid,
      number,
      overflow,
      targets: campaign.swapNumbers,
      ttl: pool.kind === 'session' && !overflow && number ? pool.leaseIdleS : 0,
      heartbeat: HEARTBEAT_S,
    };
  }

  private async sessionFor(
    req: SessionRequest,
  ): Promise<{ session: DniSession; pool: NumberPoolEntity } | undefined> {
    const campaign = await this.campaignByKey(req.key);
    const session = await this.sessions.get(req.sid);
    if (!session || session.campaignId !== campaign.id || !session.poolId) return undefined;
    const pool = (await this.campaignPools(campaign.id)).find((p) => p.id === session.poolId);
    return pool ? { session, pool } : undefined;
  }

  async heartbeat(req: SessionRequest): Promise<{ number: string; ttl: number }> {
    const found = await this.sessionFor(req);
    const gone = new AppError(404, 'DNI_LEASE_GONE', 'The lease has ended; lease again');
    if (!found || found.pool.kind !== 'session') throw gone;
    const r = await this.allocator.heartbeat(
      found.pool.id,
      req.sid,
      Date.now(),
      found.pool.leaseIdleS * 1000,
    );
    if (!r) throw gone;
    return { number: r.number, ttl: Math.max(1, Math.round((r.expiresAt - Date.now()) / 1000)) };
  }

  async release(req: SessionRequest): Promise<void> {
    const found = await this.sessionFor(req);
    if (found?.pool.kind === 'session') await this.allocator.release(found.pool.id, req.sid, Date.now());
  }

  async click(req: ClickRequest): Promise<void> {
    const found = await this.sessionFor(req);
    const number = toE164(req.number);
    if (found && number && found.session.number === number) await this.sessions.recordClick(number, req.sid);
  }

  async poolHealth(pool: NumberPoolEntity): Promise<PoolHealthResponseDto> {
    await this.ensureSynced(pool.id);
    const now = Date.now();
    const status = await this.allocator.status(pool.id, now);
    const s = status.stats;
    const numbers = status.liveLeases + status.freeNumbers;
    const requests = s.requests ?? 0;
    const exhausted = s.exhausted ?? 0;
    const meanHoldS = s.ended ? s.held_ms / s.ended / 1000 : pool.leaseIdleS;
    const elapsedS = s.since ? Math.max(1, (now - s.since) / 1000) : 0;
    const wanted = (s.new ?? 0) + (s.rebound ?? 0) + exhausted;
    const offeredLoad = elapsedS ? (wanted / elapsedS) * (meanHoldS + pool.cooldownS) : 0;
    return {
      poolId: pool.id,
      numbers,
      liveLeases: status.liveLeases,
      utilisation: numbers ? status.liveLeases / numbers : 0,
      leaseRequests: requests,
      exhausted,
      exhaustionRate: requests ? exhausted / requests : 0,
      peakConcurrentLeases: s.peak ?? 0,
      meanHoldS: Math.round(meanHoldS * 10) / 10,
      offeredLoad: Math.round(offeredLoad * 100) / 100,
      recommendedSize: recommendedPoolSize(offeredLoad),
    };
  }
}
