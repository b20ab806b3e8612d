// The simulated telephone network behind the sandbox carrier: call legs, the Call Control commands that act
// on them, and the far ends (callers and destinations) that answer, refuse, talk and hang up on timers.
// Every state change emits the webhook Telnyx would send for it, with the same payload fields; the carrier
// around this class signs and delivers them.
//
// Roles, as Telnyx reports them in hangup_source: on an incoming leg the caller is the far end and the
// callee is our side (the app); on an outgoing leg (transfer or dial) the caller is our side and the callee
// the far end.
import type {
  CallSnapshot,
  CallState,
  DestinationBehaviour,
  HangupCause,
  HangupSource,
  InboundCallOptions,
  SimulationTiming,
} from './carrier-types';
import type { NumberInventory } from './number-inventory';
import {
  asBody,
  type Body,
  isDestination,
  optBool,
  optEnum,
  optHeaders,
  optInt,
  optRetryPolicies,
  optString,
  reqDestination,
  reqEnum,
  reqString,
} from './request-body';
import {
  CALL_CONTROL_ID_PATTERN,
  MicroClock,
  newCallControlId,
  newUuid,
  Timer,
  TimerSet,
} from './sim-runtime';
import { telnyxErrors } from './telnyx-errors';
import type { WebhookEventData } from './webhook-dispatcher';

type Payload = Record<string, unknown>;
type CommandResult = Record<string, unknown>;

const AMD_MODES = ['premium', 'detect', 'detect_beep', 'detect_words', 'greeting_end', 'disabled'] as const;
const RECORD_FORMATS = ['wav', 'mp3'] as const;
const RECORD_CHANNELS = ['single', 'dual'] as const;
const OK: CommandResult = Object.freeze({ result: 'ok' }) as CommandResult;

interface GatherSpec {
  min: number;
  max: number;
  terminating: string;
  valid: string;
  timeoutMs: number;
  interDigitMs: number;
}

interface MediaItem {
  kind: 'speak' | 'playback' | 'gather';
  /** Simulated ms until the item ends (gather: until the prompt ends); null = until stopped. */
  durationMs: number | null;
  timer: Timer | null;
  mediaUrl?: string;
  mediaName?: string;
  overlay?: boolean;
  gather?: GatherSpec;
}

interface GatherState {
  item: MediaItem;
  spec: GatherSpec;
  digits: string;
  timer: Timer | null;
}

interface Recording {
  id: string;
  startedAt: string;
  format: 'wav' | 'mp3';
  channels: 'single' | 'dual';
}

export interface Leg {
  callControlId: string;
  callLegId: string;
  callSessionId: string;
  connectionId: string;
  direction: 'incoming' | 'outgoing';
  origin: 'inbound' | 'transfer' | 'dial';
  from: string;
  to: string;
  state: CallState;
  clientState: string | null;
  /** Per-call webhook_url override; undefined = the carrier's webhook URL. */
  webhookUrl: string | undefined;
  retryPolicies: Record<string, number[]> | undefined;
  tags: string[] | undefined;
  callerIdName: string | undefined;
  customHeaders: Array<{ name: string; value: string }> | undefined;
  sipHeaders: Array<{ name: string; value: string }> | undefined;
  startMs: number;
  startTime: string;
  answerMs: number | null;
  answerTime: string | null;
  endMs: number | null;
  endTime: string | null;
  hangup: { cause: HangupCause; source: HangupSource; sip: string } | null;
  peer: Leg | undefined;
  everBridged: boolean;
  parkAfterUnbridge: boolean;
  /** Transfer leg B: the leg A that asked for it. */
  parent: Leg | undefined;
  parentId: string | null;
  /** Leg A: its transfer leg B while it rings. */
  pendingTransfer: Leg | undefined;
  /** Dial with link_to + bridge_on_answer: the leg to bridge with once answered. */
  linkedTo: Leg | undefined;
  bridgeOnAnswer: boolean;
  behaviour: DestinationBehaviour | undefined;
  amd: boolean;
  recordFromAnswer: Recording | undefined;
  ringTimer: Timer | null;
  timers: Set<Timer>;
  mediaQueue: MediaItem[];
  mediaCurrent: MediaItem | null;
  gather: GatherState | undefined;
  recording: Recording | undefined;
  pendingDigits: string | undefined;
  commandResults: Map<string, { atMs: number; result: CommandResult }> | undefined;
  events: string[];
}

export interface CallEngineConfig {
  connectionId: string;
  timeScale: number;
  timing: SimulationTiming;
  defaultDestination: DestinationBehaviour;
  commandIdWindowMs: number;
  endedCallRetentionMs: number;
  maxEndedCalls: number;
  recordingBaseUrl: () => string;
}

export interface CallEngineHooks {
  webhook(leg: Leg, data: WebhookEventData): void;
  callCreated(leg: Leg): void;
  callEnded(leg: Leg): void;
}

function ourSide(leg: Leg): HangupSource {
  return leg.direction === 'incoming' ? 'callee' : 'caller';
}

/** Telnyx reports a SIP code for outgoing legs and "unspecified" where no SIP response exists (inbound). */
function normalClearingSip(leg: Leg): string {
  return leg.direction === 'incoming' ? 'unspecified' : '200';
}

export class CallEngine {
  private readonly legs = new Map<string, Leg>();
  private ended: Array<{ id: string; atMs: number }> = [];
  private endedHead = 0;
  private activeCount = 0;
  private readonly dialCommands = new Map<string, { atMs: number; result: CommandResult }>();
  private readonly destinations = new Map<string, DestinationBehaviour>();
  private readonly handlers: Record<string, (leg: Leg, body: Body) => CommandResult> = {
    answer: (leg, body) => this.answer(leg, body),
    reject: (leg, body) => this.reject(leg, body),
    hangup: (leg, body) => this.hangupCommand(leg, body),
    transfer: (leg, body) => this.transfer(leg, body),
    bridge: (leg, body) => this.bridge(leg, body),
    speak: (leg, body) => this.speak(leg, body),
    playback_start: (leg, body) => this.playbackStart(leg, body),
    playback_stop: (leg, body) => this.playbackStop(leg, body),
    gather_using_speak: (leg, body) => this.gather(leg, body, true),
    gather: (leg, body) => this.gather(leg, body, false),
    record_start: (leg, body) => this.recordStart(leg, body),
    record_stop: (leg, body) => this.recordStop(leg, body),
    client_state_update: (leg, body) => this.clientStateUpdate(leg, body),
  };

  constructor(
    private readonly config: CallEngineConfig,
    private readonly timers: TimerSet,
    private readonly clock: MicroClock,
    private readonly inventory: NumberInventory,
    private readonly hooks: CallEngineHooks,
  ) {}

  // ================================================================================================
  // Simulation surface: callers, destinations, inspection
  // ================================================================================================

  setDestinationBehaviour(destination: string, behaviour: DestinationBehaviour): void {
    // A new default keeps the previous default's timings it does not set itself.
    if (destination === '*')
      this.config.defaultDestination = { ...this.config.defaultDestination, ...behaviour };
    else this.destinations.set(destination, { ...behaviour });
  }

  clearDestinationBehaviour(destination?: string): void {
    if (destination === undefined) this.destinations.clear();
    else this.destinations.delete(destination);
  }

  destinationBehaviours(): Record<string, DestinationBehaviour> {
    return { '*': this.config.defaultDestination, ...Object.fromEntries(this.destinations) };
  }

  /** A caller dials `to`: leg A arrives parked and waits for the app's commands. */
  placeInboundCall(options: InboundCallOptions): Leg {
    const from = typeof options.from === 'string' ? options.from.trim() : '';
    const to = typeof options.to === 'string' ? options.to.trim() : '';
    if (!from) throw telnyxErrors.missingParameter('from');
    if (!to) throw telnyxErrors.missingParameter('to');
    if (!isDestination(to)) throw telnyxErrors.notE164('to');
    for (const name of [
      'callerHangupAfterMs',
      'abandonIfNotAnsweredWithinMs',
      'abandonIfNotBridgedWithinMs',
    ] as const) {
      const value = options[name];
      if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
        throw telnyxErrors.invalidType(name, 'a number of milliseconds ≥ 0');
      }
    }
    if (options.dtmf !== undefined && !/^[0-9*#A-D]*$/.test(options.dtmf)) {
      throw telnyxErrors.invalidType('dtmf', 'a string of DTMF digits');
    }
    const owned = this.inventory.findByNumber(to);
    const leg = this.createLeg({
      direction: 'incoming',
      origin: 'inbound',
      from,
      to,
      connectionId: owned?.connectionId ?? this.config.connectionId,
      clientState: null,
      state: 'parked',
    });
    leg.tags = owned ? [...owned.tags] : undefined;
    leg.callerIdName = options.callerIdName ?? from;
    leg.customHeaders = options.customHeaders;
    leg.sipHeaders = options.sipHeaders;
    leg.pendingDigits = options.dtmf || undefined;
    this.emit(leg, 'call.initiated', this.initiatedPayload(leg));

    if (options.callerHangupAfterMs !== undefined) {
      this.legTimer(leg, options.callerHangupAfterMs, () => this.farEndHangup(leg));
    }
    if (options.abandonIfNotAnsweredWithinMs !== undefined) {
      this.legTimer(leg, options.abandonIfNotAnsweredWithinMs, () => {
        if (leg.answerMs === null) this.farEndHangup(leg);
      });
    }
    if (options.abandonIfNotBridgedWithinMs !== undefined) {
      this.legTimer(leg, options.abandonIfNotBridgedWithinMs, () => {
        if (!leg.everBridged) this.farEndHangup(leg);
      });
    }
    return leg;
  }

  /** The party at the far end of this leg hangs up (the caller on an inbound leg, the callee otherwise). */
  farEndHangupById(callControlId: string): boolean {
    const leg = this.legs.get(callControlId);
    if (!leg || leg.state === 'hangup') return false;
    this.farEndHangup(leg);
    return true;
  }

  /** The far end keys DTMF digits: call.dtmf.received each, feeding a running gather. */
  sendDtmf(callControlId: string, digits: string): boolean {
    const leg = this.legs.get(callControlId);
    if (!leg || leg.state === 'hangup' || leg.answerMs === null) return false;
    this.scheduleDigits(leg, digits);
    return true;
  }

  get(callControlId: string): Leg | undefined {
    return this.legs.get(callControlId);
  }

  all(): IterableIterator<Leg> {
    return this.legs.values();
  }

  counts(): { active: number; retainedEnded: number } {
    return { active: this.activeCount, retainedEnded: this.legs.size - this.activeCount };
  }

  snapshot(leg: Leg): CallSnapshot {
    return {
      callControlId: leg.callControlId,
      callLegId: leg.callLegId,
      callSessionId: leg.callSessionId,
      connectionId: leg.connectionId,
      direction: leg.direction,
      origin: leg.origin,
      from: leg.from,
      to: leg.to,
      state: leg.state,
      isAlive: leg.state !== 'hangup',
      clientState: leg.clientState,
      startTime: leg.startTime,
      answerTime: leg.answerTime,
      endTime: leg.endTime,
      hangupCause: leg.hangup?.cause ?? null,
      hangupSource: leg.hangup?.source ?? null,
      sipHangupCause: leg.hangup?.sip ?? null,
      bridgedWith: leg.peer?.callControlId ?? null,
      parentCallControlId: leg.parentId,
      transferTo: leg.pendingTransfer?.callControlId ?? null,
      events: [...leg.events],
    };
  }

  // ================================================================================================
  // Call Control API
  // ================================================================================================

  /** POST /v2/calls. Dedupes on command_id across all calls (Telnyx: "other Dial commands"). */
  dial(rawBody: unknown): CommandResult {
    const body = asBody(rawBody);
    const commandId = optString(body, 'command_id');
    const now = Date.now();
    if (commandId !== undefined) {
      const prior = this.dialCommands.get(commandId);
      if (prior && now - prior.atMs < this.config.commandIdWindowMs) return prior.result;
    }
    const connectionId = reqString(body, 'connection_id');
    if (connectionId !== this.config.connectionId) throw telnyxErrors.invalidConnectionId();
    // `to` may be a list (simultaneous ring); the sandbox rings the first destination.
    const to = reqDestination(Array.isArray(body.to) ? { to: body.to[0] as unknown } : body, 'to').split(
      ',',
    )[0];
    const from = reqString(body, 'from');
    const timeoutSecs = optInt(body, 'timeout_secs', 5, 600) ?? 30;
    const timeLimitSecs = optInt(body, 'time_limit_secs', 30, 14400);
    const clientState = optString(body, 'client_state');
    const webhookUrl = optString(body, 'webhook_url');
    const linkTo = optString(body, 'link_to');
    const bridgeIntent = optBool(body, 'bridge_intent') ?? false;
    const bridgeOnAnswer = optBool(body, 'bridge_on_answer') ?? false;
    const park = optEnum(body, 'park_after_unbridge', ['self']);
    const amd = optEnum(body, 'answering_machine_detection', AMD_MODES);
    const recording = this.recordFromAnswerOption(body);
    const customHeaders = optHeaders(body, 'custom_headers');
    const sipHeaders = optHeaders(body, 'sip_headers');
    const retryPolicies = optRetryPolicies(body);
    if ((bridgeIntent || bridgeOnAnswer || park) && linkTo === undefined)
      throw telnyxErrors.missingParameter('link_to');
    const linked = linkTo === undefined ? undefined : this.legs.get(linkTo);
    if (linkTo !== undefined && !linked) throw telnyxErrors.invalidCallControlId('/link_to');
    if (linked && linked.state === 'hangup') throw telnyxErrors.callEnded();

    const leg = this.createLeg({
      direction: 'outgoing',
      origin: 'dial',
      from: bridgeIntent && linked ? linked.from : from,
      to,
      connectionId,
      callSessionId: linked?.callSessionId,
      clientState: clientState ?? null,
      state: 'ringing',
    });
    leg.webhookUrl = webhookUrl;
    leg.retryPolicies = retryPolicies;
    leg.customHeaders = customHeaders;
    leg.sipHeaders = sipHeaders;
    leg.linkedTo = linked;
    leg.bridgeOnAnswer = bridgeOnAnswer && linked !== undefined;
    leg.parkAfterUnbridge = park === 'self';
    leg.amd = amd !== undefined && amd !== 'disabled';
    leg.recordFromAnswer = recording;
    this.emit(leg, 'call.initiated', this.initiatedPayload(leg));
    this.startOutgoing(leg, timeoutSecs, timeLimitSecs);

    const result: CommandResult = {
      call_control_id: leg.callControlId,
      call_leg_id: leg.callLegId,
      call_session_id: leg.callSessionId,
      is_alive: false,
      record_type: 'call',
      start_time: leg.startTime,
    };
    if (leg.clientState !== null) result.client_state = leg.clientState;
    if (recording) result.recording_id = recording.id;
    if (commandId !== undefined) {
      this.dialCommands.set(commandId, { atMs: now, result });
      for (const [key, entry] of this.dialCommands) {
        if (now - entry.atMs < this.config.commandIdWindowMs) break;
        this.dialCommands.delete(key);
      }
    }
    return result;
  }

  /** POST /v2/calls/{id}/actions/{action} (and PUT client_state_update). */
  command(callControlId: string, action: string, rawBody: unknown): CommandResult {
    const handler = Object.prototype.hasOwnProperty.call(this.handlers, action)
      ? this.handlers[action]
      : undefined;
    if (!handler)
      throw telnyxErrors.notFound(`The sandbox carrier does not implement the '${action}' command.`);
    const leg = this.find(callControlId);
    const body = asBody(rawBody);
    const commandId = optString(body, 'command_id');
    const now = Date.now();
    if (commandId !== undefined) {
      const prior = leg.commandResults?.get(commandId);
      if (prior && now - prior.atMs < this.config.commandIdWindowMs) return prior.result;
    }
    if (leg.state === 'hangup') throw telnyxErrors.callEnded();
    const result = handler(leg, body);
    if (commandId !== undefined) {
      leg.commandResults ??= new Map();
      leg.commandResults.set(commandId, { atMs: now, result });
    }
    return result;
  }

  /** GET /v2/calls/{id}. */
  retrieve(callControlId: string): CommandResult {
    const leg = this.find(callControlId);
    const end = leg.endMs ?? Date.now();
    const result: CommandResult = {
      record_type: 'call',
      call_session_id: leg.callSessionId,
      call_leg_id: leg.callLegId,
      call_control_id: leg.callControlId,
      is_alive: leg.state !== 'hangup',
      call_duration: Math.max(0, Math.floor((end - leg.startMs) / 1000)),
      start_time: leg.startTime,
    };
    if (leg.clientState !== null) result.client_state = leg.clientState;
    if (leg.endTime !== null) result.end_time = leg.endTime;
    return result;
  }

  private find(callControlId: string): Leg {
    const leg = this.legs.get(callControlId);
    if (leg) return leg;
    if (!CALL_CONTROL_ID_PATTERN.test(callControlId)) throw telnyxErrors.invalidCallControlId();
    throw telnyxErrors.notFound(`Call ${callControlId} was not found.`);
  }

  // ---- commands -----------------------------------------------------------------------------------

  private answer(leg: Leg, body: Body): CommandResult {
    const recording = this.recordFromAnswerOption(body);
    const common = this.readCommon(body);
    this.applyCommon(leg, common);
    if (leg.direction !== 'incoming' || leg.state !== 'parked') return OK;
    this.answerLeg(leg);
    if (!recording) return OK;
    leg.recording = recording;
    return { result: 'ok', recording_id: recording.id };
  }

  private reject(leg: Leg, body: Body): CommandResult {
    const cause = reqEnum(body, 'cause', ['CALL_REJECTED', 'USER_BUSY']);
    const common = this.readCommon(body);
    if (leg.direction !== 'incoming' || leg.state !== 'parked') {
      throw telnyxErrors.unsupportedCommand(
        'Only an incoming call that has not been answered can be rejected.',
      );
    }
    this.applyCommon(leg, common);
    if (cause === 'USER_BUSY') this.endLeg(leg, 'user_busy', 'callee', '486');
    else this.endLeg(leg, 'call_rejected', 'callee', '603');
    return OK;
  }

  private hangupCommand(leg: Leg, body: Body): CommandResult {
    optHeaders(body, 'custom_headers');
    this.applyCommon(leg, this.readCommon(body));
    if (leg.direction === 'outgoing' && leg.answerMs === null)
      this.endLeg(leg, 'originator_cancel', 'caller', '487');
    else this.endLeg(leg, 'normal_clearing', ourSide(leg), normalClearingSip(leg));
    return OK;
  }

  private transfer(a: Leg, body: Body): CommandResult {
    const to = reqDestination(body, 'to').split(',')[0];
    const from = optString(body, 'from');
    const timeoutSecs = optInt(body, 'timeout_secs', 5, 600) ?? 30;
    const timeLimitSecs = optInt(body, 'time_limit_secs', 30, 14400);
    const targetClientState = optString(body, 'target_leg_client_state');
    const park = optEnum(body, 'park_after_unbridge', ['self']);
    const amd = optEnum(body, 'answering_machine_detection', AMD_MODES);
    const recording = this.recordFromAnswerOption(body);
    const customHeaders = optHeaders(body, 'custom_headers');
    const sipHeaders = optHeaders(body, 'sip_headers');
    const clientState = optString(body, 'client_state');
    // webhook_url and webhook_retries_policies of a transfer govern the webhooks it produces: leg B's.
    const webhookUrl = optString(body, 'webhook_url');
    const retryPolicies = optRetryPolicies(body);
    if (a.direction === 'outgoing' && a.answerMs === null) throw telnyxErrors.callNotAnswered();

    if (clientState !== undefined) a.clientState = clientState;
    if (park === 'self') a.parkAfterUnbridge = true;
    const previous = a.pendingTransfer;
    if (previous && previous.state !== 'hangup') this.endLeg(previous, 'originator_cancel', 'caller', '487');

    const b = this.createLeg({
      direction: 'outgoing',
      origin: 'transfer',
      from: from ?? a.to,
      to,
      connectionId: a.connectionId,
      callSessionId: a.callSessionId,
      clientState: targetClientState ?? null,
      state: 'ringing',
    });
    b.parent = a;
    b.parentId = a.callControlId;
    b.webhookUrl = webhookUrl ?? a.webhookUrl;
    b.retryPolicies = retryPolicies ?? a.retryPolicies;
    b.customHeaders = customHeaders;
    b.sipHeaders = sipHeaders;
    b.amd = amd !== undefined && amd !== 'disabled';
    b.recordFromAnswer = recording;
    a.pendingTransfer = b;
    this.emit(b, 'call.initiated', this.initiatedPayload(b));
    this.startOutgoing(b, timeoutSecs, timeLimitSecs);
    return OK;
  }

  private bridge(x: Leg, body: Body): CommandResult {
    const otherId = reqString(body, 'call_control_id');
    const park = optEnum(body, 'park_after_unbridge', ['self']);
    const common = this.readCommon(body);
    const y = this.legs.get(otherId);
    if (!y || y === x) throw telnyxErrors.invalidCallControlId();
    if (y.state === 'hangup') throw telnyxErrors.callEnded();
    for (const leg of [x, y]) {
      if (leg.direction === 'outgoing' && leg.answerMs === null) throw telnyxErrors.callNotAnswered();
    }
    this.applyCommon(x, common);
    if (park === 'self') x.parkAfterUnbridge = true;
    if (x.peer === y) return OK;
    for (const leg of [x, y]) if (leg.state === 'parked') this.answerLeg(leg);
    this.bridgeLegs(x, y);
    return OK;
  }

  private speak(leg: Leg, body: Body): CommandResult {
    const payload = reqString(body, 'payload');
    reqString(body, 'voice');
    optEnum(body, 'payload_type', ['text', 'ssml']);
    optEnum(body, 'service_level', ['basic', 'premium']);
    if (payload.length > 3000) throw telnyxErrors.outOfRange('payload', 1, 3000);
    const common = this.readCommon(body);
    this.requireAnswered(leg);
    this.applyCommon(leg, common);
    this.enqueueMedia(leg, { kind: 'speak', durationMs: this.speakMs(payload), timer: null });
    return OK;
  }

  private playbackStart(leg: Leg, body: Body): CommandResult {
    const audioUrl = optString(body, 'audio_url');
    const mediaName = optString(body, 'media_name');
    const content = optString(body, 'playback_content');
    if (!audioUrl && !mediaName && !content) throw telnyxErrors.missingParameter('audio_url');
    const overlay = optBool(body, 'overlay') ?? false;
    const loop = body.loop;
    let plays: number | null = 1;
    if (loop === 'infinity') plays = null;
    else if (loop !== undefined && loop !== null) {
      const n = typeof loop === 'string' ? Number(loop) : loop;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 100)
        throw telnyxErrors.outOfRange('loop', 1, 100);
      plays = n;
    }
    const common = this.readCommon(body);
    this.requireAnswered(leg);
    this.applyCommon(leg, common);
    this.enqueueMedia(leg, {
      kind: 'playback',
      durationMs: plays === null ? null : plays * this.config.timing.playbackMs,
      timer: null,
      mediaUrl: audioUrl,
      mediaName,
      overlay,
    });
    return OK;
  }

  private playbackStop(leg: Leg, body: Body): CommandResult {
    const stop = optEnum(body, 'stop', ['current', 'all']) ?? 'all';
    this.applyCommon(leg, this.readCommon(body));
    if (stop === 'all') leg.mediaQueue = leg.mediaQueue.filter((item) => item.kind !== 'playback');
    const current = leg.mediaCurrent;
    if (current?.kind === 'playback') this.finishMedia(leg, current, 'cancelled');
    return OK;
  }

  private gather(leg: Leg, body: Body, withPrompt: boolean): CommandResult {
    let promptMs = 0;
    if (withPrompt) {
      promptMs = this.speakMs(reqString(body, 'payload'));
      reqString(body, 'voice');
    }
    const min = optInt(body, 'minimum_digits', 1, 128) ?? 1;
    const spec: GatherSpec = {
      min,
      max: optInt(body, 'maximum_digits', 1, 128) ?? 128,
      terminating: optString(body, 'terminating_digit') ?? '#',
      valid: optString(body, 'valid_digits') ?? '0123456789#*',
      timeoutMs: optInt(body, 'timeout_millis', 1, 600_000) ?? 60_000,
      interDigitMs: optInt(body, 'inter_digit_timeout_millis', 1, 120_000) ?? 5_000,
    };
    if (spec.max < spec.min) throw telnyxErrors.outOfRange('maximum_digits', spec.min, 128);
    const common = this.readCommon(body);
    this.requireAnswered(leg);
    this.applyCommon(leg, common);
    this.enqueueMedia(leg, { kind: 'gather', durationMs: promptMs, timer: null, gather: spec });
    return OK;
  }

  private recordStart(leg: Leg, body: Body): CommandResult {
    const format = reqEnum(body, 'format', RECORD_FORMATS);
    const channels = reqEnum(body, 'channels', RECORD_CHANNELS);
    const common = this.readCommon(body);
    if (leg.answerMs === null) throw telnyxErrors.recordingBeforeAudio();
    this.applyCommon(leg, common);
    leg.recording ??= { id: newUuid(), startedAt: this.clock.now().iso, format, channels };
    return OK;
  }

  private recordStop(leg: Leg, body: Body): CommandResult {
    optString(body, 'recording_id');
    this.applyCommon(leg, this.readCommon(body));
    if (leg.recording) this.saveRecording(leg);
    return OK;
  }

  private clientStateUpdate(leg: Leg, body: Body): CommandResult {
    leg.clientState = reqString(body, 'client_state');
    return OK;
  }

  private readCommon(body: Body): {
    clientState?: string;
    webhookUrl?: string;
    retryPolicies?: Record<string, number[]>;
  } {
    return {
      clientState: optString(body, 'client_state'),
      webhookUrl: optString(body, 'webhook_url'),
      retryPolicies: optRetryPolicies(body),
    };
  }

  /** client_state is echoed on the leg's later webhooks; webhook_url redirects them (Telnyx semantics). */
  private applyCommon(
    leg: Leg,
    common: { clientState?: string; webhookUrl?: string; retryPolicies?: Record<string, number[]> },
  ): void {
    if (common.clientState !== undefined) leg.clientState = common.clientState;
    if (common.webhookUrl !== undefined) leg.webhookUrl = common.webhookUrl;
    if (common.retryPolicies !== undefined)
      leg.retryPolicies = { ...leg.retryPolicies, ...common.retryPolicies };
  }

  private requireAnswered(leg: Leg): void {
    if (leg.answerMs === null) throw telnyxErrors.callNotAnswered();
  }

  private recordFromAnswerOption(body: Body): Recording | undefined {
    const record = optEnum(body, 'record', ['record-from-answer']);
    const format = optEnum(body, 'record_format', RECORD_FORMATS) ?? 'mp3';
    const channels = optEnum(body, 'record_channels', RECORD_CHANNELS) ?? 'single';
    return record ? { id: newUuid(), startedAt: '', format, channels } : undefined;
  }

  // ================================================================================================
  // Leg life cycle
  // ================================================================================================

  private createLeg(init: {
    direction: Leg['direction'];
    origin: Leg['origin'];
    from: string;
    to: string;
    connectionId: string;
    callSessionId?: string;
    clientState: string | null;
    state: CallState;
  }): Leg {
    const now = this.clock.now();
    const leg: Leg = {
      callControlId: newCallControlId(),
      callLegId: newUuid(),
      callSessionId: init.callSessionId ?? newUuid(),
      connectionId: init.connectionId,
      direction: init.direction,
      origin: init.origin,
      from: init.from,
      to: init.to,
      state: init.state,
      clientState: init.clientState,
      webhookUrl: undefined,
      retryPolicies: undefined,
      tags: undefined,
      callerIdName: undefined,
      customHeaders: undefined,
      sipHeaders: undefined,
      startMs: now.ms,
      startTime: now.iso,
      answerMs: null,
      answerTime: null,
      endMs: null,
      endTime: null,
      hangup: null,
      peer: undefined,
      everBridged: false,
      parkAfterUnbridge: false,
      parent: undefined,
      parentId: null,
      pendingTransfer: undefined,
      linkedTo: undefined,
      bridgeOnAnswer: false,
      behaviour: undefined,
      amd: false,
      recordFromAnswer: undefined,
      ringTimer: null,
      timers: new Set(),
      mediaQueue: [],
      mediaCurrent: null,
      gather: undefined,
      recording: undefined,
      pendingDigits: undefined,
      commandResults: undefined,
      events: [],
    };
    this.legs.set(leg.callControlId, leg);
    this.activeCount++;
    this.hooks.callCreated(leg);
    return leg;
  }

  private behaviourFor(to: string): DestinationBehaviour {
    const own = this.destinations.get(to) ?? this.destinations.get(to.split(';')[0]);
    const fallback = this.config.defaultDestination;
    if (!own) return fallback;
    const refuse = own.mode === 'busy' || own.mode === 'reject' || own.mode === 'fail';
    return {
      ...own,
      answerAfterMs:
        own.answerAfterMs ?? (refuse ? this.config.timing.refuseAfterMs : fallback.answerAfterMs),
      talkMs: own.talkMs === undefined ? fallback.talkMs : own.talkMs,
      amdResult: own.amdResult ?? fallback.amdResult,
    };
  }

  /** An outgoing leg rings its destination, which then behaves as configured for that number/URI. */
  private startOutgoing(leg: Leg, timeoutSecs: number, timeLimitSecs: number | undefined): void {
    const behaviour = this.behaviourFor(leg.to);
    leg.behaviour = behaviour;
    leg.ringTimer = this.legTimer(leg, timeoutSecs * 1000, () =>
      this.endLeg(leg, 'timeout', 'caller', '487'),
    );
    const after = behaviour.answerAfterMs ?? 0;
    switch (behaviour.mode) {
      case 'answer':
        this.legTimer(leg, after, () => this.farEndAnswers(leg));
        break;
      case 'busy':
        this.legTimer(leg, after, () => this.endLeg(leg, 'user_busy', 'callee', '486'));
        break;
      case 'reject':
        this.legTimer(leg, after, () => this.endLeg(leg, 'call_rejected', 'callee', '603'));
        break;
      case 'fail':
        this.legTimer(leg, after, () =>
          this.endLeg(leg, behaviour.failCause ?? 'unspecified', 'callee', behaviour.failSipCode ?? '503'),
        );
        break;
      case 'no_answer':
        break;
    }
    if (timeLimitSecs !== undefined) {
      this.legTimer(leg, timeLimitSecs * 1000, () =>
        this.endLeg(leg, 'time_limit', ourSide(leg), 'unspecified'),
      );
    }
  }

  private farEndAnswers(leg: Leg): void {
    this.cancelLegTimer(leg, leg.ringTimer);
    leg.ringTimer = null;
    this.answerLeg(leg);
    const behaviour = leg.behaviour ?? this.config.defaultDestination;
    if (leg.amd) {
      this.emit(leg, 'call.machine.detection.ended', {
        ...this.base(leg),
        from: leg.from,
        to: leg.to,
        result: behaviour.amdResult ?? 'human',
      });
    }
    if (leg.recordFromAnswer) leg.recording = { ...leg.recordFromAnswer, startedAt: leg.answerTime ?? '' };
    const talkMs = behaviour.talkMs;
    if (talkMs !== null && talkMs !== undefined) {
      this.legTimer(leg, talkMs, () => this.endLeg(leg, 'normal_clearing', 'callee', normalClearingSip(leg)));
    }
    const parent = leg.parent;
    if (parent && parent.pendingTransfer === leg && parent.state !== 'hangup') {
      parent.pendingTransfer = undefined;
      if (parent.state === 'parked') this.answerLeg(parent);
      this.bridgeLegs(parent, leg);
    } else if (leg.bridgeOnAnswer && leg.linkedTo && leg.linkedTo.state !== 'hangup') {
      if (leg.linkedTo.state === 'parked') this.answerLeg(leg.linkedTo);
      this.bridgeLegs(leg.linkedTo, leg);
    }
  }

  private answerLeg(leg: Leg): void {
    const now = this.clock.now();
    leg.state = 'answered';
    leg.answerMs = now.ms;
    leg.answerTime = now.iso;
    const payload: Payload = {
      ...this.base(leg),
      calling_party_type: 'pstn',
      from: leg.from,
      to: leg.to,
      start_time: leg.startTime,
      state: 'answered',
    };
    if (leg.tags) payload.tags = leg.tags;
    this.emit(leg, 'call.answered', payload);
  }

  private bridgeLegs(a: Leg, b: Leg): void {
    for (const [leg, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const old = leg.peer;
      if (old && old !== other) {
        leg.peer = undefined;
        old.peer = undefined;
        this.unbridged(old);
      }
    }
    a.peer = b;
    b.peer = a;
    a.state = 'bridged';
    b.state = 'bridged';
    a.everBridged = true;
    b.everBridged = true;
    this.emit(a, 'call.bridged', { ...this.base(a), from: a.from, to: a.to });
    this.emit(b, 'call.bridged', { ...this.base(b), from: b.from, to: b.to });
  }

  /** The other side of this leg's bridge went away: park it if asked to, else hang it up (Telnyx default). */
  private unbridged(leg: Leg): void {
    if (leg.state === 'hangup') return;
    if (leg.parkAfterUnbridge) leg.state = 'answered';
    else this.endLeg(leg, 'normal_clearing', ourSide(leg), normalClearingSip(leg));
  }

  private farEndHangup(leg: Leg): void {
    if (leg.answerMs !== null) {
      this.endLeg(
        leg,
        'normal_clearing',
        leg.direction === 'incoming' ? 'caller' : 'callee',
        normalClearingSip(leg),
      );
    } else if (leg.direction === 'incoming') {
      this.endLeg(leg, 'originator_cancel', 'caller', '487');
    } else {
      this.endLeg(leg, 'call_rejected', 'callee', '603');
    }
  }

  private endLeg(leg: Leg, cause: HangupCause, source: HangupSource, sip: string): void {
    if (leg.state === 'hangup') return;
    for (const timer of leg.timers) this.timers.cancel(timer);
    leg.timers.clear();
    leg.ringTimer = null;
    this.stopMedia(leg);

    const now = this.clock.now();
    leg.state = 'hangup';
    leg.endMs = now.ms;
    leg.endTime = now.iso;
    leg.hangup = { cause, source, sip };
    const payload: Payload = {
      ...this.base(leg),
      from: leg.from,
      to: leg.to,
      start_time: leg.startTime,
      end_time: leg.endTime,
      state: 'hangup',
      hangup_cause: cause,
      hangup_source: source,
      sip_hangup_cause: sip,
      call_quality_stats: this.qualityStats(leg),
    };
    if (leg.tags) payload.tags = leg.tags;
    this.emit(leg, 'call.hangup', payload);
    if (leg.recording) this.saveRecording(leg);

    const peer = leg.peer;
    leg.peer = undefined;
    if (peer) {
      peer.peer = undefined;
      this.unbridged(peer);
    }
    const pending = leg.pendingTransfer;
    leg.pendingTransfer = undefined;
    if (pending && pending.state !== 'hangup') this.endLeg(pending, 'originator_cancel', 'caller', '487');
    if (leg.parent?.pendingTransfer === leg) leg.parent.pendingTransfer = undefined;
    leg.parent = undefined;
    leg.linkedTo = undefined;
    leg.mediaQueue = [];
    leg.pendingDigits = undefined;

    this.activeCount--;
    this.retire(leg);
    this.hooks.callEnded(leg);
  }

  /** Keeps ended legs for retrieval for a while (bounded in time and count), then forgets them. */
  private retire(leg: Leg): void {
    const now = Date.now();
    this.ended.push({ id: leg.callControlId, atMs: now });
    const { endedCallRetentionMs, maxEndedCalls } = this.config;
    while (
      this.endedHead < this.ended.length &&
      (this.ended.length - this.endedHead > maxEndedCalls ||
        now - this.ended[this.endedHead].atMs > endedCallRetentionMs)
    ) {
      this.legs.delete(this.ended[this.endedHead].id);
      this.endedHead++;
    }
    if (this.endedHead > 1024 && this.endedHead * 2 > this.ended.length) {
      this.ended = this.ended.slice(this.endedHead);
      this.endedHead = 0;
    }
  }

  private qualityStats(leg: Leg): Payload | null {
    if (leg.answerMs === null || leg.endMs === null) return null;
    const packets = Math.round(((leg.endMs - leg.answerMs) / 1000) * 50);
    return {
      inbound: {
        jitter_max_variance: '0.80',
        jitter_packet_count: '0',
        mos: '4.50',
        packet_count: String(packets),
        skip_packet_count: '0',
      },
      outbound: { packet_count: String(packets), skip_packet_count: '0' },
    };
  }

  // ================================================================================================
  // Media: speak, playback, gather, recording
  // ================================================================================================

  private speakMs(text: string): number {
    const { speakMsPerChar, minSpeakMs } = this.config.timing;
    return Math.max(minSpeakMs, text.length * speakMsPerChar);
  }

  /** Media of a leg plays one item after another, as Telnyx queues speak/playback commands. */
  private enqueueMedia(leg: Leg, item: MediaItem): void {
    leg.mediaQueue.push(item);
    if (!leg.mediaCurrent) this.nextMedia(leg);
  }

  private nextMedia(leg: Leg): void {
    const item = leg.mediaQueue.shift() ?? null;
    leg.mediaCurrent = item;
    if (!item) return;
    if (item.kind === 'gather') {
      item.timer = this.legTimer(leg, item.durationMs ?? 0, () => this.beginGather(leg, item));
      return;
    }
    if (item.kind === 'speak') this.emit(leg, 'call.speak.started', this.base(leg));
    else this.emit(leg, 'call.playback.started', this.playbackPayload(leg, item));
    if (item.durationMs !== null) {
      item.timer = this.legTimer(leg, item.durationMs, () => this.finishMedia(leg, item, 'completed'));
    }
  }

  private finishMedia(leg: Leg, item: MediaItem, status: string): void {
    if (leg.mediaCurrent !== item) return;
    this.cancelLegTimer(leg, item.timer);
    item.timer = null;
    if (item.kind === 'speak') this.emit(leg, 'call.speak.ended', { ...this.base(leg), status });
    else if (item.kind === 'playback')
      this.emit(leg, 'call.playback.ended', { ...this.playbackPayload(leg, item), status });
    leg.mediaCurrent = null;
    if (leg.state !== 'hangup') this.nextMedia(leg);
  }

  /** Ends what is playing because the call hangs up; what was queued is dropped. */
  private stopMedia(leg: Leg): void {
    leg.mediaQueue = [];
    const item = leg.mediaCurrent;
    if (!item) return;
    if (item.kind === 'gather') this.finishGather(leg, item, 'call_hangup');
    else this.finishMedia(leg, item, 'call_hangup');
  }

  private playbackPayload(leg: Leg, item: MediaItem): Payload {
    const payload: Payload = { ...this.base(leg), overlay: item.overlay ?? false };
    if (item.mediaUrl !== undefined) payload.media_url = item.mediaUrl;
    if (item.mediaName !== undefined) payload.media_name = item.mediaName;
    return payload;
  }

  private beginGather(leg: Leg, item: MediaItem): void {
    const spec = item.gather as GatherSpec;
    item.timer = null;
    const gather: GatherState = { item, spec, digits: '', timer: null };
    leg.gather = gather;
    gather.timer = this.legTimer(leg, spec.timeoutMs, () => this.gatherTimedOut(leg, gather));
    if (leg.pendingDigits) {
      const digits = leg.pendingDigits;
      leg.pendingDigits = undefined;
      this.scheduleDigits(leg, digits);
    }
  }

  private scheduleDigits(leg: Leg, digits: string): void {
    const interval = this.config.timing.dtmfIntervalMs;
    [...digits].forEach((digit, index) => {
      this.legTimer(leg, interval * (index + 1), () => this.digitReceived(leg, digit));
    });
  }

  private digitReceived(leg: Leg, digit: string): void {
    this.emit(leg, 'call.dtmf.received', { ...this.base(leg), digit, from: leg.from, to: leg.to });
    const gather = leg.gather;
    if (!gather) return;
    const { spec } = gather;
    if (spec.terminating !== '' && digit === spec.terminating) {
      this.finishGather(leg, gather.item, gather.digits.length >= spec.min ? 'valid' : 'invalid');
      return;
    }
    if (!spec.valid.includes(digit)) {
      this.finishGather(leg, gather.item, 'invalid');
      return;
    }
    gather.digits += digit;
    if (gather.digits.length >= spec.max) {
      this.finishGather(leg, gather.item, 'valid');
      return;
    }
    this.cancelLegTimer(leg, gather.timer);
    gather.timer = this.legTimer(leg, spec.interDigitMs, () => this.gatherTimedOut(leg, gather));
  }

  private gatherTimedOut(leg: Leg, gather: GatherState): void {
    if (leg.gather !== gather) return;
    gather.timer = null;
    this.finishGather(leg, gather.item, gather.digits.length >= gather.spec.min ? 'valid' : 'timeout');
  }

  private finishGather(leg: Leg, item: MediaItem, status: string): void {
    if (leg.mediaCurrent !== item) return;
    const gather = leg.gather?.item === item ? leg.gather : undefined;
    this.cancelLegTimer(leg, item.timer);
    if (gather) this.cancelLegTimer(leg, gather.timer);
    leg.gather = undefined;
    this.emit(leg, 'call.gather.ended', {
      ...this.base(leg),
      digits: gather?.digits ?? '',
      from: leg.from,
      to: leg.to,
      status,
    });
    leg.mediaCurrent = null;
    if (leg.state !== 'hangup') this.nextMedia(leg);
  }

  private saveRecording(leg: Leg): void {
    const recording = leg.recording;
    if (!recording) return;
    leg.recording = undefined;
    const url = `${this.config.recordingBaseUrl()}/sandbox/recordings/${recording.id}.${recording.format}`;
    const urls = {
      mp3: recording.format === 'mp3' ? url : null,
      wav: recording.format === 'wav' ? url : null,
    };
    this.emit(leg, 'call.recording.saved', {
      ...this.base(leg),
      recording_id: recording.id,
      channels: recording.channels,
      format: recording.format,
      recording_started_at: recording.startedAt,
      recording_ended_at: this.clock.now().iso,
      recording_urls: urls,
      public_recording_urls: urls,
    });
  }

  // ================================================================================================
  // Plumbing
  // ================================================================================================

  private base(leg: Leg): Payload {
    const payload: Payload = {
      call_control_id: leg.callControlId,
      call_leg_id: leg.callLegId,
      call_session_id: leg.callSessionId,
      connection_id: leg.connectionId,
    };
    // Telnyx sends null before any command set it; the published schema types it as a string, so the
    // sandbox leaves it out instead (both read as "no client state" in the SDK types).
    if (leg.clientState !== null) payload.client_state = leg.clientState;
    return payload;
  }

  private initiatedPayload(leg: Leg): Payload {
    const payload: Payload = {
      ...this.base(leg),
      caller_id_name: leg.callerIdName ?? leg.from,
      calling_party_type: 'pstn',
      connection_codecs: 'PCMU,PCMA,G722',
      offered_codecs: 'PCMU,PCMA,G722',
      direction: leg.direction,
      from: leg.from,
      to: leg.to,
      start_time: leg.startTime,
      state: leg.direction === 'incoming' ? 'parked' : 'bridging',
    };
    if (leg.direction === 'incoming') {
      if (leg.from.startsWith('+')) payload.from_sip_uri = `${leg.from}@192.0.2.10:5060`;
      if (leg.to.startsWith('+')) payload.to_sip_uri = `${leg.to}@sandbox.sip.invalid:5060`;
    }
    if (leg.customHeaders) payload.custom_headers = leg.customHeaders;
    if (leg.sipHeaders) payload.sip_headers = leg.sipHeaders;
    if (leg.tags) payload.tags = leg.tags;
    return payload;
  }

  private emit(leg: Leg, eventType: string, payload: Payload): void {
    leg.events.push(eventType);
    this.hooks.webhook(leg, {
      record_type: 'event',
      event_type: eventType,
      id: newUuid(),
      occurred_at: this.clock.now().iso,
      payload,
    });
  }

  /** Schedules fn after `ms` of simulated time, unless the leg has ended by then. */
  private legTimer(leg: Leg, ms: number, fn: () => void): Timer | null {
    const timer = this.timers.after(Math.round(ms * this.config.timeScale), () => {
      if (timer) leg.timers.delete(timer);
      if (leg.state !== 'hangup') fn();
    });
    if (timer) leg.timers.add(timer);
    return timer;
  }

  private cancelLegTimer(leg: Leg, timer: Timer | null): void {
    if (!timer) return;
    this.timers.cancel(timer);
    leg.timers.delete(timer);
  }
}
