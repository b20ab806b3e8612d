// Work that can wait a little, run in slices so it never stands long between the event loop and its
// sockets. Under load a turn of the loop grows with everything that became ready during the previous
// one, and a reply somebody waits for right now (a new caller's Redis round trip on the way to the
// answer command) sits unread in its socket until the turn ends. Jobs given here run in the loop's check
// phase, first in first out, for at most `budgetMs` per turn (and at least one job); what is left runs
// in the next turns, each of which first reads the sockets again.
//
// One queue per process (like setImmediate, which it builds on): slices of several queues would add up.
// A job's synchronous part and the promise reactions it starts at once are counted in the budget;
// whatever it awaits later runs when its own I/O completes.
import { Logger } from '@nestjs/common';

export type Job = () => unknown;

export class SpareTime {
  private queue: (Job | undefined)[] = [];
  private head = 0;
  private scheduled = false;

  constructor(private readonly budgetMs = 1.5) {}

  /** Jobs waiting for a slice. */
  get backlog(): number {
    return this.queue.length - this.head;
  }

  /** Runs `job` in a later slice. A job handles its own failures; one that throws anyway is logged. */
  run(job: Job): void {
    this.queue.push(job);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.slice);
    }
  }

  /** Resolves in a later slice: `await spare.turn()` moves the rest of an async function there. */
  turn(): Promise<void> {
    return new Promise<void>((resolve) => this.run(resolve));
  }

  private readonly slice = (): void => {
    void this.drain();
  };

  private async drain(): Promise<void> {
    const end = performance.now() + this.budgetMs;
    do {
      const job = this.queue[this.head];
      this.queue[this.head++] = undefined;
      try {
        job!();
      } catch (e) {
        new Logger('SpareTime').error({ err: e }, 'a deferred job threw');
      }
      // Let the reactions the job set off right away (an awaiter resumed by turn(), a handler's first
      // steps) run before the clock is read, so they count against this slice.
      await undefined;
      await undefined;
    } while (this.head < this.queue.length && performance.now() < end);
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
      this.scheduled = false;
    } else {
      setImmediate(this.slice);
    }
  }
}

/** The process's queue of work that can wait a little. */
export const spareTime = new SpareTime();
