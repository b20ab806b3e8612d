import { SpareTime } from './spare-time';

const spin = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

/** Resolves once `test` holds, checking after every turn of the loop. */
const until = (test: () => boolean) =>
  new Promise<void>((resolve) => {
    const check = () => (test() ? resolve() : setImmediate(check));
    check();
  });

describe('SpareTime', () => {
  it('runs jobs first in first out, after the current synchronous work', async () => {
    const spare = new SpareTime(50);
    const order: number[] = [];
    for (let i = 0; i < 5; i++) spare.run(() => order.push(i));
    order.push(-1);
    await until(() => order.length === 6);
    expect(order).toEqual([-1, 0, 1, 2, 3, 4]);
    expect(spare.backlog).toBe(0);
  });

  it('stops a slice when its budget is spent and lets the loop read its sockets before the next', async () => {
    const spare = new SpareTime(2, Infinity);
    const log: string[] = [];
    for (let i = 0; i < 4; i++) {
      spare.run(() => {
        // A timer set by the first job stands for I/O that becomes ready while the slice runs.
        if (i === 0) setTimeout(() => log.push('timer'), 0);
        spin(3);
        log.push(`job${i}`);
      });
    }
    await until(() => log.length === 5);
    expect(log).toEqual(['job0', 'timer', 'job1', 'job2', 'job3']);
  });

  it('runs jobs that have waited longer than maxWaitMs without giving the turn back', async () => {
    // Budget 0: one job per slice, unless the jobs behind it have waited too long.
    const log = async (maxWaitMs: number) => {
      const spare = new SpareTime(0, maxWaitMs);
      const out: string[] = [];
      let done = 0;
      for (let i = 0; i < 10; i++) {
        spare.run(() => {
          spin(1.2);
          out.push('job');
          done++;
        });
      }
      const tick = () => {
        if (done < 10) {
          out.push('tick');
          setTimeout(tick, 0);
        }
      };
      setTimeout(tick, 0);
      await until(() => done === 10);
      // Ticks between the first job and the last: turns the loop took while the queue was not empty.
      return out.slice(out.indexOf('job'), out.lastIndexOf('job')).filter((x) => x === 'tick').length;
    };
    expect(await log(Infinity)).toBe(9);
    expect(await log(0)).toBe(0);
  });

  it('runs cheap jobs together in one slice', async () => {
    const spare = new SpareTime(50);
    const log: string[] = [];
    for (let i = 0; i < 100; i++) spare.run(() => log.push('job'));
    setTimeout(() => log.push('timer'), 0);
    await until(() => log.length === 101);
    // The timer may come before the slice (if due already) but never inside it.
    expect([0, 100]).toContain(log.indexOf('timer'));
  });

  it('resumes an awaiting function in a slice (turn)', async () => {
    const spare = new SpareTime(1);
    const log: string[] = [];
    const task = (async () => {
      log.push('before');
      await spare.turn();
      log.push('after');
    })();
    log.push('sync');
    await task;
    expect(log).toEqual(['before', 'sync', 'after']);
  });

  it('says it is in a slice only while one runs', async () => {
    const spare = new SpareTime(50);
    const seen: boolean[] = [spare.inSlice];
    spare.run(() => seen.push(spare.inSlice));
    await until(() => seen.length === 2);
    // The turns after the slice (an I/O callback's flush must wait for the end of its turn again).
    await new Promise((r) => setTimeout(r, 1));
    seen.push(spare.inSlice);
    expect(seen).toEqual([false, true, false]);
  });

  it('goes on after a job that throws', async () => {
    const spare = new SpareTime(50);
    const log: string[] = [];
    spare.run(() => {
      throw new Error('boom');
    });
    spare.run(() => log.push('next'));
    await until(() => log.length === 1);
    expect(log).toEqual(['next']);
    // And it still takes new work afterwards.
    spare.run(() => log.push('later'));
    await until(() => log.length === 2);
    expect(spare.backlog).toBe(0);
  });
});
