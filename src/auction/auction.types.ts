// What goes into an auction and what comes out: the bids in rank order (the plan a call walks, with
// revenue recovery on busy / no answer), the rejected answers with their reason codes, and the targets
// left out before any ping. Plain data, JSON-safe, so the call state machine can keep it in Redis.
import type { TargetCaps, TargetKind } from '../buyers/target.entity';

export interface AuctionRequest {
  /** The call being sold; seeds the weighted random order, keys the bid log. */
  callId: string;
  tenantId: string;
  campaignId: string;
  /** The caller's number (E.164 when it parses). */
  caller: string;
  /** The call's tags (src/calls/call-tags.ts): the context of ping templates and tag filters. */
  tags: Readonly<Record<string, string>>;
  /** When the call is sold (schedules, cap buckets, expiry); default now. */
  at?: Date;
}

/** Why an eligible target's answer did not become a valid bid. */
export const REJECT_REASONS = [
  'timeout', // slower than the target's own ping timeout
  'deadline', // still unanswered when the campaign's auction deadline came
  'http_error', // non-2xx status
  'network_error', // connection refused, reset, DNS failure
  'blocked_address', // the URL resolves to a non-public address (SSRF guard)
  'bad_url', // the rendered URL is not an absolute http(s) URL
  'oversized', // body larger than the cap
  'invalid_json',
  'not_accepted', // the accepted flag says no
  'no_bid', // no bid amount, or zero
  'invalid_bid', // negative, not a number, above the maximum
  'below_floor', // under the campaign's floor price
  'no_destination',
  'invalid_destination', // not an E.164 number or SIP URI
  'invalid_expiry',
  'expired', // the bid's expiry has passed
  'invalid_talk_time',
  'bad_spec', // the target's saved templates or parse rules do not compile (never for specs saved through the API)
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Why a campaign target took no part (no ping sent). */
export type SkipReason =
  | 'closed'
  | 'filters'
  | 'duplicate_caller'
  | 'concurrency'
  | 'misconfigured'
  | `cap_${'calls' | 'conversions' | 'revenue'}_${'hour' | 'day' | 'month' | 'total'}`;

/** Facts about the request that produced an answer (for the bid log). */
export interface PingFacts {
  /** Id of this participation (one bid_log row). */
  pingId: string;
  /** ms since epoch when the ping was sent (or the static / cached bid was taken). */
  at: number;
  latencyMs: number;
  /** 0 when no HTTP response was read (static, cached, timeout, network error). */
  httpStatus: number;
  /** sha256 of method, URL and body, first 32 hex digits; '' for static targets. */
  requestHash: string;
  cached: boolean;
}

export interface Bid extends PingFacts {
  targetId: string;
  buyerId: string;
  kind: TargetKind;
  /** The bid (ping/post) or fixed revenue (static): what the buyer pays for a converted call. */
  revenue: string;
  destination: string;
  bidId: string | null;
  /** ms since epoch; null = does not expire. */
  expiresAt: number | null;
  /** Talk seconds the buyer asked for (its bid response); null = not given. */
  requiredTalkSeconds: number | null;
  /** Talk seconds that make the call a conversion: requiredTalkSeconds, else the target's; null = the campaign's. */
  conversionSeconds: number | null;
  ringTimeoutS: number;
  priority: number;
  weight: number;
  /** The target asks for a confirmation (post) before it gets the call. */
  confirm: boolean;
  caps: TargetCaps;
  concurrencyCap: number | null;
  /** 1 = best. */
  rank: number;
}

export interface Rejection extends PingFacts {
  targetId: string;
  buyerId: string;
  kind: TargetKind;
  reason: RejectReason;
  /** The amount when one was read (below_floor, expired). */
  revenue: string | null;
  bidId: string | null;
}

export interface Skip {
  targetId: string;
  buyerId: string;
  reason: SkipReason;
}

export interface AuctionResult {
  auctionId: string;
  callId: string;
  tenantId: string;
  campaignId: string;
  caller: string;
  tags: Readonly<Record<string, string>>;
  startedAt: number;
  closedAt: number;
  /** Wall time from start to the ranked result, ms (fractional). */
  durationMs: number;
  /** Where the time went: eligibility done (pings sent next), last ping settled; ms from start. */
  timing: { eligibilityMs: number; answeredMs: number };
  deadlineMs: number;
  floor: string;
  /** The campaign's conversion seconds (for bids whose target and response name none). */
  campaignConversionSeconds: number;
  dupRoutingWindowS: number;
  /** all_answered: every ping answered or failed before the deadline; no_pings: nothing to wait for. */
  closedBy: 'all_answered' | 'deadline' | 'no_pings';
  /** Valid bids, best first. */
  bids: Bid[];
  rejected: Rejection[];
  skipped: Skip[];
}

/** A bid the call is now sent to: its cap/concurrency slot is held under `member`. */
export interface Award {
  auctionId: string;
  callId: string;
  tenantId: string;
  campaignId: string;
  caller: string;
  bid: Bid;
  /** Index in result.bids (the next award starts after it). */
  index: number;
  /** The reservation's member in the target's live set. */
  member: string;
  reservedAt: number;
  dupRoutingWindowS: number;
  campaignConversionSeconds: number;
  /** Bids passed over on the way, with why. */
  passed: Array<{ targetId: string; reason: ClaimRefusal }>;
}

/** Why a bid could not be taken at award time. */
export type ClaimRefusal =
  | 'expired'
  | 'confirm_refused'
  | 'confirm_failed'
  | 'target_gone'
  | Exclude<SkipReason, 'closed' | 'filters' | 'duplicate_caller' | 'misconfigured'>;

/** What the service needs of an auction to take one of its bids (an AuctionResult has it all). */
export interface ClaimContext {
  auctionId: string;
  callId: string;
  tenantId: string;
  campaignId: string;
  caller: string;
  tags: Readonly<Record<string, string>>;
}
