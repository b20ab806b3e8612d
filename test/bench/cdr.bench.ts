// `npm run bench -- cdr`: (1) CDR export throughput through the real pipeline — final records with their
// outbox rows in PostgreSQL, the dispatcher, BullMQ jobs, the export service, ClickHouse — against a
// bare ClickHouse insert of the same rows; (2) the main publisher report (GET /reports as a publisher:
// last 30 days by day in the publisher's time zone, with unique callers and payout) over 10 million
// CDRs generated inside ClickHouse (90 days of calls in time order, as the export writes them), against a
// plain count() over the same table.
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AccountsService } from '../../src/accounts/accounts.service';
import { CdrOutboxRepository } from '../../src/cdr/cdr-outbox.repository';
import { CdrRepository } from '../../src/cdr/cdr.repository';
import { type CallRecordRow, toCdrRow } from '../../src/cdr/cdr-row';
import { ClickHouseService } from '../../src/infra/clickhouse/clickhouse.service';
import { MetricsService } from '../../src/infra/metrics/metrics.service';
import { Http } from '../support/test-app';
import { percentile, profiled, report, round, startBenchApp } from './bench-lib';

const EXPORT_ROWS = Number(process.env.BENCH_EXPORT_ROWS ?? 100_000);
const CDR_ROWS = Number(process.env.BENCH_CDR_ROWS ?? 10_000_000);
const REPORT_RUNS = Number(process.env.BENCH_REPORT_RUNS ?? 40);
const DAYS = 90;
/** Share of all calls that belong to the publisher whose report is measured. */
const MAIN_PUBLISHER_SHARE = 0.4;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function timed(fn: () => Promise<unknown>, runs: number, warmup = 3): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const app = await startBenchApp('cdr');
  try {
    const accounts = app.app.get(AccountsService);
    const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
    const { tenant } = await accounts.createTenant('bench', email, 'bench password 1');
    const login = await fetch(`${app.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'bench password 1' }),
    });
    const op = new Http(app.url).withCookie((login.headers.get('set-cookie') ?? '').split(';')[0]);
    const ok = async (path: string, body: object) => {
      const r = await op.post(path, body);
      if (r.status !== 201) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const campaign = await ok('/campaigns', { name: 'Bench campaign' });
    const publisher = await ok('/publishers', {
      name: 'Bench publisher',
      payoutType: 'fixed',
      payoutAmount: '10',
    });
    const buyer = await ok('/buyers', { name: 'Bench buyer' });
    const target = await ok(`/buyers/${buyer.id}/targets`, {
      name: 'Bench target',
      kind: 'static',
      destination: '+13125550111',
      revenue: '40',
      campaignIds: [campaign.id],
    });
    const pubKey = (await ok('/api-keys', { name: 'pub', role: 'publisher', publisherId: publisher.id }))
      .key as string;
    const db = app.app.get(DataSource);
    const ch = app.app.get(ClickHouseService);
    const outbox = app.app.get(CdrOutboxRepository);
    const metrics = app.app.get(MetricsService);

    // ---- 1. export throughput ----------------------------------------------------------------------
    const insertSql = `
      WITH c AS (
        INSERT INTO calls (id, tenant_id, call_session_id, campaign_id, publisher_id, buyer_id, target_id,
          tracking_number, caller, destination, state, reason, duplicate, attribution_method,
          attribution_confidence, dni_session_id, tags, received_at, answered_at, routing_at, ringing_at,
          connected_at, ended_at, ring_ms, talk_ms, total_ms, attempts, converted, conversion_seconds,
          revenue, payout, profit, hangup_cause, hangup_source, legs, auction)
        SELECT gen_random_uuid(), $1, 'bench:' || g, $2, $3, $4, $5,
          '+1312555' || lpad((g % 1000)::text, 4, '0'), '+1512' || (2000000 + (g * 7919) % 3000000)::text,
          '+13125550111', 'completed', NULL, g % 20 = 0, 'current_holder', 0.95, 'sid' || g,
          jsonb_build_object('campaign_id', $2::uuid::text, 'campaign_name', 'Bench campaign', 'vertical', 'insurance',
            'publisher_id', $3::uuid::text, 'tracking_number', '+13125550100', 'caller_number', '+15125550100',
            'caller_area_code', '512', 'caller_state', 'TX', 'caller_country', 'US',
            'utm_source', (ARRAY['google','bing','facebook','tiktok','email'])[1 + g % 5], 'utm_medium', 'cpc',
            'utm_campaign', 'spring-' || (g % 30), 'utm_term', 'keyword ' || (g % 300),
            'landing_page', 'https://lp.example.com/quote/' || (g % 40) || '?utm_source=google',
            'referrer', 'https://www.google.com/', 'gclid', md5(g::text), 'sub_id', (g % 100)::text,
            'attribution_method', 'current_holder', 'attribution_confidence', '0.95', 'dni_session_id', 'sid' || g),
          now() - make_interval(secs => g), now() - make_interval(secs => g) + interval '150 ms',
          now() - make_interval(secs => g) + interval '300 ms', now() - make_interval(secs => g) + interval '400 ms',
          now() - make_interval(secs => g) + interval '3 s', now() - make_interval(secs => g) + interval '93 s',
          2600, 90000, 93000, 1, g % 3 = 0, 60, CASE WHEN g % 3 = 0 THEN 40 ELSE 0 END,
          CASE WHEN g % 3 = 0 THEN 10 ELSE 0 END, CASE WHEN g % 3 = 0 THEN 30 ELSE 0 END,
          'normal_clearing', 'caller',
          jsonb_build_array(jsonb_build_object('leg', 'A', 'callControlId', 'v3:a' || g),
                            jsonb_build_object('leg', 'B', 'callControlId', 'v3:b' || g)),
          jsonb_build_object('pings', 4, 'bids', 3, 'winningBid', '40.00', 'runnerUpBid', '35.50')
        FROM generate_series(1, $6) g
        RETURNING id
      )
      INSERT INTO cdr_outbox (call_id) SELECT id FROM c`;
    // Done when the exporter has counted every row written (its own cdr_exported_total, read in process:
    // asking PostgreSQL every few milliseconds would take some of the CPU the export needs), then checked
    // against the outbox once.
    const exportedTotal = async () =>
      (await metrics.registry.getSingleMetric('cdr_exported_total')?.get())?.values[0]?.value ?? 0;
    const before = await exportedTotal();
    console.log(`export: writing ${EXPORT_ROWS} final records with their outbox rows…`);
    await db.query(insertSql, [tenant.id, campaign.id, publisher.id, buyer.id, target.id, EXPORT_ROWS]);
    const t0 = performance.now();
    await profiled(async () => {
      while ((await exportedTotal()) - before < EXPORT_ROWS) await sleep(10);
    });
    const exportS = (performance.now() - t0) / 1000;
    const exportRate = EXPORT_ROWS / exportS;
    const left = await outbox.pending(tenant.id);
    if (left > 0) throw new Error(`${left} rows still in the outbox after ${EXPORT_ROWS} were exported`);
    console.log(`export: ${EXPORT_ROWS} CDRs in ${round(exportS)} s = ${round(exportRate, 0)} rows/s`);

    // Baseline: the same rows, already mapped, through the repository's insert alone (no PostgreSQL, no
    // queue), under another tenant id so they do not mix with the exported ones.
    const sample: CallRecordRow[] = await db.query(
      `SELECT c.* FROM calls c WHERE c.tenant_id = $1 LIMIT $2`,
      [tenant.id, EXPORT_ROWS],
    );
    const baselineTenant = randomUUID();
    const rows = sample.map((r) => ({ ...toCdrRow(r, Date.now()), tenant_id: baselineTenant }));
    const cdr = app.app.get(CdrRepository);
    const b0 = performance.now();
    for (let i = 0; i < rows.length; i += 5_000) await cdr.insert(rows.slice(i, i + 5_000));
    const rawRate = rows.length / ((performance.now() - b0) / 1000);
    console.log(`export baseline: the repository's ClickHouse insert alone ${round(rawRate, 0)} rows/s`);
    const exported = await (
      await ch.client.query({
        query: `SELECT count() AS n FROM ${ch.table('cdr')} FINAL WHERE tenant_id = {t:UUID}`,
        query_params: { t: tenant.id },
        format: 'JSONEachRow',
      })
    ).json<{ n: string }>();
    if (Number(exported[0].n) !== EXPORT_ROWS) throw new Error(`exported ${exported[0].n} of ${EXPORT_ROWS}`);

    // ---- 2. 10 million CDRs -------------------------------------------------------------------------
    const toGenerate = CDR_ROWS - EXPORT_ROWS;
    console.log(`report: generating ${toGenerate} more CDRs inside ClickHouse…`);
    const g0 = performance.now();
    await ch.client.command({
      query: `
        INSERT INTO ${ch.table('cdr')} (call_id, call_session_id, tenant_id, campaign_id, publisher_id, buyer_id,
          target_id, tracking_number, caller, caller_state, caller_country, landing_page, utm_source, utm_medium,
          utm_campaign, utm_term, tags, state, reason, connected, converted, duplicate, abandoned, started_at,
          connected_at, ended_at, ring_ms, talk_ms, total_ms, time_to_connect_ms, attempts, revenue, payout,
          profit, exported_at, version)
        SELECT
          generateUUIDv4(number),
          concat('gen:', toString(number)),
          toUUID({tenant:String}),
          if(number % 20 = 0, toUUID({campaign:String}), toUUID(concat('00000000-0000-4000-9000-', leftPad(toString(number % 20), 12, '0')))),
          if(cityHash64(number, 1) % 100 < {share:UInt32}, toUUID({publisher:String}),
             toUUID(concat('00000000-0000-4000-8000-', leftPad(toString(number % 19), 12, '0')))),
          if(number % 10 < 7, toUUID(concat('00000000-0000-4000-a000-', leftPad(toString(number % 30), 12, '0'))), toUUID('00000000-0000-0000-0000-000000000000')),
          if(number % 10 < 7, toUUID(concat('00000000-0000-4000-b000-', leftPad(toString(number % 60), 12, '0'))), toUUID('00000000-0000-0000-0000-000000000000')),
          concat('+1312555', leftPad(toString(number % 2000), 4, '0')),
          concat('+1', toString(2012000000 + cityHash64(number, 2) % 3000000)),
          ['TX', 'CA', 'NY', 'FL', 'IL', 'OH', 'GA', 'NC'][1 + number % 8],
          'US',
          concat('https://lp.example.com/quote/', toString(number % 40)),
          ['google', 'bing', 'facebook', 'tiktok', 'email', ''][1 + number % 6],
          ['cpc', 'display', 'social'][1 + number % 3],
          concat('spring-', toString(number % 30)),
          concat('keyword ', toString(number % 300)),
          map('sub_id', toString(number % 100), 'vertical', 'insurance'),
          if(number % 10 < 7, 'completed', if(number % 10 < 9, 'abandoned', 'failed')),
          if(number % 10 = 9, 'unrouted', ''),
          number % 10 < 7,
          number % 10 < 3,
          number % 25 = 0,
          number % 10 = 7 OR number % 10 = 8,
          now64(3) - toIntervalMillisecond(({rows:UInt64} - number) * {stepMs:UInt64} + cityHash64(number, 3) % 60000),
          NULL,
          now64(3),
          if(number % 10 < 7, 2000 + number % 8000, 0),
          if(number % 10 < 7, 30000 + number % 240000, 0),
          120000,
          if(number % 10 < 7, 2000 + number % 9000, 0),
          if(number % 10 < 7, 1, 0),
          if(number % 10 < 3, toDecimal64(40, 4), toDecimal64(0, 4)),
          if(number % 10 < 3 AND number % 25 != 0, toDecimal64(10, 4), toDecimal64(0, 4)),
          if(number % 10 < 3, toDecimal64(30, 4), toDecimal64(0, 4)),
          now64(3),
          1
        FROM numbers({rows:UInt64})`,
      query_params: {
        tenant: tenant.id,
        campaign: campaign.id,
        publisher: publisher.id,
        share: Math.round(MAIN_PUBLISHER_SHARE * 100),
        stepMs: Math.floor((DAYS * 86_400_000) / toGenerate),
        rows: toGenerate,
      },
      clickhouse_settings: { max_insert_threads: '2' },
    });
    console.log(`report: generated in ${round((performance.now() - g0) / 1000)} s`);
    // A bulk load leaves many parts that ClickHouse merges in the background for a while; measure the
    // steady state a live system is in (waiting at most 2 minutes), and say how many parts there were.
    const merging = async () =>
      Number(
        (
          await (
            await ch.client.query({
              query: `SELECT count() AS n FROM system.merges WHERE database = {db:String} AND table = 'cdr'`,
              query_params: { db: ch.database },
              format: 'JSONEachRow',
            })
          ).json<{ n: string }>()
        )[0].n,
      );
    const m0 = performance.now();
    while ((await merging()) > 0 && performance.now() - m0 < 120_000) await sleep(500);
    const parts = Number(
      (
        await (
          await ch.client.query({
            query: `SELECT count() AS n FROM system.parts WHERE database = {db:String} AND table = 'cdr' AND active`,
            query_params: { db: ch.database },
            format: 'JSONEachRow',
          })
        ).json<{ n: string }>()
      )[0].n,
    );
    console.log(
      `report: merges settled after ${round((performance.now() - m0) / 1000)} s; ${parts} active parts`,
    );
    const count = async () =>
      Number(
        (
          await (
            await ch.client.query({
              query: `SELECT count() AS n FROM ${ch.table('cdr')}`,
              format: 'JSONEachRow',
            })
          ).json<{ n: string }>()
        )[0].n,
      );
    const total = await count();

    const pub = new Http(app.url).withKey(pubKey);
    const today = new Date();
    const day = (d: Date) => d.toISOString().slice(0, 10);
    const from30 = day(new Date(today.getTime() - 29 * 86_400_000));
    const mainReport = `/reports?groupBy=day&metrics=calls,unique_callers,connected,converted,conversion_rate,payout,payout_per_call&tz=America/New_York&from=${from30}&to=${day(today)}`;
    let checked = false;
    const runReport = async (path: string, client: Http) => {
      const r = await client.get(path);
      if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
      if (!checked && path === mainReport) {
        checked = true;
        const calls = (r.body.rows as Array<{ calls: number }>).reduce((a, x) => a + x.calls, 0);
        console.log(`report: main publisher report covers ${calls} calls in ${r.body.rows.length} days`);
      }
      return r;
    };
    const main = await timed(() => runReport(mainReport, pub), REPORT_RUNS);
    const sources90 = await timed(
      () =>
        runReport(
          `/reports?groupBy=utm_source&metrics=calls,unique_callers,converted,payout&tz=America/New_York&from=${day(new Date(today.getTime() - (DAYS - 1) * 86_400_000))}&to=${day(today)}`,
          pub,
        ),
      Math.ceil(REPORT_RUNS / 4),
    );
    const operator30 = await timed(
      () =>
        runReport(
          `/reports?groupBy=campaign&metrics=calls,unique_callers,connected,converted,revenue,payout,profit&tz=America/New_York&from=${from30}&to=${day(today)}`,
          op,
        ),
      Math.ceil(REPORT_RUNS / 4),
    );
    const plainCount = await timed(count, REPORT_RUNS);
    const p = (xs: number[], q: number) => round(percentile(xs, q), 1);
    console.log(
      `report: publisher 30 d p50 ${p(main, 50)} ms p95 ${p(main, 95)} ms; publisher 90 d by source p95 ${p(sources90, 95)} ms; operator 30 d by campaign p95 ${p(operator30, 95)} ms; plain count() p95 ${p(plainCount, 95)} ms`,
    );
    report({
      export_rows_per_s: round(exportRate, 0),
      export_rows: EXPORT_ROWS,
      report_p50_ms: p(main, 50),
      report_p95_ms: p(main, 95),
      rows: total,
      parts,
      publisher_90d_by_source_p95_ms: p(sources90, 95),
      operator_30d_by_campaign_p95_ms: p(operator30, 95),
      rss_mb: round(process.memoryUsage().rss / 2 ** 20, 0),
      baseline: {
        export_rows_per_s: round(rawRate, 0),
        report_p50_ms: p(plainCount, 50),
        report_p95_ms: p(plainCount, 95),
      },
      goals: { export_rows_per_s: '>=20000', report_p95_ms: '<=500', rows: '>=10000000' },
    });
  } finally {
    await app.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
