// The bid log: rows queued in Redis by the auction (one RPUSH per auction, off its path), copied to
// ClickHouse bid_log in batches by the exporter, and the per-target figures read back from it.
import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { ClickHouseService } from '../infra/clickhouse/clickhouse.service';
import { RedisService } from '../infra/redis/redis.service';
import { redisKeys } from '../infra/redis/redis-keys';

export interface BidLogRow {
  pingId: string;
  auctionId: string;
  callId: string;
  tenantId: string;
  campaignId: string;
  buyerId: string;
  targetId: string;
  kind: 'static' | 'ping_post';
  requestHash: string;
  latencyMs: number;
  httpStatus: number;
  outcome: 'bid' | 'rejected';
  /** Reject reason; '' for a valid bid. */
  reason: string;
  /** Decimal string; null when no amount was read. */
  bid: string | null;
  bidId: string | null;
  destination: string | null;
  expiresAt: number | null;
  requiredTalkSeconds: number | null;
  /** Place among the valid bids, 1 = best; 0 when rejected. */
  rank: number;
  cached: boolean;
  won: boolean;
  /** What happened when the call was offered to this bid: '' (never offered), won, or why not. */
  award: string;
  at: number;
  version: number;
}

export interface TargetBidStats {
  targetId: string;
  pings: number;
  cached: number;
  bids: number;
  rejected: number;
  wins: number;
  timeouts: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Sum of the bids that won, decimal string. */
  wonBids: string;
  rejectReasons: Record<string, number>;
}

export interface BidLogQuery {
  tenantId: string;
  buyerId: string;
  targetId?: string;
  from: Date;
  to: Date;
}

/** `2024-05-01 12:00:00.123` (DateTime64(3) text); the last one is kept, the rows of an auction share it. */
let isoMs = NaN;
let isoText = '';
function iso(ms: number): string {
  if (ms !== isoMs) {
    const t = new Date(ms).toISOString(); // 2024-05-01T12:00:00.123Z
    isoText = `${t.slice(0, 10)} ${t.slice(11, 23)}`;
    isoMs = ms;
  }
  return isoText;
}

const NEWLINE = Buffer.from('\n');

/**
 * A row as one line of bid_log's JSONEachRow input. One object literal through JSON.stringify: V8
 * serialises it straight into one flat string, which allocates less than building the text by hand.
 */
export function bidLogLine(r: BidLogRow): string {
  return JSON.stringify({
    ping_id: r.pingId,
    auction_id: r.auctionId,
    call_id: r.callId,
    tenant_id: r.tenantId,
    campaign_id: r.campaignId,
    buyer_id: r.buyerId,
    target_id: r.targetId,
    target_kind: r.kind,
    request_hash: r.requestHash,
    latency_ms: Math.round(r.latencyMs * 100) / 100,
    http_status: r.httpStatus,
    outcome: r.outcome,
    reason: r.reason,
    bid: r.bid,
    bid_id: r.bidId ?? '',
    destination: r.destination ?? '',
    expires_at: r.expiresAt === null ? null : iso(r.expiresAt),
    required_talk_s: r.requiredTalkSeconds,
    rank: r.rank,
    cached: r.cached,
    won: r.won,
    award: r.award,
    at: iso(r.at),
    version: r.version,
  });
}

/** The lines of a queue entry that are JSON objects (a broken line would block the queue forever). */
function readableLines(entry: string): string[] {
  return entry.split('\n').filter((line) => {
    try {
      const v: unknown = JSON.parse(line);
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    } catch {
      return false;
    }
  });
}

@Injectable()
export class BidLogRepository {
  constructor(
    private readonly redis: RedisService,
    private readonly clickhouse: ClickHouseService,
  ) {}

  /**
   * Queues rows for ClickHouse, already in bid_log's JSONEachRow form (the exporter copies them as is):
   * one queue entry per call, its rows one per line.
   */
  async enqueue(rows: BidLogRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.redis.client.rpush(redisKeys.bidLogQueue(), rows.map(bidLogLine).join('\n'));
  }

  /**
   * Up to `max` queue entries (each one or more rows, one per line), oldest first. As bytes: they go
   * to ClickHouse as they are, and a batch decoded to strings only to be joined and encoded again
   * would be several copies of it on the JS heap.
   */
  async takeBatch(max: number): Promise<Buffer[]> {
    return (await this.redis.client.lpopBuffer(redisKeys.bidLogQueue(), max)) ?? [];
  }

  /**
   * Puts entries taken by takeBatch back at the head of the queue, keeping only the lines that are
   * JSON objects; returns how many lines were dropped.
   */
  async requeue(entries: Buffer[]): Promise<number> {
    let dropped = 0;
    const kept: string[] = [];
    for (const raw of entries) {
      const entry = raw.toString('utf8');
      const lines = readableLines(entry);
      dropped += entry.split('\n').length - lines.length;
      if (lines.length > 0) kept.push(lines.join('\n'));
    }
    if (kept.length) await this.redis.client.lpush(redisKeys.bidLogQueue(), ...kept.reverse());
    return dropped;
  }

  /** Queue entries waiting (an entry holds the rows of one call). */
  async queued(): Promise<number> {
    return this.redis.client.llen(redisKeys.bidLogQueue());
  }

  /** Inserts queue entries (JSONEachRow lines) without re-encoding them. */
  async insertClickHouse(entries: Buffer[]): Promise<void> {
    const parts: Buffer[] = [];
    for (const e of entries) parts.push(e, NEWLINE);
    const r = await this.clickhouse.client.exec({
      query: `INSERT INTO ${this.clickhouse.table('bid_log')} FORMAT JSONEachRow`,
      values: Readable.from([Buffer.concat(parts)]),
    });
    // Read the (empty) answer to its end so the connection goes back to the pool.
    await new Promise<void>((resolve, reject) => r.stream.on('end', resolve).on('error', reject).resume());
  }

  private where(q: BidLogQuery): { sql: string; params: Record<string, string> } {
    const params: Record<string, string> = {
      tenant: q.tenantId,
      buyer: q.buyerId,
      from: iso(q.from.getTime()),
      to: iso(q.to.getTime()),
    };
    let sql =
      'tenant_id = {tenant:UUID} AND buyer_id = {buyer:UUID}' +
      " AND at >= {from:DateTime64(3, 'UTC')} AND at < {to:DateTime64(3, 'UTC')}";
    if (q.targetId) {
      sql += ' AND target_id = {target:UUID}';
      params.target = q.targetId;
    }
    return { sql, params };
  }

  /** Figures per target of the buyer (or of one target) in the window; `perTarget` false: one total row. */
  async stats(q: BidLogQuery, perTarget: boolean): Promise<TargetBidStats[]> {
    const { sql, params } = this.where(q);
    const table = this.clickhouse.table('bid_log');
    const pinged = "target_kind = 'ping_post' AND NOT cached";
    const key = perTarget ? 'toString(target_id)' : "''";
    const group = perTarget ? 'GROUP BY target_id ORDER BY target_id' : '';
    const [totals, reasons] = await Promise.all([
      this.clickhouse.client
        .query({
          query: `
            SELECT ${key} AS tid,
              countIf(${pinged}) AS pings,
              countIf(cached) AS cached_n,
              countIf(outcome = 'bid') AS bids,
              countIf(outcome = 'rejected') AS rejected,
              countIf(won) AS wins,
              countIf(reason IN ('timeout', 'deadline')) AS timeouts,
              if(countIf(${pinged}) = 0, 0, quantileExactIf(0.5)(latency_ms, ${pinged})) AS p50,
              if(countIf(${pinged}) = 0, 0, quantileExactIf(0.99)(latency_ms, ${pinged})) AS p99,
              toString(ifNull(sumIf(bid, won), 0)) AS won_bids
            FROM ${table} FINAL
            WHERE ${sql}
            ${group}`,
          query_params: params,
          format: 'JSONEachRow',
        })
        .then((r) => r.json<Record<string, string | number>>()),
      this.clickhouse.client
        .query({
          query: `
            SELECT ${key} AS tid, reason, count() AS n
            FROM ${table} FINAL
            WHERE ${sql} AND outcome = 'rejected'
            GROUP BY ${perTarget ? 'target_id, ' : ''}reason`,
          query_params: params,
          format: 'JSONEachRow',
        })
        .then((r) => r.json<{ tid: string; reason: string; n: string | number }>()),
    ]);
    const byTarget = new Map<string, Record<string, number>>();
    for (const r of reasons) {
      const m = byTarget.get(r.tid) ?? {};
      m[r.reason] = Number(r.n);
      byTarget.set(r.tid, m);
    }
    return totals
      .filter((t) => perTarget || Number(t.pings) + Number(t.bids) + Number(t.rejected) > 0)
      .map((t) => ({
        targetId: String(t.tid),
        pings: Number(t.pings),
        cached: Number(t.cached_n),
        bids: Number(t.bids),
        rejected: Number(t.rejected),
        wins: Number(t.wins),
        timeouts: Number(t.timeouts),
        latencyP50Ms: Number(t.p50),
        latencyP99Ms: Number(t.p99),
        wonBids: String(t.won_bids),
        rejectReasons: byTarget.get(String(t.tid)) ?? {},
      }));
  }

  /** The latest rows of a target (or of all the buyer's targets), newest first. */
  async recent(q: BidLogQuery, limit: number): Promise<Array<Record<string, unknown>>> {
    const { sql, params } = this.where(q);
    const r = await this.clickhouse.client.query({
      query: `
        SELECT toString(ping_id) AS ping, toString(auction_id) AS auction, call_id,
          toString(campaign_id) AS campaign, toString(target_id) AS target, target_kind,
          request_hash, latency_ms, http_status, outcome, reason,
          if(isNull(bid), '', toString(bid)) AS bid_text, bid_id, rank, cached, won, award,
          toUnixTimestamp64Milli(at) AS at_ms,
          if(isNull(expires_at), 0, toUnixTimestamp64Milli(expires_at)) AS expires_ms,
          required_talk_s
        FROM ${this.clickhouse.table('bid_log')} FINAL
        WHERE ${sql}
        ORDER BY at DESC, ping_id
        LIMIT {limit:UInt32}`,
      query_params: { ...params, limit: String(limit) },
      format: 'JSONEachRow',
    });
    return r.json<Record<string, unknown>>();
  }
}
