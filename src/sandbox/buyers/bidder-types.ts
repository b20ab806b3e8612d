// Public types of the sandbox bidders: how a simulated buyer answers pings and confirmations, and what
// the server remembers of the requests it got.

/**
 * What a ping gets:
 * - bid: a bid (accepted, amount, destination, bid id, expiry, required talk time)
 * - no_bid: an explicit no ({"accepted": false, "bidAmount": 0, "rejectReason": …})
 * - hang: nothing, ever (the connection stays open until the client gives up)
 * - error: HTTP 500 with a JSON error
 * - garbage: HTTP 200 with an HTML page
 * - huge: HTTP 200 with a 1 MiB JSON body, streamed without a content-length
 * - invalid_destination: a bid whose destination is not a number or SIP URI
 */
export const PING_MODES = [
  'bid',
  'no_bid',
  'hang',
  'error',
  'garbage',
  'huge',
  'invalid_destination',
] as const;
export type PingMode = (typeof PING_MODES)[number];

/** How the confirmation (post) of a won bid is answered. */
export const CONFIRM_MODES = ['accept', 'refuse', 'error', 'hang'] as const;
export type ConfirmMode = (typeof CONFIRM_MODES)[number];

export interface Range {
  min: number;
  max: number;
}

export interface BidderBehaviour {
  /** A fixed bid ("12.50") or a uniform range of whole cents ({ min: "5", max: "40" }). */
  bid: string | { min: string; max: string };
  /** Answer delay in ms, fixed or uniform. */
  latencyMs: number | Range;
  /** Where the bid says to send the call (E.164 or SIP URI); the carrier decides how it answers. */
  destination: string;
  /** Relative expiry of a bid; null: the bid does not say. */
  expireInSeconds: number | null;
  /** Talk seconds the bid requires for a conversion; null: the bid does not say. */
  requiredTalkSeconds: number | null;
  mode: PingMode;
  /** Chance per ping (0..1) of a failure mode instead of `mode`, tried in order: { hang: 0.1, error: 0.05 }. */
  failures: Partial<Record<Exclude<PingMode, 'bid'>, number>>;
  /** How confirmations are answered; null: the bidder's target asks for no confirmation. */
  confirm: ConfirmMode | null;
  confirmLatencyMs: number;
}

export const DEFAULT_BEHAVIOUR: BidderBehaviour = {
  bid: '10.00',
  latencyMs: 20,
  destination: '+13125550100',
  expireInSeconds: 60,
  requiredTalkSeconds: null,
  mode: 'bid',
  failures: {},
  confirm: null,
  confirmLatencyMs: 5,
};

export interface BidderRequest {
  kind: 'ping' | 'confirm';
  /** ms since epoch when the request arrived. */
  at: number;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** call_id from the JSON body or the query string, when present. */
  callId: string | null;
  /** What the bidder did (a PingMode or ConfirmMode). */
  answered: string;
  /** The delay it applied, ms. */
  delayMs: number;
  /** The bid it made, if any. */
  bid: string | null;
}

export interface BidderStats {
  name: string;
  behaviour: BidderBehaviour;
  pings: number;
  confirms: number;
}
