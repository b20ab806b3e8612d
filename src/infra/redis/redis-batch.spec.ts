import type Redis from 'ioredis';
import { spareTime } from '../../common/spare-time';
import { RedisBatch } from './redis-batch';

/**
 * A client whose pipelines record their commands and answer each with its name, or fail 'boom'.
 * `held`: each pipeline answers only when its entry in `answer` is called.
 */
function fakeClient(held = false) {
  const sent: string[][] = [];
  const answer: (() => void)[] = [];
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
          const replies = names.map((n) => (n === 'boom' ? [new Error('boom'), null] : [null, `ok ${n}`]));
          if (!held) return Promise.resolve(replies);
          return new Promise((resolve) => answer.push(() => resolve(replies)));
        },
      };
      return p;
    },
  };
  return { client: client as unknown as Redis, sent, answer };
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

  it('sends what jobs of a spare-time slice queued with the slice, not a turn later', async () => {
    const { client, sent } = fakeClient();
    const batch = RedisBatch.for(client);
    const seen: number[] = [];
    await new Promise<void>((done) =>
      spareTime.run(() => {
        void batch.send((p) => p.zadd('k', 1, 'a'));
        // The next turn's timers, before its check phase: by then the pipeline must have left.
        setTimeout(() => {
          seen.push(sent.length);
          done();
        }, 0);
        const until = performance.now() + 2;
        while (performance.now() < until); // the timer is due when the turn ends
      }),
    );
    expect(seen).toEqual([1]);
    expect(sent).toEqual([['zadd k 1 a']]);
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

// The DNI lease path's policy (src/dni/dni-redis-turn.ts): one pipeline awaiting its replies at most.
describe('RedisBatch with one pipeline in flight', () => {
  it('holds later turns while a pipeline is out, then sends them together', async () => {
    const { client, sent, answer } = fakeClient(true);
    const batch = new RedisBatch(client, 1);
    const replies: unknown[] = [];
    const hooked: number[] = [];
    batch.beforeEachSend(() => hooked.push(sent.length));
    const a = batch.send((p) => p.zadd('k', 1, 'a'));
    const b = batch.send((p) => p.zadd('k', 2, 'b'));
    expect(sent).toEqual([]);
    await nextTurn();
    expect(sent).toEqual([['zadd k 1 a', 'zadd k 2 b']]);
    expect(hooked).toEqual([0]);

    void batch.send((p) => p.zadd('k', 3, 'c')).then((v) => replies.push(v));
    await nextTurn();
    void batch.send((p) => p.zadd('k', 4, 'd')).then((v) => replies.push(v));
    await nextTurn();
    expect(sent).toHaveLength(1); // the first pipeline is still out

    answer[0]();
    expect(await Promise.all([a, b])).toEqual(['ok zadd k 1 a', 'ok zadd k 2 b']);
    await nextTurn();
    expect(sent[1]).toEqual(['zadd k 3 c', 'zadd k 4 d']);
    answer[1]();
    await nextTurn();
    expect(replies).toEqual(['ok zadd k 3 c', 'ok zadd k 4 d']);
  });

  it('gives each command its own error, and sends at once again when idle', async () => {
    const { client, sent, answer } = fakeClient(true);
    const batch = new RedisBatch(client, 1);
    const ok = batch.send((p) => p.zadd('k', 1, 'ok'));
    const bad = batch.send((p) => (p as unknown as { boom(): unknown }).boom());
    await nextTurn();
    answer[0]();
    await expect(ok).resolves.toBe('ok zadd k 1 ok');
    await expect(bad).rejects.toThrow('boom');
    const later = batch.send((p) => p.zadd('k', 2, 'later'));
    await nextTurn();
    expect(sent).toEqual([['zadd k 1 ok', 'boom'], ['zadd k 2 later']]);
    answer[1]();
    await expect(later).resolves.toBe('ok zadd k 2 later');
  });
});
