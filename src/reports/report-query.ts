// The report language: which dimensions and metrics exist, who may use which, and how a request's query
// string becomes a checked ReportSpec. Every identifier that ends up in SQL comes from the tables below
// (never from the request); request values become bound parameters in reports.repository.ts.
import { DateTime, IANAZone } from 'luxon';
import type { Role } from '../accounts/principal';
import { AppError, badRequest } from '../common/errors';

export type DateBucket = 'hour' | 'day' | 'week' | 'month';
export type Lookup = 'campaign' | 'publisher' | 'buyer' | 'target';

export interface DimensionDef {
  key: string;
  label: string;
  /** Column (or date bucket) behind it. */
  column: string;
  kind: 'date' | 'uuid' | 'string' | 'tag';
  bucket?: DateBucket;
  lookup?: Lookup;
  roles: readonly Role[];
}

export interface MetricDef {
  key: string;
  label: string;
  kind: 'count' | 'money' | 'ratio' | 'seconds';
  roles: readonly Role[];
}

const ALL: readonly Role[] = ['operator', 'publisher', 'buyer'];
const OP_PUB: readonly Role[] = ['operator', 'publisher'];
const OP_BUY: readonly Role[] = ['operator', 'buyer'];
const OP: readonly Role[] = ['operator'];

export const DIMENSIONS: readonly DimensionDef[] = [
  { key: 'hour', label: 'Hour', column: 'started_at', kind: 'date', bucket: 'hour', roles: ALL },
  { key: 'day', label: 'Day', column: 'started_at', kind: 'date', bucket: 'day', roles: ALL },
  { key: 'week', label: 'Week', column: 'started_at', kind: 'date', bucket: 'week', roles: ALL },
  { key: 'month', label: 'Month', column: 'started_at', kind: 'date', bucket: 'month', roles: ALL },
  { key: 'campaign', label: 'Campaign', column: 'campaign_id', kind: 'uuid', lookup: 'campaign', roles: ALL },
  {
    key: 'publisher',
    label: 'Publisher',
    column: 'publisher_id',
    kind: 'uuid',
    lookup: 'publisher',
    roles: OP,
  },
  { key: 'buyer', label: 'Buyer', column: 'buyer_id', kind: 'uuid', lookup: 'buyer', roles: OP },
  { key: 'target', label: 'Target', column: 'target_id', kind: 'uuid', lookup: 'target', roles: OP_BUY },
  {
    key: 'tracking_number',
    label: 'Tracking number',
    column: 'tracking_number',
    kind: 'string',
    roles: OP_PUB,
  },
  { key: 'utm_source', label: 'Source', column: 'utm_source', kind: 'string', roles: OP_PUB },
  { key: 'utm_medium', label: 'Medium', column: 'utm_medium', kind: 'string', roles: OP_PUB },
  { key: 'utm_campaign', label: 'UTM campaign', column: 'utm_campaign', kind: 'string', roles: OP_PUB },
  { key: 'utm_term', label: 'Keyword', column: 'utm_term', kind: 'string', roles: OP_PUB },
  { key: 'utm_content', label: 'Content', column: 'utm_content', kind: 'string', roles: OP_PUB },
  { key: 'landing_page', label: 'Landing page', column: 'landing_page', kind: 'string', roles: OP_PUB },
  { key: 'referrer', label: 'Referrer', column: 'referrer', kind: 'string', roles: OP_PUB },
  { key: 'caller_state', label: 'Caller state', column: 'caller_state', kind: 'string', roles: ALL },
  { key: 'state', label: 'Outcome', column: 'state', kind: 'string', roles: ALL },
  {
    key: 'attribution_method',
    label: 'Attribution',
    column: 'attribution_method',
    kind: 'string',
    roles: OP_PUB,
  },
];

/** Any tag: `tag.<name>`. */
export const TAG_PREFIX = 'tag.';
const TAG_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
/** Tags a role may not group or filter by (they hold the caller's number). */
const HIDDEN_TAGS: Partial<Record<Role, ReadonlySet<string>>> = {
  publisher: new Set(['caller_number']),
};
const TAG_ROLES: readonly Role[] = OP_PUB;

export const METRICS: readonly MetricDef[] = [
  { key: 'calls', label: 'Calls', kind: 'count', roles: ALL },
  { key: 'unique_callers', label: 'Unique callers', kind: 'count', roles: ALL },
  { key: 'connected', label: 'Connected', kind: 'count', roles: ALL },
  { key: 'converted', label: 'Converted', kind: 'count', roles: ALL },
  { key: 'conversion_rate', label: 'Conversion rate', kind: 'ratio', roles: ALL },
  { key: 'revenue', label: 'Revenue', kind: 'money', roles: OP_BUY },
  { key: 'payout', label: 'Payout', kind: 'money', roles: OP_PUB },
  { key: 'profit', label: 'Profit', kind: 'money', roles: OP },
  { key: 'revenue_per_call', label: 'Revenue per call', kind: 'money', roles: OP_BUY },
  { key: 'payout_per_call', label: 'Payout per call', kind: 'money', roles: OP_PUB },
  { key: 'avg_talk_time', label: 'Avg talk time (s)', kind: 'seconds', roles: ALL },
  { key: 'time_to_connect', label: 'Time to connect (s)', kind: 'seconds', roles: ALL },
  { key: 'duplicates', label: 'Duplicates', kind: 'count', roles: OP_PUB },
  { key: 'abandoned', label: 'Abandoned', kind: 'count', roles: ALL },
  { key: 'blocked', label: 'Blocked', kind: 'count', roles: OP },
  { key: 'no_target', label: 'No target', kind: 'count', roles: OP },
];

export const DEFAULT_METRICS: Record<Role, string[]> = {
  operator: [
    'calls',
    'unique_callers',
    'connected',
    'converted',
    'conversion_rate',
    'revenue',
    'payout',
    'profit',
  ],
  publisher: ['calls', 'unique_callers', 'connected', 'converted', 'conversion_rate', 'payout'],
  buyer: ['calls', 'connected', 'converted', 'conversion_rate', 'revenue', 'avg_talk_time'],
};

export interface DimensionRef {
  /** As requested: `campaign`, `day`, `tag.sub_id`. */
  key: string;
  def: DimensionDef;
  /** The tag name for `tag.<name>`. */
  tag?: string;
}

export interface ReportSpec {
  dimensions: DimensionRef[];
  metrics: MetricDef[];
  filters: Array<{ dimension: DimensionRef; values: string[] }>;
  from: Date;
  to: Date;
  timezone: string;
  sort: { key: string; desc: boolean };
  limit: number;
  totals: boolean;
}

export const MAX_DIMENSIONS = 4;
export const MAX_FILTER_VALUES = 100;
export const MAX_ROWS = 10_000;
export const MAX_CSV_ROWS = 100_000;
const MAX_RANGE_DAYS = 400;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const NONE = 'none';

type Raw = Record<string, unknown>;

/** Dimensions a role may use (tags aside). */
export function dimensionsFor(role: Role): DimensionDef[] {
  return DIMENSIONS.filter((d) => d.roles.includes(role));
}

export function metricsFor(role: Role): MetricDef[] {
  return METRICS.filter((m) => m.roles.includes(role));
}

export function resolveDimension(key: string, role: Role): DimensionRef {
  if (key.startsWith(TAG_PREFIX)) {
    const tag = key.slice(TAG_PREFIX.length);
    if (!TAG_NAME.test(tag)) throw badRequest('UNKNOWN_DIMENSION', `${key}: not a valid tag name`);
    if (!TAG_ROLES.includes(role) || HIDDEN_TAGS[role]?.has(tag)) {
      throw new AppError(403, 'DIMENSION_NOT_ALLOWED', `${key} is not available to your role`);
    }
    return {
      key,
      tag,
      def: { key: 'tag', label: tag, column: 'tags', kind: 'tag', roles: TAG_ROLES },
    };
  }
  const def = DIMENSIONS.find((d) => d.key === key);
  if (!def) {
    throw badRequest('UNKNOWN_DIMENSION', `${key}: unknown dimension`, {
      known: [...DIMENSIONS.map((d) => d.key), 'tag.<name>'],
    });
  }
  if (!def.roles.includes(role)) {
    throw new AppError(403, 'DIMENSION_NOT_ALLOWED', `${key} is not available to your role`);
  }
  return { key, def };
}

export function resolveMetric(key: string, role: Role): MetricDef {
  const def = METRICS.find((m) => m.key === key);
  if (!def)
    throw badRequest('UNKNOWN_METRIC', `${key}: unknown metric`, { known: METRICS.map((m) => m.key) });
  if (!def.roles.includes(role)) {
    throw new AppError(403, 'METRIC_NOT_ALLOWED', `${key} is not available to your role`);
  }
  return def;
}

/** A list parameter: `a,b` or repeated `x=a&x=b`. */
function list(v: unknown): string[] {
  const parts = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return parts
    .flatMap((p) => String(p).split(','))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function single(raw: Raw, name: string): string | undefined {
  const v = raw[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (Array.isArray(v)) throw badRequest('INVALID_PARAMETER', `${name} given more than once`);
  return String(v);
}

export function checkTimezone(tz: string | undefined): string {
  const zone = tz ?? 'UTC';
  if (zone.length > 64 || !IANAZone.isValidZone(zone)) {
    throw badRequest('INVALID_TIMEZONE', `${zone}: not an IANA time zone`);
  }
  return zone;
}

/** `YYYY-MM-DD` (a day in the viewer's zone) or an ISO date-time; `end` makes a day inclusive. */
function parseInstant(text: string, zone: string, end: boolean, name: string): Date {
  let dt: DateTime;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    dt = DateTime.fromISO(text, { zone });
    if (end) dt = dt.plus({ days: 1 });
  } else {
    dt = DateTime.fromISO(text, { zone, setZone: true });
  }
  if (!dt.isValid) throw badRequest('INVALID_RANGE', `${name}: not a date (YYYY-MM-DD) or ISO date-time`);
  return dt.toJSDate();
}

/** The report window: `from` inclusive, `to` exclusive; by default the last 7 days including today. */
export function parseRange(raw: Raw, zone: string, now = new Date()): { from: Date; to: Date } {
  const fromText = single(raw, 'from');
  const toText = single(raw, 'to');
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  const to = toText ? parseInstant(toText, zone, true, 'to') : today.plus({ days: 1 }).toJSDate();
  const from = fromText
    ? parseInstant(fromText, zone, false, 'from')
    : DateTime.fromJSDate(to, { zone }).minus({ days: 7 }).toJSDate();
  if (!(from.getTime() < to.getTime())) throw badRequest('INVALID_RANGE', '`from` must be before `to`');
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
    throw badRequest('INVALID_RANGE', `the range may span at most ${MAX_RANGE_DAYS} days`);
  }
  return { from, to };
}

const RESERVED = new Set(['groupBy', 'metrics', 'from', 'to', 'tz', 'sort', 'limit', 'totals', 'page']);

/** The filters of a request: `filter.<dimension>=<value>` (repeat or comma-separate for OR). */
export function parseFilters(raw: Raw, role: Role): ReportSpec['filters'] {
  const out: ReportSpec['filters'] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (RESERVED.has(name) || value === undefined) continue;
    if (!name.startsWith('filter.')) throw badRequest('UNKNOWN_PARAMETER', `${name}: unknown parameter`);
    const dimension = resolveDimension(name.slice('filter.'.length), role);
    if (dimension.def.kind === 'date') {
      throw badRequest('INVALID_FILTER', `${dimension.key}: filter dates with from and to`);
    }
    // Values may hold commas (landing pages), so only repetition makes a list here.
    const values = (Array.isArray(value) ? value : [value]).map((v) => String(v ?? ''));
    if (values.length > MAX_FILTER_VALUES) {
      throw badRequest('INVALID_FILTER', `${dimension.key}: at most ${MAX_FILTER_VALUES} values`);
    }
    if (dimension.def.kind === 'uuid' && values.some((v) => v !== NONE && !UUID.test(v))) {
      throw badRequest('INVALID_FILTER', `${dimension.key}: values must be ids (or "${NONE}")`);
    }
    if (values.some((v) => v.length > 2048))
      throw badRequest('INVALID_FILTER', `${dimension.key}: value too long`);
    out.push({ dimension, values });
  }
  return out;
}

export function parseReportQuery(
  raw: Raw,
  role: Role,
  opts: { maxRows?: number; now?: Date } = {},
): ReportSpec {
  const timezone = checkTimezone(single(raw, 'tz'));
  const { from, to } = parseRange(raw, timezone, opts.now);
  const groupBy = list(raw.groupBy);
  if (groupBy.length > MAX_DIMENSIONS) {
    throw badRequest('TOO_MANY_DIMENSIONS', `group by at most ${MAX_DIMENSIONS} dimensions`);
  }
  if (new Set(groupBy).size !== groupBy.length)
    throw badRequest('INVALID_PARAMETER', 'groupBy repeats a dimension');
  const dimensions = groupBy.map((k) => resolveDimension(k, role));
  const metricKeys = list(raw.metrics);
  const metrics = [...new Set(metricKeys.length ? metricKeys : DEFAULT_METRICS[role])].map((k) =>
    resolveMetric(k, role),
  );
  const filters = parseFilters(raw, role);

  const maxRows = opts.maxRows ?? MAX_ROWS;
  const limitText = single(raw, 'limit');
  const limit = limitText === undefined ? Math.min(1_000, maxRows) : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > maxRows) {
    throw badRequest('INVALID_PARAMETER', `limit: a whole number from 1 to ${maxRows}`);
  }

  const sortText = single(raw, 'sort');
  let sort: ReportSpec['sort'];
  if (sortText) {
    const desc = sortText.startsWith('-');
    const key = desc ? sortText.slice(1) : sortText;
    const known = dimensions.some((d) => d.key === key) || metrics.some((m) => m.key === key);
    if (!known) {
      throw badRequest(
        'INVALID_SORT',
        `sort: ${key} is not one of the grouped dimensions or requested metrics`,
      );
    }
    sort = { key, desc };
  } else {
    const date = dimensions.find((d) => d.def.kind === 'date');
    sort = date ? { key: date.key, desc: false } : { key: metrics[0].key, desc: true };
  }

  const totalsText = single(raw, 'totals');
  if (totalsText !== undefined && totalsText !== 'true' && totalsText !== 'false') {
    throw badRequest('INVALID_PARAMETER', 'totals: true or false');
  }
  return { dimensions, metrics, filters, from, to, timezone, sort, limit, totals: totalsText === 'true' };
}
