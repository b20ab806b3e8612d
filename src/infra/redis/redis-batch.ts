// Redis commands sent once per turn of the event loop: every command issued during a turn goes out in
// one socket write at the end of that turn. Replies come back in order on the one connection, so
// commands issued one after the other are applied in that order.
//
// The commands are ioredis's own (its Command objects, scripts with their EVALSHA/EVAL fallback, reply
// decoding), recorded as they are issued and written to the client's socket at the end of the turn
// while the socket is corked, so they leave in one write. Not through ioredis's Pipeline: a pipeline
// object copies every script method of the client when it is built (about 20 here), and the call path
// builds several per call; with it, batching cost ~12 µs and ~5 KB of garbage per batch on top of the
// commands themselves.
//
// Two users, two policies for batches in flight:
// - The call path (RedisBatch.for(client)): no limit. The client's own automatic pipelining batches
//   too, but keeps one batch in flight and holds every later command until that batch's replies are
//   back; under load a webhook's command then waits a whole round trip of other calls' commands
//   before it even leaves. Here each turn's batch leaves at once. A command someone is waiting on right
//   now (a new caller's webhook on the way to the answer command) is sent `soon`: at the end of the
//   current tick, with whatever is queued, instead of the end of the turn.
// - The DNI lease path (src/dni/dni-redis-turn.ts): one batch out at a time, so under load later
//   turns' commands gather and the batches grow with the round trip; it also lets the allocator add
//   what it gathered during the turn just before the batch leaves (beforeEachSend).
//
// The batches mix keys of different hash slots; that is fine for the single-node client RedisService
// opens. A Redis Cluster client would need one batch per slot.
import type Redis from 'ioredis';
import { spareTime } from '../../common/spare-time';

/**
 * What a batch's command functions are called on: the client's own command and script methods, but
 * each call is recorded for the end of the turn (it returns the command's reply promise).
 */
export type Batch = Redis;

/** Called once with the command's reply or error; must not throw. */
export type ReplyHandler = (error: Error | null, reply: unknown) => void;

/** The part of ioredis's Command the batch handles (the class is not in ioredis's public types). */
interface RecordedCommand {
  promise: Promise<unknown>;
}

/** The client as the batch writes to it (fields not in ioredis's public types). */
interface Writer {
  status: string;
  stream?: { writable: boolean; cork(): void; uncork(): void };
  sendCommand(command: RecordedCommand): Promise<unknown>;
}

export class RedisBatch {
  private static readonly byClient = new WeakMap<Redis, RedisBatch>();
  /** The client's methods on an object whose sendCommand records instead of writing. */
  private readonly recorder: Batch;
  private queued: RecordedCommand[] = [];
  /** A send is due at the end of this turn (queued, or held until a reply comes back). */
  private scheduled = false;
  /** The current batch is already due at the end of this tick. */
  private hurried = false;
  private inFlight = 0;
  /** A send was due while `maxInFlight` batches were out: it happens when a reply comes back. */
  private held = false;
  private readonly beforeSend: (() => void)[] = [];

  constructor(
    private readonly client: Redis,
    private readonly maxInFlight = Infinity,
  ) {
    const recorder = Object.create(client) as Batch & Record<string, unknown>;
    // Not auto-pipelined (ioredis skips that for pipelines), and a script that must be resent with
    // its body (NOSCRIPT) goes to the client itself, as from a pipeline.
    recorder.isPipeline = true;
    recorder.redis = client;
    recorder.sendCommand = (command: RecordedCommand) => {
      this.queued.push(command);
      return command.promise;
    };
    this.recorder = recorder;
  }

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
   * Runs `hook` at the end of every turn that asked for a send, just before the batch leaves; the
   * hook adds whatever it gathered during the turn.
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

  /** Records one command (`command` issues exactly one on the batch) and returns its reply. */
  private record<T>(command: (p: Batch) => unknown): Promise<T> {
    this.schedule();
    const before = this.queued.length;
    command(this.recorder);
    if (this.queued.length !== before + 1) {
      this.queued.length = before;
      throw new Error('RedisBatch takes exactly one command at a time');
    }
    return this.queued[before].promise as Promise<T>;
  }

  private hurry(soon: boolean): void {
    if (soon && !this.hurried && this.inFlight < this.maxInFlight) {
      this.hurried = true;
      process.nextTick(this.flush);
    }
  }

  /** Adds one command (`command` issues exactly one); `handler` gets its reply. */
  add(command: (p: Batch) => unknown, handler: ReplyHandler, soon = false): void {
    this.record(command).then(
      (reply) => handler(null, reply),
      (e: unknown) => handler(e instanceof Error ? e : new Error(String(e)), undefined),
    );
    this.hurry(soon);
  }

  /** `add` as a promise of the reply (a call that issues no command or several throws at once). */
  send<T>(command: (p: Batch) => unknown, soon = false): Promise<T> {
    const reply = this.record<T>(command);
    this.hurry(soon);
    return reply;
  }

  /** Writes the batch; both the tick and the turn may ask, and whoever comes second finds nothing. */
  private readonly flush = (): void => {
    for (const hook of this.beforeSend) hook();
    this.scheduled = false;
    this.hurried = false;
    const commands = this.queued;
    if (commands.length === 0) return;
    this.queued = [];
    this.inFlight++;
    const client = this.client as unknown as Writer;
    // Corked, the commands' writes leave together when the socket is uncorked. A client that is not
    // connected queues them (ioredis's offline queue) and sends them once it is.
    const stream = client.status === 'ready' && client.stream?.writable ? client.stream : undefined;
    stream?.cork();
    try {
      for (const c of commands) void client.sendCommand(c);
    } finally {
      stream?.uncork();
    }
    // Replies come in order: when the last command has its reply, so have the others.
    const settled = () => {
      this.inFlight--;
      if (this.held) {
        this.held = false;
        setImmediate(this.flush);
      }
    };
    commands[commands.length - 1].promise.then(settled, settled);
  };
}
