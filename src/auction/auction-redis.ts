// The auction's own Redis connection for the reads and reservations on a call's path (duplicate
// caller, cap snapshots, bid cache, cap reservations). The shared client auto-pipelines, and ioredis
// runs one auto-pipeline per server at a time: a command issued while another batch is in flight (a
// bid log push, the exporter's 5 000-row pop) waits for that batch's round trip first. On this
// connection a command is written at once. Same server and keys; the shared client stays the owner of
// everything else.
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { RedisService } from '../infra/redis/redis.service';

/** Injection tokens of the repositories that run on this connection. */
export const AUCTION_CAPS = Symbol('AUCTION_CAPS');
export const AUCTION_DUPLICATES = Symbol('AUCTION_DUPLICATES');

@Injectable()
export class AuctionRedis implements OnApplicationShutdown {
  readonly client: Redis;

  constructor(redis: RedisService) {
    this.client = redis.client.duplicate({ enableAutoPipelining: false });
    this.client.on('error', () => undefined); // reconnects on its own, like the shared client
  }

  /** This connection in the shape the shared repositories take (they only use `client`). */
  asRedisService(): RedisService {
    return { client: this.client } as RedisService;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
