// The lease path's Redis commands, sent once per turn of the event loop in one pipeline (one socket
// write, one read on the Redis side): the turn's lease batches (pool-allocator.repository.ts), the
// session reads that go alongside them and the session writes that follow earlier batches' replies.
// Sent apart, each new visitor's session read and each reply's session writes cost a round trip of
// their own, and on the client's automatic pipeline they would also wait for the batch in flight.
// Replies come back in order on the one connection, so commands keep the order they were added in,
// and one pipeline at a time is out (see MAX_IN_FLIGHT).
//
// The pipeline mixes keys of different hash slots (pools' keys and sessions); that is fine for the
// single-node client RedisService opens. A Redis Cluster client would need one pipeline per slot.
import { Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { RedisService } from '../infra/redis/redis.service';

/**
 * Pipelines awaiting their replies at most. While one is out, the next turns' commands gather and
 * leave together when it returns: under load the batches grow with the round trip (fewer writes,
 * reads and script calls on both sides), and an idle service still sends at once.
 */
const MAX_IN_FLIGHT = 1;

/** A pipeline as ioredis builds it (commands and the scripts defined on the client). */
export type Batch = ReturnType<Redis['pipeline']>;

/** Called once with the command's reply or error; must not throw. */
export type ReplyHandler = (error: Error | null, reply: unknown) => void;

@Injectable()
export class DniRedisTurn {
  private readonly client: Redis;
  private pipeline: Batch | undefined;
  private handlers: ReplyHandler[] = [];
  private scheduled = false;
  private inFlight = 0;
  /** A send was due while the pipeline limit was reached: it happens when a reply comes back. */
  private held = false;
  private readonly beforeSend: (() => void)[] = [];

  constructor(redis: RedisService) {
    this.client = redis.client;
  }

  /**
   * Runs `hook` at the end of every turn that asked for a send, just before the pipeline leaves;
   * the hook adds whatever it gathered during the turn.
   */
  beforeEachSend(hook: () => void): void {
    this.beforeSend.push(hook);
  }

  /** Makes this turn end with a send (after the I/O callbacks of the turn, so all of them join). */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.inFlight < MAX_IN_FLIGHT) setImmediate(this.send);
    else this.held = true; // sent when a reply comes back
  }

  /** Adds one command (`command` adds exactly one to the pipeline) to this turn's pipeline. */
  add(command: (p: Batch) => unknown, handler: ReplyHandler): void {
    this.schedule();
    command((this.pipeline ??= this.client.pipeline()));
    this.handlers.push(handler);
  }

  /** `add` as a promise. */
  run<T>(command: (p: Batch) => unknown): Promise<T> {
    return new Promise<T>((resolve, reject) =>
      this.add(command, (error, reply) => (error ? reject(error) : resolve(reply as T))),
    );
  }

  private readonly send = (): void => {
    for (const hook of this.beforeSend) hook();
    this.scheduled = false;
    const pipeline = this.pipeline;
    const handlers = this.handlers;
    if (!pipeline) return;
    this.pipeline = undefined;
    this.handlers = [];
    this.inFlight++;
    const settled = () => {
      this.inFlight--;
      if (this.held) {
        this.held = false;
        setImmediate(this.send);
      }
    };
    pipeline.exec().then(
      (results) => {
        settled();
        for (let i = 0; i < handlers.length; i++) {
          const r = results?.[i];
          if (r) handlers[i](r[0], r[1]);
          else handlers[i](new Error('no reply from Redis'), undefined);
        }
      },
      (e: unknown) => {
        settled();
        const error = e instanceof Error ? e : new Error(String(e));
        for (const h of handlers) h(error, undefined);
      },
    );
  };
}
