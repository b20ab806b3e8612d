// Small runtime pieces the sandbox carrier shares: a timer registry that stop() can empty in one go,
// a clock that hands out strictly increasing microsecond timestamps (Telnyx stamps events with
// microseconds, and a strict order lets consumers sort events of one call), a seedable random source,
// and the identifier formats Telnyx uses.
import { randomFillSync, randomUUID } from 'node:crypto';

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
  /** The whole second the date part below belongs to, and `2026-05-19T23:30:15.` for it. */
  private second = -1;
  private secondIso = '';

  now(): { ms: number; iso: string } {
    const micros = Math.max(Date.now() * 1000, this.lastMicros + 1);
    this.lastMicros = micros;
    const ms = Math.floor(micros / 1000);
    // Events come hundreds per second: the calendar part is formatted once per second, and each stamp
    // only appends its milliseconds and microseconds.
    const second = Math.floor(ms / 1000);
    if (second !== this.second) {
      this.second = second;
      this.secondIso = new Date(second * 1000).toISOString().slice(0, 20);
    }
    const fraction = String((micros % 1_000_000) + 1_000_000).slice(1); // six digits
    return { ms, iso: `${this.secondIso}${fraction}Z` };
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
  return `v3:${takeRandom(40).toString('base64url')}`;
}

// Random bytes for identifiers, drawn from the system generator 4 KiB at a time rather than by one
// call per leg.
const randomPool = Buffer.alloc(4096);
let randomUsed = randomPool.length;

function takeRandom(n: number): Buffer {
  if (randomUsed + n > randomPool.length) {
    randomFillSync(randomPool);
    randomUsed = 0;
  }
  randomUsed += n;
  return randomPool.subarray(randomUsed - n, randomUsed);
}

export const CALL_CONTROL_ID_PATTERN = /^v[23]:[A-Za-z0-9_-]{10,}$/;

export function newUuid(): string {
  return randomUUID();
}
