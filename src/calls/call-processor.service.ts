// Runs the call state machine. Webhook events are queued per call in Redis (accept); whichever instance
// holds the call's lock applies the queued events in occurred_at order, then performs what nextAction
// asks (look up, answer, route, transfer, speak, hang up, finish) until the call has to wait for the
// carrier or a timer. Every command is recorded as "sending" in Redis before it goes out and carries a
// deterministic command_id, so an instance that takes over a call after its owner died (lock expired)
// repeats the command harmlessly. The sweeper calls drain() for calls whose timers are due. With
// CALL_HANDOFF an api instance only answers new callers and hands each call on to the call runners
// (call-handoff.service.ts), which drain it the same way.
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { formatMoney } from '../common/money';
import { spareTime } from '../common/spare-time';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import { MetricsService } from '../infra/metrics/metrics.service';
import { CallControlService, type CommandResult } from '../telephony/call-control.service';
import { type CallEvent, isoToMs } from '../telephony/telnyx-event';
import {
  type CallEventSink,
  type IngressOutcome,
  WebhookIngressService,
} from '../telephony/webhook-ingress.service';
import {
  type Action,
  applyEvent,
  isPassive,
  isUsed,
  type Attempt,
  commandId,
  encodeClientState,
  type LiveCall,
  type CallSetup,
  type LegMarker,
  newCall,
  nextAction,
  type Step,
  TIMING,
} from './call-machine';
import { auctionSummary, summarize } from './call-summary';
import { CallSetupService } from './call-setup.service';
import { CALLS_PLACEMENT, type CallsPlacement } from './calls-placement';
import { CallsRepository, type NewCallRecord } from './calls.repository';
import { DuplicatesRepository } from './duplicates.repository';
import { LiveCallRepository } from './live-call.repository';
import { CONNECTED_SLOT_MS, type RoutingRequest, RoutingService } from './routing.service';
import { TargetCapsRepository } from './target-caps.repository';

/** Events applied per lock hold; more wait for the next round. */
const BATCH = 50;
/** Actions per lock hold before the call is put back on the due list (a bound, not a normal case). */
const MAX_STEPS = 30;
/** Rounds of drain per wake-up while events keep arriving. */
const MAX_ROUNDS = 20;
/** Actions on the way to a new caller's answer (or refusal), run without yielding. */
const ANSWER_PATH: ReadonlySet<Action['kind']> = new Set(['setup', 'answer', 'reject', 'speak']);

class LockLost extends Error {
  constructor(sessionId: string) {
    super(`lost the lock of call ${sessionId}`);
    this.name = 'LockLost';
  }
}

interface RunContext {
  sessionId: string;
  token: string;
  /** Held.answerOnly. */
  answerOnly: boolean;
  /** Inbox events applied but not yet removed by a commit. */
  trim: number;
  /** Writes to other keys that may go out with the final commit (same round trip). */
  side: Array<Promise<unknown>>;
}

/** A lock taken together with the call's state and queued events. */
interface Held {
  token: string;
  state: LiveCall | undefined;
  events: CallEvent[];
  /** Only the way to the answer, then hand the call to the runners (CALL_HANDOFF). */
  answerOnly?: boolean;
}

@Injectable()
export class CallProcessor implements CallEventSink, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Calls');
  /** Calls this process is working on (the marker of the latest drain), and the drains themselves. */
  private readonly active = new Map<string, object>();
  private readonly running = new Set<Promise<void>>();
  private readonly rerun = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly finals;
  private readonly answerLatency;
  private readonly takeovers;
  private closing = false;
  /** Answer new callers here and hand the rest of each call to the call runners (CALL_HANDOFF). */
  private readonly handoff: boolean;

  constructor(
    private readonly store: LiveCallRepository,
    private readonly setupService: CallSetupService,
    private readonly routing: RoutingService,
    private readonly caps: TargetCapsRepository,
    private readonly duplicates: DuplicatesRepository,
    private readonly records: CallsRepository,
    private readonly control: CallControlService,
    private readonly ingress: WebhookIngressService,
    metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CALLS_PLACEMENT) placement: CallsPlacement,
  ) {
    this.handoff = config.calls.handoff && placement.ingress;
    this.finals = metrics.counter('calls_final_total', 'Calls by final state', ['state']);
    this.answerLatency = metrics.histogram(
      'call_answer_latency_seconds',
      'From the first webhook of a call reaching the ingress to the answer command going out',
      [],
      [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    );
    this.takeovers = metrics.counter(
      'calls_lock_contention_total',
      'Drains that found the call locked by another holder',
    );
  }

  onModuleInit(): void {
    this.ingress.setSink(this);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    const deadline = new Promise((r) => setTimeout(r, 5_000).unref());
    await Promise.race([Promise.allSettled([...this.running]), deadline]);
  }

  // ---- intake ---------------------------------------------------------------------------------------

  async accept(event: CallEvent): Promise<IngressOutcome> {
    if (!isUsed(event)) return 'ignored';
    const sessionId = event.sessionId!;
    const ttl = this.config.calls.lockTtlMs;
    // Passive events (facts nobody waits for) are applied by the call's next drain.
    if (isPassive(event)) {
      return (await this.store.takeIn(sessionId, event, undefined)) ? 'accepted' : 'duplicate';
    }
    // Handing off: a new caller is answered here (unless this instance is shutting down), every other
    // event goes to the call runners.
    const answerHere = event.type === 'call.initiated';
    if (this.handoff && (!answerHere || this.closing)) {
      return (await this.store.takeInAndHandOff(sessionId, event, Date.now() + ttl))
        ? 'accepted'
        : 'duplicate';
    }
    if (this.closing || this.active.has(sessionId)) {
      const fresh = await this.store.takeIn(sessionId, event, Date.now() + ttl);
      if (fresh) this.schedule(sessionId);
      return fresh ? 'accepted' : 'duplicate';
    }
    // Queue the event and take the call's lock in one trip; the call then runs in the background.
    const token = randomUUID();
    // A new caller's first webhook goes to Redis at the end of this tick; the others with the turn.
    const r = await this.store.takeInAndAcquire(sessionId, event, token, ttl, BATCH, answerHere);
    if (r.kind === 'duplicate') return 'duplicate';
    if (r.kind === 'locked') {
      // The holder was asked to drain again; if it is dead, its lock expires and the sweeper steps in.
      this.takeovers.inc();
      await this.store.lowerDue(sessionId, Date.now() + r.pttl + 50);
    } else {
      this.schedule(sessionId, { token, state: r.state, events: r.events, answerOnly: this.handoff });
    }
    return 'accepted';
  }

  /**
   * Drains the call in the background, one drain per call at a time in this process (a request that
   * comes while one runs makes it go round again). `held`: the lock was already taken with this load.
   */
  schedule(sessionId: string, held?: Held): void {
    if (this.closing) {
      if (held) void this.store.release(sessionId, held.token).catch(() => undefined);
      return;
    }
    if (!held && this.active.has(sessionId)) {
      this.rerun.add(sessionId);
      return;
    }
    if (!held) this.rerun.add(sessionId);
    const me = {};
    this.active.set(sessionId, me);
    const run = (async () => {
      try {
        if (held) {
          const pending = await this.hold(sessionId, held);
          // Events came in meanwhile: this instance goes on with them (after an answer-only hold, its
          // last write already woke a runner for them).
          if (pending > 0 && !held.answerOnly) this.rerun.add(sessionId);
        }
        while (this.rerun.has(sessionId) && !this.closing) {
          this.rerun.delete(sessionId);
          await this.drain(sessionId);
        }
        this.failures.delete(sessionId);
      } catch (e) {
        // Retried by the sweeper, backing off (1 s, 2 s, 4 s … 1 min) so a broken call cannot spin.
        const n = (this.failures.get(sessionId) ?? 0) + 1;
        this.failures.set(sessionId, n);
        if (this.failures.size > 10_000) this.failures.clear();
        this.logger.error({ err: e, callSessionId: sessionId, failures: n }, 'call processing failed');
        const retryIn = Math.min(60_000, 1_000 * 2 ** (n - 1));
        await this.store.setDue(sessionId, Date.now() + retryIn).catch(() => undefined);
      } finally {
        if (this.active.get(sessionId) === me) this.active.delete(sessionId);
      }
    })();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Calls this process is working on now. */
  get activeCount(): number {
    return this.active.size;
  }

  isActive(sessionId: string): boolean {
    return this.active.has(sessionId);
  }

  /** Applies what is queued for the call and runs it forward, under its lock. */
  async drain(sessionId: string): Promise<void> {
    const ttl = this.config.calls.lockTtlMs;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const token = randomUUID();
      const got = await this.store.acquireAndLoad(sessionId, token, ttl, BATCH);
      if (!got.ok) {
        // Someone holds it and was asked to drain again; a dead holder's lock expires and the sweeper
        // takes the call over then.
        this.takeovers.inc();
        await this.store.lowerDue(sessionId, Date.now() + got.pttl + 50);
        return;
      }
      if ((await this.hold(sessionId, { token, state: got.state, events: got.events })) <= 0) return;
    }
    await this.store.lowerDue(sessionId, Date.now());
  }

  /** One lock hold: returns how many events to drain next (0: none asked for; -1: the lock was lost). */
  private async hold(sessionId: string, held: Held): Promise<number> {
    const ttl = this.config.calls.lockTtlMs;
    const heartbeat = setInterval(
      () => void this.store.renew(sessionId, held.token, ttl).catch(() => undefined),
      Math.max(100, Math.floor(ttl / 3)),
    );
    try {
      // run() ends by storing the state and letting go of the lock.
      const ctx = { sessionId, token: held.token, answerOnly: !!held.answerOnly, trim: 0, side: [] };
      return await this.run(ctx, held.state, held.events);
    } catch (e) {
      if (e instanceof LockLost) {
        this.logger.warn({ callSessionId: sessionId }, e.message);
        return -1;
      }
      await this.store.release(sessionId, held.token).catch(() => undefined);
      throw e;
    } finally {
      clearInterval(heartbeat);
    }
  }

  // ---- one lock hold ----------------------------------------------------------------------------------

  private async run(ctx: RunContext, state: LiveCall | undefined, events: CallEvent[]): Promise<number> {
    const now = Date.now();
    let call = state;
    if (!call) {
      call = newCall(ctx.sessionId, now);
      // A call we do not know whose events are all old: late retries of a call long finished.
      if (events.length > 0 && events.every((e) => now - e.us / 1000 > TIMING.staleEventMs)) {
        call.final = { state: 'failed', at: now, reason: 'stale' };
      }
    }
    events.sort((a, b) => a.us - b.us);
    for (const ev of events) applyEvent(call, ev, now);
    ctx.trim = events.length;
    const wasLive = !!call.setup?.tenantId && !call.final;

    let steps = 0;
    let yielded = false;
    let handOff = false;
    for (; steps < MAX_STEPS; steps++) {
      const action = nextAction(call, Date.now(), this.config.calls.maxAttempts);
      if (action.kind === 'none') break;
      if (action.kind === 'wait') {
        call.dueAt = action.until;
        break;
      }
      // Answering a new caller comes first. Anything else (routing, transfers, the end of a call)
      // goes to a call runner when handing off, or else on in the loop's spare time, once per hold, so
      // a burst of that work never stands between a new caller's webhook and its answer command.
      if (ctx.answerOnly && !ANSWER_PATH.has(action.kind)) {
        handOff = true;
        call.dueAt = Date.now();
        break;
      }
      if (!yielded && !ANSWER_PATH.has(action.kind)) {
        yielded = true;
        await spareTime.turn();
      }
      await this.execute(call, action, ctx);
    }
    if (steps === MAX_STEPS) call.dueAt = Date.now();

    // State + release, the due/live indexes and the hand-off: one script, in this turn's pipelined write.
    const tenantId = call.setup?.tenantId;
    const sid = ctx.sessionId;
    const liveOp = !tenantId ? undefined : call.final ? 'rem' : !wasLive ? 'add' : undefined;
    const [pending] = await Promise.all([
      this.store.commitAndRelease(sid, ctx.token, call, ctx.trim, {
        dueAt: call.final ? null : call.dueAt,
        live: tenantId && liveOp ? { tenantId, op: liveOp } : undefined,
        handOff: handOff || (ctx.answerOnly && 'if-pending'),
      }),
      ...ctx.side,
    ]);
    if (pending < 0) throw new LockLost(sid);
    return pending;
  }

  private async commit(call: LiveCall, ctx: RunContext): Promise<void> {
    const ok = await this.store.commit(ctx.sessionId, ctx.token, call, ctx.trim, this.config.calls.lockTtlMs);
    if (!ok) throw new LockLost(ctx.sessionId);
    ctx.trim = 0;
  }

  private async execute(call: LiveCall, action: Action, ctx: RunContext): Promise<void> {
    const a = call.a.ccid!;
    const opts = (step: string, marker: LegMarker = { l: 'A' }) => ({
      commandId: commandId(call.sessionId, step),
      clientState: encodeClientState(marker),
    });
    const input = () => ({
      id: call.id,
      from: call.from!,
      to: call.to!,
      at: new Date(call.a.startedAt ?? call.createdAt),
    });
    switch (action.kind) {
      case 'setup':
        call.setup = await this.setupService.decide(input());
        return;
      case 'enrich':
        Object.assign(call.setup!, await this.setupService.enrich(input(), call.setup!));
        return;
      case 'answer': {
        if (call.answer.s === 'todo' && call.rxAt !== undefined) {
          this.answerLatency.observe((Date.now() - call.rxAt) / 1000);
        }
        // The answer command leaves first. Attribution and tagging then run while it is on its way
        // (routing needs them next), and so do the auction's reads (campaign, targets, caps, cached
        // bids) once the tags are known: started at the end of this turn, after the command is written.
        const setup = call.setup!;
        // Handing off, attribution and routing are the runner's (its first steps).
        const routed = setup.disposition.kind === 'route' && !ctx.answerOnly;
        const sent = this.send(call, ctx, call.answer, () => this.control.answer(a, opts('answer')));
        const afterWrite = new Promise<void>((resolve) => setImmediate(resolve));
        const enriching =
          setup.enriched || ctx.answerOnly
            ? undefined
            : afterWrite
                .then(() => this.setupService.enrich(input(), setup))
                .then((e) => {
                  if (routed) this.prepareRouting(call, { ...setup, ...e });
                  return e;
                });
        enriching?.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
        if (!enriching && routed) void afterWrite.then(() => this.prepareRouting(call, setup));
        await sent;
        if (enriching) Object.assign(setup, await enriching);
        return;
      }
      case 'reject':
        return this.send(call, ctx, call.reject, () => this.control.reject(a, opts('reject')));
      case 'speak':
        call.endReason ??= action.reason;
        return this.send(call, ctx, call.speak, () => this.control.speak(a, action.text, opts('speak')));
      case 'hangup':
        call.endReason ??= action.reason;
        return this.send(call, ctx, call.hangup, () => this.control.hangup(a, opts('hangup')));
      case 'route': {
        const s = call.setup!;
        const startedAt = Date.now();
        // The hold message plays while the buyers bid; the transfer that follows cuts it short.
        if (s.holdMessage) this.holdMessage(call, s.holdMessage);
        const plan = await this.routing.candidates(this.routingRequest(call, s));
        call.routing = {
          startedAt,
          candidates: plan.candidates,
          next: 0,
          skipped: plan.skipped,
          ...(plan.auction ? { auction: plan.auction } : {}),
        };
        return;
      }
      case 'transfer': {
        let t: Attempt | undefined = call.attempts[call.attempts.length - 1];
        if (!t || t.outcome !== undefined) t = await this.nextAttempt(call);
        if (!t) return;
        const attempt = t;
        // The chosen target is stored as the transfer goes out: a takeover resends the same one.
        const stored = this.commit(call, ctx);
        stored.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
        const sent = this.send(call, ctx, attempt.transfer, () =>
          this.control.transfer(a, {
            ...opts(`transfer:${attempt.n}`),
            to: attempt.target.destination,
            timeoutSecs: attempt.target.ringTimeoutS,
            targetLegClientState: encodeClientState({ l: 'B', n: attempt.n }),
          }),
        );
        await Promise.all([stored, sent]);
        return;
      }
      case 'release': {
        const t = call.attempts.find((x) => x.n === action.n)!;
        await this.caps.release(
          t.target.targetId,
          `${call.id}:${t.n}`,
          t.reservedAt,
          t.outcome !== 'connected',
        );
        t.released = true;
        return;
      }
      case 'extend': {
        const t = call.attempts.find((x) => x.n === action.n)!;
        // Goes out with the final commit of this hold.
        const extended = this.caps.extend(
          t.target.targetId,
          `${call.id}:${t.n}`,
          Date.now() + CONNECTED_SLOT_MS,
        );
        extended.catch(() => undefined); // awaited with the commit; never an unhandled rejection
        ctx.side.push(extended);
        t.extended = true;
        return;
      }
      case 'abandonAttempt': {
        const t = call.attempts.find((x) => x.n === action.n)!;
        t.outcome = 'lost';
        if (t.leg.ccid) await this.control.hangup(t.leg.ccid, opts(`hangup-b:${t.n}`, { l: 'B', n: t.n }));
        return;
      }
      case 'checkStatus': {
        call.statusCheckAt = Date.now();
        const st = await this.control.status(a);
        // Still up after all: the "call ended" answer was wrong, carry on with the call.
        if (st?.alive) call.aGoneAt = undefined;
        if (st && !st.alive && call.a.endedAt === undefined) {
          call.a.endedAt = isoToMs(st.endTime) ?? Date.now();
          call.a.seenEndAt = Date.now();
          call.a.hangupCause = 'unknown';
          call.a.hangupSource = 'unknown';
        }
        return;
      }
      case 'finalize':
        return this.finalize(call);
    }
  }

  private routingRequest(call: LiveCall, s: CallSetup): RoutingRequest {
    return {
      callId: call.id,
      tenantId: s.tenantId!,
      campaignId: s.campaignId!,
      caller: call.from!,
      tags: s.tags,
      at: new Date(),
      dupRoutingWindowS: s.dupRoutingWindowS,
    };
  }

  private prepareRouting(call: LiveCall, s: CallSetup): void {
    try {
      this.routing.prepare(this.routingRequest(call, s));
    } catch (e) {
      this.logger.warn({ err: e, callId: call.id }, 'routing prepare failed');
    }
  }

  /** Best effort: a hold message that fails to play changes nothing else about the call. */
  private holdMessage(call: LiveCall, text: string): void {
    const cmd = this.control.speak(call.a.ccid!, text, {
      commandId: commandId(call.sessionId, 'hold'),
      clientState: encodeClientState({ l: 'A', h: 1 }),
    });
    cmd.then(
      (r) => {
        if (!r.ok) this.logger.warn({ callId: call.id, error: r.message }, 'hold message not played');
      },
      (e: unknown) => this.logger.warn({ err: e, callId: call.id }, 'hold message not played'),
    );
  }

  /**
   * Sends a command and records the outcome. Its parameters follow from the stored state and its
   * command_id from the call and step, so an instance that takes the call over after a crash sends the
   * very same command again and the carrier drops the repeat. A command on leg A refused because the
   * call ended marks leg A gone.
   */
  private async send(
    call: LiveCall,
    _ctx: RunContext,
    step: Step,
    command: () => Promise<CommandResult>,
  ): Promise<void> {
    step.s = 'sending';
    step.tries++;
    step.at = Date.now();
    const r = await command();
    if (r.ok) {
      step.s = 'ok';
      return;
    }
    step.s = r.kind === 'ended' ? 'ended' : 'failed';
    if (r.kind === 'ended') call.aGoneAt ??= Date.now();
    step.retryable = r.kind === 'retryable';
    step.error = `${r.status ?? ''} ${r.code ?? ''} ${r.message}`.trim().slice(0, 200);
  }

  /** The next candidate whose caps and concurrency let it take the call, reserved for this attempt. */
  private async nextAttempt(call: LiveCall): Promise<Attempt | undefined> {
    const r = call.routing!;
    while (r.next < r.candidates.length && call.attempts.length < this.config.calls.maxAttempts) {
      const target = r.candidates[r.next];
      r.next++;
      const n = call.attempts.length + 1;
      const at = Date.now();
      const res = await this.routing.reserve(target, `${call.id}:${n}`, at);
      if (res !== 'ok') {
        r.skipped.push({ targetId: target.targetId, reason: res });
        continue;
      }
      const attempt: Attempt = {
        n,
        target,
        transfer: { s: 'todo', tries: 0 },
        leg: {},
        reserved: true,
        reservedAt: at,
      };
      call.attempts.push(attempt);
      return attempt;
    }
    return undefined;
  }

  // ---- the end ----------------------------------------------------------------------------------------

  private async finalize(call: LiveCall): Promise<void> {
    const now = Date.now();
    const s = summarize(call, now);
    const setup = call.setup;
    let counted = true;
    // Counters, the routing-duplicate mark and the release of every slot still held go out together
    // once the record is written (one Redis round trip); each is idempotent, so a replay is harmless.
    const after: Array<Promise<unknown>> = [];
    if (setup?.tenantId && call.to && call.from) {
      const connected = s.connected;
      const record: NewCallRecord = {
        id: call.id,
        tenantId: setup.tenantId,
        callSessionId: call.sessionId,
        campaignId: setup.campaignId,
        publisherId: setup.publisherId,
        poolId: setup.poolId,
        buyerId: connected?.target.buyerId ?? null,
        targetId: connected?.target.targetId ?? null,
        trackingNumber: call.to,
        caller: call.from,
        destination: connected?.target.destination ?? null,
        state: s.state,
        reason: s.reason,
        duplicate: setup.duplicate,
        attributionMethod: setup.attribution?.method ?? null,
        attributionConfidence: setup.attribution ? setup.attribution.confidence.toFixed(2) : null,
        dniSessionId: setup.attribution?.sid ?? null,
        tags: setup.tags,
        receivedAt: new Date(s.receivedAt),
        answeredAt: s.answeredAt === null ? null : new Date(s.answeredAt),
        routingAt: s.routingAt === null ? null : new Date(s.routingAt),
        ringingAt: s.ringingAt === null ? null : new Date(s.ringingAt),
        connectedAt: s.connectedAt === null ? null : new Date(s.connectedAt),
        endedAt: new Date(s.endedAt),
        ringMs: s.ringMs,
        talkMs: s.talkMs,
        totalMs: s.totalMs,
        attempts: s.attempts,
        converted: s.converted,
        conversionSeconds: s.conversionSeconds,
        revenue: formatMoney(s.revenue),
        payout: formatMoney(s.payout),
        profit: formatMoney(s.profit),
        hangupCause: call.a.hangupCause ?? null,
        hangupSource: call.a.hangupSource ?? null,
        sipHangupCause: call.a.sipHangupCause ?? null,
        legs: s.legs,
        auction: auctionSummary(call),
      };
      counted = await this.records.insertFinal(record);
      if (connected && s.converted) {
        after.push(this.caps.countConversion(connected.target.targetId, call.id, now, s.revenue));
      }
      if (connected && setup.campaignId) {
        after.push(
          this.duplicates.recordRouted(
            setup.campaignId,
            call.from,
            connected.target.buyerId,
            now,
            setup.dupRoutingWindowS,
          ),
        );
      }
    }
    const held = call.attempts.filter((t) => t.reserved && !t.released);
    for (const t of held) {
      after.push(
        this.caps.release(t.target.targetId, `${call.id}:${t.n}`, t.reservedAt, t.outcome !== 'connected'),
      );
    }
    await Promise.all(after);
    for (const t of held) t.released = true;
    call.final = { state: s.state, at: now, reason: s.reason };
    if (counted) this.finals.inc({ state: s.state });
    this.logger.log(
      { callId: call.id, callSessionId: call.sessionId, state: s.state, reason: s.reason, talkMs: s.talkMs },
      'call finished',
    );
  }
}
