// What the dashboard pages show, assembled from reports (ClickHouse numbers, PostgreSQL names) and, for
// operators, the live calls in Redis. Pages are rendered on the server; charts and sorting run in the
// browser from the same figures.
import { Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import type { Principal } from '../accounts/principal';
import { toLiveCallDto } from '../calls/calls.mapper';
import { LiveCallRepository } from '../calls/live-call.repository';
import { forbidden } from '../common/errors';
import { displayMoney, isMoney, parseMoney } from '../common/money';
import { LookupsRepository } from './lookups.repository';
import { checkTimezone, type Lookup } from './report-query';
import { type ReportResult, ReportsService } from './reports.service';
import { ReportsRepository } from './reports.repository';

type Raw = Record<string, unknown>;

export interface PageFilters {
  from: string;
  to: string;
  tz: string;
  campaign?: string;
  publisher?: string;
  buyer?: string;
}

export interface TableView {
  id: string;
  title: string;
  csvUrl: string | null;
  columns: Array<{ key: string; label: string; numeric: boolean }>;
  rows: Array<Array<string | number>>;
  /** The rows as the page prints them (numbers right-aligned). */
  cells?: Array<Array<{ v: string | number; n: boolean }>>;
  /** The grouped dimension's value of each row (ids for campaigns…). */
  ids?: Array<string | null>;
  empty: string;
}

export interface ChartView {
  id: string;
  title: string;
  type: 'line' | 'bar' | 'doughnut';
  labels: string[];
  series: Array<{ label: string; data: number[]; axis?: 'money' }>;
}

/** A money value of a report row as people read it: cents ('' stays '', anything else as given). */
function cents(v: unknown): string {
  if (typeof v === 'number') v = String(v);
  return typeof v === 'string' && isMoney(v) ? displayMoney(parseMoney(v)) : String(v ?? '');
}

export interface CardView {
  label: string;
  value: string | number;
  previous?: string | number;
  delta?: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LIVE_LIMIT = 200;

const one = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The page's date range (days in the viewer's zone, `to` inclusive) and filter ids, checked. */
export function pageFilters(q: Raw, now = new Date()): PageFilters {
  const tz = checkTimezone(one(q.tz));
  const today = DateTime.fromJSDate(now, { zone: tz });
  const to = one(q.to) && DAY.test(one(q.to)!) ? one(q.to)! : today.toISODate()!;
  const from =
    one(q.from) && DAY.test(one(q.from)!)
      ? one(q.from)!
      : DateTime.fromISO(to, { zone: tz }).minus({ days: 6 }).toISODate()!;
  const id = (k: string) => (one(q[k]) && UUID.test(one(q[k])!) ? one(q[k])!.toLowerCase() : undefined);
  return { from, to, tz, campaign: id('campaign'), publisher: id('publisher'), buyer: id('buyer') };
}

function query(params: Record<string, string | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') u.set(k, v);
  return u.toString();
}

function pctChange(now: number, before: number): string {
  if (before === 0) return now === 0 ? '0%' : 'new';
  const d = ((now - before) / before) * 100;
  return `${d >= 0 ? '+' : ''}${d.toFixed(0)}%`;
}

/** Adds the printable cells to a table. */
function withCells(t: TableView): TableView {
  return { ...t, cells: t.rows.map((r) => r.map((v, i) => ({ v, n: t.columns[i]?.numeric ?? false }))) };
}

/** A time in the viewer's zone, to the second. */
function localTime(iso: string | number, tz: string): string {
  const d = DateTime.fromJSDate(new Date(iso), { zone: tz });
  return d.isValid ? d.toFormat('yyyy-LL-dd HH:mm:ss') : String(iso);
}

/** Every bucket label of the range, so a chart shows days without calls as zeros. */
export function bucketLabels(f: Pick<PageFilters, 'from' | 'to' | 'tz'>, bucket: 'hour' | 'day'): string[] {
  const out: string[] = [];
  let t = DateTime.fromISO(f.from, { zone: f.tz }).startOf('day');
  const end = DateTime.fromISO(f.to, { zone: f.tz }).plus({ days: 1 }).startOf('day');
  while (t < end && out.length < 1_000) {
    out.push(bucket === 'hour' ? t.toFormat('yyyy-LL-dd HH:00') : t.toISODate()!);
    t = t.plus(bucket === 'hour' ? { hours: 1 } : { days: 1 });
  }
  return out;
}

@Injectable()
export class DashboardsService {
  constructor(
    private readonly reports: ReportsService,
    private readonly repo: ReportsRepository,
    private readonly lookups: LookupsRepository,
    private readonly live: LiveCallRepository,
  ) {}

  // ---- operator overview ----------------------------------------------------------------------------

  async overview(p: Principal, f: PageFilters) {
    const filters = this.filterParams(f);
    const base = { from: f.from, to: f.to, tz: f.tz, ...filters };
    const money = ['calls', 'connected', 'converted', 'conversion_rate', 'revenue', 'payout', 'profit'];
    const today = DateTime.now().setZone(f.tz);
    const yesterday = today.minus({ days: 1 });
    const sameDay = (d: DateTime) => ({ ...filters, tz: f.tz, from: d.toISODate()!, to: d.toISODate()! });
    const bucket = f.from === f.to ? 'hour' : 'day';
    const [todayR, yesterdayR, series, campaigns, publishers, buyers, liveCalls, menus] = await Promise.all([
      this.reports.report(p, { ...sameDay(today), metrics: money.join(','), totals: 'true' }),
      this.reports.report(p, { ...sameDay(yesterday), metrics: money.join(','), totals: 'true' }),
      this.reports.report(p, {
        ...base,
        groupBy: bucket,
        metrics: 'calls,connected,converted,revenue,profit',
      }),
      this.top(p, base, 'campaign'),
      this.top(p, base, 'publisher'),
      this.top(p, base, 'buyer'),
      this.liveCalls(p, f.tz),
      this.menus(p, f, 'overview'),
    ]);
    const t = todayR.totals!;
    const y = yesterdayR.totals!;
    const cards: CardView[] = [
      { label: 'Calls', value: t.calls as number, previous: y.calls as number },
      { label: 'Connected', value: t.connected as number, previous: y.connected as number },
      { label: 'Converted', value: t.converted as number, previous: y.converted as number },
      { label: 'Revenue', value: cents(t.revenue), previous: cents(y.revenue) },
      { label: 'Payout', value: cents(t.payout), previous: cents(y.payout) },
      { label: 'Profit', value: cents(t.profit), previous: cents(y.profit) },
    ].map((c) => ({ ...c, delta: pctChange(Number(c.value), Number(c.previous)) }));
    return {
      title: 'Overview',
      filters: f,
      menus,
      cards,
      chart: this.seriesChart('series', `Calls and revenue by ${bucket}`, series, f, bucket, [
        ['calls', 'Calls'],
        ['connected', 'Connected'],
        ['converted', 'Converted'],
        ['revenue', 'Revenue', 'money'],
      ]),
      tables: [campaigns, publishers, buyers],
      live: liveCalls,
      csv: {
        series: `/reports/export.csv?${query({ ...base, groupBy: bucket, metrics: money.join(',') })}`,
        calls: `/reports/calls.csv?${query(base)}`,
      },
    };
  }

  private top(p: Principal, base: Record<string, string | undefined>, dim: Lookup): Promise<TableView> {
    const metrics = 'calls,connected,converted,conversion_rate,revenue,payout,profit';
    const params = { ...base, groupBy: dim, metrics, sort: '-revenue', limit: '10' };
    return this.reports
      .report(p, params)
      .then((r) =>
        this.table(
          `top-${dim}`,
          `Top ${dim}s`,
          r,
          `/reports/export.csv?${query({ ...params, limit: undefined })}`,
        ),
      );
  }

  /** Live calls of the tenant with names, newest first (operators). */
  async liveCalls(p: Principal, tz = 'UTC') {
    if (p.role !== 'operator') throw forbidden();
    const calls = (await this.live.liveCalls(p.tenantId, LIVE_LIMIT)).map(toLiveCallDto);
    calls.sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
    const [campaigns, buyers] = await Promise.all([
      this.lookups.names(
        p.tenantId,
        'campaign',
        calls.map((c) => c.campaignId ?? ''),
      ),
      this.lookups.names(
        p.tenantId,
        'buyer',
        calls.map((c) => c.buyerId ?? ''),
      ),
    ]);
    return calls.map((c) => ({
      id: c.id,
      phase: c.phase,
      receivedAt: localTime(c.receivedAt, tz),
      caller: c.caller ?? '',
      trackingNumber: c.trackingNumber ?? '',
      campaign: (c.campaignId && campaigns.get(c.campaignId)) ?? '',
      buyer: (c.buyerId && buyers.get(c.buyerId)) ?? '',
    }));
  }

  // ---- publisher attribution ------------------------------------------------------------------------

  async publisher(p: Principal, f: PageFilters) {
    const view = this.viewAs(p, 'publisher', f.publisher);
    const filters = this.filterParams({ ...f, publisher: undefined, buyer: undefined });
    const base = { from: f.from, to: f.to, tz: f.tz, ...filters };
    const metrics = 'calls,connected,converted,conversion_rate,payout,payout_per_call';
    const run = (raw: Raw) => this.reports.report(p, raw, { view });
    const breakdown = (dim: string, title: string) =>
      run({ ...base, groupBy: dim, metrics, sort: '-calls', limit: '20' }).then((r) =>
        this.table(`by-${dim}`, title, r, this.csvFor(p, view, { ...base, groupBy: dim, metrics })),
      );
    const [totals, series, bySource, byCampaign, byKeyword, byLanding, calls] = await Promise.all([
      run({ ...base, metrics, totals: 'true' }),
      run({ ...base, groupBy: 'day', metrics: 'calls,converted,payout' }),
      breakdown('utm_source', 'By source'),
      breakdown('campaign', 'By campaign'),
      breakdown('utm_term', 'By keyword'),
      breakdown('landing_page', 'By landing page'),
      this.recentCalls(p, view, base),
    ]);
    const menus = await this.menus(p, f, 'publisher', byCampaign);
    const t = totals.totals!;
    return {
      title: 'Publisher attribution',
      filters: f,
      menus,
      viewingAs: view?.publisherId ?? null,
      cards: [
        { label: 'Calls', value: t.calls },
        { label: 'Connected', value: t.connected },
        { label: 'Converted', value: t.converted },
        { label: 'Conversion rate', value: `${((t.conversion_rate as number) * 100).toFixed(1)}%` },
        { label: 'Payout', value: cents(t.payout) },
        { label: 'Payout per call', value: cents(t.payout_per_call) },
      ] as CardView[],
      chart: this.seriesChart('series', 'Calls and payout by day', series, f, 'day', [
        ['calls', 'Calls'],
        ['converted', 'Converted'],
        ['payout', 'Payout', 'money'],
      ]),
      sourceChart: this.pieChart('sources', 'Calls by source', bySource),
      tables: [bySource, byCampaign, byKeyword, byLanding],
      calls,
      csv: { calls: this.csvFor(p, view, base, 'calls') },
    };
  }

  // ---- buyer view -------------------------------------------------------------------------------------

  async buyer(p: Principal, f: PageFilters) {
    const view = this.viewAs(p, 'buyer', f.buyer);
    const buyerId = view?.buyerId ?? p.buyerId!;
    const filters = this.filterParams({ ...f, publisher: undefined, buyer: undefined });
    const base = { from: f.from, to: f.to, tz: f.tz, ...filters };
    const metrics = 'calls,converted,conversion_rate,revenue,revenue_per_call,avg_talk_time';
    const run = (raw: Raw) => this.reports.report(p, raw, { view });
    const fromD = DateTime.fromISO(f.from, { zone: f.tz }).toJSDate();
    const toD = DateTime.fromISO(f.to, { zone: f.tz }).plus({ days: 1 }).toJSDate();
    const hasBids = await this.repo.bidLogExists();
    const [totals, series, byCampaign, byTarget, calls, bids, bidLog] = await Promise.all([
      run({ ...base, metrics, totals: 'true' }),
      run({ ...base, groupBy: 'day', metrics: 'calls,converted,revenue' }),
      run({ ...base, groupBy: 'campaign', metrics, sort: '-calls', limit: '20' }).then((r) =>
        this.table(
          'by-campaign',
          'Calls won by campaign',
          r,
          this.csvFor(p, view, { ...base, groupBy: 'campaign', metrics }),
        ),
      ),
      run({ ...base, groupBy: 'target', metrics, sort: '-calls', limit: '20' }).then((r) =>
        this.table(
          'by-target',
          'Calls won by target',
          r,
          this.csvFor(p, view, { ...base, groupBy: 'target', metrics }),
        ),
      ),
      this.recentCalls(p, view, base),
      hasBids ? this.repo.bidSummary(p.tenantId, buyerId, fromD, toD) : Promise.resolve(null),
      hasBids ? this.repo.bidLog(p.tenantId, buyerId, fromD, toD, 50) : Promise.resolve([]),
    ]);
    const menus = await this.menus(p, f, 'buyer', byCampaign);
    const t = totals.totals!;
    const campaignNames = await this.lookups.names(
      p.tenantId,
      'campaign',
      bidLog.map((b) => String(b.campaign)),
    );
    const targetNames = await this.lookups.names(
      p.tenantId,
      'target',
      bidLog.map((b) => String(b.target)),
    );
    const winRate = bids && bids.bids > 0 ? `${((bids.wins / bids.bids) * 100).toFixed(1)}%` : '–';
    return {
      title: 'Buyer',
      filters: f,
      menus,
      viewingAs: view?.buyerId ?? null,
      cards: [
        { label: 'Calls won', value: t.calls },
        { label: 'Converted', value: t.converted },
        { label: 'Spend', value: cents(t.revenue) },
        { label: 'Cost per call', value: cents(t.revenue_per_call) },
        { label: 'Bids', value: bids ? bids.bids : '–' },
        { label: 'Win rate', value: winRate },
      ] as CardView[],
      bids,
      hasBids,
      chart: this.seriesChart('series', 'Calls won and spend by day', series, f, 'day', [
        ['calls', 'Calls won'],
        ['converted', 'Converted'],
        ['revenue', 'Spend', 'money'],
      ]),
      tables: [byCampaign, byTarget],
      bidLog: withCells({
        id: 'bid-log',
        title: 'Bid log (latest 50)',
        csvUrl: null,
        columns: [
          { key: 'at', label: 'Time', numeric: false },
          { key: 'campaign', label: 'Campaign', numeric: false },
          { key: 'target', label: 'Target', numeric: false },
          { key: 'outcome', label: 'Outcome', numeric: false },
          { key: 'bid', label: 'Bid', numeric: true },
          { key: 'won', label: 'Won', numeric: false },
          { key: 'reason', label: 'Reason / award', numeric: false },
          { key: 'latency', label: 'Latency (ms)', numeric: true },
        ],
        rows: bidLog.map((b) => [
          localTime(Number(b.at_ms), f.tz),
          campaignNames.get(String(b.campaign)) ?? String(b.campaign),
          targetNames.get(String(b.target)) ?? String(b.target),
          String(b.outcome),
          String(b.bid),
          b.won === true || b.won === 1 ? 'yes' : 'no',
          String(b.reason || b.award || ''),
          Math.round(Number(b.latency_ms)),
        ]),
        empty: hasBids ? 'No bids in this range.' : 'No bid log yet.',
      }),
      calls,
      csv: { calls: this.csvFor(p, view, base, 'calls') },
    };
  }

  // ---- pieces -----------------------------------------------------------------------------------------

  /** Operators may look at a publisher's or buyer's page by id; the others see their own. */
  private viewAs(p: Principal, role: 'publisher' | 'buyer', id: string | undefined) {
    if (p.role === role) return undefined;
    if (p.role !== 'operator' || !id) throw forbidden(`Pick a ${role} to view`);
    return role === 'publisher' ? { publisherId: id } : { buyerId: id };
  }

  private filterParams(
    f: Pick<PageFilters, 'campaign' | 'publisher' | 'buyer'>,
  ): Record<string, string | undefined> {
    return { 'filter.campaign': f.campaign, 'filter.publisher': f.publisher, 'filter.buyer': f.buyer };
  }

  /** Operators reach another's CSV through the report API with a filter; the others need none. */
  private csvFor(
    p: Principal,
    view: { publisherId?: string; buyerId?: string } | undefined,
    params: Record<string, string | undefined>,
    kind: 'report' | 'calls' = 'report',
  ): string {
    const scoped = { ...params };
    if (view?.publisherId) scoped['filter.publisher'] = view.publisherId;
    if (view?.buyerId) scoped['filter.buyer'] = view.buyerId;
    return `/reports/${kind === 'calls' ? 'calls.csv' : 'export.csv'}?${query(scoped)}`;
  }

  private async recentCalls(
    p: Principal,
    view: { publisherId?: string; buyerId?: string } | undefined,
    base: Record<string, string | undefined>,
  ): Promise<TableView> {
    const tz = base.tz ?? 'UTC';
    const params: Raw = { ...base, limit: '25' };
    if (view?.publisherId) params['filter.publisher'] = view.publisherId;
    if (view?.buyerId) params['filter.buyer'] = view.buyerId;
    for (const k of Object.keys(params)) if (params[k] === undefined) delete params[k];
    const r = await this.reports.callLog(p, params);
    const hidden = new Set([
      'call_id',
      'campaign',
      'publisher',
      'buyer',
      'target',
      'auction_pings',
      'auction_bids',
      'runner_up_bid',
    ]);
    const cols = r.columns.filter((c) => !hidden.has(c.key));
    return withCells({
      id: 'recent-calls',
      title: 'Recent calls',
      csvUrl: null,
      columns: cols.map((c) => ({
        key: c.key,
        label: c.kind === 'name' ? c.label.replace(/ name$/, '') : c.label,
        numeric: ['revenue', 'payout', 'profit', 'talk_seconds'].includes(c.key),
      })),
      rows: r.items.map((i) =>
        cols.map((c) => {
          const v = i[c.key];
          if (c.key === 'started_at') return localTime(String(v), tz);
          if (typeof v === 'boolean') return v ? 'yes' : 'no';
          return v === null ? '' : (v as string | number);
        }),
      ),
      empty: 'No calls in this range.',
    });
  }

  private table(id: string, title: string, r: ReportResult, csvUrl: string | null): TableView {
    const dim = r.groupBy[0];
    const nameKey = r.columns.some((c) => c.key === `${dim}_name`) ? `${dim}_name` : undefined;
    const metrics = r.columns.filter((c) => c.kind !== 'dimension' && c.kind !== 'name');
    const label = r.columns.find((c) => c.key === dim)?.label ?? dim;
    return withCells({
      id,
      title,
      csvUrl,
      columns: [
        { key: dim, label, numeric: false },
        ...metrics.map((m) => ({ key: m.key, label: m.label, numeric: true })),
      ],
      ids: r.rows.map((row) => (row[dim] === null ? null : String(row[dim]))),
      rows: r.rows.map((row) => [
        (nameKey ? (row[nameKey] as string | null) : null) ??
          (row[dim] === null ? '(none)' : String(row[dim] || '(empty)')),
        ...metrics.map((m) =>
          m.kind === 'ratio'
            ? `${((row[m.key] as number) * 100).toFixed(1)}%`
            : m.kind === 'money'
              ? cents(row[m.key])
              : (row[m.key] as string | number),
        ),
      ]),
      empty: 'No calls in this range.',
    });
  }

  private seriesChart(
    id: string,
    title: string,
    r: ReportResult,
    f: PageFilters,
    dim: 'hour' | 'day',
    series: Array<[string, string, 'money'?]>,
  ): ChartView {
    const byLabel = new Map(r.rows.map((row) => [String(row[dim]), row]));
    const labels = bucketLabels(f, dim);
    return {
      id,
      title,
      type: 'line',
      labels,
      series: series.map(([key, label, axis]) => ({
        label,
        data: labels.map((l) => Number(byLabel.get(l)?.[key] ?? 0)),
        axis,
      })),
    };
  }

  private pieChart(id: string, title: string, t: TableView): ChartView {
    return {
      id,
      title,
      type: 'doughnut',
      labels: t.rows.map((r) => String(r[0])),
      series: [{ label: 'Calls', data: t.rows.map((r) => Number(r[1])) }],
    };
  }

  /**
   * The filter menus. Operators choose among every campaign, publisher and buyer of the tenant (one
   * publisher or buyer on those pages); a publisher or buyer only among the campaigns its own report
   * shows (`own`), never the others' names.
   */
  private async menus(
    p: Principal,
    f: PageFilters,
    page: 'overview' | 'publisher' | 'buyer',
    own?: TableView,
  ) {
    const mark = (rows: Array<{ id: string; name: string }>, selected: string | undefined) =>
      rows.map((r) => ({ ...r, selected: r.id === selected }));
    if (p.role !== 'operator') {
      const campaigns = (own?.rows ?? []).flatMap((r, i) => {
        const id = own?.ids?.[i];
        return id ? [{ id, name: String(r[0]) }] : [];
      });
      return { campaigns: mark(campaigns, f.campaign), publishers: [], buyers: [], pickOne: true };
    }
    const [campaigns, publishers, buyers] = await Promise.all([
      this.lookups.all(p.tenantId, 'campaign'),
      page === 'buyer' ? Promise.resolve([]) : this.lookups.all(p.tenantId, 'publisher'),
      page === 'publisher' ? Promise.resolve([]) : this.lookups.all(p.tenantId, 'buyer'),
    ]);
    return {
      campaigns: mark(campaigns, f.campaign),
      publishers: mark(publishers, f.publisher),
      buyers: mark(buyers, f.buyer),
      pickOne: page !== 'overview',
    };
  }
}
