// The auction's view of Redis for the reads and reservations on a call's path (duplicate caller, cap
// snapshots, bid cache, cap reservations): RedisService's `direct` connection, written at once rather
// than behind another batch's round trip. Same server and keys; RedisService owns and closes it.
import { Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { RedisService } from '../infra/redis/redis.service';

/** Injection tokens of the repositories that run on this connection. */
export const AUCTION_CAPS = Symbol('AUCTION_CAPS');
export const AUCTION_DUPLICATES = Symbol('AUCTION_DUPLICATES');

@Injectable()
export class AuctionRedis {
  readonly client: Redis;

  constructor(redis: RedisService) {
    this.client = redis.direct;
  }

  /** This connection in the shape the shared repositories take (they only use `client`). */
  asRedisService(): RedisService {
    return { client: this.client } as RedisService;
  }
}
