// The CDR pipeline end to end on the real stores: sandbox calls become ClickHouse rows equal to their
// PostgreSQL records; a ClickHouse outage holds CDRs back and they all arrive, once, after it ends; a
// repeated or doubled export and an export that died half-way neither double nor lose a CDR; exported
// calls leave the outbox.
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { CdrOutboxPrune1795450000000 } from '../../migrations/postgres/1795450000000-cdr-outbox-prune';
import type { RunningApp } from '../../src/app.bootstrap';
import type { LegRecord } from '../../src/calls/call-summary';
import { CdrExportService } from '../../src/cdr/cdr-export.service';
import { CdrRepository } from '../../src/cdr/cdr.repository';
import { CdrOutboxRepository, type OutboxBatch } from '../../src/cdr/cdr-outbox.repository';
import {
  type CallRecordRow,
  type CdrRow,
  cdrRowFromLine,
  fullTags,
  NIL_UUID,
  toCdrRow,
} from '../../src/cdr/cdr-row';
import { ClickHouseService } from '../../src/infra/clickhouse/clickhouse.service';
import type { SandboxCarrier } from '../../src/sandbox/carrier';
import { newTenant, startTestApp } from '../support/test-app';
import { cdrCounts, insertRecords, pg, record, waitExported } from './cdr-support';
import { callerNumber, eventually, setupCampaign, sleep, waitForRecord } from './telephony-support';

const chMs = (v: unknown) => (v === null ? null : Date.parse(`${String(v).replace(' ', 'T')}Z`));
const money = (v: unknown) => Number(v).toFixed(4);

describe('CDR export to ClickHouse', () => {
  let app: RunningApp;
  let carrier: SandboxCarrier;

  beforeAll(async () => {
    app = await startTestApp({
      DNI_RATE_LIMIT_PER_IP: '1000000',
      CDR_DISPATCH_INTERVAL_MS: '200',
      CDR_RETRY_BASE_MS: '100',
      CDR_EXPORT_ATTEMPTS: '3',
      CDR_STALE_AFTER_MS: '1000',
    });
    carrier = app.sandbox!;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('exports sandbox calls as rows equal to their PostgreSQL records', async () => {
    const s = await setupCampaign(app, {
      targets: [{ revenue: '42.5' }],
      campaign: { paramTags: { sub_id: 'sub_id' } },
    });
    const lease = await fetch(`${app.url}/dni/v1/lease`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({
        key: s.campaign.publicKey,
        page: 'https://lp.example.com/quote?utm_source=google&utm_term=cheap+insurance',
        ref: 'https://www.google.com/',
        params: {
          utm_source: 'google',
          utm_medium: 'cpc',
          utm_term: 'cheap insurance',
          gclid: 'G-1',
          sub_id: '77',
        },
      }),
    });
    const leased = (await lease.json()) as { number: string; sid: string };
    const target = s.targets[0];
    carrier.setDestinationBehaviour(target.destination, {
      mode: 'answer',
      answerAfterMs: 100,
      talkMs: 1_200,
    });
    const calls = [
      carrier.placeInboundCall({ from: callerNumber(), to: leased.number }),
      carrier.placeInboundCall({ from: callerNumber(), to: s.numbers.find((n) => n !== leased.number)! }),
    ];
    const records = [];
    for (const c of calls) {
      await carrier.waitForCallEnd(c.callControlId, 15_000);
      records.push(await waitForRecord(s.operator, c.callSessionId));
    }
    await waitExported(app, s.tenantId);
    const rows = await app.app.get(CdrRepository).byIds(
      s.tenantId,
      records.map((r) => r.id),
    );
    expect(rows).toHaveLength(2);
    const raw: any[] = await pg(app).query('SELECT * FROM calls WHERE id = ANY($1::uuid[])', [
      records.map((r) => r.id),
    ]);
    for (const pgRow of raw) {
      const ch = rows.find((r) => r.call_id === pgRow.id)!;
      expect(ch).toMatchObject({
        call_session_id: pgRow.call_session_id,
        tenant_id: pgRow.tenant_id,
        campaign_id: pgRow.campaign_id ?? NIL_UUID,
        publisher_id: pgRow.publisher_id ?? NIL_UUID,
        pool_id: pgRow.pool_id ?? NIL_UUID,
        buyer_id: pgRow.buyer_id ?? NIL_UUID,
        target_id: pgRow.target_id ?? NIL_UUID,
        tracking_number: pgRow.tracking_number,
        caller: pgRow.caller,
        destination: pgRow.destination ?? '',
        state: pgRow.state,
        reason: pgRow.reason ?? '',
        duplicate: pgRow.duplicate,
        converted: pgRow.converted,
        connected: pgRow.connected_at !== null,
        attribution_method: pgRow.attribution_method ?? '',
        dni_session_id: pgRow.dni_session_id ?? '',
        ring_ms: pgRow.ring_ms,
        talk_ms: pgRow.talk_ms,
        total_ms: pgRow.total_ms,
        attempts: pgRow.attempts,
        conversion_seconds: pgRow.conversion_seconds,
        hangup_cause: pgRow.hangup_cause ?? '',
        hangup_source: pgRow.hangup_source ?? '',
        leg_ids: pgRow.legs.map((l: any) => l.callControlId).filter(Boolean),
        caller_state: pgRow.tags.caller_state ?? '',
        utm_source: pgRow.tags.utm_source ?? '',
        utm_term: pgRow.tags.utm_term ?? '',
        landing_page: pgRow.tags.landing_page ?? '',
      });
      for (const [pgKey, chKey] of [
        ['received_at', 'started_at'],
        ['answered_at', 'answered_at'],
        ['ringing_at', 'ringing_at'],
        ['connected_at', 'connected_at'],
        ['ended_at', 'ended_at'],
      ]) {
        expect(chMs(ch[chKey])).toBe(pgRow[pgKey] === null ? null : (pgRow[pgKey] as Date).getTime());
      }
      for (const k of ['revenue', 'payout', 'profit']) expect(money(ch[k])).toBe(money(pgRow[k]));
      // Every tag is there: in the Map, or in its own column.
      expect(fullTags(ch as unknown as CdrRow)).toEqual({
        ...fullTags({ ...(ch as unknown as CdrRow), tags: {} }),
        ...pgRow.tags,
      });
      for (const k of Object.keys(ch.tags as object))
        expect(pgRow.tags[k]).toBe((ch.tags as Record<string, string>)[k]);
      expect(pgRow.connected_at).not.toBeNull();
      expect(ch.time_to_connect_ms).toBe(pgRow.connected_at.getTime() - pgRow.received_at.getTime());
    }
    const attributed = rows.find((r) => r.dni_session_id === leased.sid)!;
    expect(attributed).toMatchObject({
      utm_source: 'google',
      utm_medium: 'cpc',
      utm_term: 'cheap insurance',
      gclid: 'G-1',
    });
    expect((attributed.tags as Record<string, string>).sub_id).toBe('77');
    expect(attributed.tags).not.toHaveProperty('utm_source');
    expect(await cdrCounts(app, s.tenantId)).toEqual({ final: 2, stored: 2, distinct: 2 });
    // Exported calls leave the outbox.
    expect(await outboxRows(records.map((r) => r.id))).toBe(0);
  });

  it('keeps CDRs through a ClickHouse outage and delivers each exactly once after it', async () => {
    const s = await setupCampaign(app, { numbers: 4 });
    const target = s.targets[0];
    carrier.setDestinationBehaviour(target.destination, { mode: 'answer', answerAfterMs: 50, talkMs: 1_100 });
    const ch = app.app.get(ClickHouseService);
    const real = ch.client;
    // Every ClickHouse call of the app now goes to a port nobody listens on.
    const dead = createClient({
      url: 'http://127.0.0.1:9',
      request_timeout: 1_000,
      log: { level: ClickHouseLogLevel.OFF },
    });
    (ch as { client: unknown }).client = dead;
    const failuresBefore = await metric(app, 'cdr_export_failures_total');
    let placed: Awaited<ReturnType<typeof waitForRecord>>[] = [];
    try {
      const calls = s.numbers.map((n) => carrier.placeInboundCall({ from: callerNumber(), to: n }));
      for (const c of calls) await carrier.waitForCallEnd(c.callControlId, 15_000);
      placed = await Promise.all(calls.map((c) => waitForRecord(s.operator, c.callSessionId)));
      // Exports fail and are retried, retries run out, the sweeper queues the rows again …
      await eventually(
        async () =>
          (await metric(app, 'cdr_export_failures_total')) >= failuresBefore + 4 ? true : undefined,
        15_000,
        'failed exports',
      );
      await sleep(1_500);
      const pending: Array<{ n: string }> = await pg(app).query(
        'SELECT count(*) AS n FROM cdr_outbox WHERE exported_at IS NULL AND call_id = ANY($1::uuid[])',
        [placed.map((r) => r.id)],
      );
      expect(Number(pending[0].n)).toBe(4);
    } finally {
      (ch as { client: unknown }).client = real;
      await dead.close();
    }
    expect(await cdrCounts(app, s.tenantId)).toEqual({ final: 0, stored: 0, distinct: 0 });
    // … and once ClickHouse is back every CDR arrives, once.
    await waitExported(app, s.tenantId, 30_000);
    expect(await cdrCounts(app, s.tenantId)).toEqual({ final: 4, stored: 4, distinct: 4 });
    const report = await s.operator.get(`/reports?metrics=calls,connected,revenue&totals=true`);
    expect(report.status).toBe(200);
    expect(report.body.totals).toEqual({ calls: 4, connected: 4, revenue: '160.00' });
  });

  it('does not double CDRs when an export is repeated, runs twice at once or is queued twice', async () => {
    const t = await newTenant(app);
    const at = new Date(Date.now() - 3_600_000);
    const records = Array.from({ length: 5 }, (_, i) =>
      record(t.tenantId, {
        receivedAt: new Date(at.getTime() + i * 1000),
        connectedAt: new Date(at.getTime() + i * 1000 + 2_000),
        talkMs: 30_000,
        converted: true,
        revenue: '10.25',
        payout: '4.00',
        profit: '6.25',
      }),
    );
    await insertRecords(app, records);
    await waitExported(app, t.tenantId);
    const ids = records.map((r) => r.id);
    const outbox = app.app.get(CdrOutboxRepository);
    const exporter = app.app.get(CdrExportService);
    // ClickHouse took the rows but the commit was lost: the calls are in the outbox again and are all
    // written a second time…
    expect(await outbox.requeue(ids)).toBe(5);
    await waitExported(app, t.tenantId);
    // … then a third time by two exports at once, with the job queued twice besides.
    expect(await outbox.requeue(ids)).toBe(5);
    const written = await Promise.all([
      exporter.exportPending(),
      exporter.exportPending(),
      exporter.enqueue(0).then(() => exporter.enqueue(0)),
    ]);
    expect(written[0]! + written[1]!).toBeLessThanOrEqual(5);
    await waitExported(app, t.tenantId);
    // Each call was written up to three times (ClickHouse may already have merged copies away); reads see
    // one CDR per call, and the outbox keeps nothing of them.
    const counts = await cdrCounts(app, t.tenantId);
    expect(counts).toMatchObject({ final: 5, distinct: 5 });
    expect(await outboxRows(ids)).toBe(0);
    const report = await t.operator.get(
      `/reports?metrics=calls,converted,revenue,payout,profit&totals=true&from=${isoDay(at, -1)}`,
    );
    expect(report.body.totals).toEqual({
      calls: 5,
      converted: 5,
      revenue: '51.25',
      payout: '20.00',
      profit: '31.25',
    });
  });

  it('renders in PostgreSQL the same CDR as toCdrRow builds from the record, odd values included', async () => {
    const t = await newTenant(app);
    const campaign = (await t.operator.post('/campaigns', { name: 'Mapping' })).body;
    const at = new Date(Date.now() - 5 * 3_600_000);
    const records = [
      record(t.tenantId, {
        receivedAt: at,
        connectedAt: new Date(at.getTime() + 2_345),
        campaignId: campaign.id,
        talkMs: 61_000,
        converted: true,
        conversionSeconds: 60,
        revenue: '12.3456',
        payout: '2.5',
        profit: '9.8456',
        attributionMethod: 'current_holder',
        attributionConfidence: '0.95',
        dniSessionId: 'sid-x',
        destination: '+13125550111',
        tags: {
          utm_source: 'google',
          utm_term: 'it\'s \\ "quoted"\tand\nmore\u0001',
          caller_state: 'TX',
          campaign_id: campaign.id,
          publisher_id: 'not-the-column',
          caller_number: '+15125550000',
          dni_session_id: 'sid-x',
          sub_id: '7',
          emoji: '☎️ ünïcode',
        },
        legs: [
          leg({ leg: 'A', callControlId: 'v3:a' }),
          leg({ leg: 'B', attempt: 1, callControlId: 'v3:b', outcome: 'connected' }),
          leg({ leg: 'B', attempt: 2, callControlId: '' }),
        ],
      }),
      record(t.tenantId, {
        receivedAt: new Date(at.getTime() + 1),
        state: 'rejected',
        reason: 'blocked',
        tags: {},
      }),
      record(t.tenantId, {
        receivedAt: new Date(at.getTime() + 2),
        answeredAt: null,
        routingAt: null,
        attributionMethod: 'current_holder',
        tags: { attribution_method: 'other', tracking_number: '+13125550100', utm_medium: 'cpc' },
      }),
    ];
    await insertRecords(app, records);
    // Values the call flow never writes but a hand-edited record might hold.
    await pg(app).query(
      `UPDATE calls SET auction = '{"pings": 5, "bids": 2.0, "winningBid": 40.5, "runnerUpBid": "1e9"}',
         tags = tags || '{"n": 5, "utm_medium": 7, "gclid": null}'
       WHERE id = $1`,
      [records[0].id],
    );
    await pg(app).query(
      `UPDATE calls SET auction = '{"pings": -1, "bids": "3", "winningBid": "12.34567", "runnerUpBid": true}',
         legs = 'null', tags = '{}'
       WHERE id = $1`,
      [records[1].id],
    );
    await pg(app).query(
      `UPDATE calls SET auction = '{"pings": 70000, "bids": 1.5, "winningBid": "-0.5", "runnerUpBid": 35}'
       WHERE id = $1`,
      [records[2].id],
    );
    await waitExported(app, t.tenantId);
    const ids = records.map((r) => r.id);
    const now = Date.now();
    const outbox = app.app.get(CdrOutboxRepository);
    const rendered = (await outbox.lines(ids, now)).map(cdrRowFromLine);
    const plain: CallRecordRow[] = await pg(app).query('SELECT * FROM calls WHERE id = ANY($1::uuid[])', [
      ids,
    ]);
    expect(rendered).toHaveLength(3);
    for (const r of rendered) {
      expect(r).toEqual(
        toCdrRow(
          plain.find((p) => p.id === r.call_id)!,
          now,
        ),
      );
    }
    const [first, blocked, third] = ids.map((id) => rendered.find((r) => r.call_id === id)!);
    expect(first.tags).toEqual({
      publisher_id: 'not-the-column',
      caller_number: '+15125550000',
      sub_id: '7',
      emoji: '☎️ ünïcode',
      n: 5,
    });
    expect([first.utm_medium, first.gclid, first.utm_term]).toEqual(['7', '', records[0].tags.utm_term]);
    expect([first.auction_pings, first.auction_bids, first.winning_bid, first.runner_up_bid]).toEqual([
      5,
      2,
      '40.5',
      null,
    ]);
    expect(first.leg_ids).toEqual(['v3:a', 'v3:b']);
    expect(first.time_to_connect_ms).toBe(2345);
    expect(blocked).toMatchObject({
      blocked: true,
      tags: {},
      leg_ids: [],
      auction_pings: 0,
      auction_bids: 0,
    });
    expect([blocked.winning_bid, blocked.runner_up_bid]).toEqual([null, null]);
    expect(third).toMatchObject({
      answered_at: null,
      routing_at: null,
      auction_pings: 65535,
      auction_bids: 0,
    });
    expect([third.winning_bid, third.runner_up_bid]).toEqual(['-0.5', '35']);
    expect(third.tags).toEqual({ attribution_method: 'other' });
    // And ClickHouse takes the lines as they are.
    await outbox.requeue(ids);
    await waitExported(app, t.tenantId);
    const [ch] = await app.app.get(CdrRepository).byIds(t.tenantId, [records[0].id]);
    expect(ch).toMatchObject({
      utm_term: records[0].tags.utm_term,
      utm_medium: '7',
      revenue: '12.3456',
      winning_bid: '40.5',
      time_to_connect_ms: 2345,
      tags: first.tags && { ...first.tags, n: '5' },
    });
  });

  it('wakes exporters when calls enter the outbox, not for a rolled-back insert', async () => {
    const t = await newTenant(app);
    const outbox = app.app.get(CdrOutboxRepository);
    let wakes = 0;
    const stop = outbox.listen(() => wakes++);
    try {
      // A new listener wakes once at start (rows may have come in before it listened).
      await eventually(async () => (wakes >= 1 ? true : undefined), 5_000, 'the first wake-up');
      const start = wakes;
      // Rows added in a transaction that rolls back wake nobody…
      const runner = pg(app).createQueryRunner();
      try {
        await runner.startTransaction();
        await runner.query(
          `INSERT INTO cdr_outbox (call_id) SELECT id FROM calls WHERE tenant_id = $1 ON CONFLICT DO NOTHING`,
          [t.tenantId],
        );
        await runner.rollbackTransaction();
      } finally {
        await runner.release();
      }
      await sleep(300);
      expect(wakes).toBe(start);
      // … committed ones do, and the worker's exporter (woken the same way) writes them.
      await insertRecords(app, [record(t.tenantId, { receivedAt: new Date(Date.now() - 60_000) })]);
      await eventually(async () => (wakes > start ? true : undefined), 5_000, 'a wake-up');
      await waitExported(app, t.tenantId);
      expect(await cdrCounts(app, t.tenantId)).toEqual({ final: 1, stored: 1, distinct: 1 });
    } finally {
      await stop();
    }
  });

  it('gives back the rows of an export that never finished, and writes them once more', async () => {
    const t = await newTenant(app);
    const at = new Date(Date.now() - 2 * 3_600_000);
    const records = Array.from({ length: 3 }, (_, i) =>
      record(t.tenantId, { receivedAt: new Date(at.getTime() + i) }),
    );
    const ids = records.map((r) => r.id);
    await insertRecords(app, records);
    await waitExported(app, t.tenantId);
    expect(await cdrCounts(app, t.tenantId)).toEqual({ final: 3, stored: 3, distinct: 3 });
    expect(await outboxRows(ids)).toBe(0);
    // The auction's summary lands on the records, so the calls are queued to be written again…
    await pg(app).query(
      `UPDATE calls SET auction = '{"pings": 4, "bids": 3, "winningBid": "40.00", "runnerUpBid": "35.5"}'
       WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    // … and an exporter takes them, then hangs before ClickHouse answers (the worker's own exports may
    // take them first: then they are simply queued again).
    const outbox = app.app.get(CdrOutboxRepository);
    let hung: OutboxBatch | undefined;
    for (let i = 0; i < 20 && !hung; i++) {
      await outbox.requeue(ids);
      const batch = await outbox.take(1_000, 500, Date.now());
      const mine = batch
        .lines()
        .map(cdrRowFromLine)
        .filter((r) => ids.includes(r.call_id));
      if (mine.length === 3) hung = batch;
      else await batch.rollback();
    }
    expect(hung).toBeDefined();
    // Past the hold limit PostgreSQL ends the hung exporter's session: its commit fails, and the rows
    // are pending again…
    await sleep(1_500);
    await expect(hung!.commit()).rejects.toThrow();
    // … so the worker writes them: a newer version of each row, with the auction summary, one CDR per call.
    await waitExported(app, t.tenantId);
    expect(await outboxRows(ids)).toBe(0);
    expect(await cdrCounts(app, t.tenantId)).toMatchObject({ final: 3, distinct: 3 });
    const rowsNow = await app.app.get(CdrRepository).byIds(t.tenantId, ids);
    for (const r of rowsNow) {
      expect(r).toMatchObject({
        auction_pings: 4,
        auction_bids: 3,
        winning_bid: '40',
        runner_up_bid: '35.5',
      });
    }
    const log = await t.operator.get(`/reports/calls?from=${isoDay(at, -1)}`);
    expect(log.body.items.map((i: any) => [i.auction_bids, i.winning_bid, i.runner_up_bid])).toEqual([
      [3, '40.00', '35.50'],
      [3, '40.00', '35.50'],
      [3, '40.00', '35.50'],
    ]);
  });

  it('prunes what the earlier exporter left in the outbox, and nothing pending', async () => {
    const t = await newTenant(app);
    const records = Array.from({ length: 2 }, (_, i) =>
      record(t.tenantId, { receivedAt: new Date(Date.now() - 3_600_000 + i) }),
    );
    await insertRecords(app, records);
    await waitExported(app, t.tenantId);
    const [done, waiting] = records.map((r) => r.id);
    // As the earlier exporter left rows: one marked exported (never deleted), one still pending.
    await pg(app).query(`INSERT INTO cdr_outbox (call_id, exported_at) VALUES ($1, now()), ($2, NULL)`, [
      done,
      waiting,
    ]);
    const runner = pg(app).createQueryRunner();
    try {
      await runner.startTransaction();
      await new CdrOutboxPrune1795450000000().up(runner);
      const left: Array<{ call_id: string }> = await runner.query(
        'SELECT call_id FROM cdr_outbox WHERE call_id = ANY($1::uuid[])',
        [[done, waiting]],
      );
      expect(left.map((r) => r.call_id)).toEqual([waiting]);
      // Not kept: the worker may not export the pending row while this transaction holds it.
      await runner.rollbackTransaction();
    } finally {
      await runner.release();
    }
    await pg(app).query('DELETE FROM cdr_outbox WHERE call_id = $1', [done]);
    await waitExported(app, t.tenantId);
    expect(await outboxRows([done, waiting])).toBe(0);
    expect(await cdrCounts(app, t.tenantId)).toMatchObject({ final: 2, distinct: 2 });
  });

  async function outboxRows(ids: string[]): Promise<number> {
    const rows: Array<{ n: string }> = await pg(app).query(
      'SELECT count(*) AS n FROM cdr_outbox WHERE call_id = ANY($1::uuid[])',
      [ids],
    );
    return Number(rows[0].n);
  }
});

function leg(over: Partial<LegRecord>): LegRecord {
  return {
    leg: 'A',
    attempt: null,
    callControlId: null,
    targetId: null,
    destination: null,
    outcome: null,
    startedAt: null,
    answeredAt: null,
    endedAt: null,
    hangupCause: null,
    hangupSource: null,
    sipHangupCause: null,
    ...over,
  } as LegRecord;
}

function isoDay(d: Date, plusDays = 0): string {
  return new Date(d.getTime() + plusDays * 86_400_000).toISOString().slice(0, 10);
}

async function metric(app: RunningApp, name: string): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}
