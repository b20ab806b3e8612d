// A small time-to-live cache for the lease path's lookups of rarely changing rows (campaign by
// public key, pools of a campaign, pools known to Redis). Unlike common/TtlCache it hands out a
// loaded value synchronously (`peek`), so a request that hits the cache waits on no promise.
// Concurrent misses share one load; a load that started before `delete`/`clear` is not kept.
export class HotCache<K, V extends NonNullable<unknown> | null> {
  private readonly values = new Map<K, { value: V; until: number }>();
  private readonly loading = new Map<K, Promise<V>>();
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /** The value loaded less than `ttlMs` ago, else undefined. */
  peek(key: K): V | undefined {
    const hit = this.values.get(key);
    return hit !== undefined && hit.until > Date.now() ? hit.value : undefined;
  }

  get(key: K, load: () => Promise<V>): Promise<V> {
    const hit = this.peek(key);
    if (hit !== undefined) return Promise.resolve(hit);
    const pending = this.loading.get(key);
    if (pending) return pending;
    const generation = this.generation;
    const started = Date.now();
    const loaded = load().then(
      (value) => {
        if (this.loading.get(key) === loaded) this.loading.delete(key);
        if (generation === this.generation) {
          if (this.values.size >= this.maxEntries) this.values.clear();
          this.values.set(key, { value, until: started + this.ttlMs });
        }
        return value;
      },
      (e: unknown) => {
        if (this.loading.get(key) === loaded) this.loading.delete(key);
        throw e;
      },
    );
    this.loading.set(key, loaded);
    return loaded;
  }

  delete(key: K): void {
    this.generation++;
    this.values.delete(key);
    this.loading.delete(key);
  }

  clear(): void {
    this.generation++;
    this.values.clear();
    this.loading.clear();
  }
}
