import type { CallEvent } from '../telephony/telnyx-event';
import {
  type Action,
  applyEvent,
  type Attempt,
  type CallSetup,
  type Candidate,
  callIdFor,
  commandId,
  decodeClientState,
  encodeClientState,
  isPassive,
  isUsed,
  livePhase,
  type LiveCall,
  newCall,
  nextAction,
  TIMING,
} from './call-machine';

const SESSION = '428c31b6-7af4-4bcb-b7f5-5013ef9657c1';
const A = 'v3:leg-a-0000000000';
const B1 = 'v3:leg-b1-000000000';
const B2 = 'v3:leg-b2-000000000';
const T0 = Date.parse('2026-05-19T23:30:15Z');
const MAX = 3;
let seq = 0;

function ev(type: string, atMs: number, payload: Partial<CallEvent> = {}): CallEvent {
  seq++;
  return {
    id: `e${seq}`,
    type,
    occurredAt: new Date(atMs).toISOString(),
    us: atMs * 1000,
    attempt: 1,
    rx: atMs,
    sessionId: SESSION,
    ...payload,
  };
}
const legA = (type: string, at: number, extra: Partial<CallEvent> = {}) =>
  ev(type, at, {
    callControlId: A,
    from: '+15125550100',
    to: '+13125550100',
    direction: 'incoming',
    ...extra,
  });
const legB = (n: number, type: string, at: number, extra: Partial<CallEvent> = {}) =>
  ev(type, at, {
    callControlId: n === 1 ? B1 : B2,
    clientState: encodeClientState({ l: 'B', n }),
    direction: 'outgoing',
    ...extra,
  });

const candidate = (id: string, revenue = '40'): Candidate => ({
  targetId: id,
  buyerId: `buyer-${id}`,
  destination: `+1312555${id.padStart(4, '0')}`,
  ringTimeoutS: 30,
  conversionSeconds: null,
  revenue,
  concurrencyCap: null,
  caps: {},
});

const routeSetup = (over: Partial<CallSetup> = {}): CallSetup => ({
  enriched: true,
  tenantId: 't1',
  campaignId: 'c1',
  publisherId: 'p1',
  poolId: 'pool1',
  disposition: { kind: 'route' },
  tags: {},
  attribution: null,
  duplicate: false,
  conversionSeconds: 60,
  dupRoutingWindowS: 0,
  unroutedAction: 'message',
  unroutedMessage: 'Sorry.',
  holdMessage: '',
  payout: { type: 'fixed', amount: '10' },
  ...over,
});

/** Plays the processor's part for the actions the tests do not look at. */
function settle(
  c: LiveCall,
  now: number,
  outcomes: Partial<Record<Action['kind'], 'ok' | 'ended' | 'failed'>> = {},
): Action {
  for (let i = 0; i < 20; i++) {
    const a = nextAction(c, now, MAX);
    const r = outcomes[a.kind] ?? 'ok';
    const step = (s: { s: string; tries: number; at?: number; retryable?: boolean }) => {
      s.s = r;
      s.tries++;
      s.at = now;
      s.retryable = r === 'failed';
      if (r === 'ended') c.aGoneAt ??= now;
    };
    switch (a.kind) {
      case 'setup':
        c.setup = routeSetup();
        continue;
      case 'enrich':
        c.setup!.enriched = true;
        continue;
      case 'route':
        c.routing = { startedAt: now, candidates: [candidate('1'), candidate('2')], next: 0, skipped: [] };
        continue;
      case 'answer':
        step(c.answer);
        continue;
      case 'transfer': {
        let t: Attempt | undefined = c.attempts[c.attempts.length - 1];
        if (!t || t.outcome !== undefined) {
          const target = c.routing!.candidates[c.routing!.next++];
          t = {
            n: c.attempts.length + 1,
            target,
            transfer: { s: 'todo', tries: 0 },
            leg: {},
            reserved: true,
            reservedAt: now,
          };
          c.attempts.push(t);
        }
        step(t.transfer);
        if (outcomes.transfer === undefined) return a;
        continue;
      }
      case 'release':
        c.attempts.find((t) => t.n === a.n)!.released = true;
        continue;
      case 'extend':
        c.attempts.find((t) => t.n === a.n)!.extended = true;
        continue;
      case 'speak':
        c.endReason ??= a.reason;
        step(c.speak);
        return a;
      case 'hangup':
        c.endReason ??= a.reason;
        step(c.hangup);
        return a;
      case 'reject':
        step(c.reject);
        return a;
      default:
        return a;
    }
  }
  throw new Error('did not settle');
}

describe('call machine', () => {
  it('derives deterministic command ids and call ids, and round-trips client state', () => {
    expect(commandId(SESSION, 'answer')).toBe(commandId(SESSION, 'answer'));
    expect(commandId(SESSION, 'answer')).not.toBe(commandId(SESSION, 'transfer:1'));
    expect(commandId(SESSION, 'answer')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(callIdFor(SESSION)).toBe(callIdFor(SESSION));
    expect(decodeClientState(encodeClientState({ l: 'B', n: 2 }))).toEqual({ l: 'B', n: 2 });
    expect(decodeClientState(encodeClientState({ l: 'A' }))).toEqual({ l: 'A' });
    expect(decodeClientState('aGF2ZSBhIG5pY2UgZGF5ID1d')).toBeUndefined();
    expect(decodeClientState(undefined)).toBeUndefined();
  });

  it('answers, routes, transfers once, waits while connected, then finishes after both hangups', () => {
    const c = newCall(SESSION, T0);
    applyEvent(c, legA('call.initiated', T0), T0);
    expect(nextAction(c, T0, MAX)).toEqual({ kind: 'setup' });
    const transfer = settle(c, T0 + 5);
    expect(transfer).toEqual({ kind: 'transfer' });
    expect(c.answer.s).toBe('ok');
    expect(c.attempts).toHaveLength(1);
    expect(livePhase(c)).toBe('ringing');
    // Ringing: nothing to do until the ring timeout (+ grace).
    const w = nextAction(c, T0 + 10, MAX);
    expect(w).toEqual({ kind: 'wait', until: T0 + 5 + 30_000 + TIMING.ringGraceMs });

    applyEvent(c, legB(1, 'call.initiated', T0 + 20), T0 + 20);
    applyEvent(c, legB(1, 'call.answered', T0 + 2_000), T0 + 2_000);
    expect(nextAction(c, T0 + 2_000, MAX)).toEqual({ kind: 'extend', n: 1 });
    c.attempts[0].extended = true;
    expect(nextAction(c, T0 + 2_000, MAX).kind).toBe('wait');
    expect(livePhase(c)).toBe('connected');

    applyEvent(
      c,
      legB(1, 'call.hangup', T0 + 92_000, { hangupCause: 'normal_clearing', hangupSource: 'callee' }),
      T0 + 92_000,
    );
    expect(nextAction(c, T0 + 92_000, MAX).kind).toBe('wait');
    applyEvent(
      c,
      legA('call.hangup', T0 + 92_001, { hangupCause: 'normal_clearing', hangupSource: 'callee' }),
      T0 + 92_001,
    );
    expect(nextAction(c, T0 + 92_001, MAX)).toEqual({ kind: 'finalize' });
  });

  it('applies a replayed event once: facts keep their first value', () => {
    const c = newCall(SESSION, T0);
    const hangup = legA('call.hangup', T0 + 5_000, {
      hangupCause: 'originator_cancel',
      hangupSource: 'caller',
    });
    applyEvent(c, legA('call.initiated', T0), T0);
    applyEvent(c, hangup, T0 + 5_000);
    const snapshot = JSON.stringify(c.a);
    applyEvent(c, { ...hangup, attempt: 2 }, T0 + 9_000);
    applyEvent(c, legA('call.hangup', T0 + 7_000, { hangupCause: 'normal_clearing' }), T0 + 9_000);
    expect(JSON.stringify(c.a)).toBe(snapshot);
  });

  it('tries the next target after busy, then gives up with the unrouted message', () => {
    const c = newCall(SESSION, T0);
    applyEvent(c, legA('call.initiated', T0), T0);
    settle(c, T0);
    applyEvent(
      c,
      legB(1, 'call.hangup', T0 + 500, { hangupCause: 'user_busy', hangupSource: 'callee' }),
      T0 + 500,
    );
    expect(nextAction(c, T0 + 500, MAX)).toEqual({ kind: 'release', n: 1 });
    expect(settle(c, T0 + 500)).toEqual({ kind: 'transfer' });
    expect(c.attempts.map((t) => [t.target.targetId, t.outcome])).toEqual([
      ['1', 'busy'],
      ['2', undefined],
    ]);
    applyEvent(
      c,
      legB(2, 'call.hangup', T0 + 31_000, { hangupCause: 'timeout', hangupSource: 'caller' }),
      T0 + 31_000,
    );
    const speak = settle(c, T0 + 31_000);
    expect(speak).toEqual({ kind: 'speak', text: 'Sorry.', reason: 'unrouted' });
    // The message plays; its end (or the estimate) brings the hangup.
    applyEvent(c, legA('call.speak.ended', T0 + 33_000), T0 + 33_000);
    expect(nextAction(c, T0 + 33_000, MAX)).toEqual({ kind: 'hangup', reason: 'unrouted' });
  });

  it('copes with the caller hanging up before the buyer leg reports, waiting a bounded grace', () => {
    const c = newCall(SESSION, T0);
    applyEvent(c, legA('call.initiated', T0), T0);
    settle(c, T0);
    // Out of order: the caller's hangup arrives before the buyer leg's cancel.
    applyEvent(
      c,
      legA('call.hangup', T0 + 3_000, { hangupCause: 'originator_cancel', hangupSource: 'caller' }),
      T0 + 3_000,
    );
    expect(nextAction(c, T0 + 3_000, MAX)).toEqual({ kind: 'wait', until: T0 + 3_000 + TIMING.settleMs });
    applyEvent(c, legB(1, 'call.hangup', T0 + 3_001, { hangupCause: 'originator_cancel' }), T0 + 3_010);
    expect(nextAction(c, T0 + 3_010, MAX)).toEqual({ kind: 'release', n: 1 });
    c.attempts[0].released = true;
    expect(nextAction(c, T0 + 3_010, MAX)).toEqual({ kind: 'finalize' });
    // Had the buyer leg never reported, the grace would have ended it anyway.
    const d = newCall('other', T0);
    applyEvent(d, legA('call.initiated', T0), T0);
    settle(d, T0);
    applyEvent(d, legA('call.hangup', T0 + 3_000, { hangupSource: 'caller' }), T0 + 3_000);
    expect(nextAction(d, T0 + 3_000 + TIMING.settleMs, MAX)).toEqual({ kind: 'finalize' });
  });

  it('waits for a buyer answer that arrives after its hangup before finishing', () => {
    const c = newCall(SESSION, T0);
    applyEvent(c, legA('call.initiated', T0), T0);
    settle(c, T0);
    applyEvent(c, legB(1, 'call.hangup', T0 + 60_000, { hangupCause: 'normal_clearing' }), T0 + 60_000);
    applyEvent(c, legA('call.hangup', T0 + 60_001, { hangupCause: 'normal_clearing' }), T0 + 60_001);
    expect(nextAction(c, T0 + 60_001, MAX).kind).toBe('wait');
    applyEvent(c, legB(1, 'call.answered', T0 + 2_000), T0 + 60_002);
    expect(nextAction(c, T0 + 60_002, MAX)).toEqual({ kind: 'finalize' });
    expect(c.attempts[0].leg.answeredAt).toBe(T0 + 2_000);
  });

  it('stops commanding a call the carrier says has ended, and asks about it later', () => {
    const c = newCall(SESSION, T0);
    applyEvent(c, legA('call.initiated', T0), T0);
    settle(c, T0, { answer: 'ended' });
    expect(c.aGoneAt).toBe(T0);
    expect(nextAction(c, T0 + 1, MAX)).toEqual({ kind: 'wait', until: T0 + TIMING.hangupWaitMs });
    expect(nextAction(c, T0 + TIMING.hangupWaitMs, MAX)).toEqual({ kind: 'checkStatus' });
    expect(nextAction(c, T0 + TIMING.giveUpMs, MAX)).toEqual({ kind: 'finalize' });
  });

  it('retries a command that failed transiently, with backoff, then hangs up', () => {
    const c = newCall(SESSION, T0);
    applyEvent(c, legA('call.initiated', T0), T0);
    c.setup = routeSetup();
    c.answer = { s: 'failed', tries: 1, at: T0, retryable: true };
    expect(nextAction(c, T0 + 10, MAX)).toEqual({ kind: 'wait', until: T0 + TIMING.retryBackoffMs[0] });
    expect(nextAction(c, T0 + TIMING.retryBackoffMs[0], MAX)).toEqual({ kind: 'answer' });
    c.answer = { s: 'failed', tries: TIMING.maxTries, at: T0, retryable: true };
    expect(nextAction(c, T0 + 10_000, MAX)).toEqual({ kind: 'hangup', reason: 'carrier_error' });
    c.answer = { s: 'failed', tries: 1, at: T0, retryable: false };
    expect(nextAction(c, T0 + 10_000, MAX)).toEqual({ kind: 'hangup', reason: 'carrier_error' });
  });

  it('rejects without answering, and plays a message before hanging up', () => {
    const r = newCall(SESSION, T0);
    applyEvent(r, legA('call.initiated', T0), T0);
    r.setup = routeSetup({ disposition: { kind: 'reject', reason: 'blocked' } });
    expect(nextAction(r, T0, MAX)).toEqual({ kind: 'reject' });
    r.reject = { s: 'ok', tries: 1, at: T0 };
    expect(nextAction(r, T0 + 1, MAX).kind).toBe('wait');

    const m = newCall('m', T0);
    applyEvent(m, legA('call.initiated', T0), T0);
    m.setup = routeSetup({ disposition: { kind: 'message', reason: 'campaign_paused', message: 'Closed.' } });
    expect(nextAction(m, T0, MAX)).toEqual({ kind: 'answer' });
    m.answer = { s: 'ok', tries: 1, at: T0 };
    expect(nextAction(m, T0, MAX)).toEqual({ kind: 'speak', text: 'Closed.', reason: 'campaign_paused' });
    m.speak = { s: 'ok', tries: 1, at: T0 };
    const w = nextAction(m, T0 + 1, MAX);
    expect(w.kind).toBe('wait');
    // Without call.speak.ended, the estimate of the message's length ends the wait.
    expect(nextAction(m, (w as { until: number }).until, MAX)).toEqual({
      kind: 'hangup',
      reason: 'campaign_paused',
    });
  });

  it('gives up on a ringing leg that never reports, and moves on', () => {
    const c = newCall(SESSION, T0);
    applyEvent(c, legA('call.initiated', T0), T0);
    settle(c, T0);
    const limit = T0 + 30_000 + TIMING.ringGraceMs;
    expect(nextAction(c, limit, MAX)).toEqual({ kind: 'abandonAttempt', n: 1 });
  });

  it('waits briefly for the caller leg when only other events arrived', () => {
    const c = newCall(SESSION, T0);
    applyEvent(c, legB(1, 'call.hangup', T0), T0);
    expect(nextAction(c, T0, MAX)).toEqual({ kind: 'wait', until: T0 + TIMING.settleMs });
    expect(nextAction(c, T0 + TIMING.settleMs, MAX)).toEqual({ kind: 'finalize' });
  });

  it('wakes the call only for events someone waits for', () => {
    expect(isPassive(legA('call.initiated', T0))).toBe(false);
    expect(isPassive(legA('call.hangup', T0))).toBe(false);
    expect(isPassive(legA('call.answered', T0, { clientState: encodeClientState({ l: 'A' }) }))).toBe(true);
    expect(isPassive(legB(1, 'call.initiated', T0))).toBe(true);
    expect(isPassive(legB(1, 'call.answered', T0))).toBe(false);
    expect(isPassive(legB(1, 'call.hangup', T0, { hangupCause: 'user_busy' }))).toBe(false);
    expect(isPassive(legB(1, 'call.hangup', T0, { hangupCause: 'normal_clearing' }))).toBe(true);
    expect(isPassive(legA('call.speak.ended', T0))).toBe(false);
  });

  it('does not store events that repeat what the call learns anyway', () => {
    expect(isUsed(legA('call.initiated', T0))).toBe(true);
    expect(isUsed(legB(1, 'call.initiated', T0))).toBe(false);
    expect(isUsed(legA('call.answered', T0, { clientState: encodeClientState({ l: 'A' }) }))).toBe(false);
    expect(isUsed(legB(1, 'call.answered', T0))).toBe(true);
    expect(isUsed(legB(1, 'call.hangup', T0))).toBe(true);
    expect(isUsed(legA('call.bridged', T0))).toBe(false);
    expect(isUsed(legA('call.speak.started', T0))).toBe(false);
    // A B-leg start time still arrives with its hangup.
    const c = newCall(SESSION, T0);
    applyEvent(c, legA('call.initiated', T0), T0);
    settle(c, T0);
    applyEvent(
      c,
      legB(1, 'call.hangup', T0 + 9_000, {
        startTime: new Date(T0 + 40).toISOString(),
        hangupCause: 'user_busy',
      }),
      T0 + 9_000,
    );
    expect(c.attempts[0].leg.startedAt).toBe(T0 + 40);
  });
});
