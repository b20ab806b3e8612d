// Public types of the sandbox carrier: its options, how simulated parties behave, and what inspecting a
// call returns. Durations of simulated behaviour are in milliseconds of simulated time: the carrier
// multiplies them by `timeScale` (0.01 runs a 30 s ring in 300 ms). Delivery settings are real milliseconds.
import type { SigningKeys } from './signing-keys';
import type { DeliveryOptions } from './webhook-dispatcher';

export type HangupCause =
  | 'call_rejected'
  | 'normal_clearing'
  | 'originator_cancel'
  | 'timeout'
  | 'time_limit'
  | 'user_busy'
  | 'not_found'
  | 'no_answer'
  | 'unspecified';

export type HangupSource = 'caller' | 'callee' | 'unknown';

/**
 * How the far end of an outgoing leg (a transfer or dial destination) behaves.
 * - answer: answers after answerAfterMs, then hangs up after talkMs (null: never; the app or caller ends it)
 * - busy: answers with 486 after answerAfterMs (hangup_cause user_busy)
 * - no_answer: rings until the command's timeout_secs (hangup_cause timeout)
 * - reject: declines with 603 after answerAfterMs (hangup_cause call_rejected)
 * - fail: fails after answerAfterMs with failCause / failSipCode (default unspecified / 503)
 */
export interface DestinationBehaviour {
  mode: 'answer' | 'busy' | 'no_answer' | 'reject' | 'fail';
  answerAfterMs?: number;
  talkMs?: number | null;
  failCause?: HangupCause;
  failSipCode?: string;
  /** Result of answering-machine detection when the command asked for it. */
  amdResult?: 'human' | 'machine' | 'not_sure';
}

export interface InboundCallOptions {
  from: string;
  to: string;
  callerIdName?: string;
  customHeaders?: Array<{ name: string; value: string }>;
  sipHeaders?: Array<{ name: string; value: string }>;
  /** The caller hangs up this long after dialling, whatever state the call is in. */
  callerHangupAfterMs?: number;
  /** The caller hangs up if the app has not answered within this time. */
  abandonIfNotAnsweredWithinMs?: number;
  /** The caller hangs up if not bridged to another party (e.g. the buyer still rings) within this time. */
  abandonIfNotBridgedWithinMs?: number;
  /** Digits the caller keys in when the app gathers input (consumed by the first gather). */
  dtmf?: string;
}

export interface SimulationTiming {
  /** Time to speak one character of a speak payload, and the floor for any speak. */
  speakMsPerChar: number;
  minSpeakMs: number;
  /** Length of one play of an audio file. */
  playbackMs: number;
  /** Gap between two digits keyed by the caller. */
  dtmfIntervalMs: number;
  /** Delay of a busy/reject/fail answer when the behaviour gives no answerAfterMs. */
  refuseAfterMs: number;
}

export interface SandboxCarrierOptions {
  /** Where webhooks go (the app's POST /webhooks/telnyx). Without it events are only emitted locally. */
  webhookUrl?: string;
  /** Ed25519 pair; generated when absent (see generateSigningKeys / loadOrCreateSigningKeys). */
  signingKeys?: SigningKeys;
  /** When set, /v2 requests need `Authorization: Bearer <apiKey>` (else 401 like Telnyx). */
  apiKey?: string;
  /** The Call Control App id (connection_id) the app dials with and numbers are assigned to. */
  connectionId?: string;
  /** Multiplies every simulated duration (ringing, talking, speaking, timeouts). Default 1. */
  timeScale?: number;
  delivery?: Partial<DeliveryOptions>;
  timing?: Partial<SimulationTiming>;
  /** Behaviour of destinations without their own (default: answer after 2 s, talk 60 s). */
  defaultDestination?: DestinationBehaviour;
  /** command_id dedupe window (Telnyx: 60 s). */
  commandIdWindowMs?: number;
  /** How long an ended call stays visible to GET /v2/calls/{id} and calls() (Telnyx: 10 min). */
  endedCallRetentionMs?: number;
  /** Cap on ended calls kept (default 20 000), oldest dropped first, so long benchmarks stay bounded. */
  maxEndedCalls?: number;
  /** Seed for fault injection and generated numbers, for reproducible runs. */
  seed?: number;
  logger?: CarrierLogger;
}

/** Subset of pino's logger the carrier writes to. */
export interface CarrierLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export type CallState = 'parked' | 'ringing' | 'answered' | 'bridged' | 'hangup';

/** What calls() and getCall() return about one call leg. */
export interface CallSnapshot {
  callControlId: string;
  callLegId: string;
  callSessionId: string;
  connectionId: string;
  direction: 'incoming' | 'outgoing';
  /** inbound: placed by a simulated caller; transfer: leg B of a transfer; dial: POST /v2/calls. */
  origin: 'inbound' | 'transfer' | 'dial';
  from: string;
  to: string;
  state: CallState;
  isAlive: boolean;
  clientState: string | null;
  startTime: string;
  answerTime: string | null;
  endTime: string | null;
  hangupCause: HangupCause | null;
  hangupSource: HangupSource | null;
  sipHangupCause: string | null;
  /** The leg this one is bridged with, the leg it was transferred from, its ringing transfer leg. */
  bridgedWith: string | null;
  parentCallControlId: string | null;
  transferTo: string | null;
  /** Webhook event types emitted for this leg, in order. */
  events: string[];
}
