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
};
