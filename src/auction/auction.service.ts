// The real-time auction of a call. run(): the campaign's targets pass eligibility (rules, duplicate
// caller, a read of caps and concurrency), every eligible ping/post target is pinged at once over
// keep-alive connections with its own timeout inside the campaign's hard deadline, static targets take
// part with their fixed revenue, cached answers stand in for repeat pings; the auction closes when
// every ping has answered or at the deadline, and the valid bids come back ranked. award()/claim():
// take the best still-valid bid: reserve its cap and concurrency slot atomically, confirm with the buyer
// when the target asks for it (a refusal frees the slot and moves to the next bid). finish(): free the
// slot when the call ends, remember the buyer for the duplicate rule, count the conversion and its
// revenue. Every participant becomes a bid_log row, queued off the path.
import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { CampaignEntity } from '../campaigns/campaign.entity';
import { CampaignsService } from '../campaigns/campaigns.service';
import { DuplicatesRepository } from '../calls/duplicates.repository';
import { TargetCapsRepository } from '../calls/target-caps.repository';
import type { TargetEntity } from '../buyers/target.entity';
import { type ConfirmSpec, parseJsonPath, readJsonPath } from '../buyers/ping-spec';
import { formatMoney, type Money, parseMoney } from '../common/money';
import { MetricsService } from '../infra/metrics/metrics.service';
import { AUCTION_CAPS, AUCTION_DUPLICATES } from './auction-redis';
import type { AuctionCandidate } from './auction-routing';
import { type CachedAnswer, AuctionStoreRepository } from './auction-store.repository';
import { AuctionRepository } from './auction.repository';
import type {
  AuctionRequest,
  AuctionResult,
  Award,
  Bid,
  ClaimContext,
  ClaimRefusal,
  PingFacts,
  Rejection,
  RejectReason,
  Skip,
} from './auction.types';
import { BidLogRepository, type BidLogRow } from './bid-log.repository';
import { capBlock, hasCaps, ruleBlock, type CapSnapshot } from './eligibility';
import { Deadline, PingClient } from './ping-client';
import { pingContext, renderRequest, requestHash } from './ping-request';
import { bidRevenue, rankBids } from './ranking';
import { RefreshingCache } from './refreshing-cache';
import { parseBidResponse, type ParsedBid } from './response-parser';

/** Slack on a held slot past the ring timeout before it stops counting on its own (crash backstop). */
const RESERVATION_SLACK_MS = 60_000;
const EMPTY = new Set<string>();
const NONE: readonly null[] = [];

/** A participant before ranking: a bid with its target, or a rejection. */
type Answer =
  | { ok: true; target: TargetEntity; facts: PingFacts; bid: ParsedBid }
  | {
      ok: false;
      target: TargetEntity;
      facts: PingFacts;
      reason: RejectReason;
      revenue?: Money;
      bidId?: string | null;
    };

/** The eligibility reads of an auction (run() does them, or prepare() did them ahead). */
interface Eligibility {
  campaign: CampaignEntity;
  skipped: Skip[];
  /** Targets to ping, and static targets' answers (fixed revenue). */
  participants: Array<TargetEntity | Answer>;
  /** The cached answer of each ping/post target with a cache window, by target id. */
  cached: Map<string, CachedAnswer | null>;
}

/** How long prepare()'s reads stand in for run()'s. */
const PREPARED_TTL_MS = 5_000;
/** Closed auctions' log rows and cache entries are written this long after the first of them closes. */
const AFTER_CLOSE_MS = 5;

/** What the cache may keep of an answer: valid bids and the buyer's explicit no. */
const CACHEABLE: ReadonlySet<RejectReason> = new Set(['not_accepted', 'no_bid']);

@Injectable()
export class AuctionService {
  private readonly logger = new Logger('Auction');
  private readonly targets = new RefreshingCache<string, TargetEntity[]>(2_000, 60_000);
  private readonly campaigns = new RefreshingCache<string, CampaignEntity>(5_000, 60_000);
  private readonly pendingWrites = new Set<Promise<void>>();
  private closed: Array<{ result: AuctionResult; answers: Answer[] }> = [];
  /** Claim rows waiting for the next batch (usually the one of the auction they come from). */
  private claimRows: BidLogRow[] = [];
  private batchDue = false;
  private readonly prepared = new Map<
    string,
    { at: number; campaignId: string; caller: string; eligibility: Promise<Eligibility> }
  >();
  private readonly duration;
  private readonly answers;
  private readonly awards;

  constructor(
    private readonly repo: AuctionRepository,
    private readonly store: AuctionStoreRepository,
    @Inject(AUCTION_CAPS) private readonly caps: TargetCapsRepository,
    @Inject(AUCTION_DUPLICATES) private readonly duplicates: DuplicatesRepository,
    private readonly bidLog: BidLogRepository,
    private readonly http: PingClient,
    private readonly campaignsService: CampaignsService,
    metrics: MetricsService,
  ) {
    this.duration = metrics.histogram(
      'auction_duration_seconds',
      'From the start of an auction to its close',
      ['closed_by'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    );
    this.answers = metrics.counter('auction_answers_total', 'Auction participants by outcome', ['outcome']);
    this.awards = metrics.counter('auction_awards_total', 'Attempts to take a bid, by result', ['result']);
  }

  // ---- the auction ---------------------------------------------------------------------------------

  /**
   * Starts the auction's reads for a call ahead of run() (campaign, targets, duplicate-caller buyers,
   * cap counters, cached bids), e.g. while the call is being answered. A run() for the same call within
   * a few seconds uses them instead of waiting for Redis; without prepare() it does the reads itself.
   */
  prepare(req: AuctionRequest): void {
    const at = req.at ?? new Date();
    const p = this.eligibility(req, at);
    p.catch(() => undefined); // run() redoes the reads and reports their failure
    if (this.prepared.size >= 10_000) this.prepared.clear();
    this.prepared.set(req.callId, {
      at: Date.now(),
      campaignId: req.campaignId,
      caller: req.caller,
      eligibility: p,
    });
  }

  /** The campaign's targets that may take part, with what is known before any ping. */
  private async eligibility(req: AuctionRequest, at: Date): Promise<Eligibility> {
    const [campaign, targets] = await Promise.all([
      this.campaign(req.tenantId, req.campaignId),
      this.campaignTargets(req.tenantId, req.campaignId),
    ]);
    const skipped: Skip[] = [];
    const skip = (t: TargetEntity, reason: Skip['reason']) =>
      skipped.push({ targetId: t.id, buyerId: t.buyerId, reason });

    const eligible = targets.filter((t) => {
      const reason = ruleBlock(t, at, req.tags);
      if (reason) skip(t, reason);
      return !reason;
    });
    const nowMs = at.getTime();
    // Only the reads some target needs are made (most campaigns: the duplicate-caller read alone).
    const withCaps = eligible.some((t) => hasCaps(t));
    const withCache = eligible.some((t) => t.kind === 'ping_post' && t.cacheWindowS > 0);
    const [routed, snapshots, cached] = await Promise.all([
      eligible.length > 0 && campaign.dupRoutingWindowS > 0
        ? this.duplicates.routedBuyers(req.campaignId, req.caller, campaign.dupRoutingWindowS, nowMs)
        : EMPTY,
      withCaps
        ? Promise.all(eligible.map((t) => (hasCaps(t) ? this.store.capSnapshot(t.id, nowMs) : null)))
        : NONE,
      withCache
        ? Promise.all(
            eligible.map((t) =>
              t.kind === 'ping_post' && t.cacheWindowS > 0
                ? this.store.cachedAnswer(t.id, req.campaignId, req.caller)
                : null,
            ),
          )
        : NONE,
    ]);

    const participants: Array<TargetEntity | Answer> = [];
    eligible.forEach((t, i) => {
      if (routed.has(t.buyerId)) return skip(t, 'duplicate_caller');
      const snap: CapSnapshot | null | undefined = snapshots[i];
      const full = snap ? capBlock(t.caps ?? {}, t.concurrencyCap, snap) : undefined;
      if (full) return skip(t, full);
      participants.push(t.kind === 'static' ? this.staticAnswer(t) : t);
    });
    const byTarget = new Map<string, CachedAnswer | null>();
    if (withCache) eligible.forEach((t, i) => byTarget.set(t.id, cached[i] ?? null));
    return { campaign, skipped, participants, cached: byTarget };
  }

  /** prepare()'s reads for this call, when fresh enough to stand in for run()'s own. */
  private takePrepared(req: AuctionRequest): Promise<Eligibility> | undefined {
    const p = this.prepared.get(req.callId);
    if (!p) return undefined;
    this.prepared.delete(req.callId);
    const fresh = Date.now() - p.at <= PREPARED_TTL_MS;
    return fresh && p.campaignId === req.campaignId && p.caller === req.caller ? p.eligibility : undefined;
  }

  async run(req: AuctionRequest): Promise<AuctionResult> {
    const t0 = performance.now();
    const startedAt = Date.now();
    const at = req.at ?? new Date(startedAt);
    const auctionId = randomUUID();
    const ahead = this.takePrepared(req);
    const { campaign, skipped, participants, cached } = await (ahead
      ? ahead.catch(() => this.eligibility(req, at))
      : this.eligibility(req, at));
    const deadline = t0 + campaign.auctionDeadlineMs;
    const answers: Answer[] = [];
    const toPing: TargetEntity[] = [];
    const now = Date.now();
    for (const p of participants) {
      if ('ok' in p) {
        answers.push(p);
        continue;
      }
      const c = cached.get(p.id);
      const hit = c ? this.cachedAnswer(p, c, now) : undefined;
      if (hit) answers.push(hit);
      else toPing.push(p);
    }

    const eligibilityMs = performance.now() - t0;
    if (toPing.length > 0) {
      const ctx = pingContext(req.tags, {
        callId: req.callId,
        caller: req.caller,
        fullCaller: campaign.callerIdPolicy === 'full',
      });
      // One timer for every ping whose own timeout reaches past the deadline; pings with a shorter
      // timeout get their own inside PingClient.
      const cut = new Deadline(deadline - performance.now());
      try {
        answers.push(...(await Promise.all(toPing.map((t) => this.ping(t, ctx, deadline, cut)))));
      } finally {
        cut.cancel();
      }
    }
    const closedAt = Date.now();
    const answeredMs = performance.now() - t0;

    // Rank the valid answers; the rest are rejections with their reason.
    const floor = parseMoney(campaign.floorPrice);
    const valid = answers.filter((a): a is Extract<Answer, { ok: true }> => a.ok);
    const ranking = rankBids(
      valid.map((a) => ({
        targetId: a.target.id,
        revenue: a.bid.revenue,
        priority: a.target.priority,
        weight: a.target.weight,
        expiresAt: a.bid.expiresAt,
        answer: a,
      })),
      { floor, now: closedAt, seed: req.callId },
    );
    const bids: Bid[] = ranking.ranked.map((r, i) => this.toBid(r.answer, i + 1));
    const rejected: Rejection[] = [];
    for (const a of answers) if (!a.ok) rejected.push(this.toRejection(a, a.reason, a.revenue, a.bidId));
    for (const r of ranking.belowFloor) rejected.push(this.toRejection(r.answer, 'below_floor', r.revenue));
    for (const r of ranking.expired) rejected.push(this.toRejection(r.answer, 'expired', r.revenue));

    const durationMs = performance.now() - t0;
    const closedBy =
      toPing.length === 0
        ? 'no_pings'
        : rejected.some((r) => r.reason === 'deadline')
          ? 'deadline'
          : 'all_answered';
    const result: AuctionResult = {
      auctionId,
      callId: req.callId,
      tenantId: req.tenantId,
      campaignId: req.campaignId,
      caller: req.caller,
      tags: req.tags,
      startedAt,
      closedAt,
      durationMs,
      timing: { eligibilityMs, answeredMs },
      deadlineMs: campaign.auctionDeadlineMs,
      floor: formatMoney(floor),
      campaignConversionSeconds: campaign.conversionSeconds,
      dupRoutingWindowS: campaign.dupRoutingWindowS,
      closedBy,
      bids,
      rejected,
      skipped,
    };
    this.duration.observe({ closed_by: closedBy }, durationMs / 1000);
    const outcomes = new Map<string, number>();
    const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    for (const b of bids) count(b.cached ? 'cached_bid' : 'bid');
    for (const r of rejected) count(r.reason);
    for (const [outcome, n] of outcomes) this.answers.inc({ outcome }, n);
    this.closeLater(result, answers);
    return result;
  }

  /**
   * The call goes on with the result first; its log rows and cache entries are written a few ms later,
   * together with those of the other auctions closed meanwhile. Right after the close is when the call
   * takes its bid and transfers, and when other auctions' reads come back: work that can wait should
   * not sit in front of those, and one batch costs less than a write per auction.
   */
  private closeLater(result: AuctionResult, answers: Answer[]): void {
    this.closed.push({ result, answers });
    this.writeLater();
  }

  /**
   * One batch every AFTER_CLOSE_MS at most: the log rows of the auctions closed and the bids claimed
   * meanwhile go to Redis as one queue entry (a call's claim follows its close within a few ms, so a
   * call usually costs one entry, not two), and the cache entries alongside.
   */
  private writeLater(): void {
    if (this.batchDue) return;
    this.batchDue = true;
    this.track(
      new Promise<void>((resolve) => setTimeout(resolve, AFTER_CLOSE_MS)).then(async () => {
        const closed = this.closed;
        const claimed = this.claimRows;
        this.closed = [];
        this.claimRows = [];
        this.batchDue = false;
        const rows: BidLogRow[] = [];
        const writes: Promise<void>[] = [];
        for (const c of closed) this.afterClose(c.result, c.answers, rows, writes);
        rows.push(...claimed);
        await Promise.all([this.bidLog.enqueue(rows), ...writes]);
      }),
      'bid log',
    );
  }

  /** Adds a closed auction's bid log rows to `rows` and its cache writes to `writes`. */
  private afterClose(
    result: AuctionResult,
    answers: Answer[],
    rows: BidLogRow[],
    writes: Promise<void>[],
  ): void {
    for (const b of result.bids) rows.push(this.bidRow(result, b, '', 1));
    for (const r of result.rejected) rows.push(this.rejectionRow(result, r));
    for (const a of answers) {
      if (a.target.kind !== 'ping_post' || a.target.cacheWindowS <= 0 || a.facts.cached) continue;
      if (!a.ok && !CACHEABLE.has(a.reason)) continue;
      const answer: CachedAnswer = a.ok
        ? {
            revenue: formatMoney(a.bid.revenue),
            reason: null,
            destination: a.bid.destination,
            bidId: a.bid.bidId,
            expiresAt: a.bid.expiresAt,
            requiredTalkSeconds: a.bid.requiredTalkSeconds,
            at: a.facts.at,
          }
        : {
            revenue: null,
            reason: a.reason as CachedAnswer['reason'],
            destination: null,
            bidId: a.bidId ?? null,
            expiresAt: null,
            requiredTalkSeconds: null,
            at: a.facts.at,
          };
      writes.push(
        this.store.cacheAnswer(a.target.id, result.campaignId, result.caller, answer, a.target.cacheWindowS),
      );
    }
  }

  private track(p: Promise<void>, what: string): void {
    const tracked = p.catch((e: unknown) => this.logger.warn({ err: e }, `${what} write failed`));
    this.pendingWrites.add(tracked);
    void tracked.finally(() => this.pendingWrites.delete(tracked));
  }

  /** Resolves once the bid log rows and cache entries of finished auctions are written to Redis. */
  async settled(): Promise<void> {
    while (this.pendingWrites.size > 0) await Promise.all([...this.pendingWrites]);
  }

  // ---- participants --------------------------------------------------------------------------------

  /** One shape for every participant's facts (the objects stay monomorphic on the hot path). */
  private facts(at: number, latencyMs = 0, httpStatus = 0, hash = '', cached = false): PingFacts {
    return { pingId: randomUUID(), at, latencyMs, httpStatus, requestHash: hash, cached };
  }

  private staticAnswer(t: TargetEntity): Answer {
    return {
      ok: true,
      target: t,
      facts: this.facts(Date.now()),
      bid: {
        revenue: parseMoney(t.revenue!),
        destination: t.destination!,
        bidId: null,
        expiresAt: null,
        requiredTalkSeconds: null,
      },
    };
  }

  /** The cached answer when it can stand in for a ping (a bid past its expiry cannot). */
  private cachedAnswer(t: TargetEntity, c: CachedAnswer, now: number): Answer | undefined {
    const facts = this.facts(now, 0, 0, '', true);
    if (c.revenue === null) {
      return c.reason ? { ok: false, target: t, facts, reason: c.reason, bidId: c.bidId } : undefined;
    }
    if ((c.expiresAt !== null && c.expiresAt <= now) || !c.destination) return undefined;
    let revenue: Money;
    try {
      revenue = parseMoney(c.revenue);
    } catch {
      return undefined;
    }
    return {
      ok: true,
      target: t,
      facts,
      bid: {
        revenue,
        destination: c.destination,
        bidId: c.bidId,
        expiresAt: c.expiresAt,
        requiredTalkSeconds: c.requiredTalkSeconds,
      },
    };
  }

  private async ping(
    t: TargetEntity,
    ctx: Record<string, string>,
    deadline: number,
    cut: Deadline,
  ): Promise<Answer> {
    const spec = t.ping!;
    const at = Date.now();
    let req;
    try {
      req = renderRequest(spec, ctx);
    } catch {
      return { ok: false, target: t, facts: this.facts(at), reason: 'bad_spec' };
    }
    const remaining = deadline - performance.now();
    const ownTimeout = spec.timeoutMs < remaining;
    const out = await this.http.send(req, ownTimeout ? spec.timeoutMs : null, cut);
    // Hashed once the request is out: the other pings of the auction are sent without waiting for it.
    const facts = this.facts(at, out.latencyMs, out.status, requestHash(req.method, req.url, req.body));
    if (!out.ok) {
      const reason: RejectReason =
        out.reason === 'timeout' ? (ownTimeout ? 'timeout' : 'deadline') : out.reason;
      return { ok: false, target: t, facts, reason };
    }
    if (out.status < 200 || out.status > 299) return { ok: false, target: t, facts, reason: 'http_error' };
    const parsed = parseBidResponse(
      spec.parse,
      {
        fallbackDestination: t.destination,
        fixedRevenue: t.revenue === null ? null : parseMoney(t.revenue),
        now: Date.now(),
      },
      out.body,
    );
    if (parsed.ok) return { ok: true, target: t, facts, bid: parsed.bid };
    return {
      ok: false,
      target: t,
      facts,
      reason: parsed.reason,
      revenue: parsed.revenue,
      bidId: parsed.bidId,
    };
  }

  private toBid(a: Extract<Answer, { ok: true }>, rank: number): Bid {
    const t = a.target;
    const f = a.facts;
    return {
      pingId: f.pingId,
      at: f.at,
      latencyMs: f.latencyMs,
      httpStatus: f.httpStatus,
      requestHash: f.requestHash,
      cached: f.cached,
      targetId: t.id,
      buyerId: t.buyerId,
      kind: t.kind,
      revenue: formatMoney(a.bid.revenue),
      destination: a.bid.destination,
      bidId: a.bid.bidId,
      expiresAt: a.bid.expiresAt,
      requiredTalkSeconds: a.bid.requiredTalkSeconds,
      conversionSeconds: a.bid.requiredTalkSeconds ?? t.conversionSeconds,
      ringTimeoutS: t.ringTimeoutS,
      priority: t.priority,
      weight: t.weight,
      confirm: t.kind === 'ping_post' && !!t.ping?.confirm,
      caps: t.caps ?? {},
      concurrencyCap: t.concurrencyCap,
      rank,
    };
  }

  private toRejection(a: Answer, reason: RejectReason, revenue?: Money, bidId?: string | null): Rejection {
    const f = a.facts;
    return {
      pingId: f.pingId,
      at: f.at,
      latencyMs: f.latencyMs,
      httpStatus: f.httpStatus,
      requestHash: f.requestHash,
      cached: f.cached,
      targetId: a.target.id,
      buyerId: a.target.buyerId,
      kind: a.target.kind,
      reason,
      revenue: revenue === undefined ? null : formatMoney(revenue),
      bidId: bidId ?? (a.ok ? a.bid.bidId : null),
    };
  }

  // ---- taking a bid --------------------------------------------------------------------------------

  /**
   * Offers the call to the bids in rank order from `from`, and returns the first one taken (its slot
   * held), or null when none can take it. Expired bids, full targets and refused confirmations are
   * passed over.
   */
  async award(result: AuctionResult, opts: { from?: number } = {}): Promise<Award | null> {
    const passed: Award['passed'] = [];
    for (let i = opts.from ?? 0; i < result.bids.length; i++) {
      const bid = result.bids[i];
      const member = `${result.callId}:${result.auctionId}:${i}`;
      const at = Date.now();
      const r = await this.claim(result, bid, member, at);
      if (r === 'ok') {
        return {
          auctionId: result.auctionId,
          callId: result.callId,
          tenantId: result.tenantId,
          campaignId: result.campaignId,
          caller: result.caller,
          bid,
          index: i,
          member,
          reservedAt: at,
          dupRoutingWindowS: result.dupRoutingWindowS,
          campaignConversionSeconds: result.campaignConversionSeconds,
          passed,
        };
      }
      passed.push({ targetId: bid.targetId, reason: r });
    }
    return null;
  }

  /**
   * Takes one bid for the call: still valid, reserved against the target's caps and concurrency under
   * `member`, and confirmed by the buyer when the target asks for a confirmation. On 'ok' the slot is
   * held (release it with finish(), or TargetCapsRepository.release); on anything else nothing is held.
   */
  async claim(ctx: ClaimContext, bid: Bid, member: string, at: number): Promise<'ok' | ClaimRefusal> {
    const outcome = await this.tryClaim(ctx, bid, member, at);
    this.awards.inc({ result: outcome });
    this.claimRows.push(this.bidRow(ctx, bid, outcome === 'ok' ? 'won' : outcome, 2));
    this.writeLater();
    return outcome;
  }

  private async tryClaim(
    ctx: ClaimContext,
    bid: Bid,
    member: string,
    at: number,
  ): Promise<'ok' | ClaimRefusal> {
    if (bid.expiresAt !== null && bid.expiresAt <= at) return 'expired';
    let confirm: ConfirmSpec | null = null;
    if (bid.confirm) {
      const target = (await this.campaignTargets(ctx.tenantId, ctx.campaignId)).find(
        (t) => t.id === bid.targetId,
      );
      confirm = target?.ping?.confirm ?? null;
      if (!confirm) return 'target_gone';
    }
    const reserved = await this.caps.reserve(
      { targetId: bid.targetId, caps: bid.caps, concurrencyCap: bid.concurrencyCap },
      member,
      at,
      at + bid.ringTimeoutS * 1000 + RESERVATION_SLACK_MS,
    );
    if (reserved !== 'ok') return reserved as ClaimRefusal;
    let keep = false;
    try {
      if (confirm) {
        const answer = await this.confirm(ctx, bid, confirm);
        if (answer !== 'accepted') return answer === 'refused' ? 'confirm_refused' : 'confirm_failed';
        // The buyer may have taken its time: the bid must still be valid when the call goes out.
        if (bid.expiresAt !== null && bid.expiresAt <= Date.now()) return 'expired';
      }
      keep = true;
      return 'ok';
    } finally {
      if (!keep) await this.caps.release(bid.targetId, member, at, true);
    }
  }

  /**
   * reserve() for a call-flow candidate made by routingPlan(): claims its bid (validity, caps and
   * concurrency, confirmation) under `member`; 'ok' or why not, like TargetCapsRepository.reserve.
   */
  claimCandidate(c: AuctionCandidate, member: string, at: number): Promise<'ok' | ClaimRefusal> {
    return this.claim({ ...c.auction.ctx, tags: c.auction.ctx.tags ?? {} }, c.auction.bid, member, at);
  }

  /** The post: the winner learns the full caller number and the bid id, and says yes or no. */
  private async confirm(
    ctx: ClaimContext,
    bid: Bid,
    spec: ConfirmSpec,
  ): Promise<'accepted' | 'refused' | 'failed'> {
    let req;
    try {
      req = renderRequest(spec, {
        ...pingContext(ctx.tags, { callId: ctx.callId, caller: ctx.caller, fullCaller: true }),
        bid_id: bid.bidId ?? '',
        bid: bid.revenue,
        destination: bid.destination,
      });
    } catch {
      return 'failed';
    }
    const out = await this.http.send(req, spec.timeoutMs);
    if (!out.ok || out.status < 200 || out.status > 299) return 'failed';
    if (spec.acceptPath === null) return 'accepted';
    const path = parseJsonPath(spec.acceptPath);
    let body: unknown;
    try {
      body = JSON.parse(out.body);
    } catch {
      return 'failed';
    }
    const v = path ? readJsonPath(body, path) : undefined;
    const text =
      typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
    if (text === undefined) return 'refused';
    if (spec.acceptValue !== null)
      return text.trim().toLowerCase() === spec.acceptValue.toLowerCase() ? 'accepted' : 'refused';
    return v === true ||
      (typeof v === 'number' && v !== 0) ||
      ['true', 'yes', '1', 'ok', 'accepted', 'confirmed'].includes(text.trim().toLowerCase())
      ? 'accepted'
      : 'refused';
  }

  /**
   * The call given to `award` is over: frees the slot (giving the call count back when it never
   * connected), remembers the buyer for the routing-duplicate rule, and counts the conversion. Returns
   * the call's revenue: the bid when the talk time met the conversion rule, else 0.
   */
  async finish(award: Award, o: { connected: boolean; talkSeconds: number; at?: number }): Promise<string> {
    const at = o.at ?? Date.now();
    await this.caps.release(award.bid.targetId, award.member, award.reservedAt, !o.connected);
    if (!o.connected) return formatMoney(0n);
    await this.duplicates.recordRouted(
      award.campaignId,
      award.caller,
      award.bid.buyerId,
      at,
      award.dupRoutingWindowS,
    );
    const revenue = bidRevenue(
      { revenue: parseMoney(award.bid.revenue), conversionSeconds: award.bid.conversionSeconds },
      o.talkSeconds,
      award.campaignConversionSeconds,
    );
    if (revenue > 0n) await this.caps.countConversion(award.bid.targetId, award.callId, at, revenue);
    return formatMoney(revenue);
  }

  // ---- bid log rows --------------------------------------------------------------------------------

  private bidRow(ctx: ClaimContext, b: Bid, award: string, version: number): BidLogRow {
    return {
      pingId: b.pingId,
      auctionId: ctx.auctionId,
      callId: ctx.callId,
      tenantId: ctx.tenantId,
      campaignId: ctx.campaignId,
      buyerId: b.buyerId,
      targetId: b.targetId,
      kind: b.kind,
      requestHash: b.requestHash,
      latencyMs: b.latencyMs,
      httpStatus: b.httpStatus,
      outcome: 'bid',
      reason: '',
      bid: b.revenue,
      bidId: b.bidId,
      destination: b.destination,
      expiresAt: b.expiresAt,
      requiredTalkSeconds: b.requiredTalkSeconds,
      rank: b.rank,
      cached: b.cached,
      won: award === 'won',
      award,
      at: b.at,
      version,
    };
  }

  private rejectionRow(ctx: ClaimContext, r: Rejection): BidLogRow {
    return {
      pingId: r.pingId,
      auctionId: ctx.auctionId,
      callId: ctx.callId,
      tenantId: ctx.tenantId,
      campaignId: ctx.campaignId,
      buyerId: r.buyerId,
      targetId: r.targetId,
      kind: r.kind,
      requestHash: r.requestHash,
      latencyMs: r.latencyMs,
      httpStatus: r.httpStatus,
      outcome: 'rejected',
      reason: r.reason,
      bid: r.revenue,
      bidId: r.bidId,
      destination: null,
      expiresAt: null,
      requiredTalkSeconds: null,
      rank: 0,
      cached: r.cached,
      won: false,
      award: '',
      at: r.at,
      version: 1,
    };
  }

  // ---- lookups -------------------------------------------------------------------------------------

  private campaign(tenantId: string, id: string): Promise<CampaignEntity> {
    return this.campaigns.get(`${tenantId}:${id}`, () => this.campaignsService.get(tenantId, id));
  }

  private campaignTargets(tenantId: string, campaignId: string): Promise<TargetEntity[]> {
    return this.targets.get(`${tenantId}:${campaignId}`, () =>
      this.repo.campaignTargets(tenantId, campaignId),
    );
  }
}
