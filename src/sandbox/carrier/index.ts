// Public entry of the sandbox carrier (see sandbox-carrier.ts).
export {
  SandboxCarrier,
  DEFAULT_CONNECTION_ID,
  DEFAULT_DESTINATION,
  DEFAULT_TIMING,
} from './sandbox-carrier';
export type {
  ApiExchange,
  CarrierEvents,
  CarrierStats,
  EmittedWebhook,
  InjectedFault,
} from './sandbox-carrier';
export type {
  CallSnapshot,
  CallState,
  CarrierLogger,
  DestinationBehaviour,
  HangupCause,
  HangupSource,
  InboundCallOptions,
  SandboxCarrierOptions,
  SimulationTiming,
} from './carrier-types';
export { generateSigningKeys, loadOrCreateSigningKeys, SIGNING_KEYS_FILE } from './signing-keys';
export type { SigningKeys } from './signing-keys';
export { DEFAULT_DELIVERY_OPTIONS } from './webhook-dispatcher';
export type {
  DeliveryAttemptReport,
  DeliveryOptions,
  DeliveryStats,
  WebhookEventData,
} from './webhook-dispatcher';
export { TelnyxApiError } from './telnyx-errors';
