// The webhook envelope Telnyx sends ({ data: { id, event_type, occurred_at, payload }, meta }) turned into
// the small, bounded event the call state machine applies. Unknown event types and fields are accepted
// (and dropped here); unknown hangup causes are kept as strings.

/** The fields of a Call Control event the state machine uses, normalised. */
export interface CallEvent {
  /** data.id: the dedupe key (retries and duplicates reuse it). */
  id: string;
  type: string;
  /** data.occurred_at as given, and as epoch microseconds for ordering events of one call. */
  occurredAt: string;
  us: number;
  /** meta.attempt (1 on the first delivery). */
  attempt: number;
  /** Our clock (ms) when the ingress received it. */
  rx: number;
  sessionId?: string;
  callControlId?: string;
  callLegId?: string;
  /** base64 client_state echoed from our last command on the leg, if any. */
  clientState?: string;
  direction?: string;
  from?: string;
  to?: string;
  startTime?: string;
  endTime?: string;
  hangupCause?: string;
  hangupSource?: string;
  sipHangupCause?: string;
  /** speak/playback/gather status. */
  status?: string;
  tags?: string[];
}

export type ParseResult = { ok: true; event: CallEvent } | { ok: false; problem: string };

const MAX_STRING = 512;
const MAX_TAGS = 20;

function str(v: unknown, max = MAX_STRING): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v.slice(0, max) : undefined;
}

/** "2026-05-19T23:30:15.038431Z" → epoch microseconds (ISO strings with 0–9 fraction digits). */
export function isoToMicros(iso: string): number | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  const fraction = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return seconds * 1000 + Number(fraction);
}

/** Epoch milliseconds of an ISO time, or undefined. */
export function isoToMs(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const us = isoToMicros(iso);
  return us === undefined ? undefined : Math.floor(us / 1000);
}

export function parseWebhook(body: unknown, receivedAtMs = Date.now()): ParseResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, problem: 'body must be a JSON object' };
  }
  const data = (body as { data?: unknown }).data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, problem: 'data must be an object' };
  }
  const d = data as Record<string, unknown>;
  const id = str(d.id, 128);
  const type = str(d.event_type, 128);
  if (!id || !type) return { ok: false, problem: 'data.id and data.event_type are required' };
  const occurredAt = str(d.occurred_at, 64) ?? new Date(receivedAtMs).toISOString();
  const meta = (body as { meta?: unknown }).meta;
  const attemptRaw = typeof meta === 'object' && meta !== null ? (meta as { attempt?: unknown }).attempt : 1;
  const payload =
    typeof d.payload === 'object' && d.payload !== null && !Array.isArray(d.payload)
      ? (d.payload as Record<string, unknown>)
      : {};
  const tags = Array.isArray(payload.tags)
    ? payload.tags
        .filter((t): t is string => typeof t === 'string')
        .slice(0, MAX_TAGS)
        .map((t) => t.slice(0, 128))
    : undefined;
  const event: CallEvent = {
    id,
    type,
    occurredAt,
    us: isoToMicros(occurredAt) ?? receivedAtMs * 1000,
    attempt: typeof attemptRaw === 'number' && Number.isInteger(attemptRaw) ? attemptRaw : 1,
    rx: receivedAtMs,
    sessionId: str(payload.call_session_id, 128),
    callControlId: str(payload.call_control_id, 256),
    callLegId: str(payload.call_leg_id, 128),
    clientState: str(payload.client_state, 2048),
    direction: str(payload.direction, 16),
    from: str(payload.from, 256),
    to: str(payload.to, 256),
    startTime: str(payload.start_time, 64),
    endTime: str(payload.end_time, 64),
    hangupCause: str(payload.hangup_cause, 64),
    hangupSource: str(payload.hangup_source, 32),
    sipHangupCause: str(payload.sip_hangup_cause, 32),
    status: str(payload.status, 64),
    tags,
  };
  // Absent fields stay undefined: JSON.stringify leaves them out of the event stored in Redis, and the
  // object keeps its fast shape (deleting them made it a dictionary: ~2 µs more per webhook).
  return { ok: true, event };
}
