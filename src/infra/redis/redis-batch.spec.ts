import type Redis from 'ioredis';
import { RedisBatch } from './redis-batch';

/** A client whose pipelines record their commands and answer each with its name, or fail 'boom'. */
function fakeClient() {
  const sent: string[][] = [];
  const client = {
    pipeline() {
      const names: string[] = [];
      const p = {
        get length() {
          return names.length;
        },
        zadd(...args: unknown[]) {
          names.push(`zadd ${args.join(' ')}`);
          return p;
        },
        boom() {
          names.push('boom');
          return p;
        },
        exec() {
          sent.push(names);
          return Promise.resolve(
            names.map((n) => (n === 'boom' ? [new Error('boom'), null] : [null, `ok ${n}`])),
          );
        },
      };
      return p;
    },
  };
  return { client: client as unknown as Redis, sent };
}

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('RedisBatch', () => {
  it('sends the commands of one turn as one pipeline, in issue order, each with its own reply', async () => {
    const { client, sent } = fakeClient();
    const batch = RedisBatch.for(client);
    const a = batch.send((p) => p.zadd('k', 1, 'a'));
    const b = batch.send((p) => p.zadd('k', 2, 'b'));
    expect(sent).toHaveLength(0);
    await expect(Promise.all([a, b])).resolves.toEqual(['ok zadd k 1 a', 'ok zadd k 2 b']);
    expect(sent).toEqual([['zadd k 1 a', 'zadd k 2 b']]);
  });

  it('sends a command marked soon at the end of the tick, with what was queued before it', async () => {
    const { client, sent } = fakeClient();
    const batch = RedisBatch.for(client);
    void batch.send((p) => p.zadd('k', 1, 'a'));
    const soon = batch.send((p) => p.zadd('k', 2, 'b'), true);
    await Promise.resolve();
    await new Promise((r) => process.nextTick(r));
    expect(sent).toEqual([['zadd k 1 a', 'zadd k 2 b']]);
    await soon;
    // The turn's own flush finds nothing left to send.
    await nextTurn();
    expect(sent).toHaveLength(1);
  });

  it('fails only the command that failed', async () => {
    const { client } = fakeClient();
    const batch = RedisBatch.for(client);
    const good = batch.send((p) => p.zadd('k', 1, 'a'));
    const bad = batch.send((p) => (p as unknown as { boom(): unknown }).boom());
    await expect(good).resolves.toBe('ok zadd k 1 a');
    await expect(bad).rejects.toThrow('boom');
  });

  it('refuses a call that adds no command or several', () => {
    const { client } = fakeClient();
    const batch = RedisBatch.for(client);
    expect(() => batch.send(() => undefined)).toThrow('exactly one command');
  });
});
