// Work that can wait a little, run in slices so it never stands long between the event loop and its
// sockets. Under load a turn of the loop grows with everything that became ready during the previous
// one, and a reply somebody waits for right now (a new caller's Redis round trip on the way to the
// answer command) sits unread in its socket until the turn ends. Jobs given here run in the loop's check
// phase, first in first out, for at most `budgetMs` per turn (and at least one job); what is left runs
// in the next turns, each of which first reads the sockets again.
//
// "A little" is bounded: a job never waits much longer than `maxWaitMs`. When the oldest job has waited
// that long, the slice goes on past its budget until the queue is younger again, so under a load where
// the slices fall behind the work is done first in first out, as without this queue, rather than
// piling up (the deferred work holds calls' locks and leads to their next commands). Webhook intake is
// not deferred: taking every webhook in here too kept 1–2 % of acks over 50 ms at 200 calls/s.
//
// One queue per process (like setImmediate, which it builds on): slices of several queues would add up.
// A job's synchronous part and the promise reactions it starts at once are counted in the budget;
// whatever it awaits later runs when its own I/O completes.

import { Logger } from '@nestjs/common';

export type Job = () => unknown;

export class SpareTime {
  private queue: (Job | undefined)[] = [];
  /** When each job was queued (performance.now()), index for index with `queue`. */
  private queuedAt: number[] = [];
  private head = 0;
  private scheduled = false;
  private slicing = false;

  constructor(
    private readonly budgetMs = 1.5,
    private readonly maxWaitMs = 10,
  ) {}

  /**
   * True while a slice runs. A setImmediate queued now fires only in the next turn, after the loop
   * has polled again; work that should leave with the slice (a Redis batch) uses process.nextTick.
   */
  get inSlice(): boolean {
    return this.slicing;
  }

  /** Jobs waiting for a slice. */
  get backlog(): number {
    return this.queue.length - this.head;
  }

  /** Runs `job` in a later slice. A job handles its own failures; one that throws anyway is logged. */
  run(job: Job): void {
    this.queue.push(job);
    this.queuedAt.push(performance.now());
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
    let now: number;
    this.slicing = true;
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
      now = performance.now();
    } while (this.head < this.queue.length && (now < end || now - this.queuedAt[this.head] > this.maxWaitMs));
    this.slicing = false;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.queuedAt = [];
      this.head = 0;
      this.scheduled = false;
    } else {
      // Under a steady backlog the queue may never run empty: drop the done part now and then.
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.queuedAt = this.queuedAt.slice(this.head);
        this.head = 0;
      }
      setImmediate(this.slice);
    }
  }
}

/** The process's queue of work that can wait a little. */
export const spareTime = new SpareTime();
