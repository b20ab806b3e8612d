// The CDR: how a final call record (PostgreSQL `calls`, read with its auction summary) becomes one
// ClickHouse `cdr` row. Pure, so the mapping is unit-tested and shared by the exporter, the pixels that
// fire on export and the benchmark.
import { formatMoney, parseMoney } from '../common/money';

/** The nil UUID stands for "none" in the CDR's UUID columns (no buyer, no publisher…). */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** The auction summary of a call (calls.auction), written by the auction with the final record. */
export interface AuctionSummary {
  pings: number;
  bids: number;
  winningBid: string | null;
  runnerUpBid: string | null;
}

/**
 * A `calls` row as the pg driver returns it (snake_case; numerics as strings). Timestamps are Dates, or
 * already ClickHouse text (`YYYY-MM-DD HH:MM:SS.mmm`, UTC) when the export's query formats them in
 * PostgreSQL, together with `time_to_connect_ms`, which saves parsing and formatting every date in JS.
 */
export interface CallRecordRow {
  id: string;
  tenant_id: string;
  call_session_id: string;
  campaign_id: string | null;
  publisher_id: string | null;
  pool_id: string | null;
  buyer_id: string | null;
  target_id: string | null;
  tracking_number: string;
  caller: string;
  destination: string | null;
  state: string;
  reason: string | null;
  duplicate: boolean;
  attribution_method: string | null;
  attribution_confidence: string | null;
  dni_session_id: string | null;
  tags: Record<string, string> | null;
  received_at: Date | string;
  answered_at: Date | string | null;
  routing_at: Date | string | null;
  ringing_at: Date | string | null;
  connected_at: Date | string | null;
  ended_at: Date | string;
  ring_ms: number;
  talk_ms: number;
  total_ms: number;
  attempts: number;
  converted: boolean;
  conversion_seconds: number | null;
  revenue: string;
  payout: string;
  profit: string;
  hangup_cause: string | null;
  hangup_source: string | null;
  sip_hangup_cause: string | null;
  legs: Array<{ callControlId?: string | null }> | null;
  auction: Partial<AuctionSummary> | null;
  /** connected_at − received_at, when the query computed it. */
  time_to_connect_ms?: number;
  /** The legs' call control ids, when the query picked them out of `legs`. */
  leg_ids?: string[];
}

/** One row of ClickHouse `cdr`, as inserted. */
export interface CdrRow {
  call_id: string;
  call_session_id: string;
  leg_ids: string[];
  dni_session_id: string;
  tenant_id: string;
  campaign_id: string;
  publisher_id: string;
  pool_id: string;
  buyer_id: string;
  target_id: string;
  tracking_number: string;
  caller: string;
  destination: string;
  caller_state: string;
  caller_area_code: string;
  caller_country: string;
  landing_page: string;
  referrer: string;
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
  utm_term: string;
  utm_content: string;
  gclid: string;
  gbraid: string;
  wbraid: string;
  msclkid: string;
  fbclid: string;
  ttclid: string;
  attribution_method: string;
  attribution_confidence: string | null;
  tags: Record<string, string>;
  state: string;
  reason: string;
  connected: boolean;
  converted: boolean;
  duplicate: boolean;
  blocked: boolean;
  abandoned: boolean;
  no_target: boolean;
  started_at: string;
  answered_at: string | null;
  routing_at: string | null;
  ringing_at: string | null;
  connected_at: string | null;
  ended_at: string;
  ring_ms: number;
  talk_ms: number;
  total_ms: number;
  time_to_connect_ms: number;
  attempts: number;
  conversion_seconds: number | null;
  revenue: string;
  payout: string;
  profit: string;
  hangup_cause: string;
  hangup_source: string;
  sip_hangup_cause: string;
  auction_pings: number;
  auction_bids: number;
  winning_bid: string | null;
  runner_up_bid: string | null;
  exported_at: string;
  version: number;
}

/** The columns that hold nothing but a tag (the others hold a record field a tag may repeat). */
export const TAG_ONLY_COLUMNS = [
  'caller_state',
  'caller_area_code',
  'caller_country',
  'landing_page',
  'referrer',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'gclid',
  'gbraid',
  'wbraid',
  'msclkid',
  'fbclid',
  'ttclid',
] as const;
export type TagOnlyColumn = (typeof TAG_ONLY_COLUMNS)[number];

/** One value per tag-only column, made by `value` (the mappings' rows for those columns). */
export const eachTagOnly = <T>(value: (column: TagOnlyColumn) => T): Record<TagOnlyColumn, T> =>
  Object.fromEntries(TAG_ONLY_COLUMNS.map((c) => [c, value(c)])) as Record<TagOnlyColumn, T>;

/** The time columns, which the export's lines carry as epoch milliseconds (DateTime64(3) reads those). */
const TIME_COLUMN_LIST = [
  'started_at',
  'answered_at',
  'routing_at',
  'ringing_at',
  'connected_at',
  'ended_at',
] as const;

/** The columns of `cdr` that the export writes, in the order of its positional (JSONCompactEachRow) rows. */
export const CDR_COLUMNS = [
  'call_id',
  'call_session_id',
  'leg_ids',
  'dni_session_id',
  'tenant_id',
  'campaign_id',
  'publisher_id',
  'pool_id',
  'buyer_id',
  'target_id',
  'tracking_number',
  'caller',
  'destination',
  ...TAG_ONLY_COLUMNS,
  'attribution_method',
  'attribution_confidence',
  'tags',
  'state',
  'reason',
  'connected',
  'converted',
  'duplicate',
  'blocked',
  'abandoned',
  'no_target',
  ...TIME_COLUMN_LIST,
  'ring_ms',
  'talk_ms',
  'total_ms',
  'time_to_connect_ms',
  'attempts',
  'conversion_seconds',
  'revenue',
  'payout',
  'profit',
  'hangup_cause',
  'hangup_source',
  'sip_hangup_cause',
  'auction_pings',
  'auction_bids',
  'winning_bid',
  'runner_up_bid',
  'exported_at',
  'version',
] as const satisfies ReadonlyArray<keyof CdrRow>;

// Fails to compile when CdrRow gains a field that CDR_COLUMNS does not list.
const everyColumnListed: [Exclude<keyof CdrRow, (typeof CDR_COLUMNS)[number]>] extends [never]
  ? true
  : never = true;
void everyColumnListed;

/** A CDR row as positional values in CDR_COLUMNS order (one JSONCompactEachRow line). */
export const cdrValues = (row: CdrRow): unknown[] => CDR_COLUMNS.map((c) => row[c]);

const TIME_COLUMNS = new Set<string>(TIME_COLUMN_LIST);

/** A CDR row back from one JSONCompactEachRow line of the export (times as ClickHouse text again). */
export function cdrRowFromLine(line: string): CdrRow {
  const values = JSON.parse(line) as unknown[];
  if (!Array.isArray(values) || values.length !== CDR_COLUMNS.length) {
    throw new Error(`a CDR line has ${CDR_COLUMNS.length} values`);
  }
  const row: Record<string, unknown> = {};
  CDR_COLUMNS.forEach((c, i) => {
    const v = values[i];
    row[c] = TIME_COLUMNS.has(c) && typeof v === 'number' ? chTime(v) : v;
  });
  return row as unknown as CdrRow;
}

/** DateTime64(3, 'UTC') text: `2026-05-19 13:04:05.123`. */
export function chTime(d: Date | number): string {
  const iso = (typeof d === 'number' ? new Date(d) : d).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

const asChTime = (d: Date | string) => (typeof d === 'string' ? d : chTime(d));
const chTimeOrNull = (d: Date | string | null) => (d === null ? null : asChTime(d));
const PLAIN_DECIMAL = /^-?\d{1,14}(\.\d{1,4})?$/;

function timeToConnect(r: CallRecordRow): number {
  if (r.time_to_connect_ms !== undefined) return r.time_to_connect_ms;
  if (r.connected_at === null) return 0;
  const ms = (d: Date | string) =>
    typeof d === 'string' ? Date.parse(`${d.replace(' ', 'T')}Z`) : d.getTime();
  return Math.max(0, ms(r.connected_at) - ms(r.received_at));
}

/** A numeric(14,4) column as PostgreSQL prints it is already exact decimal text for ClickHouse. */
const decimal = (v: string) => (PLAIN_DECIMAL.test(v) ? v : (money(v) ?? '0'));

/** Canonical 4-decimal text of an amount, or null when it is missing or not an amount. */
function money(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  try {
    return formatMoney(parseMoney(String(v)));
  } catch {
    return null;
  }
}

const count = (v: unknown) => (Number.isInteger(v) && (v as number) >= 0 ? Math.min(v as number, 65_535) : 0);

/** An amount from the auction summary: a plain decimal is kept as written, anything else is no amount. */
function bid(v: unknown): string | null {
  if ((typeof v !== 'string' && typeof v !== 'number') || !PLAIN_DECIMAL.test(String(v))) return null;
  return String(v);
}

/**
 * Tags that have a column of their own (attribution, caller geography, the call's ids). The tags Map of
 * a CDR keeps only the others (custom parameters, campaign name…); a tag whose value its column holds
 * exactly is not stored twice. `fullTags` puts them back together.
 */
export const TAG_COLUMNS = {
  utm_source: 'utm_source',
  utm_medium: 'utm_medium',
  utm_campaign: 'utm_campaign',
  utm_term: 'utm_term',
  utm_content: 'utm_content',
  gclid: 'gclid',
  gbraid: 'gbraid',
  wbraid: 'wbraid',
  msclkid: 'msclkid',
  fbclid: 'fbclid',
  ttclid: 'ttclid',
  landing_page: 'landing_page',
  referrer: 'referrer',
  caller_state: 'caller_state',
  caller_area_code: 'caller_area_code',
  caller_country: 'caller_country',
  campaign_id: 'campaign_id',
  publisher_id: 'publisher_id',
  pool_id: 'pool_id',
  tracking_number: 'tracking_number',
  caller_number: 'caller',
  attribution_method: 'attribution_method',
  dni_session_id: 'dni_session_id',
} as const satisfies Record<string, keyof CdrRow>;

/** The call's tags as recorded: the Map plus the tags kept in columns. */
export function fullTags(
  row: Pick<CdrRow, 'tags' | (typeof TAG_COLUMNS)[keyof typeof TAG_COLUMNS]>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [tag, column] of Object.entries(TAG_COLUMNS)) {
    const v = String(row[column] ?? '');
    if (v !== '' && v !== NIL_UUID) out[tag] = v;
  }
  return { ...out, ...row.tags };
}

/** A tag's value as text: a string as it is, another JSON value as its JSON, none (or null) as ''. */
function tagText(v: unknown): string {
  if (typeof v === 'string') return v;
  return v === null || v === undefined ? '' : JSON.stringify(v);
}

const TAG_ONLY = new Set<string>(TAG_ONLY_COLUMNS);

/**
 * The tags Map: the tags less those with a column of their own. A tag-only column always holds its tag;
 * a record column (campaign_id, caller…) takes the tag out only when it holds the very same text.
 * cdr-row-sql.ts does the same in PostgreSQL.
 */
function restTags(tags: Record<string, unknown>, row: CdrRow): Record<string, string> {
  const rest: Record<string, string> = {};
  for (const [name, value] of Object.entries(tags)) {
    const column = (TAG_COLUMNS as Record<string, keyof CdrRow>)[name];
    const inColumn =
      column !== undefined &&
      (TAG_ONLY.has(column) || (value !== null && value !== undefined && tagText(value) === row[column]));
    if (!inColumn) rest[name] = value as string;
  }
  return rest;
}

export function toCdrRow(r: CallRecordRow, exportedAt: number): CdrRow {
  const tags: Record<string, unknown> = r.tags ?? {};
  const tag = (name: string) => tagText(tags[name]);
  const connected = r.connected_at !== null;
  const auction = r.auction ?? {};
  const row: CdrRow = {
    call_id: r.id,
    call_session_id: r.call_session_id,
    leg_ids: r.leg_ids ?? (r.legs ?? []).map((l) => l.callControlId ?? '').filter((id) => id !== ''),
    dni_session_id: r.dni_session_id ?? '',
    tenant_id: r.tenant_id,
    campaign_id: r.campaign_id ?? NIL_UUID,
    publisher_id: r.publisher_id ?? NIL_UUID,
    pool_id: r.pool_id ?? NIL_UUID,
    buyer_id: r.buyer_id ?? NIL_UUID,
    target_id: r.target_id ?? NIL_UUID,
    tracking_number: r.tracking_number,
    caller: r.caller,
    destination: r.destination ?? '',
    ...eachTagOnly(tag),
    attribution_method: r.attribution_method ?? '',
    attribution_confidence: r.attribution_confidence,
    tags: {},
    state: r.state,
    reason: r.reason ?? '',
    connected,
    converted: r.converted,
    duplicate: r.duplicate,
    blocked: r.reason === 'blocked',
    abandoned: r.state === 'abandoned',
    no_target: r.reason === 'unrouted',
    started_at: asChTime(r.received_at),
    answered_at: chTimeOrNull(r.answered_at),
    routing_at: chTimeOrNull(r.routing_at),
    ringing_at: chTimeOrNull(r.ringing_at),
    connected_at: chTimeOrNull(r.connected_at),
    ended_at: asChTime(r.ended_at),
    ring_ms: r.ring_ms,
    talk_ms: r.talk_ms,
    total_ms: r.total_ms,
    time_to_connect_ms: timeToConnect(r),
    attempts: r.attempts,
    conversion_seconds: r.conversion_seconds,
    revenue: decimal(r.revenue),
    payout: decimal(r.payout),
    profit: decimal(r.profit),
    hangup_cause: r.hangup_cause ?? '',
    hangup_source: r.hangup_source ?? '',
    sip_hangup_cause: r.sip_hangup_cause ?? '',
    auction_pings: count(auction.pings),
    auction_bids: count(auction.bids),
    winning_bid: bid(auction.winningBid),
    runner_up_bid: bid(auction.runnerUpBid),
    exported_at: chTime(exportedAt),
    version: exportedAt,
  };
  row.tags = restTags(tags, row);
  return row;
}
