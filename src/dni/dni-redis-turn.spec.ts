// The turn pipeline's batching: one pipeline per turn, one pipeline out at a time, replies and
// errors to the command that asked. Against a stand-in client that records what each pipeline
// carried and answers when the test says so (the real Redis is in test/e2e/dni.e2e-spec.ts).
import type { RedisService } from '../infra/redis/redis.service';
import { DniRedisTurn } from './dni-redis-turn';

function fakeRedis() {
  const sent: string[][] = [];
  const answer: (() => void)[] = [];
  const client = {
    pipeline() {
      const names: string[] = [];
      const p = {
        get length() {
          return names.length;
        },
        get(key: string) {
          names.push(key);
          return p;
        },
        exec() {
          sent.push(names);
          return new Promise((resolve) =>
            answer.push(() =>
              resolve(names.map((n) => (n === 'boom' ? [new Error('boom'), null] : [null, `v ${n}`]))),
            ),
          );
        },
      };
      return p;
    },
  };
  return { redis: { client } as unknown as RedisService, sent, answer };
}

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('DniRedisTurn', () => {
  it('sends one pipeline per turn, holds later turns while it is out, then sends them together', async () => {
    const { redis, sent, answer } = fakeRedis();
    const turn = new DniRedisTurn(redis);
    const replies: unknown[] = [];
    const hooked: number[] = [];
    turn.beforeEachSend(() => hooked.push(sent.length));
    const a = turn.send((p) => p.get('a'));
    const b = turn.send((p) => p.get('b'));
    expect(sent).toEqual([]);
    await nextTurn();
    expect(sent).toEqual([['a', 'b']]);
    expect(hooked).toEqual([0]);

    void turn.send((p) => p.get('c')).then((v) => replies.push(v));
    await nextTurn();
    void turn.send((p) => p.get('d')).then((v) => replies.push(v));
    await nextTurn();
    expect(sent).toHaveLength(1); // the first pipeline is still out

    answer[0]();
    expect(await Promise.all([a, b])).toEqual(['v a', 'v b']);
    await nextTurn();
    expect(sent).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    answer[1]();
    await nextTurn();
    expect(replies).toEqual(['v c', 'v d']);
  });

  it('gives each command its own error, and sends at once again when idle', async () => {
    const { redis, sent, answer } = fakeRedis();
    const turn = new DniRedisTurn(redis);
    const ok = turn.send((p) => p.get('ok'));
    const bad = turn.send((p) => p.get('boom'));
    await nextTurn();
    answer[0]();
    await expect(ok).resolves.toBe('v ok');
    await expect(bad).rejects.toThrow('boom');
    const later = turn.send((p) => p.get('later'));
    await nextTurn();
    expect(sent).toEqual([['ok', 'boom'], ['later']]);
    answer[1]();
    await expect(later).resolves.toBe('v later');
  });
});
