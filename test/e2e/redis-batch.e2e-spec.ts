// RedisBatch against the real Redis of the test run: a turn's commands (plain ones and scripts defined on
// the client) leave in one socket write and come back with their own replies, in issue order, and a
// script the server does not know (first use on a connection, or after SCRIPT FLUSH) still runs.
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { RedisBatch } from '../../src/infra/redis/redis-batch';
import { redisConnectionOptions } from '../../src/infra/redis/redis-url';

type Scripted = Redis & { batchTestIncr(key: string, by: number): Promise<number> };

describe('RedisBatch on a real Redis', () => {
  let client: Scripted;
  let admin: Redis;
  const prefix = `batch-test:${randomUUID()}`;

  beforeAll(async () => {
    const url = process.env.CB_TEST_REDIS_URL!;
    client = new Redis({ ...redisConnectionOptions(url), enableAutoPipelining: true }) as Scripted;
    admin = new Redis(redisConnectionOptions(url));
    client.defineCommand('batchTestIncr', {
      numberOfKeys: 1,
      lua: "return redis.call('INCRBY', KEYS[1], ARGV[1])",
    });
    await client.ping();
  });

  afterAll(async () => {
    const keys = await admin.keys(`${prefix}:*`);
    if (keys.length) await admin.del(...keys);
    await Promise.all([client.quit(), admin.quit()]);
  });

  /** Counts the socket writes of `client` while `fn` runs. */
  async function writesDuring(fn: () => Promise<unknown>): Promise<number> {
    type Write = (this: unknown, ...args: unknown[]) => unknown;
    const stream = (client as unknown as { stream: { _write: Write; _writev: Write } }).stream;
    const { _write, _writev } = stream;
    let writes = 0;
    stream._write = function (...args: unknown[]) {
      writes++;
      return _write.apply(this, args);
    };
    stream._writev = function (...args: unknown[]) {
      writes++;
      return _writev.apply(this, args);
    };
    try {
      await fn();
    } finally {
      stream._write = _write;
      stream._writev = _writev;
    }
    return writes;
  }

  it('writes a turn of plain and scripted commands once, each with its own reply in order', async () => {
    const batch = new RedisBatch(client);
    const key = `${prefix}:a`;
    let replies: unknown[] = [];
    const writes = await writesDuring(async () => {
      replies = await Promise.all([
        batch.send((p) => p.set(key, '1')),
        batch.send((p) => (p as Scripted).batchTestIncr(key, 5)),
        batch.send((p) => p.get(key)),
        batch.send((p) => p.call('NOSUCHCOMMAND')).catch((e: Error) => e.message),
        batch.send((p) => (p as Scripted).batchTestIncr(key, 1)),
      ]);
    });
    expect(writes).toBe(1);
    expect(replies[0]).toBe('OK');
    expect(replies[1]).toBe(6);
    expect(replies[2]).toBe('6');
    expect(String(replies[3])).toMatch(/unknown command/i);
    expect(replies[4]).toBe(7);
  });

  it('runs a script the server has forgotten (NOSCRIPT: sent again with its body)', async () => {
    const batch = new RedisBatch(client);
    const key = `${prefix}:b`;
    await batch.send((p) => (p as Scripted).batchTestIncr(key, 2));
    await admin.script('FLUSH');
    const [a, b] = await Promise.all([
      batch.send((p) => (p as Scripted).batchTestIncr(key, 3)),
      batch.send((p) => (p as Scripted).batchTestIncr(key, 4)),
    ]);
    expect([a, b]).toEqual([5, 9]);
    expect(await admin.get(key)).toBe('9');
  });

  it('queues commands issued before the connection is ready and sends them once it is', async () => {
    const late = new Redis({ ...redisConnectionOptions(process.env.CB_TEST_REDIS_URL!), lazyConnect: true });
    try {
      const batch = new RedisBatch(late);
      const key = `${prefix}:c`;
      const reply = batch.send((p) => p.incrby(key, 3));
      await expect(reply).resolves.toBe(3);
      expect(late.status).toBe('ready');
    } finally {
      await late.quit();
    }
  });
});
