// The CDR mapping of cdr-row.ts (toCdrRow) in PostgreSQL, for the export: PostgreSQL renders each final
// record straight into one JSONCompactEachRow line, and the worker passes the text through to ClickHouse.
// Parsing ~45 columns per call in JS, building the row object and serialising it again took most of the
// export's time (and made most of its garbage); PostgreSQL does it in C, in its own process, and one
// format() call per row is several times cheaper than concatenating the line value by value.
// toCdrRow stays the reference (unit-tested; pixels, fixtures and the benchmark's baseline use it), and
// the e2e suite checks that both give the same row, odd values included. Change them together.
import { CDR_COLUMNS, type CdrRow, eachTagOnly, NIL_UUID, TAG_COLUMNS } from './cdr-row';

/**
 * A column's value: SQL text that goes into the line as it is (`%s`, JSON already) or between quotes
 * (`"%s"`, text that needs no escaping). Never SQL NULL: format() would print nothing for it.
 */
interface Value {
  sql: string;
  quoted?: boolean;
}

const DECIMAL_RE = '^-?[0-9]{1,14}([.][0-9]{1,4})?$';
const NON_NEGATIVE_INTEGER_RE = '^[0-9]+([.]0+)?$';

/** JSON of text that may need escaping ('' for SQL NULL when `orEmpty`). */
const json = (sql: string): Value => ({ sql: `to_json(${sql})::text` });
const orEmpty = (column: string) => `coalesce(c.${column}, '')`;
/** Text that never needs escaping (uuids, numerics); never NULL. */
const quoted = (sql: string): Value => ({ sql, quoted: true });
/** Like `quoted`, or JSON null. */
const quotedOrNull = (sql: string): Value => ({ sql: `coalesce('"' || ${sql} || '"', 'null')` });
/** A number, or JSON null. */
const numberOrNull = (column: string): Value => ({ sql: `coalesce(c.${column}::text, 'null')` });
const bool = (sql: string): Value => ({ sql: `coalesce(${sql}, false)::text` });
const id = (column: string) => `coalesce(c.${column}::text, '${NIL_UUID}')`;
/**
 * A timestamp as epoch milliseconds (truncated, as toCdrRow's text is): ClickHouse reads an integer for
 * a DateTime64(3) as milliseconds, and PostgreSQL makes the number several times cheaper than the text.
 */
const epochMs = (column: string) => `floor(date_part('epoch', c.${column}) * 1000)::int8`;
const time = (column: string): Value => ({ sql: `coalesce(${epochMs(column)}::text, 'null')` });
/** A tag as text (toCdrRow's `tagText`): a string as it is, another JSON value as its JSON, none as ''. */
const tag = (name: string) => json(`coalesce(c.tags ->> '${name}', '')`);

/** The text of the record columns that a tag may repeat (TAG_COLUMNS entries that are not tag-only). */
const RECORD_TEXT: Partial<Record<keyof CdrRow, string>> = {
  campaign_id: id('campaign_id'),
  publisher_id: id('publisher_id'),
  pool_id: id('pool_id'),
  tracking_number: 'c.tracking_number',
  caller: 'c.caller',
  attribution_method: orEmpty('attribution_method'),
  dni_session_id: orEmpty('dni_session_id'),
};

/**
 * The tags Map (toCdrRow's `restTags`): the record's tags less those with a column of their own: a
 * tag-only column always holds its tag; a record column drops the tag only when it holds the same text.
 */
const restTags = (() => {
  const drop = Object.entries(TAG_COLUMNS).map(([name, column]) => {
    const text = RECORD_TEXT[column];
    return text === undefined ? `'${name}'` : `CASE WHEN c.tags ->> '${name}' = ${text} THEN '${name}' END`;
  });
  return `coalesce(c.tags - array_remove(ARRAY[${drop.join(', ')}], NULL), '{}')::text`;
})();

/** toCdrRow's `count`: a non-negative integral JSON number (its JSON text: a string has quotes), capped. */
const auctionCount = (key: string): Value => {
  const text = `(c.auction -> '${key}')::text`;
  return {
    sql: `CASE WHEN ${text} ~ '${NON_NEGATIVE_INTEGER_RE}' THEN least(${text}::numeric, 65535)::int::text ELSE '0' END`,
  };
};
/** toCdrRow's `bid`: a plain decimal, written as a string or a number, else null. */
const auctionBid = (key: string): Value => {
  const text = `(c.auction ->> '${key}')`;
  return { sql: `CASE WHEN ${text} ~ '${DECIMAL_RE}' THEN '"' || ${text} || '"' ELSE 'null' END` };
};

/** Each CDR column's value. $2 is the export time as ClickHouse text, $3 the version (epoch ms). */
const VALUES: Record<keyof CdrRow, Value> = {
  call_id: quoted('c.id::text'),
  call_session_id: json('c.call_session_id'),
  leg_ids: {
    sql: `coalesce(jsonb_path_query_array(c.legs,
      '$[*] ? (@.callControlId.type() == "string" && @.callControlId != "").callControlId')::text, '[]')`,
  },
  dni_session_id: json(orEmpty('dni_session_id')),
  tenant_id: quoted('c.tenant_id::text'),
  campaign_id: quoted(id('campaign_id')),
  publisher_id: quoted(id('publisher_id')),
  pool_id: quoted(id('pool_id')),
  buyer_id: quoted(id('buyer_id')),
  target_id: quoted(id('target_id')),
  tracking_number: json('c.tracking_number'),
  caller: json('c.caller'),
  destination: json(orEmpty('destination')),
  ...eachTagOnly(tag),
  attribution_method: json(orEmpty('attribution_method')),
  attribution_confidence: quotedOrNull('c.attribution_confidence::text'),
  tags: { sql: restTags },
  state: json('c.state'),
  reason: json(orEmpty('reason')),
  connected: bool('c.connected_at IS NOT NULL'),
  converted: bool('c.converted'),
  duplicate: bool('c.duplicate'),
  blocked: bool(`c.reason = 'blocked'`),
  abandoned: bool(`c.state = 'abandoned'`),
  no_target: bool(`c.reason = 'unrouted'`),
  started_at: time('received_at'),
  answered_at: time('answered_at'),
  routing_at: time('routing_at'),
  ringing_at: time('ringing_at'),
  connected_at: time('connected_at'),
  ended_at: time('ended_at'),
  ring_ms: numberOrNull('ring_ms'),
  talk_ms: numberOrNull('talk_ms'),
  total_ms: numberOrNull('total_ms'),
  time_to_connect_ms: {
    sql: `(CASE WHEN c.connected_at IS NULL THEN 0
      ELSE greatest(0, ${epochMs('connected_at')} - ${epochMs('received_at')}) END)::text`,
  },
  attempts: numberOrNull('attempts'),
  conversion_seconds: numberOrNull('conversion_seconds'),
  revenue: quoted('c.revenue::text'),
  payout: quoted('c.payout::text'),
  profit: quoted('c.profit::text'),
  hangup_cause: json(orEmpty('hangup_cause')),
  hangup_source: json(orEmpty('hangup_source')),
  sip_hangup_cause: json(orEmpty('sip_hangup_cause')),
  auction_pings: auctionCount('pings'),
  auction_bids: auctionCount('bids'),
  winning_bid: auctionBid('winningBid'),
  runner_up_bid: auctionBid('runnerUpBid'),
  exported_at: quoted('$2::text'),
  version: { sql: '$3::bigint::text' },
};

/**
 * A record's CDR as one JSONCompactEachRow line (CDR_COLUMNS order), over `calls` aliased `c`: one
 * format() call whose template holds the brackets, commas and the quotes of text needing no escaping.
 */
export const CDR_LINE_SQL = (() => {
  const values = CDR_COLUMNS.map((column) => VALUES[column]);
  const template = values.map((v) => (v.quoted ? '"%s"' : '%s')).join(',');
  return `format('[${template}]',\n    ${values.map((v) => v.sql).join(',\n    ')})`;
})();
