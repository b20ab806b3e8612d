// What a pixel template sees: the call's CDR fields (snake_case, as in ClickHouse `cdr`), the event and
// the call's tags. Built from the CDR for events fired at export, and from the live call for incoming
// and connected pixels fired while the call is up (fields not known yet are empty).
import type { LiveCall } from '../calls/call-machine';
import { type CdrRow, fullTags, NIL_UUID, TAG_ONLY_COLUMNS } from '../cdr/cdr-row';
import { formatMoney, parseMoney } from '../common/money';

export const PIXEL_EVENTS = ['incoming', 'connected', 'converted', 'completed'] as const;
export type PixelEvent = (typeof PIXEL_EVENTS)[number];

export type PixelContext = Record<string, unknown> & {
  event: PixelEvent;
  call_id: string;
  tenant_id: string;
  campaign_id: string;
  publisher_id: string;
  tags: Record<string, string>;
};

const id = (v: string | null | undefined) => (v && v !== NIL_UUID ? v : '');
const isoOfCh = (v: string | null) => (v ? `${v.replace(' ', 'T')}Z` : '');
const seconds = (ms: number) => Math.round(ms / 1000);
/** Amounts as the API prints them ("10.00"). */
const money = (v: string) => {
  try {
    return formatMoney(parseMoney(v));
  } catch {
    return v;
  }
};

/** The attribution a template sees by name: the CDR's tag-only columns and the campaign's name. */
const ATTRIBUTION_TAGS = [...TAG_ONLY_COLUMNS, 'campaign_name'];

/** The events a finished call fires: incoming and completed always, connected and converted when they happened. */
export function finalEvents(row: Pick<CdrRow, 'connected' | 'converted'>): PixelEvent[] {
  const out: PixelEvent[] = ['incoming'];
  if (row.connected) out.push('connected');
  if (row.converted) out.push('converted');
  out.push('completed');
  return out;
}

export function contextFromCdr(row: CdrRow, event: PixelEvent): PixelContext {
  const tags = fullTags(row);
  const fromTags = Object.fromEntries(ATTRIBUTION_TAGS.map((t) => [t, tags[t] ?? '']));
  return {
    ...fromTags,
    event,
    call_id: row.call_id,
    call_session_id: row.call_session_id,
    tenant_id: row.tenant_id,
    campaign_id: id(row.campaign_id),
    publisher_id: id(row.publisher_id),
    buyer_id: id(row.buyer_id),
    target_id: id(row.target_id),
    pool_id: id(row.pool_id),
    tracking_number: row.tracking_number,
    caller: row.caller,
    destination: row.destination,
    dni_session_id: row.dni_session_id,
    state: row.state,
    reason: row.reason,
    connected: row.connected,
    converted: row.converted,
    duplicate: row.duplicate,
    started_at: isoOfCh(row.started_at),
    answered_at: isoOfCh(row.answered_at),
    connected_at: isoOfCh(row.connected_at),
    ended_at: isoOfCh(row.ended_at),
    ring_seconds: seconds(row.ring_ms),
    talk_seconds: seconds(row.talk_ms),
    duration_seconds: seconds(row.total_ms),
    time_to_connect_seconds: seconds(row.time_to_connect_ms),
    revenue: money(row.revenue),
    payout: money(row.payout),
    profit: money(row.profit),
    hangup_cause: row.hangup_cause,
    hangup_source: row.hangup_source,
    tags,
  };
}

/** For a call that is still up (incoming, connected). Null when it is not set up for a tenant yet. */
export function contextFromLive(call: LiveCall, event: PixelEvent): PixelContext | null {
  const s = call.setup;
  if (!s?.tenantId) return null;
  const tags = s.tags ?? {};
  const fromTags = Object.fromEntries(ATTRIBUTION_TAGS.map((t) => [t, tags[t] ?? '']));
  const connected = call.attempts.find((a) => a.outcome === 'connected' || a.leg.answeredAt !== undefined);
  const current = connected ?? call.attempts[call.attempts.length - 1];
  const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());
  const startedAt = call.a.startedAt ?? call.createdAt;
  const connectedAt = connected?.leg.answeredAt;
  return {
    ...fromTags,
    event,
    call_id: call.id,
    call_session_id: call.sessionId,
    tenant_id: s.tenantId,
    campaign_id: s.campaignId ?? '',
    publisher_id: s.publisherId ?? '',
    buyer_id: current?.target.buyerId ?? '',
    target_id: current?.target.targetId ?? '',
    pool_id: s.poolId ?? '',
    tracking_number: call.to ?? '',
    caller: call.from ?? '',
    destination: current?.target.destination ?? '',
    dni_session_id: s.attribution?.sid ?? '',
    state: 'live',
    reason: '',
    connected: connectedAt !== undefined,
    converted: false,
    duplicate: s.duplicate,
    started_at: iso(startedAt),
    answered_at: iso(call.a.answeredAt),
    connected_at: iso(connectedAt),
    ended_at: '',
    ring_seconds: 0,
    talk_seconds: 0,
    duration_seconds: 0,
    time_to_connect_seconds: connectedAt === undefined ? 0 : seconds(Math.max(0, connectedAt - startedAt)),
    revenue: '',
    payout: '',
    profit: '',
    hangup_cause: '',
    hangup_source: '',
    tags,
  };
}
