import { RefreshingCache } from './refreshing-cache';

describe('RefreshingCache', () => {
  let now = 1_000_000;
  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  it('loads once for concurrent misses, then serves the value', async () => {
    const cache = new RefreshingCache<string, number>(100, 1000);
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    expect(await Promise.all([cache.get('k', load), cache.get('k', load)])).toEqual([1, 1]);
    expect(await cache.get('k', load)).toBe(1);
    expect(loads).toBe(1);
  });

  it('serves a stale value at once while one reload runs, then the reloaded one', async () => {
    const cache = new RefreshingCache<string, number>(100, 1000);
    let release!: (v: number) => void;
    await cache.get('k', () => Promise.resolve(1));
    now += 150;
    let reloads = 0;
    const slow = () => {
      reloads++;
      return new Promise<number>((r) => (release = r));
    };
    expect(await cache.get('k', slow)).toBe(1);
    expect(await cache.get('k', slow)).toBe(1);
    expect(reloads).toBe(1);
    release(2);
    await new Promise((r) => setImmediate(r));
    expect(await cache.get('k', slow)).toBe(2);
  });

  it('waits for a load when the value is older than the stale limit, or after a failed load', async () => {
    const cache = new RefreshingCache<string, number>(100, 1000);
    await cache.get('k', () => Promise.resolve(1));
    now += 1001;
    expect(await cache.get('k', () => Promise.resolve(2))).toBe(2);
    await expect(cache.get('other', () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await cache.get('other', () => Promise.resolve(3))).toBe(3);
  });

  it('keeps serving the old value when a background reload fails, and retries', async () => {
    const cache = new RefreshingCache<string, number>(100, 1000);
    await cache.get('k', () => Promise.resolve(1));
    now += 200;
    expect(await cache.get('k', () => Promise.reject(new Error('blip')))).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(await cache.get('k', () => Promise.resolve(5))).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(await cache.get('k', () => Promise.resolve(6))).toBe(5);
  });
});
