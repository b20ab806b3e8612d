// The demo's live terminal line: what the visitors did (from the traffic's own counters) next to what
// the platform recorded (live calls from GET /calls/live, bids from each buyer's bid statistics, and
// connected / converted / revenue from the CDR report, the figures the dashboards show). On a terminal
// the one line is redrawn in place; in a log (no TTY) a line is printed every 15 seconds.
import type { DemoApi } from './demo-api';
import type { DemoTraffic } from './demo-traffic';

export interface LineFigures {
  elapsedS: number;
  callsPerSecond: number;
  visitors: number;
  calls: number;
  /** Visitor requests the service refused or that failed. */
  errors: number;
  live: number | null;
  pings: number | null;
  bids: number | null;
  connected: number | null;
  converted: number | null;
  revenue: string | null;
}

const n = (v: number | null) => (v === null ? '–' : String(v));

function clock(s: number): string {
  const t = Math.max(0, Math.floor(s));
  const h = Math.floor(t / 3600);
  const mm = String(Math.floor((t % 3600) / 60)).padStart(2, '0');
  const ss = String(t % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** "$1,234.50" from a decimal string, without going through a float. */
export function dollars(amount: string | null): string {
  if (amount === null) return '–';
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!m) return amount;
  const whole = m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${m[1]}$${whole}.${(m[3] ?? '').padEnd(2, '0').slice(0, 2)}`;
}

export function formatLine(f: LineFigures): string {
  return [
    clock(f.elapsedS),
    `${f.callsPerSecond.toFixed(2)} calls/s`,
    `visitors ${f.visitors}`,
    `calls ${f.calls}`,
    `live ${n(f.live)}`,
    `bids ${n(f.bids)}/${n(f.pings)} pings`,
    `connected ${n(f.connected)}`,
    `converted ${n(f.converted)}`,
    `revenue ${dollars(f.revenue)}`,
    ...(f.errors > 0 ? [`visitor errors ${f.errors}`] : []),
  ].join(' · ');
}

export interface StatusSource {
  /** Signed in as the demo operator. */
  operator: DemoApi;
  traffic: DemoTraffic | null;
  /** Buyers whose bids count (the ping/post ones). */
  buyerIds: string[];
  since: Date;
}

interface Platform {
  live: number | null;
  pings: number | null;
  bids: number | null;
  connected: number | null;
  converted: number | null;
  revenue: string | null;
}

export class StatusLine {
  private platform: Platform = {
    live: null,
    pings: null,
    bids: null,
    connected: null,
    converted: null,
    revenue: null,
  };
  private drawTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private lastPrinted = 0;
  private drawn = false;
  private reportedError: string | undefined;
  private lastErrorAt = 0;

  constructor(
    private readonly source: StatusSource,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {}

  private get tty(): boolean {
    return this.out.isTTY === true;
  }

  start(): void {
    this.drawTimer = setInterval(() => this.draw(), 1000);
    this.refreshTimer = setInterval(() => void this.refresh(), 2000);
    void this.refresh();
  }

  /** Stops redrawing and leaves the last line on the screen, followed by a newline. */
  async stop(): Promise<void> {
    clearInterval(this.drawTimer);
    clearInterval(this.refreshTimer);
    await this.refreshing;
    if (this.drawn && this.tty) this.out.write('\n');
  }

  figures(now = Date.now()): LineFigures {
    const t = this.source.traffic;
    return {
      elapsedS: (now - this.source.since.getTime()) / 1000,
      callsPerSecond: t ? t.callsPerSecond(now) : 0,
      visitors: t?.counters.visitors ?? 0,
      calls: t?.counters.calls ?? 0,
      errors: t?.counters.errors ?? 0,
      ...this.platform,
    };
  }

  /** Asks the platform for its figures since the demo started (one refresh at a time). */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async load(): Promise<void> {
    const api = this.source.operator;
    const from = encodeURIComponent(this.source.since.toISOString());
    const [live, report, ...bids] = await Promise.allSettled([
      api.get<{ total: number; items: Array<{ phase: string }> }>('/calls/live'),
      api.get<{ totals: Record<string, unknown> | null; rows: Array<Record<string, unknown>> }>(
        `/reports?metrics=connected,converted,revenue&totals=true&from=${from}`,
      ),
      ...this.source.buyerIds.map((id) =>
        api.get<{ totals: { pings: number; bids: number } }>(`/buyers/${id}/bid-stats?from=${from}`),
      ),
    ]);
    const talking =
      live.status === 'fulfilled' ? live.value.items.filter((c) => c.phase === 'connected').length : 0;
    if (live.status === 'fulfilled') this.platform.live = live.value.total;
    if (report.status === 'fulfilled') {
      const t = report.value.totals ?? report.value.rows[0] ?? {};
      // Calls that reached a buyer: ended ones from the CDR report, plus those talking right now.
      this.platform.connected = Number(t.connected ?? 0) + talking;
      this.platform.converted = Number(t.converted ?? 0);
      this.platform.revenue = String(t.revenue ?? '0.00');
    }
    if (bids.length > 0 && bids.every((b) => b.status === 'fulfilled')) {
      const ok = bids as Array<PromiseFulfilledResult<{ totals: { pings: number; bids: number } }>>;
      this.platform.pings = ok.reduce((s, b) => s + b.value.totals.pings, 0);
      this.platform.bids = ok.reduce((s, b) => s + b.value.totals.bids, 0);
    }
  }

  /** Writes the line: in place on a terminal, every 15 s otherwise. */
  draw(now = Date.now()): void {
    // A new kind of visitor error is printed above the line, at most every 30 s.
    const error = this.source.traffic?.lastError;
    if (error && error !== this.reportedError && now - this.lastErrorAt >= 30_000) {
      this.reportedError = error;
      this.lastErrorAt = now;
      this.note(`visitor error: ${error}`);
    }
    const line = formatLine(this.figures(now));
    if (this.tty) {
      const width = this.out.columns ?? 200;
      this.out.write(`\r\x1b[2K${line.length > width - 1 ? line.slice(0, width - 2) + '…' : line}`);
      this.drawn = true;
    } else if (now - this.lastPrinted >= 15_000) {
      this.out.write(`${line}\n`);
      this.lastPrinted = now;
      this.drawn = true;
    }
  }

  /** Prints a message above the line without tearing it (the next draw puts the line back). */
  note(message: string): void {
    if (this.tty && this.drawn) this.out.write('\r\x1b[2K');
    this.out.write(`${message}\n`);
  }
}
