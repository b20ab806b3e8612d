// Fixed-window rate limits in Redis, shared by every instance.
import { Injectable } from '@nestjs/common';
import { RedisService } from '../infra/redis/redis.service';
import { redisKeys } from '../infra/redis/redis-keys';

@Injectable()
export class RateLimitRepository {
  constructor(private readonly redis: RedisService) {}

  /** Counts one hit; true while the count in the current window is within `limit`. */
  async hit(scope: string, id: string, limit: number, windowS = 60): Promise<boolean> {
    const window = Math.floor(Date.now() / 1000 / windowS);
    const key = redisKeys.rateLimit(scope, id, window);
    const [[, count]] = (await this.redis.client
      .multi()
      .incr(key)
      .expire(key, windowS + 1)
      .exec()) as [[Error | null, number], [Error | null, number]];
    return count <= limit;
  }
}
