// Every Redis key the service uses, one function per key kind. Keys of one call or one pool share a
// hash tag ({...}) so they stay on one slot in Redis Cluster.
export const redisKeys = {
  session: (tokenHash: string) => `session:${tokenHash}`,
};
