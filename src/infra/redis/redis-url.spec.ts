import { redisConnectionOptions } from './redis-url';

describe('redisConnectionOptions', () => {
  it('reads host, port, credentials and database of redis:// and rediss://', () => {
    expect(redisConnectionOptions('redis://:s%40cret@redis.internal:6380/2')).toEqual({
      host: 'redis.internal',
      port: 6380,
      username: undefined,
      password: 's@cret',
      db: 2,
      tls: undefined,
    });
    expect(redisConnectionOptions('rediss://app:pw@cache.example.com')).toMatchObject({
      host: 'cache.example.com',
      port: 6379,
      username: 'app',
      password: 'pw',
      db: 0,
      tls: {},
    });
    expect(redisConnectionOptions('redis://[::1]:7000')).toMatchObject({ host: '::1', port: 7000 });
  });

  it('reads a Unix socket path (percent-decoded), its database and password', () => {
    expect(redisConnectionOptions('unix:///var/run/redis/redis%20a.sock?db=3&password=pw')).toEqual({
      path: '/var/run/redis/redis a.sock',
      username: undefined,
      password: 'pw',
      db: 3,
    });
    expect(redisConnectionOptions('unix:///tmp/r.sock')).toMatchObject({ path: '/tmp/r.sock', db: 0 });
  });

  it('refuses what it cannot connect to', () => {
    expect(() => redisConnectionOptions('unix://')).toThrow(/socket path/);
    expect(() => redisConnectionOptions('redis://host/x')).toThrow(/database/);
    expect(() => redisConnectionOptions('unix:///tmp/r.sock?db=-1')).toThrow(/database/);
    expect(() => redisConnectionOptions('http://host')).toThrow(/protocol/);
  });
});
