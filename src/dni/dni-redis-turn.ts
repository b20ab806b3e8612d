// The lease path's Redis commands, sent once per turn of the event loop in one pipeline (one socket
// write, one read on the Redis side): the turn's lease batches (pool-allocator.repository.ts), the
// session reads that go alongside them and the session writes that follow earlier batches' replies.
// Sent apart, each new visitor's session read and each reply's session writes cost a round trip of
// their own, and on the client's automatic pipeline they would also wait for the batch in flight.
// The batching itself is RedisBatch's (src/infra/redis/redis-batch.ts).
import { Injectable } from '@nestjs/common';
import { RedisBatch } from '../infra/redis/redis-batch';
import { RedisService } from '../infra/redis/redis.service';

/**
 * Pipelines awaiting their replies at most. While one is out, the next turns' commands gather and
 * leave together when it returns: under load the batches grow with the round trip (fewer writes,
 * reads and script calls on both sides), and an idle service still sends at once.
 */
const MAX_IN_FLIGHT = 1;

@Injectable()
export class DniRedisTurn extends RedisBatch {
  constructor(redis: RedisService) {
    super(redis.client, MAX_IN_FLIGHT);
  }
}
