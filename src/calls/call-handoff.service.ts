// Api instances and call runners. With CALL_HANDOFF, an instance that takes Telnyx webhooks does two
// things per call: it takes every webhook in (signature, dedupe, the call's inbox) and it answers new
// callers. Everything after the answer (attribution and tags, the auction, transfers, the final record)
// runs on a call runner (APP_ROLE calls, or all): the api instance pushes the call's session id onto the
// Redis list calls:wake after its last write for the call, and one runner pops it and drains the call
// under the call's lock, exactly as the api instance would have. The answer path then never queues
// behind buyers' bid requests, PostgreSQL writes or other calls' transfers on the api instance's event
// loop.
//
// Nothing is lost when a runner dies or none runs: every handed-over call is also on calls:due, whose
// sweepers (runners at once, api instances after a grace period) drain it, and the call's lock keeps
// two instances from applying the same events.
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { RedisService } from '../infra/redis/redis.service';
import { redisKeys } from '../infra/redis/redis-keys';
import { CallProcessor } from './call-processor.service';

/** Session ids taken per pop. */
const POP_COUNT = 200;
/** Seconds a pop waits for work before asking again (also how long shutdown may wait for it). */
const POP_WAIT_S = 1;
/** Calls in progress on this runner above which it stops taking more (other runners take them). */
const MAX_ACTIVE = 5_000;

@Injectable()
export class CallHandoffConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CallHandoff');
  /** The blocking connection (a pop waits on it); undefined once shutting down. */
  private conn?: Redis;
  private loop?: Promise<void>;

  constructor(
    private readonly redis: RedisService,
    private readonly processor: CallProcessor,
  ) {}

  onApplicationBootstrap(): void {
    const conn = this.redis.client.duplicate({ enableAutoPipelining: false });
    conn.on('error', () => undefined); // reconnects on its own; a failed pop is retried below
    this.conn = conn;
    this.loop = this.consume(conn);
  }

  async onApplicationShutdown(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    conn?.disconnect();
    await this.loop;
  }

  private async consume(conn: Redis): Promise<void> {
    while (this.conn === conn) {
      try {
        if (this.processor.activeCount >= MAX_ACTIVE) {
          await sleep(20);
          continue;
        }
        const popped = (await conn.call(
          'BLMPOP',
          POP_WAIT_S,
          1,
          redisKeys.callsWake(),
          'LEFT',
          'COUNT',
          POP_COUNT,
        )) as [string, string[]] | null;
        if (!popped) continue;
        for (const sessionId of popped[1]) this.processor.schedule(sessionId);
      } catch (e) {
        if (this.conn !== conn) return;
        this.logger.warn({ err: e }, 'taking handed-over calls failed; retrying');
        await sleep(500);
      }
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
