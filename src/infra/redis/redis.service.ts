// The one owner of Redis connections. Feature repositories use `client` (auto-pipelined); a call's
// latency-critical reads use `direct`, written at once (see below); BullMQ gets connection options
// from `bullConnection()` and opens its own blocking connections.
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis, { RedisOptions } from 'ioredis';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { RESOLVED_STORES } from '../stores.tokens';
import { ResolvedStores } from '../embedded/embedded-stores';
import { redisConnectionOptions } from './redis-url';

@Injectable()
export class RedisService implements OnApplicationShutdown {
  readonly client: Redis;
  /**
   * Same server, no auto-pipelining. ioredis runs one auto-pipeline per server at a time, so on
   * `client` a command issued while another batch is in flight (a bid-log push, an exporter's
   * 5 000-row pop) waits for that batch's round trip first; here a command is written at once.
   * Opened on first use.
   */
  get direct(): Redis {
    if (!this.directClient) {
      this.directClient = this.client.duplicate({ enableAutoPipelining: false });
      this.directClient.on('error', () => undefined);
    }
    return this.directClient;
  }
  private directClient?: Redis;
  private readonly url: string;

  constructor(@Inject(RESOLVED_STORES) stores: ResolvedStores, @Inject(APP_CONFIG) _config: AppConfig) {
    this.url = stores.redisUrl;
    this.client = new Redis({
      ...redisConnectionOptions(this.url),
      maxRetriesPerRequest: 3,
      enableAutoPipelining: true,
      lazyConnect: false,
    });
    this.client.on('error', () => undefined); // reconnects on its own; health reports the state
  }

  bullConnection(): RedisOptions {
    return { ...redisConnectionOptions(this.url), maxRetriesPerRequest: null };
  }

  async onApplicationShutdown(): Promise<void> {
    const open = this.directClient ? [this.client, this.directClient] : [this.client];
    await Promise.all(open.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
