// Every Redis key the service uses, one function per key kind. Keys of one call or one pool share a
// hash tag ({...}) so they stay on one slot in Redis Cluster.
export const redisKeys = {
  session: (tokenHash: string) => `session:${tokenHash}`,
  /** The DNI pool's allocator keys, all on one Cluster slot. */
  dniPool: (poolId: string) => {
    const tag = `{dni:${poolId}}`;
    return [
      `${tag}:leases`,
      `${tag}:free`,
      `${tag}:holder`,
      `${tag}:bysid`,
      `${tag}:prev`,
      `${tag}:start`,
      `${tag}:stats`,
      `${tag}:fp`,
    ] as const;
  },
  dniPoolSynced: (poolId: string) => `{dni:${poolId}}:synced`,
  /** A visitor session's attribution (TTL = the campaign's attribution window). */
  dniSession: (sid: string) => `dni:s:${sid}`,
  /** The session that clicked a tel: link to this number (TTL 120 s). */
  dniClick: (number: string) => `dni:click:${number}`,
  /** The session a caller was last attributed to, per tenant (repeat callers). */
  dniCaller: (tenantId: string, caller: string) => `dni:caller:${tenantId}:${caller}`,
  /** Sessions waiting to be copied to ClickHouse dni_session. */
  dniExportQueue: () => 'dni:export',

  // --- live calls (src/calls, src/telephony). One call's keys share the hash tag {call:<session id>}. ---
  /** Event ids of the call already taken in (webhook dedupe on data.id), hash field per id. */
  callSeen: (sessionId: string) => `{call:${sessionId}}:seen`,
  /** Normalised webhook events of the call waiting to be applied, in arrival order (list). */
  callInbox: (sessionId: string) => `{call:${sessionId}}:inbox`,
  /** The call's state machine as JSON. */
  callState: (sessionId: string) => `{call:${sessionId}}:state`,
  /** Per-call lock (token, PX) held while an instance applies events and sends commands. */
  callLock: (sessionId: string) => `{call:${sessionId}}:lock`,
  /** Set by an instance that found the call locked: the holder drains again before letting go. */
  callWake: (sessionId: string) => `{call:${sessionId}}:wake`,
  /** Session ids by the time their timers are due (sweeper; also the takeover net for dead owners). */
  callsDue: () => 'calls:due',
  /** Session ids of calls an api instance handed to the call runners (list; runners pop them). */
  callsWake: () => 'calls:wake',
  /** Live calls of a tenant (session ids), for GET /calls/live. */
  callsLive: (tenantId: string) => `calls:live:${tenantId}`,
  /** A target's live calls: sorted set member = call:attempt, score = expiry (crash backstop). */
  targetLive: (targetId: string) => `{tgt:${targetId}}:live`,
  /** A target's cap counter: kind calls|conv|rev, period h|d|m|t, bucket e.g. 2026051923. */
  targetCounter: (targetId: string, kind: 'calls' | 'conv' | 'rev', period: string, bucket: string) =>
    `{tgt:${targetId}}:${kind}:${period}:${bucket}`,
  /** Guard making a cap reservation / conversion count happen once per call attempt. */
  targetGuard: (targetId: string, what: string, id: string) => `{tgt:${targetId}}:g:${what}:${id}`,
  /** The call that first came from this caller in the campaign's payout-duplicate window. */
  dupPayout: (campaignId: string, caller: string) => `dup:pay:${campaignId}:${caller}`,
  /** Buyers this caller was connected to in the campaign (hash buyer id → ms), routing duplicates. */
  dupRouted: (campaignId: string, caller: string) => `dup:route:${campaignId}:${caller}`,

  // --- auction (src/auction) ---
  /** A target's last answer to this caller in this campaign (TTL = its cache window), on the target's slot. */
  bidCache: (targetId: string, campaignId: string, caller: string) =>
    `{tgt:${targetId}}:bid:${campaignId}:${caller}`,
  /** bid_log rows waiting to be copied to ClickHouse (list of JSON rows). */
  bidLogQueue: () => 'auction:bidlog',
};
