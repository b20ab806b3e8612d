import IORedis from 'ioredis';
import { spareTime } from '../../common/spare-time';
import { RedisBatch } from './redis-batch';

/**
 * An ioredis client that never connects and whose written commands (a batch is what reaches
 * sendCommand in one go) are recorded and answered with their name, or fail 'boom'. `held`: each
 * batch answers only when its entry in `answer` is called.
 */
function fakeClient(held = false) {
  const sent: string[][] = [];
  const answer: (() => void)[] = [];
  const client = new IORedis({ lazyConnect: true });
  type Cmd = {
    name: string;
    args: unknown[];
    resolve(v: unknown): void;
    reject(e: Error): void;
    promise: Promise<unknown>;
  };
  let current: Cmd[] | undefined;
  (client as unknown as { sendCommand(c: Cmd): Promise<unknown> }).sendCommand = (c: Cmd) => {
    if (!current) {
      const batch: Cmd[] = (current = []);
      sent.push([]);
      const reply = () => {
        for (const x of batch) {
          if (x.name === 'boom') x.reject(new Error('boom'));
          else x.resolve(`ok ${x.name} ${x.args.join(' ')}`);
        }
      };
      // The batch is whatever is written before the tick ends.
      process.nextTick(() => {
        current = undefined;
        if (held) answer.push(reply);
        else reply();
      });
    }
    current.push(c);
    sent[sent.length - 1].push(c.name === 'boom' ? 'boom' : `${c.name} ${c.args.join(' ')}`);
    return c.promise;
  };
  return { client, sent, answer };
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
    const bad = batch.send((p) => p.call('boom'));
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
    const bad = batch.send((p) => p.call('boom'));
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
