// The CDR pipeline end to end on the real stores: sandbox calls become ClickHouse rows equal to their
// PostgreSQL records; a ClickHouse outage holds CDRs back and they all arrive, once, after it ends; a
// duplicated export job and a lost job neither double nor lose a CDR.
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { randomUUID } from 'node:crypto';
import type { RunningApp } from '../../src/app.bootstrap';
import { CdrExportService } from '../../src/cdr/cdr-export.service';
import { CdrRepository } from '../../src/cdr/cdr.repository';
import { CdrOutboxRepository } from '../../src/cdr/cdr-outbox.repository';
import { type CallRecordRow, type CdrRow, fullTags, NIL_UUID, toCdrRow } from '../../src/cdr/cdr-row';
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
      CDR_SWEEP_INTERVAL_MS: '300',
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

  it('does not double CDRs when an export job runs twice', async () => {
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
    const [{ batch_id: batchId }]: Array<{ batch_id: string }> = await pg(app).query(
      'SELECT DISTINCT batch_id FROM cdr_outbox WHERE call_id = ANY($1::uuid[])',
      [ids],
    );
    // The batch's acknowledgement is lost after ClickHouse took the rows: the same batch runs again (all
    // of it written a second time), and then twice at once, plus a duplicate queue job.
    const exporter = app.app.get(CdrExportService);
    const unack = () =>
      pg(app).query('UPDATE cdr_outbox SET exported_at = NULL WHERE call_id = ANY($1::uuid[])', [ids]);
    await unack();
    expect(await exporter.exportBatch(batchId)).toBe(5);
    await unack();
    const written = await Promise.all([
      exporter.exportBatch(batchId),
      exporter.exportBatch(batchId),
      exporter.enqueue(batchId).then(() => exporter.enqueue(batchId)),
    ]);
    expect(written[0] + written[1]).toBeGreaterThanOrEqual(5);
    await waitExported(app, t.tenantId);
    // Each call was written at least three times (ClickHouse may already have merged copies away);
    // reads see one CDR per call.
    const counts = await cdrCounts(app, t.tenantId);
    expect(counts).toMatchObject({ final: 5, distinct: 5 });
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

  it('builds the same CDR from the export query as from the plain record, odd values included', async () => {
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
          utm_term: 'it\'s \\ "quoted"\tand\nmore',
          caller_state: 'TX',
          campaign_id: campaign.id,
          publisher_id: 'not-the-column',
          caller_number: '+15125550000',
          sub_id: '7',
          emoji: '☎️ ünïcode',
        },
        legs: [
          {
            leg: 'A',
            attempt: null,
            callControlId: 'v3:a',
            targetId: null,
            destination: null,
            outcome: null,
            startedAt: null,
            answeredAt: null,
            endedAt: null,
            hangupCause: null,
            hangupSource: null,
            sipHangupCause: null,
          },
          {
            leg: 'B',
            attempt: 1,
            callControlId: 'v3:b',
            targetId: null,
            destination: null,
            outcome: 'connected',
            startedAt: null,
            answeredAt: null,
            endedAt: null,
            hangupCause: null,
            hangupSource: null,
            sipHangupCause: null,
          },
        ],
      }),
      record(t.tenantId, {
        receivedAt: new Date(at.getTime() + 1),
        state: 'rejected',
        reason: 'blocked',
        tags: {},
      }),
    ];
    await insertRecords(app, records);
    await pg(app).query(
      `UPDATE calls SET auction = '{"pings": 5, "bids": 2.0, "winningBid": 40.5, "runnerUpBid": "1e9"}' WHERE id = $1`,
      [records[0].id],
    );
    await waitExported(app, t.tenantId);
    const batch = randomUUID();
    await pg(app).query(
      `UPDATE cdr_outbox SET exported_at = NULL, batch_id = $2, enqueued_at = now() WHERE call_id = ANY($1::uuid[])`,
      [records.map((r) => r.id), batch],
    );
    const outbox = app.app.get(CdrOutboxRepository);
    const now = Date.now();
    const objects = await outbox.loadBatch(batch);
    const plain: CallRecordRow[] = await pg(app).query('SELECT * FROM calls WHERE id = ANY($1::uuid[])', [
      records.map((r) => r.id),
    ]);
    expect(objects).toHaveLength(2);
    for (const o of objects) {
      expect(toCdrRow(o, now)).toEqual(
        toCdrRow(
          plain.find((p) => p.id === o.id)!,
          now,
        ),
      );
    }
    const row = toCdrRow(
      objects.find((o) => o.id === records[0].id)!,
      now,
    );
    expect(row.tags).toEqual({
      publisher_id: 'not-the-column',
      caller_number: '+15125550000',
      sub_id: '7',
      emoji: '☎️ ünïcode',
    });
    expect([row.auction_pings, row.auction_bids, row.winning_bid, row.runner_up_bid]).toEqual([
      5,
      2,
      '40.5',
      null,
    ]);
    expect(row.leg_ids).toEqual(['v3:a', 'v3:b']);
    expect(row.time_to_connect_ms).toBe(2345);
    // And ClickHouse takes the rows as they are.
    await app.app.get(CdrExportService).exportBatch(batch);
    const [ch] = await app.app.get(CdrRepository).byIds(t.tenantId, [records[0].id]);
    expect(ch).toMatchObject({
      utm_term: records[0].tags.utm_term,
      revenue: '12.3456',
      winning_bid: '40.5',
      time_to_connect_ms: 2345,
    });
  });

  it('re-queues rows a lost job left behind', async () => {
    const t = await newTenant(app);
    const at = new Date(Date.now() - 2 * 3_600_000);
    const records = Array.from({ length: 3 }, (_, i) =>
      record(t.tenantId, { receivedAt: new Date(at.getTime() + i) }),
    );
    await insertRecords(app, records);
    await waitExported(app, t.tenantId);
    expect(await cdrCounts(app, t.tenantId)).toEqual({ final: 3, stored: 3, distinct: 3 });
    // The auction's summary lands on the records (a changed record is exported again)…
    await pg(app).query(
      `UPDATE calls SET auction = '{"pings": 4, "bids": 3, "winningBid": "40.00", "runnerUpBid": "35.5"}'
       WHERE id = ANY($1::uuid[])`,
      [records.map((r) => r.id)],
    );
    // … and a dispatcher claimed the rows into a batch, then died before its job was queued.
    const lost = randomUUID();
    await pg(app).query(
      `UPDATE cdr_outbox SET exported_at = NULL, batch_id = $2, enqueued_at = now() - interval '1 hour'
       WHERE call_id = ANY($1::uuid[])`,
      [records.map((r) => r.id), lost],
    );
    await waitExported(app, t.tenantId);
    const rows: Array<{ batch_id: string }> = await pg(app).query(
      'SELECT batch_id FROM cdr_outbox WHERE call_id = ANY($1::uuid[])',
      [records.map((r) => r.id)],
    );
    expect(rows.every((r) => r.batch_id !== lost)).toBe(true);
    // Written again by the new batch (a newer version of each row, with the auction summary), still one
    // CDR per call.
    expect(await cdrCounts(app, t.tenantId)).toMatchObject({ final: 3, distinct: 3 });
    const rowsNow = await app.app.get(CdrRepository).byIds(
      t.tenantId,
      records.map((r) => r.id),
    );
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
});

function isoDay(d: Date, plusDays = 0): string {
  return new Date(d.getTime() + plusDays * 86_400_000).toISOString().slice(0, 10);
}

async function metric(app: RunningApp, name: string): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}
