// Fixed-window rate limits for the public snippet API, kept in this instance's memory: cheap on the
// hot path, and with N instances behind a balancer a client gets at most N × the limit.
import { Injectable } from '@nestjs/common';

const MAX_KEYS = 200_000;

@Injectable()
export class RateLimiter {
  private window = -1;
  private counts = new Map<string, number>();

  /** Counts one hit; true while the count in the current minute is within `limit`. */
  hit(scope: string, id: string, limit: number): boolean {
    const window = Math.floor(Date.now() / 60_000);
    if (window !== this.window || this.counts.size > MAX_KEYS) {
      this.window = window;
      this.counts = new Map();
    }
    const key = `${scope}\u0000${id}`;
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return count <= limit;
  }
}
