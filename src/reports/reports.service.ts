// Attribution reports: checks the request against the report language (report-query.ts), scopes it to
// the principal (publisher and buyer roles only ever see their own rows: the scope is in the SQL), runs
// it in ClickHouse, computes the metrics from exact aggregates (money in integer ten-thousandths),
// and adds the names of campaigns, publishers, buyers and targets from PostgreSQL.
import { Injectable } from '@nestjs/common';
import type { Principal, Role } from '../accounts/principal';
import { NIL_UUID } from '../cdr/cdr-row';
import { AppError, forbidden } from '../common/errors';
import { formatMoney } from '../common/money';
import { type CsvValue, toCsv } from './csv';
import { LookupsRepository } from './lookups.repository';
import {
  checkTimezone,
  dimensionsFor,
  type Lookup,
  MAX_CSV_ROWS,
  MAX_ROWS,
  type MetricDef,
  metricsFor,
  parseFilters,
  parseRange,
  parseReportQuery,
  type ReportSpec,
} from './report-query';
import type { ReportScope } from './report-sql';
import { type ChRow, callLogColumns, ReportsRepository } from './reports.repository';

export type Cell = string | number | boolean | null;
export type ReportRow = Record<string, Cell>;

export interface ReportColumn {
  key: string;
  label: string;
  kind: 'dimension' | 'name' | MetricDef['kind'];
}

export interface ReportResult {
  from: string;
  to: string;
  timezone: string;
  groupBy: string[];
  metrics: string[];
  columns: ReportColumn[];
  rows: ReportRow[];
  totals: ReportRow | null;
  truncated: boolean;
}

export interface CallLogResult {
  from: string;
  to: string;
  timezone: string;
  columns: ReportColumn[];
  items: ReportRow[];
  page: number;
  limit: number;
}

type Raw = Record<string, unknown>;

const DECIMAL = /^(-)?(\d+)(?:\.(\d{1,4}))?$/;

/** Exact decimal text (ClickHouse toString of a Decimal) → ten-thousandths. */
export function toUnits(text: Cell | undefined): bigint {
  const m = DECIMAL.exec(String(text ?? '0').trim());
  if (!m) return 0n;
  const v = BigInt(m[2]) * 10_000n + BigInt((m[3] ?? '').padEnd(4, '0'));
  return m[1] ? -v : v;
}

/** a / n rounded half away from zero. */
function divRound(a: bigint, n: bigint): bigint {
  if (n === 0n) return 0n;
  const q = a / n;
  const r = a % n;
  const twice = (r < 0n ? -r : r) * 2n;
  return twice >= n ? q + (a < 0n ? -1n : 1n) : q;
}

const num = (v: Cell | undefined) => Number(v ?? 0);
const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

export function metricValue(key: string, a: ChRow): string | number {
  const calls = num(a.a_calls);
  const conn = num(a.a_conn);
  switch (key) {
    case 'calls':
      return calls;
    case 'unique_callers':
      return num(a.a_uc);
    case 'connected':
      return conn;
    case 'converted':
      return num(a.a_conv);
    case 'conversion_rate':
      return calls === 0 ? 0 : round(num(a.a_conv) / calls, 4);
    case 'revenue':
      return formatMoney(toUnits(a.a_rev));
    case 'payout':
      return formatMoney(toUnits(a.a_pay));
    case 'profit':
      return formatMoney(toUnits(a.a_prof));
    case 'revenue_per_call':
      return formatMoney(divRound(toUnits(a.a_rev), BigInt(calls)));
    case 'payout_per_call':
      return formatMoney(divRound(toUnits(a.a_pay), BigInt(calls)));
    case 'avg_talk_time':
      return conn === 0 ? 0 : round(num(a.a_talk) / conn / 1000, 1);
    case 'time_to_connect':
      return conn === 0 ? 0 : round(num(a.a_ttc) / conn / 1000, 1);
    case 'duplicates':
      return num(a.a_dup);
    case 'abandoned':
      return num(a.a_aband);
    case 'blocked':
      return num(a.a_block);
    case 'no_target':
      return num(a.a_notarget);
  }
  throw new Error(`metric without a formula: ${key}`);
}

/** Limits a principal to its own rows; operators may narrow to one publisher/buyer (dashboards). */
export function scopeOf(p: Principal, view: { publisherId?: string; buyerId?: string } = {}): ReportScope {
  if (p.role === 'publisher') {
    if (!p.publisherId) throw forbidden();
    return { tenantId: p.tenantId, publisherId: p.publisherId };
  }
  if (p.role === 'buyer') {
    if (!p.buyerId) throw forbidden();
    return { tenantId: p.tenantId, buyerId: p.buyerId };
  }
  return { tenantId: p.tenantId, ...view };
}

@Injectable()
export class ReportsService {
  constructor(
    private readonly repo: ReportsRepository,
    private readonly lookups: LookupsRepository,
  ) {}

  catalog(role: Role) {
    return {
      dimensions: [
        ...dimensionsFor(role).map((d) => ({ key: d.key, label: d.label })),
        ...(role === 'buyer' ? [] : [{ key: 'tag.<name>', label: 'Any tag' }]),
      ],
      metrics: metricsFor(role).map((m) => ({ key: m.key, label: m.label, kind: m.kind })),
    };
  }

  async report(
    p: Principal,
    raw: Raw,
    opts: { maxRows?: number; view?: { publisherId?: string; buyerId?: string } } = {},
  ): Promise<ReportResult> {
    const spec = parseReportQuery(raw, p.role, { maxRows: opts.maxRows ?? MAX_ROWS });
    return this.run(spec, scopeOf(p, opts.view));
  }

  async run(spec: ReportSpec, scope: ReportScope): Promise<ReportResult> {
    const { built, rows } = await this.repo.report(spec, scope);
    const grouped = spec.dimensions.length > 0;
    let totalsRow: ChRow | undefined;
    let detail = rows;
    if (spec.totals && grouped) {
      totalsRow = rows.find((r) => num(r._g) !== 0);
      detail = rows.filter((r) => num(r._g) === 0);
    } else if (spec.totals) {
      totalsRow = rows[0];
    }
    const truncated = detail.length > spec.limit;
    if (truncated) detail = detail.slice(0, spec.limit);

    const out: ReportRow[] = detail.map((r) => {
      const row: ReportRow = {};
      spec.dimensions.forEach((d, i) => {
        const v = r[built.dimensionAliases[i]];
        row[d.key] = d.def.kind === 'uuid' && (v === NIL_UUID || v === '') ? null : (v ?? null);
      });
      for (const m of spec.metrics) row[m.key] = metricValue(m.key, r);
      return row;
    });
    await this.addNames(scope.tenantId, spec, out);
    const totals = totalsRow
      ? Object.fromEntries(spec.metrics.map((m) => [m.key, metricValue(m.key, totalsRow)]))
      : null;
    return {
      from: spec.from.toISOString(),
      to: spec.to.toISOString(),
      timezone: spec.timezone,
      groupBy: spec.dimensions.map((d) => d.key),
      metrics: spec.metrics.map((m) => m.key),
      columns: this.columns(spec),
      rows: out,
      totals,
      truncated,
    };
  }

  async reportCsv(p: Principal, raw: Raw): Promise<string> {
    const r = await this.report(p, { limit: String(MAX_CSV_ROWS), ...raw }, { maxRows: MAX_CSV_ROWS });
    return toCsv(
      r.columns.map((c) => c.key),
      r.rows.map((row) => r.columns.map((c) => row[c.key] as CsvValue)),
    );
  }

  async callLog(p: Principal, raw: Raw, opts: { maxLimit?: number } = {}): Promise<CallLogResult> {
    const timezone = checkTimezone(typeof raw.tz === 'string' && raw.tz !== '' ? raw.tz : undefined);
    const { from, to } = parseRange(raw, timezone);
    const filters = parseFilters(
      Object.fromEntries(
        Object.entries(raw).filter(([k]) => !['groupBy', 'metrics', 'sort', 'totals'].includes(k)),
      ),
      p.role,
    );
    const maxLimit = opts.maxLimit ?? 500;
    const limit = raw.limit === undefined ? 100 : Number(raw.limit);
    const page = raw.page === undefined ? 1 : Number(raw.page);
    if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) {
      throw new AppError(400, 'INVALID_PARAMETER', `limit: a whole number from 1 to ${maxLimit}`);
    }
    if (!Number.isInteger(page) || page < 1 || page > 100_000) {
      throw new AppError(400, 'INVALID_PARAMETER', 'page: a whole number from 1');
    }
    const scope = scopeOf(p);
    const rows = await this.repo.callLog({ filters, from, to }, scope, p.role, limit, (page - 1) * limit);
    const cols = callLogColumns(p.role);
    const items = rows.map((r) => {
      const item: ReportRow = {};
      for (const c of cols) {
        const v = r[c.key];
        if (c.kind === 'time') item[c.key] = new Date(Number(v)).toISOString();
        else if (c.kind === 'money') item[c.key] = v === '' ? null : formatMoney(toUnits(v));
        else if (c.kind === 'bool') item[c.key] = v === true || v === 1 || v === 'true';
        else if (c.kind === 'seconds') item[c.key] = Number(v);
        else if (c.kind === 'id') item[c.key] = v === NIL_UUID ? null : (v ?? null);
        else item[c.key] = v ?? '';
      }
      return item;
    });
    for (const c of cols) {
      if (!c.lookup) continue;
      const names = await this.lookups.names(
        scope.tenantId,
        c.lookup,
        items.map((i) => String(i[c.key] ?? '')),
      );
      for (const i of items) i[`${c.key}_name`] = i[c.key] ? (names.get(String(i[c.key])) ?? null) : null;
    }
    const columns: ReportColumn[] = [];
    for (const c of cols) {
      columns.push({ key: c.key, label: c.label, kind: 'dimension' });
      if (c.lookup) columns.push({ key: `${c.key}_name`, label: `${c.label} name`, kind: 'name' });
    }
    return { from: from.toISOString(), to: to.toISOString(), timezone, columns, items, page, limit };
  }

  async callLogCsv(p: Principal, raw: Raw): Promise<string> {
    const r = await this.callLog(p, { limit: '10000', ...raw }, { maxLimit: 10_000 });
    return toCsv(
      r.columns.map((c) => c.key),
      r.items.map((row) => r.columns.map((c) => row[c.key] as CsvValue)),
    );
  }

  private columns(spec: ReportSpec): ReportColumn[] {
    const cols: ReportColumn[] = [];
    for (const d of spec.dimensions) {
      cols.push({ key: d.key, label: d.def.kind === 'tag' ? d.key : d.def.label, kind: 'dimension' });
      if (d.def.lookup) cols.push({ key: `${d.key}_name`, label: `${d.def.label} name`, kind: 'name' });
    }
    for (const m of spec.metrics) cols.push({ key: m.key, label: m.label, kind: m.kind });
    return cols;
  }

  private async addNames(tenantId: string, spec: ReportSpec, rows: ReportRow[]): Promise<void> {
    for (const d of spec.dimensions) {
      const kind: Lookup | undefined = d.def.lookup;
      if (!kind) continue;
      const names = await this.lookups.names(
        tenantId,
        kind,
        rows.map((r) => String(r[d.key] ?? '')),
      );
      for (const r of rows) r[`${d.key}_name`] = r[d.key] ? (names.get(String(r[d.key])) ?? null) : null;
    }
  }
}
