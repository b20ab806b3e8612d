// A read-through cache for the auction's lookups (campaign, its targets) that never makes a call wait
// for a reload it does not need: a value older than `freshMs` is still served while one reload runs in
// the background; only a missing value, or one older than `maxStaleMs`, is waited for. So a change to a
// target reaches auctions within about `freshMs` (plus one reload), and no auction pays a database round
// trip on the hot path once the campaign is warm.
export class RefreshingCache<K, V> {
  private readonly entries = new Map<K, { value: V; at: number; reloading?: Promise<V> }>();
  private readonly pending = new Map<K, Promise<V>>();

  constructor(
    private readonly freshMs: number,
    private readonly maxStaleMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: K, load: () => Promise<V>): Promise<V> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at <= this.maxStaleMs) {
      if (now - hit.at > this.freshMs && !hit.reloading) {
        hit.reloading = this.load(key, load);
        hit.reloading.catch(() => {
          hit.reloading = undefined;
        });
      }
      return Promise.resolve(hit.value);
    }
    return this.pending.get(key) ?? this.load(key, load);
  }

  /** Forgets a key (the next get waits for a load). */
  delete(key: K): void {
    this.entries.delete(key);
  }

  private load(key: K, load: () => Promise<V>): Promise<V> {
    const p = load().then(
      (value) => {
        if (this.entries.size >= this.maxEntries && !this.entries.has(key)) this.entries.clear();
        this.entries.set(key, { value, at: Date.now() });
        this.pending.delete(key);
        return value;
      },
      (e: unknown) => {
        this.pending.delete(key);
        throw e;
      },
    );
    this.pending.set(key, p);
    return p;
  }
}
