import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('applies embedded defaults when nothing is set', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.role).toBe('all');
    expect(c.database.url).toBeUndefined();
    expect(c.redis.url).toBeUndefined();
    expect(c.clickhouse.url).toBeUndefined();
    expect(c.dataDir.endsWith('.data')).toBe(true);
    expect(c.publicBaseUrl).toBe('http://localhost:3000');
    expect(c.allowPrivateTargets).toBe(true);
  });

  it('names every bad variable', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'abc', APP_ROLE: 'boss', DATABASE_URL: 'mysql://x', TELNYX_PUBLIC_KEY: 'short' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    for (const name of ['PORT', 'APP_ROLE', 'DATABASE_URL', 'TELNYX_PUBLIC_KEY']) expect(msg).toContain(name);
  });

  it('treats an empty string as unset and keeps real servers when URLs are given', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/x',
      REDIS_URL: 'redis://r:6379',
      CLICKHOUSE_URL: 'http://ch:8123',
      TELNYX_API_KEY: '',
      PUBLIC_BASE_URL: 'https://calls.example.com/',
    });
    expect(c.database.url).toBe('postgres://u:p@db:5432/x');
    expect(c.telnyx.apiKey).toBeUndefined();
    expect(c.publicBaseUrl).toBe('https://calls.example.com');
    expect(loadConfig({ REDIS_URL: 'unix:///run/redis/redis.sock?db=1' }).redis.url).toBe(
      'unix:///run/redis/redis.sock?db=1',
    );
  });

  it('refuses a Redis URL the client could not connect with, saying why', () => {
    for (const [value, why] of [
      ['redis://r:6379/x', /database must be a number/],
      ['unix://', /needs a socket path/],
      ['http://r:6379', /unsupported protocol/],
      ['not a url', /not a URL/],
    ] as const) {
      expect(() => loadConfig({ REDIS_URL: value })).toThrow(ConfigError);
      expect(() => loadConfig({ REDIS_URL: value })).toThrow(why);
    }
  });

  it('denies private targets by default when a real Telnyx key is configured', () => {
    expect(loadConfig({ TELNYX_API_KEY: 'KEY123' }).allowPrivateTargets).toBe(false);
    expect(loadConfig({ TELNYX_API_KEY: 'KEY123', ALLOW_PRIVATE_TARGETS: 'true' }).allowPrivateTargets).toBe(
      true,
    );
  });

  it('hands calls off only from instances that take webhooks, and takes a nice value', () => {
    expect(loadConfig({}).calls.handoff).toBe(false);
    expect(loadConfig({ APP_ROLE: 'api', CALL_HANDOFF: 'true' }).calls.handoff).toBe(true);
    expect(loadConfig({ APP_ROLE: 'calls' }).role).toBe('calls');
    for (const role of ['worker', 'calls']) {
      expect(() => loadConfig({ APP_ROLE: role, CALL_HANDOFF: '1' })).toThrow(
        /CALL_HANDOFF: applies to instances that take Telnyx webhooks/,
      );
    }
    expect(() => loadConfig({ CALL_HANDOFF: 'maybe' })).toThrow(/CALL_HANDOFF/);
    expect(loadConfig({ PROCESS_NICE: '10' }).processNice).toBe(10);
    expect(() => loadConfig({ PROCESS_NICE: '20' })).toThrow(/PROCESS_NICE/);
  });
});
