// ClickHouse reads for reports and dashboards: the grouped report (SQL from report-sql.ts), the call log
// (CDR rows, caller masked in SQL for publishers), and the buyer's figures from `bid_log` when the
// auction's table exists. Every query is scoped to the tenant and the principal's publisher/buyer.
import { Injectable } from '@nestjs/common';
import type { Role } from '../accounts/principal';
import { ClickHouseService } from '../infra/clickhouse/clickhouse.service';
import type { ReportSpec } from './report-query';
import { buildReportSql, type BuiltQuery, type ReportScope, whereClause } from './report-sql';

export type ChRow = Record<string, string | number | boolean | null>;

export interface CallLogColumn {
  key: string;
  label: string;
  sql: string;
  roles: readonly Role[];
  /** `seconds` and counts print as numbers; `money` as a decimal string ('' when there is none). */
  kind: 'id' | 'time' | 'text' | 'bool' | 'money' | 'seconds';
  lookup?: 'campaign' | 'publisher' | 'buyer' | 'target';
}

const ALL: readonly Role[] = ['operator', 'publisher', 'buyer'];
const OP: readonly Role[] = ['operator'];
const OP_PUB: readonly Role[] = ['operator', 'publisher'];
const OP_BUY: readonly Role[] = ['operator', 'buyer'];
const MASKED_CALLER =
  "if(length(caller) > 4, concat(substring(caller, 1, length(caller) - 4), '****'), '****')";

/** The call log's columns; `caller` is masked for publishers by the SQL itself. */
export const CALL_LOG_COLUMNS: readonly CallLogColumn[] = [
  { key: 'call_id', label: 'Call', sql: 'toString(call_id)', roles: ALL, kind: 'id' },
  {
    key: 'started_at',
    label: 'Started',
    sql: 'toUnixTimestamp64Milli(started_at)',
    roles: ALL,
    kind: 'time',
  },
  {
    key: 'campaign',
    label: 'Campaign',
    sql: 'toString(campaign_id)',
    roles: ALL,
    kind: 'id',
    lookup: 'campaign',
  },
  {
    key: 'publisher',
    label: 'Publisher',
    sql: 'toString(publisher_id)',
    roles: OP,
    kind: 'id',
    lookup: 'publisher',
  },
  { key: 'buyer', label: 'Buyer', sql: 'toString(buyer_id)', roles: OP, kind: 'id', lookup: 'buyer' },
  { key: 'target', label: 'Target', sql: 'toString(target_id)', roles: OP_BUY, kind: 'id', lookup: 'target' },
  { key: 'tracking_number', label: 'Tracking number', sql: 'tracking_number', roles: OP_PUB, kind: 'text' },
  { key: 'caller', label: 'Caller', sql: 'caller', roles: OP_BUY, kind: 'text' },
  { key: 'caller', label: 'Caller', sql: MASKED_CALLER, roles: ['publisher'], kind: 'text' },
  { key: 'caller_state', label: 'State', sql: 'toString(caller_state)', roles: ALL, kind: 'text' },
  { key: 'state', label: 'Outcome', sql: 'toString(state)', roles: ALL, kind: 'text' },
  { key: 'reason', label: 'Reason', sql: 'toString(reason)', roles: OP, kind: 'text' },
  { key: 'connected', label: 'Connected', sql: 'connected', roles: ALL, kind: 'bool' },
  { key: 'converted', label: 'Converted', sql: 'converted', roles: ALL, kind: 'bool' },
  { key: 'duplicate', label: 'Duplicate', sql: 'duplicate', roles: OP_PUB, kind: 'bool' },
  { key: 'talk_seconds', label: 'Talk (s)', sql: 'intDiv(talk_ms, 1000)', roles: ALL, kind: 'seconds' },
  { key: 'revenue', label: 'Revenue', sql: 'toString(revenue)', roles: OP_BUY, kind: 'money' },
  { key: 'payout', label: 'Payout', sql: 'toString(payout)', roles: OP_PUB, kind: 'money' },
  { key: 'profit', label: 'Profit', sql: 'toString(profit)', roles: OP, kind: 'money' },
  { key: 'utm_source', label: 'Source', sql: 'toString(utm_source)', roles: OP_PUB, kind: 'text' },
  { key: 'utm_medium', label: 'Medium', sql: 'toString(utm_medium)', roles: OP_PUB, kind: 'text' },
  { key: 'utm_campaign', label: 'UTM campaign', sql: 'utm_campaign', roles: OP_PUB, kind: 'text' },
  { key: 'utm_term', label: 'Keyword', sql: 'utm_term', roles: OP_PUB, kind: 'text' },
  { key: 'landing_page', label: 'Landing page', sql: 'landing_page', roles: OP_PUB, kind: 'text' },
  { key: 'auction_pings', label: 'Pings', sql: 'auction_pings', roles: OP, kind: 'seconds' },
  { key: 'auction_bids', label: 'Bids', sql: 'auction_bids', roles: OP, kind: 'seconds' },
  {
    key: 'winning_bid',
    label: 'Winning bid',
    sql: "if(isNull(winning_bid), '', toString(winning_bid))",
    roles: OP,
    kind: 'money',
  },
  {
    key: 'runner_up_bid',
    label: 'Runner-up bid',
    sql: "if(isNull(runner_up_bid), '', toString(runner_up_bid))",
    roles: OP,
    kind: 'money',
  },
];

export function callLogColumns(role: Role): CallLogColumn[] {
  return CALL_LOG_COLUMNS.filter((c) => c.roles.includes(role));
}

export interface BidSummary {
  pings: number;
  bids: number;
  wins: number;
  avgBid: string;
  wonBids: string;
}

@Injectable()
export class ReportsRepository {
  constructor(private readonly clickhouse: ClickHouseService) {}

  async report(spec: ReportSpec, scope: ReportScope): Promise<{ built: BuiltQuery; rows: ChRow[] }> {
    const built = buildReportSql(spec, scope, this.clickhouse.table('cdr'));
    const rows = await this.query(built.sql, built.params);
    return { built, rows };
  }

  /** CDRs newest first. */
  async callLog(
    spec: Pick<ReportSpec, 'filters' | 'from' | 'to'>,
    scope: ReportScope,
    role: Role,
    limit: number,
    offset: number,
  ): Promise<ChRow[]> {
    const params: Record<string, unknown> = { limit, offset };
    const where = whereClause(spec, scope, params);
    const cols = callLogColumns(role);
    // Output names are prefixed: ClickHouse resolves aliases in WHERE, so `started_at` must stay the column.
    const rows = await this.query(
      `SELECT ${cols.map((c) => `${c.sql} AS out_${c.key}`).join(', ')}
       FROM ${this.clickhouse.table('cdr')} FINAL
       WHERE ${where}
       ORDER BY started_at DESC, call_id
       LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
      params,
    );
    return rows.map((r) => Object.fromEntries(cols.map((c) => [c.key, r[`out_${c.key}`] ?? null])));
  }

  async bidLogExists(): Promise<boolean> {
    const rows = await this.query(`EXISTS TABLE ${this.clickhouse.table('bid_log')}`, {});
    return Number(Object.values(rows[0] ?? {})[0] ?? 0) === 1;
  }

  /** A buyer's pings, bids and wins in the window (bid_log). */
  async bidSummary(tenantId: string, buyerId: string, from: Date, to: Date): Promise<BidSummary> {
    const [r] = await this.query(
      `SELECT countIf(target_kind = 'ping_post' AND NOT cached) AS pings,
              countIf(outcome = 'bid') AS bids,
              countIf(won) AS wins,
              toString(ifNull(avgIf(bid, outcome = 'bid'), 0)) AS avg_bid,
              toString(ifNull(sumIf(bid, won), 0)) AS won_bids
       FROM ${this.clickhouse.table('bid_log')} FINAL
       WHERE ${bidWhere}`,
      bidParams(tenantId, buyerId, from, to),
    );
    return {
      pings: Number(r?.pings ?? 0),
      bids: Number(r?.bids ?? 0),
      wins: Number(r?.wins ?? 0),
      avgBid: String(r?.avg_bid ?? '0'),
      wonBids: String(r?.won_bids ?? '0'),
    };
  }

  /** The buyer's latest bid log rows, newest first. */
  bidLog(tenantId: string, buyerId: string, from: Date, to: Date, limit: number): Promise<ChRow[]> {
    return this.query(
      `SELECT toUnixTimestamp64Milli(at) AS at_ms, call_id, toString(campaign_id) AS campaign,
              toString(target_id) AS target, toString(outcome) AS outcome, toString(reason) AS reason,
              if(isNull(bid), '', toString(bid)) AS bid, won, toString(award) AS award, latency_ms, cached
       FROM ${this.clickhouse.table('bid_log')} FINAL
       WHERE ${bidWhere}
       ORDER BY at DESC, ping_id
       LIMIT {limit:UInt32}`,
      { ...bidParams(tenantId, buyerId, from, to), limit },
    );
  }

  private async query(sql: string, params: Record<string, unknown>): Promise<ChRow[]> {
    const r = await this.clickhouse.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
    return r.json<ChRow>();
  }
}

const bidWhere =
  "tenant_id = {tenant:UUID} AND buyer_id = {buyer:UUID} AND at >= {from:DateTime64(3, 'UTC')} AND at < {to:DateTime64(3, 'UTC')}";

function bidParams(tenantId: string, buyerId: string, from: Date, to: Date) {
  const t = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
  return { tenant: tenantId, buyer: buyerId, from: t(from), to: t(to) };
}
