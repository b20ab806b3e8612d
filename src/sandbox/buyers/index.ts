// Public entry of the sandbox bidders (see sandbox-bidders.ts).
export { SandboxBidders, behaviourOf, bidderBid, bidderLatency } from './sandbox-bidders';
export { CONFIRM_MODES, DEFAULT_BEHAVIOUR, PING_MODES } from './bidder-types';
export type {
  BidderBehaviour,
  BidderRequest,
  BidderStats,
  ConfirmMode,
  PingMode,
  Range,
} from './bidder-types';
