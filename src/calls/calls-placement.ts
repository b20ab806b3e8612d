// Which parts of call handling this instance runs (features.ts, CallsModule.register).
export interface CallsPlacement {
  /** Takes Telnyx webhooks and answers new callers. */
  ingress: boolean;
  /** Drives the calls api instances hand over (CALL_HANDOFF, src/calls/call-handoff.service.ts). */
  runner: boolean;
}

export const CALLS_PLACEMENT = Symbol('CALLS_PLACEMENT');
