// Small runtime pieces the sandbox carrier shares: a timer registry that stop() can empty in one go,
// a clock that hands out strictly increasing microsecond timestamps (Telnyx stamps events with
// microseconds, and a strict order lets consumers sort events of one call), a seedable random source,
// and the identifier formats Telnyx uses.
import { randomBytes, randomUUID } from 'node:crypto';

export type Timer = NodeJS.Timeout;

/** Every pending timer of the carrier, so stop() can cancel all of them and leave no handle behind. */
export class TimerSet {
  private readonly timers = new Set<Timer>();
  private closed = false;

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Runs fn after ms; returns null once the set is closed (the carrier is stopping). */
  after(ms: number, fn: () => void): Timer | null {
    if (this.closed) return null;
    const timer: Timer = setTimeout(
      () => {
        this.timers.delete(timer);
        try {
          fn();
        } catch (error) {
          this.onError(error);
        }
      },
      Math.max(0, ms),
    );
    this.timers.add(timer);
    return timer;
  }

  cancel(timer: Timer | null | undefined): void {
    if (!timer) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  get size(): number {
    return this.timers.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/** ISO-8601 timestamps with microseconds, strictly increasing within the process. */
export class MicroClock {
  private lastMicros = 0;

  now(): { ms: number; iso: string } {
    const micros = Math.max(Date.now() * 1000, this.lastMicros + 1);
    this.lastMicros = micros;
    const ms = Math.floor(micros / 1000);
    const extra = String(micros % 1000).padStart(3, '0');
    const iso = new Date(ms).toISOString(); // 2026-05-19T23:30:15.038Z
    return { ms, iso: `${iso.slice(0, -1)}${extra}Z` };
  }
}

/** mulberry32: a tiny seedable PRNG so duplicate/reorder runs can be reproduced. */
export function createRandom(seed?: number): () => number {
  if (seed === undefined) return Math.random;
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Telnyx call_control_id shape: `v3:` + 54 base64url characters. */
export function newCallControlId(): string {
  return `v3:${randomBytes(40).toString('base64url')}`;
}

export const CALL_CONTROL_ID_PATTERN = /^v[23]:[A-Za-z0-9_-]{10,}$/;

export function newUuid(): string {
  return randomUUID();
}
