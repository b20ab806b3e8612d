// Bid figures and the bid log through the API: an operator sees every target and buyer of the tenant,
// a buyer key only its own (anything else does not exist for it), as the buyers API does.
import { Injectable } from '@nestjs/common';
import type { Principal } from '../accounts/principal';
import { AppError, badRequest, notFound } from '../common/errors';
import { formatMoney, parseMoney } from '../common/money';
import { AuctionRepository } from './auction.repository';
import { BidLogRepository, type BidLogQuery, type TargetBidStats } from './bid-log.repository';
import type {
  BidFiguresDto,
  BidLogEntryDto,
  BidLogQueryDto,
  BidStatsQueryDto,
  BuyerBidStatsDto,
  TargetBidStatsDto,
} from './dto/bid-stats.dto';

const DEFAULT_WINDOW_MS = 7 * 86_400_000;
const MAX_WINDOW_MS = 400 * 86_400_000;

const money = (text: string) => {
  try {
    return formatMoney(parseMoney(text));
  } catch {
    return text;
  }
};

function figures(s: TargetBidStats | undefined): BidFiguresDto {
  const bids = s?.bids ?? 0;
  const wins = s?.wins ?? 0;
  return {
    pings: s?.pings ?? 0,
    cachedBids: s?.cached ?? 0,
    bids,
    rejected: s?.rejected ?? 0,
    wins,
    timeouts: s?.timeouts ?? 0,
    winRate: bids > 0 ? Math.round((wins / bids) * 10_000) / 10_000 : 0,
    latencyMs: {
      p50: Math.round((s?.latencyP50Ms ?? 0) * 10) / 10,
      p99: Math.round((s?.latencyP99Ms ?? 0) * 10) / 10,
    },
    wonBids: money(s?.wonBids ?? '0'),
    rejectReasons: s?.rejectReasons ?? {},
  };
}

@Injectable()
export class BidStatsService {
  constructor(
    private readonly repo: AuctionRepository,
    private readonly log: BidLogRepository,
  ) {}

  async targetStats(p: Principal, targetId: string, q: BidStatsQueryDto): Promise<TargetBidStatsDto> {
    const buyerId = await this.visibleTarget(p, targetId);
    const { from, to } = window(q);
    const [s] = await this.log.stats({ tenantId: p.tenantId, buyerId, targetId, from, to }, true);
    return { targetId, from: from.toISOString(), to: to.toISOString(), ...figures(s) };
  }

  async buyerStats(p: Principal, buyerId: string, q: BidStatsQueryDto): Promise<BuyerBidStatsDto> {
    await this.visibleBuyer(p, buyerId);
    const { from, to } = window(q);
    const query: BidLogQuery = { tenantId: p.tenantId, buyerId, from, to };
    const [perTarget, [total]] = await Promise.all([
      this.log.stats(query, true),
      this.log.stats(query, false),
    ]);
    return {
      buyerId,
      from: from.toISOString(),
      to: to.toISOString(),
      totals: figures(total),
      targets: perTarget.map((s) => ({
        targetId: s.targetId,
        from: from.toISOString(),
        to: to.toISOString(),
        ...figures(s),
      })),
    };
  }

  async targetLog(p: Principal, targetId: string, q: BidLogQueryDto): Promise<BidLogEntryDto[]> {
    const buyerId = await this.visibleTarget(p, targetId);
    const { from, to } = window(q);
    const rows = await this.log.recent({ tenantId: p.tenantId, buyerId, targetId, from, to }, q.limit ?? 100);
    return rows.map((r) => ({
      pingId: String(r.ping),
      auctionId: String(r.auction),
      callId: String(r.call_id),
      campaignId: String(r.campaign),
      targetId: String(r.target),
      kind: String(r.target_kind),
      requestHash: String(r.request_hash),
      latencyMs: Math.round(Number(r.latency_ms) * 10) / 10,
      httpStatus: Number(r.http_status),
      outcome: String(r.outcome),
      reason: String(r.reason),
      bid: r.bid_text === '' ? null : money(String(r.bid_text)),
      bidId: r.bid_id === '' ? null : String(r.bid_id),
      rank: Number(r.rank),
      cached: r.cached === true || r.cached === 1 || r.cached === 'true',
      won: r.won === true || r.won === 1 || r.won === 'true',
      award: String(r.award),
      expiresAt: Number(r.expires_ms) > 0 ? new Date(Number(r.expires_ms)).toISOString() : null,
      requiredTalkSeconds: r.required_talk_s === null ? null : Number(r.required_talk_s),
      at: new Date(Number(r.at_ms)).toISOString(),
    }));
  }

  /** The target's buyer, when the principal may see the target. */
  private async visibleTarget(p: Principal, targetId: string): Promise<string> {
    const own = ownBuyer(p);
    const buyerId = await this.repo.targetBuyer(p.tenantId, targetId);
    if (!buyerId || (own && own !== buyerId)) throw notFound('Target');
    return buyerId;
  }

  private async visibleBuyer(p: Principal, buyerId: string): Promise<void> {
    const own = ownBuyer(p);
    if ((own && own !== buyerId.toLowerCase()) || !(await this.repo.buyerExists(p.tenantId, buyerId))) {
      throw notFound('Buyer');
    }
  }
}

/** The buyer a buyer-role principal is limited to; undefined for operators. */
function ownBuyer(p: Principal): string | undefined {
  if (p.role !== 'buyer') return undefined;
  if (!p.buyerId) throw new AppError(403, 'FORBIDDEN', 'Your role does not allow this');
  return p.buyerId.toLowerCase();
}

function window(q: BidStatsQueryDto): { from: Date; to: Date } {
  const to = q.to ? new Date(q.to) : new Date();
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - DEFAULT_WINDOW_MS);
  if (!(from.getTime() < to.getTime())) throw badRequest('INVALID_WINDOW', '`from` must be before `to`');
  if (to.getTime() - from.getTime() > MAX_WINDOW_MS) {
    throw badRequest('INVALID_WINDOW', 'the window may span at most 400 days');
  }
  return { from, to };
}
