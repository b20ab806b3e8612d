// Redis commands sent once per turn of the event loop: every command issued during a turn goes out in
// one pipeline (one socket write) at the end of that turn. Replies come back in order on the one
// connection, so commands issued one after the other are applied in that order.
//
// Two users, two policies for pipelines in flight:
// - The call path (RedisBatch.for(client)): no limit. The client's own automatic pipelining batches
//   too, but keeps one batch in flight and holds every later command until that batch's replies are
//   back; under load a webhook's command then waits a whole round trip of other calls' commands
//   before it even leaves. Here each turn's batch leaves at once. A command someone is waiting on right
//   now (a new caller's webhook on the way to the answer command) is sent `soon`: at the end of the
//   current tick, with whatever is queued, instead of the end of the turn.
// - The DNI lease path (src/dni/dni-redis-turn.ts): one pipeline out at a time, so under load later
//   turns' commands gather and the batches grow with the round trip; it also lets the allocator add
//   what it gathered during the turn just before the pipeline leaves (beforeEachSend).
//
// The pipelines mix keys of different hash slots; that is fine for the single-node client RedisService
// opens. A Redis Cluster client would need one batch per slot.
import type Redis from 'ioredis';
import { spareTime } from '../../common/spare-time';

/** A pipeline as ioredis builds it (commands and the scripts defined on the client). */
export type Batch = ReturnType<Redis['pipeline']>;

/** Called once with the command's reply or error; must not throw. */
export type ReplyHandler = (error: Error | null, reply: unknown) => void;

export class RedisBatch {
  private static readonly byClient = new WeakMap<Redis, RedisBatch>();
  private pipeline: Batch | undefined;
  private handlers: ReplyHandler[] = [];
  /** A send is due at the end of this turn (queued, or held until a reply comes back). */
  private scheduled = false;
  /** The current pipeline is already due at the end of this tick. */
  private hurried = false;
  private inFlight = 0;
  /** A send was due while `maxInFlight` pipelines were out: it happens when a reply comes back. */
  private held = false;
  private readonly beforeSend: (() => void)[] = [];

  constructor(
    private readonly client: Redis,
    private readonly maxInFlight = Infinity,
  ) {}

  /** The call path's batcher of this client, shared by every repository that uses it (one order for all). */
  static for(client: Redis): RedisBatch {
    let batch = RedisBatch.byClient.get(client);
    if (!batch) {
      batch = new RedisBatch(client);
      RedisBatch.byClient.set(client, batch);
    }
    return batch;
  }

  /**
   * Runs `hook` at the end of every turn that asked for a send, just before the pipeline leaves;
   * the hook adds whatever it gathered during the turn.
   */
  beforeEachSend(hook: () => void): void {
    this.beforeSend.push(hook);
  }

  /**
   * Makes this turn end with a send (after the I/O callbacks of the turn, so all of them join). In a
   * slice of spare time (the check phase already) a setImmediate would wait a whole turn: the send
   * then follows the slice's jobs instead.
   */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.inFlight >= this.maxInFlight) this.held = true;
    else if (spareTime.inSlice) process.nextTick(this.flush);
    else setImmediate(this.flush);
  }

  /** Adds one command (`command` adds exactly one to the pipeline); `handler` gets its reply. */
  add(command: (p: Batch) => unknown, handler: ReplyHandler, soon = false): void {
    this.schedule();
    const pipeline = (this.pipeline ??= this.client.pipeline());
    const before = pipeline.length;
    command(pipeline);
    if (pipeline.length !== before + 1) throw new Error('RedisBatch takes exactly one command at a time');
    this.handlers.push(handler);
    if (soon && !this.hurried && this.inFlight < this.maxInFlight) {
      this.hurried = true;
      process.nextTick(this.flush);
    }
  }

  /** `add` as a promise of the reply (a call that adds no command or several throws at once). */
  send<T>(command: (p: Batch) => unknown, soon = false): Promise<T> {
    let settle!: ReplyHandler;
    const reply = new Promise<T>((resolve, reject) => {
      settle = (error, value) => (error ? reject(error) : resolve(value as T));
    });
    this.add(command, settle, soon);
    return reply;
  }

  /** Sends the pipeline; both the tick and the turn may ask, and whoever comes second finds nothing. */
  private readonly flush = (): void => {
    for (const hook of this.beforeSend) hook();
    this.scheduled = false;
    this.hurried = false;
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
        setImmediate(this.flush);
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
