// Fixed-window rate limits for the public snippet API, kept in this instance's memory: cheap on the
// hot path, and with N instances behind a balancer a client gets at most N × the limit.
import { Injectable } from '@nestjs/common';

const MAX_KEYS = 200_000;

@Injectable()
export class RateLimiter {
  private window = -1;
  /** Hits in the current minute, one map per scope (client IP, campaign key). */
  private counts = new Map<string, Map<string, number>>();
  private size = 0;

  /** Counts one hit; true while the count in the current minute is within `limit`. */
  hit(scope: string, id: string, limit: number): boolean {
    const window = Math.floor(Date.now() / 60_000);
    if (window !== this.window || this.size > MAX_KEYS) {
      this.window = window;
      this.counts = new Map();
      this.size = 0;
    }
    let counts = this.counts.get(scope);
    if (!counts) this.counts.set(scope, (counts = new Map()));
    const count = (counts.get(id) ?? 0) + 1;
    if (count === 1) this.size++;
    counts.set(id, count);
    return count <= limit;
  }
}
