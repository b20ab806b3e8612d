// Builds the ClickHouse SQL of a report from a checked ReportSpec. Identifiers and expressions come only
// from the tables here and in report-query.ts; every value (tenant, scope, range, time zone, filter values,
// tag names, limit) is a bound parameter. The role's scope (publisher_id / buyer_id) is part of the WHERE
// clause of every query, so a publisher or buyer cannot read another's rows whatever the request says.
import { NIL_UUID, TAG_COLUMNS } from '../cdr/cdr-row';
import { type DimensionRef, type MetricDef, NONE, type ReportSpec } from './report-query';

export interface ReportScope {
  tenantId: string;
  publisherId?: string;
  buyerId?: string;
}

/** Aggregates the metrics are computed from (aliases in the result). */
export const AGGREGATES = {
  a_calls: 'count()',
  a_uc: 'uniqExact(caller_hash)',
  a_conn: 'countIf(connected)',
  a_conv: 'countIf(converted)',
  a_rev: 'toString(sum(revenue))',
  a_pay: 'toString(sum(payout))',
  a_prof: 'toString(sum(profit))',
  a_talk: 'sum(talk_ms)',
  a_ttc: 'sum(time_to_connect_ms)',
  a_dup: 'countIf(duplicate)',
  a_aband: 'countIf(abandoned)',
  a_block: 'countIf(blocked)',
  a_notarget: 'countIf(no_target)',
} as const;
export type Aggregate = keyof typeof AGGREGATES;

/** Per metric: the aggregates it needs and the numeric SQL expression it sorts by. */
export const METRIC_SQL: Record<string, { needs: Aggregate[]; sort: string }> = {
  calls: { needs: ['a_calls'], sort: 'count()' },
  unique_callers: { needs: ['a_uc'], sort: 'uniqExact(caller_hash)' },
  connected: { needs: ['a_conn'], sort: 'countIf(connected)' },
  converted: { needs: ['a_conv'], sort: 'countIf(converted)' },
  conversion_rate: { needs: ['a_conv', 'a_calls'], sort: 'countIf(converted) / count()' },
  revenue: { needs: ['a_rev'], sort: 'sum(revenue)' },
  payout: { needs: ['a_pay'], sort: 'sum(payout)' },
  profit: { needs: ['a_prof'], sort: 'sum(profit)' },
  revenue_per_call: { needs: ['a_rev', 'a_calls'], sort: 'sum(revenue) / count()' },
  payout_per_call: { needs: ['a_pay', 'a_calls'], sort: 'sum(payout) / count()' },
  avg_talk_time: {
    needs: ['a_talk', 'a_conn'],
    sort: 'if(countIf(connected) = 0, 0, sum(talk_ms) / countIf(connected))',
  },
  time_to_connect: {
    needs: ['a_ttc', 'a_conn'],
    sort: 'if(countIf(connected) = 0, 0, sum(time_to_connect_ms) / countIf(connected))',
  },
  duplicates: { needs: ['a_dup'], sort: 'countIf(duplicate)' },
  abandoned: { needs: ['a_aband'], sort: 'countIf(abandoned)' },
  blocked: { needs: ['a_block'], sort: 'countIf(blocked)' },
  no_target: { needs: ['a_notarget'], sort: 'countIf(no_target)' },
};

const DATE_SQL = {
  hour: "formatDateTime(toStartOfHour(started_at, {tz:String}), '%Y-%m-%d %H:00')",
  day: 'toString(toDate(started_at, {tz:String}))',
  week: 'toString(toMonday(started_at, {tz:String}))',
  month: "formatDateTime(toStartOfMonth(started_at, {tz:String}), '%Y-%m')",
} as const;

/** Column names the catalog may name; a guard so a catalog typo can never become SQL. */
const COLUMN = /^[a-z_]+$/;
const UUID_COLUMNS = new Set(['campaign_id', 'publisher_id', 'pool_id']);

/**
 * A tag's value as text. Tags with a column of their own are kept there, not in the Map (see
 * TAG_COLUMNS), so `tag.utm_source` reads the column; the name itself is always a bound parameter.
 */
function tagSql(tag: string, param: string): string {
  const column = (TAG_COLUMNS as Record<string, string>)[tag];
  if (column === undefined) return `tags[{${param}:String}]`;
  if (!COLUMN.test(column)) throw new Error(`bad tag column ${column}`);
  const text = UUID_COLUMNS.has(column)
    ? `if(${column} = toUUID('${NIL_UUID}'), '', toString(${column}))`
    : `toString(${column})`;
  return `if(mapContains(tags, {${param}:String}), tags[{${param}:String}], ${text})`;
}

export interface BuiltQuery {
  sql: string;
  params: Record<string, unknown>;
  /** Result alias of each grouped dimension, in order. */
  dimensionAliases: string[];
  aggregates: Aggregate[];
}

function dimensionSql(d: DimensionRef, i: number, params: Record<string, unknown>): string {
  const def = d.def;
  if (!COLUMN.test(def.column)) throw new Error(`bad column in the report catalog: ${def.column}`);
  switch (def.kind) {
    case 'date':
      return DATE_SQL[def.bucket!];
    case 'uuid':
      return `toString(${def.column})`;
    case 'string':
      return `toString(${def.column})`;
    case 'tag':
      params[`g${i}`] = d.tag;
      return tagSql(d.tag!, `g${i}`);
  }
}

/** The WHERE clause shared by reports and the call log: tenant, scope, range, filters. */
export function whereClause(
  spec: Pick<ReportSpec, 'filters' | 'from' | 'to'>,
  scope: ReportScope,
  params: Record<string, unknown>,
): string {
  const chTime = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
  params.tenant = scope.tenantId;
  params.from = chTime(spec.from);
  params.to = chTime(spec.to);
  const parts = [
    'tenant_id = {tenant:UUID}',
    "started_at >= {from:DateTime64(3, 'UTC')}",
    "started_at < {to:DateTime64(3, 'UTC')}",
  ];
  if (scope.publisherId !== undefined) {
    params.scope_publisher = scope.publisherId;
    parts.push('publisher_id = {scope_publisher:UUID}');
  }
  if (scope.buyerId !== undefined) {
    params.scope_buyer = scope.buyerId;
    parts.push('buyer_id = {scope_buyer:UUID}');
  }
  spec.filters.forEach((f, i) => {
    const def = f.dimension.def;
    if (!COLUMN.test(def.column)) throw new Error(`bad column in the report catalog: ${def.column}`);
    if (def.kind === 'uuid') {
      params[`f${i}`] = f.values.map((v) => (v === NONE ? NIL_UUID : v.toLowerCase()));
      parts.push(`${def.column} IN {f${i}:Array(UUID)}`);
    } else if (def.kind === 'tag') {
      params[`f${i}k`] = f.dimension.tag;
      params[`f${i}`] = f.values;
      parts.push(`${tagSql(f.dimension.tag!, `f${i}k`)} IN {f${i}:Array(String)}`);
    } else {
      params[`f${i}`] = f.values;
      parts.push(`${def.column} IN {f${i}:Array(String)}`);
    }
  });
  return parts.join('\n  AND ');
}

export function neededAggregates(metrics: MetricDef[]): Aggregate[] {
  const set = new Set<Aggregate>();
  for (const m of metrics) for (const a of METRIC_SQL[m.key].needs) set.add(a);
  return [...set];
}

/**
 * The report query. With totals and dimensions, GROUPING SETS adds the all-rows total as one more row
 * (`_g` ≠ 0, sorted first) in the same pass. One row more than the limit is asked for, to tell whether
 * the result was cut.
 */
export function buildReportSql(spec: ReportSpec, scope: ReportScope, table: string): BuiltQuery {
  const params: Record<string, unknown> = { tz: spec.timezone };
  const dims = spec.dimensions.map((d, i) => ({
    alias: `d${i}`,
    sql: dimensionSql(d, i, params),
    key: d.key,
  }));
  const aggregates = neededAggregates(spec.metrics);
  const select = [
    ...dims.map((d) => `${d.sql} AS ${d.alias}`),
    ...aggregates.map((a) => `${AGGREGATES[a]} AS ${a}`),
  ];
  const where = whereClause(spec, scope, params);
  const grouped = dims.length > 0;
  const withTotals = spec.totals && grouped;
  const aliases = dims.map((d) => d.alias).join(', ');
  if (withTotals) select.push(`grouping(${aliases}) AS _g`);

  const order: string[] = [];
  if (withTotals) order.push('_g DESC');
  if (grouped) {
    const sortDim = dims.find((d) => d.key === spec.sort.key);
    const sortExpr = sortDim ? sortDim.alias : METRIC_SQL[spec.sort.key]?.sort;
    if (!sortExpr) throw new Error(`sort key not checked: ${spec.sort.key}`);
    order.push(`${sortExpr} ${spec.sort.desc ? 'DESC' : 'ASC'}`);
    for (const d of dims) if (d.key !== spec.sort.key) order.push(`${d.alias} ASC`);
  }
  params.limit = spec.limit + 1 + (withTotals ? 1 : 0);
  const sql = [
    `SELECT ${select.join(',\n  ')}`,
    `FROM ${table} FINAL`,
    `WHERE ${where}`,
    grouped ? (withTotals ? `GROUP BY GROUPING SETS ((${aliases}), ())` : `GROUP BY ${aliases}`) : '',
    order.length ? `ORDER BY ${order.join(', ')}` : '',
    grouped ? 'LIMIT {limit:UInt32}' : '',
  ]
    .filter((s) => s !== '')
    .join('\n');
  return { sql, params, dimensionAliases: dims.map((d) => d.alias), aggregates };
}
