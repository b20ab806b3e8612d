// The call state machine, without I/O. A live call is a set of facts per leg (what the carrier reported,
// in whatever order it arrived) plus the status of each command we sent. `applyEvent` records facts
// (idempotent: the first value of a fact wins), `derive` turns facts into attempt outcomes, and
// `nextAction` decides what to do next from the whole state, so the same decision comes out whichever
// order the webhooks came in and whichever instance looks at the call. CallProcessor runs the actions.
import { createHash } from 'node:crypto';
import type { TargetCaps } from '../buyers/target.entity';
import type { PayoutRule } from '../publishers/payout';
import { type CallEvent, isoToMs } from '../telephony/telnyx-event';

export const FINAL_STATES = ['completed', 'failed', 'abandoned', 'rejected'] as const;
export type FinalState = (typeof FINAL_STATES)[number];
export type LivePhase = 'received' | 'answered' | 'routing' | 'ringing' | 'connected' | 'ending';

/** A command's progress: todo → sending → ok | ended (the call was already gone) | failed. */
export type StepStatus = 'todo' | 'sending' | 'ok' | 'ended' | 'failed';
export interface Step {
  s: StepStatus;
  tries: number;
  /** Our clock (ms) when it was last sent. */
  at?: number;
  retryable?: boolean;
  error?: string;
}

/** What the carrier told us about one leg. Times are the carrier's (occurred_at / start/end_time). */
export interface Leg {
  ccid?: string;
  startedAt?: number;
  answeredAt?: number;
  endedAt?: number;
  /** Our clock when the hangup was applied (for grace periods). */
  seenEndAt?: number;
  hangupCause?: string;
  hangupSource?: string;
  sipHangupCause?: string;
}

/** A destination routing offers, in the order it should be tried. */
export interface Candidate {
  targetId: string;
  buyerId: string;
  destination: string;
  ringTimeoutS: number;
  conversionSeconds: number | null;
  /** Revenue per converted call, decimal string. */
  revenue: string;
  concurrencyCap: number | null;
  caps: TargetCaps;
}

/** What the call keeps of its auction: enough for the record's summary. */
export interface RoutingAuction {
  auctionId: string;
  /** Ping/post buyers asked (cached answers included). */
  pings: number;
  /** The valid bids' amounts, best first (static targets' fixed revenue included). */
  bids: string[];
}

export type AttemptOutcome =
  'connected' | 'busy' | 'no_answer' | 'rejected' | 'cancelled' | 'failed' | 'not_sent' | 'lost';

export interface Attempt {
  n: number;
  target: Candidate;
  transfer: Step;
  leg: Leg;
  /** A concurrency/cap reservation is held for this attempt (released once, on every exit path). */
  reserved: boolean;
  /** Our clock at reservation (the cap counters' period buckets). */
  reservedAt: number;
  released?: boolean;
  /** The concurrency slot's expiry was moved out for a connected call. */
  extended?: boolean;
  outcome?: AttemptOutcome;
}

export type RejectReason = 'unknown_number' | 'campaign_paused' | 'blocked';
export type Disposition =
  | { kind: 'route' }
  | { kind: 'reject'; reason: RejectReason }
  | { kind: 'message'; reason: RejectReason; message: string };

/**
 * Everything looked up once when the call arrives. Two parts: what decides how to treat the call (pool,
 * campaign, block list; cached lookups, so the caller is answered fast), then the enrichment that
 * routing and the record need (DNI attribution, tags, duplicate rules), fetched while the answer goes out.
 */
export interface CallSetup {
  /** The attribution, tags and duplicate rules are in (always true for calls that are not routed). */
  enriched: boolean;
  tenantId: string | null;
  campaignId: string | null;
  publisherId: string | null;
  poolId: string | null;
  disposition: Disposition;
  tags: Record<string, string>;
  attribution: { method: string; confidence: number; sid: string | null } | null;
  /** Repeat caller inside the campaign's payout-duplicate window: no publisher payout. */
  duplicate: boolean;
  conversionSeconds: number;
  dupRoutingWindowS: number;
  unroutedAction: 'reject' | 'message';
  unroutedMessage: string;
  /** Spoken while the auction runs ('' = none). */
  holdMessage: string;
  payout: PayoutRule | null;
}

export interface LiveCall {
  v: 1;
  id: string;
  sessionId: string;
  /** Our clock when the first event of the call was applied. */
  createdAt: number;
  /** Our clock when the first event of the call reached the ingress (answer latency). */
  rxAt?: number;
  from?: string;
  to?: string;
  a: Leg;
  setup?: CallSetup;
  answer: Step;
  reject: Step;
  speak: Step;
  hangup: Step;
  speakEndedAt?: number;
  routing?: {
    startedAt: number;
    candidates: Candidate[];
    next: number;
    skipped: Array<{ targetId: string; reason: string }>;
    /** The auction that produced the candidates, when one ran. */
    auction?: RoutingAuction;
  };
  attempts: Attempt[];
  /** Why we ended the call ourselves (unrouted, carrier_error, …); the record's reason for failures. */
  endReason?: string;
  statusCheckAt?: number;
  /** Our clock when a command on leg A was refused because the call had ended (422 90018). */
  aGoneAt?: number;
  dueAt: number;
  final?: { state: FinalState; at: number; reason: string | null };
  applied: number;
}

export type Action =
  | { kind: 'setup' }
  | { kind: 'enrich' }
  | { kind: 'answer' }
  | { kind: 'reject' }
  | { kind: 'speak'; text: string; reason: string }
  | { kind: 'hangup'; reason: string }
  | { kind: 'route' }
  | { kind: 'transfer' }
  | { kind: 'release'; n: number }
  | { kind: 'extend'; n: number }
  | { kind: 'abandonAttempt'; n: number }
  | { kind: 'checkStatus' }
  | { kind: 'finalize' }
  | { kind: 'wait'; until: number }
  | { kind: 'none' };

export const TIMING = {
  /** How long to wait for straggling events once the caller's leg ended (or for a missing one). */
  settleMs: 5_000,
  /** Retries of a command that failed transiently after the SDK's own retries. */
  maxTries: 3,
  retryBackoffMs: [1_000, 3_000],
  /** A ringing leg that reports nothing this long after its ring timeout is given up. */
  ringGraceMs: 15_000,
  /** After we hung up / rejected: how long before asking the carrier whether the leg is really gone. */
  hangupWaitMs: 10_000,
  /** And how long before finishing the call without the carrier's word. */
  giveUpMs: 60_000,
  /** Liveness check of a long connected call (a lost hangup webhook must not keep it live forever). */
  statusCheckMs: 5 * 60_000,
  speakMsPerChar: 90,
  speakGraceMs: 10_000,
  /** Events of a call we no longer know, older than this, are dropped (late retries). */
  staleEventMs: 15 * 60_000,
} as const;

const NONE: Action = { kind: 'none' };
const wait = (until: number): Action => ({ kind: 'wait', until });

// ---- identities -------------------------------------------------------------------------------------

/** A name-based (v5-style) UUID: the same name gives the same id on every instance. */
function nameUuid(name: string): string {
  const h = createHash('sha1').update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** Deterministic command_id (UUID form, as Telnyx suggests): the same step of a call → the same id. */
export function commandId(sessionId: string, step: string): string {
  return nameUuid(`callbid:command:${sessionId}:${step}`);
}

/** Our id of the call, derived from the carrier's session id so a replay after a takeover agrees. */
export function callIdFor(sessionId: string): string {
  return nameUuid(`callbid:call:${sessionId}`);
}

/** Whose leg an event is about; `h` marks the hold message played on leg A while the buyers bid. */
export type LegMarker = { l: 'A'; h?: 1 } | { l: 'B'; n: number };

export function encodeClientState(marker: LegMarker): string {
  return Buffer.from(JSON.stringify(marker)).toString('base64');
}

export function decodeClientState(value: string | undefined): LegMarker | undefined {
  if (!value || value.length > 256) return undefined;
  try {
    const m = JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as unknown;
    if (typeof m !== 'object' || m === null) return undefined;
    const o = m as { l?: unknown; n?: unknown };
    if (o.l === 'A') return (o as { h?: unknown }).h === 1 ? { l: 'A', h: 1 } : { l: 'A' };
    if (o.l === 'B' && typeof o.n === 'number' && Number.isInteger(o.n) && o.n > 0) return { l: 'B', n: o.n };
  } catch {
    /* not ours */
  }
  return undefined;
}

function isHoldMarker(clientState: string | undefined): boolean {
  const m = decodeClientState(clientState);
  return m?.l === 'A' && m.h === 1;
}

const todo = (): Step => ({ s: 'todo', tries: 0 });

export function newCall(sessionId: string, now: number): LiveCall {
  return {
    v: 1,
    id: callIdFor(sessionId),
    sessionId,
    createdAt: now,
    a: {},
    answer: todo(),
    reject: todo(),
    speak: todo(),
    hangup: todo(),
    attempts: [],
    dueAt: now,
    applied: 0,
  };
}

// ---- facts --------------------------------------------------------------------------------------------

export type ApplyResult = 'applied' | 'ignored';

/** Which leg an event is about: ours by client_state, else leg A by call_control_id. */
function legOf(c: LiveCall, ev: CallEvent): { leg: Leg; isA: boolean } | undefined {
  const marker = decodeClientState(ev.clientState);
  if (marker?.l === 'B') {
    const attempt = c.attempts.find((t) => t.n === marker.n);
    return attempt ? { leg: attempt.leg, isA: false } : undefined;
  }
  const byId = ev.callControlId ? c.attempts.find((t) => t.leg.ccid === ev.callControlId) : undefined;
  if (byId) return { leg: byId.leg, isA: false };
  if (ev.direction === 'outgoing' && marker?.l !== 'A') return undefined;
  if (!c.a.ccid || !ev.callControlId || c.a.ccid === ev.callControlId) return { leg: c.a, isA: true };
  return undefined;
}

/** Records what the event says; the first value of every fact wins, so replays change nothing. */
export function applyEvent(c: LiveCall, ev: CallEvent, now: number): ApplyResult {
  c.applied++;
  if (c.final) return 'ignored';
  c.rxAt ??= ev.rx;
  const found = legOf(c, ev);
  if (!found) return 'ignored';
  const { leg, isA } = found;
  const at = Math.floor(ev.us / 1000);
  if (ev.callControlId) leg.ccid ??= ev.callControlId;
  if (isA) {
    if (ev.from) c.from ??= ev.from;
    if (ev.to) c.to ??= ev.to;
  }
  const started = isoToMs(ev.startTime);
  if (started !== undefined) leg.startedAt ??= started;
  switch (ev.type) {
    case 'call.initiated':
      leg.startedAt ??= at;
      return 'applied';
    case 'call.answered':
      leg.answeredAt ??= at;
      return 'applied';
    case 'call.hangup':
      if (leg.endedAt === undefined) {
        leg.endedAt = isoToMs(ev.endTime) ?? at;
        leg.seenEndAt = now;
        leg.hangupCause = ev.hangupCause ?? 'unspecified';
        leg.hangupSource = ev.hangupSource ?? 'unknown';
        leg.sipHangupCause = ev.sipHangupCause;
      }
      return 'applied';
    case 'call.speak.ended':
      // The end of the hold message is not the end of the message spoken before hanging up.
      if (isA && !isHoldMarker(ev.clientState)) c.speakEndedAt ??= at;
      return 'applied';
    default:
      return 'ignored';
  }
}

/** Hangup causes that mean the leg had been answered before it ended. */
const ANSWERED_CAUSES = new Set(['normal_clearing', 'time_limit']);

function outcomeOfEndedLeg(leg: Leg): AttemptOutcome {
  if (leg.answeredAt !== undefined || ANSWERED_CAUSES.has(leg.hangupCause ?? '')) return 'connected';
  switch (leg.hangupCause) {
    case 'user_busy':
      return 'busy';
    case 'timeout':
    case 'no_answer':
      return 'no_answer';
    case 'call_rejected':
      return 'rejected';
    case 'originator_cancel':
      return 'cancelled';
    default:
      return 'failed';
  }
}

function gaveUp(step: Step): boolean {
  return step.s === 'failed' && !(step.retryable && step.tries < TIMING.maxTries);
}

/** Turns each attempt's facts and command status into its outcome (idempotent). */
export function derive(c: LiveCall): void {
  for (const t of c.attempts) {
    if (t.outcome !== undefined && t.outcome !== 'connected') continue;
    if (t.outcome === undefined) {
      if (t.transfer.s === 'ended') t.outcome = 'not_sent';
      else if (gaveUp(t.transfer)) t.outcome = 'failed';
    }
    if (t.outcome === undefined && (t.leg.answeredAt !== undefined || t.leg.endedAt !== undefined)) {
      t.outcome = t.leg.endedAt !== undefined ? outcomeOfEndedLeg(t.leg) : 'connected';
    }
  }
}

export function connectedAttempt(c: LiveCall): Attempt | undefined {
  return c.attempts.find((t) => t.outcome === 'connected');
}

// ---- decisions ----------------------------------------------------------------------------------------

type StepView = { action: Action } | 'done' | 'failed';

/** Whether a command should be sent (again) now, waited for, or is settled. */
function stepView(step: Step, now: number, action: Action): StepView {
  if (step.s === 'todo' || step.s === 'sending') return { action };
  if (step.s === 'failed') {
    if (!step.retryable || step.tries >= TIMING.maxTries) return 'failed';
    const retryAt =
      (step.at ?? now) + TIMING.retryBackoffMs[Math.min(step.tries - 1, TIMING.retryBackoffMs.length - 1)];
    return { action: now >= retryAt ? action : wait(retryAt) };
  }
  return 'done';
}

/** We ended (or tried to end) the caller's leg: wait for its hangup, then ask, then give up. */
function awaitCallerHangup(c: LiveCall, now: number, since: number): Action {
  if (now >= since + TIMING.giveUpMs) return { kind: 'finalize' };
  const checkAt = Math.max(since, c.statusCheckAt ?? 0) + TIMING.hangupWaitMs;
  return now >= checkAt ? { kind: 'checkStatus' } : wait(Math.min(checkAt, since + TIMING.giveUpMs));
}

/** Our side hangs up leg A (after a message, when unrouted, or after a failure). */
function hangupFlow(c: LiveCall, now: number, reason: string): Action {
  const v = stepView(c.hangup, now, { kind: 'hangup', reason });
  if (typeof v === 'object') return v.action;
  return awaitCallerHangup(c, now, c.hangup.at ?? now);
}

function speakThenHangup(c: LiveCall, now: number, text: string, reason: string): Action {
  if (text.trim() !== '') {
    const v = stepView(c.speak, now, { kind: 'speak', text, reason });
    if (typeof v === 'object') return v.action;
    if (v === 'done' && c.speakEndedAt === undefined) {
      const until = (c.speak.at ?? now) + text.length * TIMING.speakMsPerChar + TIMING.speakGraceMs;
      if (now < until) return wait(until);
    }
  }
  return hangupFlow(c, now, reason);
}

export function nextAction(c: LiveCall, now: number, maxAttempts: number): Action {
  if (c.final) return NONE;
  derive(c);
  // Events of the call arrived but not one that names leg A yet (reordered): wait for it, briefly.
  if (!c.a.ccid || !c.to || !c.from) {
    const until = c.createdAt + TIMING.settleMs;
    return now >= until ? { kind: 'finalize' } : wait(until);
  }
  if (!c.setup) return { kind: 'setup' };

  const reservedDone = c.attempts.find(
    (t) => t.reserved && !t.released && t.outcome !== undefined && t.outcome !== 'connected',
  );
  if (reservedDone) return { kind: 'release', n: reservedDone.n };
  const toExtend = c.attempts.find(
    (t) =>
      t.outcome === 'connected' && t.reserved && !t.released && !t.extended && t.leg.endedAt === undefined,
  );
  if (toExtend) return { kind: 'extend', n: toExtend.n };

  if (c.a.endedAt !== undefined) {
    // The caller's leg is over. Finish once every leg we started has reported its end (or after a grace).
    const pending = c.attempts.some(
      (t) =>
        (t.outcome === undefined && (t.transfer.s === 'ok' || t.transfer.s === 'sending')) ||
        (t.outcome === 'connected' && (t.leg.endedAt === undefined || t.leg.answeredAt === undefined)),
    );
    const until = (c.a.seenEndAt ?? now) + TIMING.settleMs;
    return !pending || now >= until ? { kind: 'finalize' } : wait(until);
  }

  // The carrier said the caller's leg is gone: its hangup webhook should follow; send nothing more.
  if (c.aGoneAt !== undefined) return awaitCallerHangup(c, now, c.aGoneAt);

  const d = c.setup.disposition;
  if (d.kind === 'reject') {
    const v = stepView(c.reject, now, { kind: 'reject' });
    if (typeof v === 'object') return v.action;
    if (v === 'failed') return hangupFlow(c, now, 'carrier_error');
    return awaitCallerHangup(c, now, c.reject.at ?? now);
  }

  const answered = stepView(c.answer, now, { kind: 'answer' });
  if (typeof answered === 'object') return answered.action;
  if (answered === 'failed') return hangupFlow(c, now, 'carrier_error');

  if (d.kind === 'message') return speakThenHangup(c, now, d.message, d.reason);

  if (!c.setup.enriched) return { kind: 'enrich' };
  if (!c.routing) return { kind: 'route' };
  if (c.hangup.s !== 'todo') return hangupFlow(c, now, c.endReason ?? 'unrouted');

  const current = c.attempts[c.attempts.length - 1];
  if (current && (current.outcome === undefined || current.outcome === 'connected')) {
    if (current.outcome === 'connected') {
      if (current.leg.endedAt !== undefined) {
        // The buyer hung up; the carrier ends the caller's leg too (unbridged). Make sure it does.
        const until = (current.leg.seenEndAt ?? now) + TIMING.settleMs;
        return now >= until ? hangupFlow(c, now, 'completed') : wait(until);
      }
      const checkAt = Math.max(c.statusCheckAt ?? 0, current.transfer.at ?? now) + TIMING.statusCheckMs;
      return now >= checkAt ? { kind: 'checkStatus' } : wait(checkAt);
    }
    const t = stepView(current.transfer, now, { kind: 'transfer' });
    if (typeof t === 'object') return t.action;
    // Transfer accepted; the buyer's leg rings until answered, refused or its ring timeout.
    const until = (current.transfer.at ?? now) + current.target.ringTimeoutS * 1000 + TIMING.ringGraceMs;
    return now >= until ? { kind: 'abandonAttempt', n: current.n } : wait(until);
  }

  if (c.attempts.length < maxAttempts && c.routing.next < c.routing.candidates.length) {
    return { kind: 'transfer' };
  }
  const s = c.setup;
  if (s.unroutedAction === 'message') return speakThenHangup(c, now, s.unroutedMessage, 'unrouted');
  return hangupFlow(c, now, 'unrouted');
}

/**
 * Events that only add a fact nobody waits for (the caller's leg answered after our own answer command,
 * bridges, media started, types we do not use): queued for the next drain instead of waking the call.
 */
export function isPassive(ev: CallEvent): boolean {
  const leg = decodeClientState(ev.clientState)?.l;
  switch (ev.type) {
    case 'call.hangup':
      // A buyer who hangs up after talking: the caller's leg ends right after, and that wakes the call.
      return leg === 'B' && ANSWERED_CAUSES.has(ev.hangupCause ?? '');
    case 'call.speak.ended':
      return isHoldMarker(ev.clientState);
    case 'call.initiated':
      return leg === 'B';
    case 'call.answered':
      return leg === 'A';
    default:
      return true;
  }
}

/** Event types the state machine reads; the others are acknowledged and dropped at the door. */
export const USED_EVENTS: ReadonlySet<string> = new Set([
  'call.initiated',
  'call.answered',
  'call.hangup',
  'call.speak.ended',
]);

/**
 * Whether the state machine needs this event at all. Two kinds repeat what it learns anyway, so they are
 * acknowledged without being stored: a buyer leg's call.initiated (its start time and id come again
 * with its answer or hangup) and the caller leg's call.answered after our own answer command (the
 * command's success time stands for it).
 */
export function isUsed(ev: CallEvent): boolean {
  if (!USED_EVENTS.has(ev.type)) return false;
  const leg = decodeClientState(ev.clientState)?.l;
  if (ev.type === 'call.initiated') return leg !== 'B';
  if (ev.type === 'call.answered') return leg !== 'A';
  return true;
}

// ---- views --------------------------------------------------------------------------------------------

export function livePhase(c: LiveCall): LivePhase | FinalState {
  if (c.final) return c.final.state;
  if (c.a.endedAt !== undefined) return 'ending';
  const current = c.attempts[c.attempts.length - 1];
  if (current?.outcome === 'connected') return 'connected';
  if (current && current.outcome === undefined && current.transfer.s !== 'todo') return 'ringing';
  if (c.routing) return 'routing';
  if (c.answer.s === 'ok' || c.a.answeredAt !== undefined) return 'answered';
  return 'received';
}
