// The call path's Redis commands, sent once per turn of the event loop: every command issued during a
// turn goes out in one pipeline (one socket write) at the end of that turn. The client's own automatic
// pipelining batches too, but keeps only one batch in flight and holds every later command until that
// batch's replies are back; under load a webhook's command then waits a whole round trip of other
// calls' commands before it even leaves. Here each turn's batch leaves at once. Replies come back in
// order on the one connection, so commands issued one after the other are applied in that order.
// A command someone is waiting on right now (a new caller's webhook on the way to the answer command)
// is sent `soon`: at the end of the current tick, with whatever is queued, instead of the end of the turn.
//
// The pipelines mix keys of different hash slots (a call's keys and the global indexes); that is fine
// for the single-node client RedisService opens. A Redis Cluster client would need one batch per slot.
import type Redis from 'ioredis';

/** A pipeline as ioredis builds it (commands and the scripts defined on the client). */
export type Batch = ReturnType<Redis['pipeline']>;

interface Waiter {
  /** Position of the command in its pipeline. */
  at: number;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class RedisBatch {
  private static readonly byClient = new WeakMap<Redis, RedisBatch>();
  private pipeline: Batch | undefined;
  private waiters: Waiter[] = [];
  /** The current pipeline is already due at the end of this tick. */
  private hurried = false;

  private constructor(private readonly client: Redis) {}

  /** The batcher of this client, shared by every repository that uses it (one order for all). */
  static for(client: Redis): RedisBatch {
    let batch = RedisBatch.byClient.get(client);
    if (!batch) {
      batch = new RedisBatch(client);
      RedisBatch.byClient.set(client, batch);
    }
    return batch;
  }

  /** Queues one command, added by `add` to this turn's pipeline, and resolves with its reply. */
  send<T>(add: (p: Batch) => unknown, soon = false): Promise<T> {
    if (!this.pipeline) {
      const pipeline = this.client.pipeline();
      this.pipeline = pipeline;
      setImmediate(() => this.flush(pipeline));
    }
    if (soon && !this.hurried) {
      const pipeline = this.pipeline;
      this.hurried = true;
      process.nextTick(() => this.flush(pipeline));
    }
    const before = this.pipeline.length;
    add(this.pipeline);
    if (this.pipeline.length !== before + 1) {
      throw new Error('RedisBatch.send takes exactly one command');
    }
    return new Promise<T>((resolve, reject) =>
      this.waiters.push({ at: before, resolve: resolve as (value: unknown) => void, reject }),
    );
  }

  /** Sends `pipeline` unless it went already (both the tick and the turn may ask for it). */
  private flush(pipeline: Batch): void {
    if (this.pipeline !== pipeline) return;
    const waiters = this.waiters;
    this.pipeline = undefined;
    this.waiters = [];
    this.hurried = false;
    pipeline.exec().then(
      (results) => {
        waiters.forEach((w) => {
          const [err, value] = results?.[w.at] ?? [new Error('no reply from Redis'), undefined];
          if (err) w.reject(err);
          else w.resolve(value);
        });
      },
      (e: unknown) => {
        for (const w of waiters) w.reject(e);
      },
    );
  }
}
