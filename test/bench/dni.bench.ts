// `npm run bench -- dni`: the lease endpoint under 64 concurrent keep-alive connections, against a
// bare node:http server answering a fixed JSON body in the same run (same process layout).
// Visitors renew (most requests) or arrive new (every 8th request); leases never expire during the
// run, so a number seen with two visitors is a double assignment.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { AccountsService } from '../../src/accounts/accounts.service';
import { RedisService } from '../../src/infra/redis/redis.service';
import { Http } from '../support/test-app';
import { join } from 'node:path';
import { loadInWorker, percentile, profiled, report, round, startBenchApp } from './bench-lib';

const SCRIPT = join(__dirname, 'dni.load.js');

const CONNECTIONS = 64;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const VISITORS = 1_000;
const POOL_SIZE = 12_000;

/**
 * CPU seconds used so far by this process's main thread (Linux /proc; undefined elsewhere). Shown
 * next to the throughput so a change can be judged by its cost per lease, not only by a rate that
 * other work on the machine moves.
 */
function mainThreadCpuS(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return undefined;
  }
}

/** CPU seconds used so far by each thread of this process, by thread name (Linux /proc). */
function threadCpuS(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const s = (Number(fields[11]) + Number(fields[12])) / 100;
      const key = tid === String(process.pid) ? 'main' : name;
      out.set(key, (out.get(key) ?? 0) + s);
    }
  } catch {
    // not Linux: nothing to show
  }
  return out;
}

/** The main thread's [ns on CPU, ns runnable but waiting, involuntary context switches]. */
function mainSched(): number[] {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8')
      .split(' ')
      .map(Number);
    const status = readFileSync(`/proc/self/task/${process.pid}/status`, 'utf8');
    const switches = Number(/nonvoluntary_ctxt_switches:\s*(\d+)/.exec(status)?.[1] ?? NaN);
    return [run, wait, switches];
  } catch {
    return [NaN, NaN, NaN];
  }
}

/** CPU seconds redis-server's main thread has used (INFO cpu). */
async function redisCpuS(redis: RedisService): Promise<number> {
  const info = await redis.client.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
  const main = field('used_cpu_user_main_thread') + field('used_cpu_sys_main_thread');
  return Number.isNaN(main) ? field('used_cpu_user') + field('used_cpu_sys') : main;
}

/** Microseconds per request, to one decimal. */
const usPer = (seconds: number | undefined, requests: number) =>
  seconds === undefined || requests === 0 ? null : round((seconds * 1e6) / requests, 1);

async function bare(): Promise<{ perSecond: number; p99: number; mainCpuUs: number | null }> {
  const body = JSON.stringify({
    sid: 'x'.repeat(22),
    number: '+13125550100',
    overflow: false,
    targets: [],
    ttl: 300,
    heartbeat: 60,
  });
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const cpu0 = mainThreadCpuS();
  const r = await loadInWorker(origin, CONNECTIONS, DURATION_MS, SCRIPT, {
    key: 'bare',
    visitors: ['v'],
    bare: true,
  });
  const cpu1 = mainThreadCpuS();
  server.close();
  return {
    perSecond: r.perSecond,
    p99: percentile(r.latenciesMs, 99),
    mainCpuUs: usPer(cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0, r.requests),
  };
}

async function main(): Promise<void> {
  const app = await startBenchApp('dni');
  try {
    const accounts = app.app.get(AccountsService);
    const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
    await accounts.createTenant('bench', email, 'bench password 1');
    const login = await fetch(`${app.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'bench password 1' }),
    });
    const op = new Http(app.url).withCookie((login.headers.get('set-cookie') ?? '').split(';')[0]);
    const campaign = (await op.post('/campaigns', { name: 'bench', swapNumbers: ['+18005550100'] })).body;
    const pool = (
      await op.post('/pools', { campaignId: campaign.id, name: 'bench', kind: 'session', cooldownS: 0 })
    ).body;
    for (let i = 0; i < POOL_SIZE; i += 500) {
      const numbers = Array.from(
        { length: 500 },
        (_, j) => `+1312${String(2_000_000 + i + j).padStart(7, '0')}`,
      );
      const r = await op.post(`/pools/${pool.id}/numbers`, { numbers });
      if (r.status !== 201) throw new Error(`numbers: ${r.status} ${JSON.stringify(r.body)}`);
    }
    const visitors = Array.from({ length: VISITORS }, () => randomBytes(16).toString('base64url'));
    // warm-up: every returning visitor gets its lease, and code paths are compiled
    await loadInWorker(app.url, CONNECTIONS, 2_000, SCRIPT, { key: campaign.publicKey, visitors });
    const redis = app.app.get(RedisService);
    await redis.client.config('RESETSTAT');
    const threads0 = threadCpuS();
    const sched0 = mainSched();
    const cpu0 = { main: mainThreadCpuS(), process: process.cpuUsage(), redis: await redisCpuS(redis) };
    const phaseStart = process.hrtime.bigint();
    const result = await profiled(() =>
      loadInWorker(app.url, CONNECTIONS, DURATION_MS, SCRIPT, {
        key: campaign.publicKey,
        visitors,
      }),
    );
    const processCpu = process.cpuUsage(cpu0.process);
    const cpu1 = { main: mainThreadCpuS(), redis: await redisCpuS(redis) };
    const threads1 = threadCpuS();
    if (process.env.BENCH_DNI_STATS) {
      // CPU µs per lease by thread name (threads that exited during the phase are not counted).
      const byThread: Record<string, number | null> = {};
      for (const [name, s] of threads1)
        byThread[name] = usPer(s - (threads0.get(name) ?? 0), result.requests);
      console.log('cpu µs per lease by thread:', JSON.stringify(byThread));
      const sched = (a: number[], b: number[]) =>
        `run ${round((b[0] - a[0]) / 1e9, 2)} s, waiting to run ${round((b[1] - a[1]) / 1e9, 2)} s, ${b[2] - a[2]} involuntary switches`;
      console.log(`main thread: ${sched(sched0, mainSched())}`);
      // The lease phase on CLOCK_MONOTONIC (as `perf record -k CLOCK_MONOTONIC` stamps samples),
      // and Redis's per-command counts and times for it (commands inside scripts included).
      console.log(`lease phase: ${Number(phaseStart) / 1e9} ${Number(process.hrtime.bigint()) / 1e9}`);
      console.log(await redis.client.info('commandstats'));
    }
    const mainCpuS = cpu0.main === undefined || cpu1.main === undefined ? undefined : cpu1.main - cpu0.main;
    const doubles = result.summary.doubles as number;
    const baseline = await bare();
    const leasesPerS = result.perSecond;
    console.log(
      `lease: ${round(leasesPerS, 0)}/s p50 ${round(percentile(result.latenciesMs, 50))} ms p99 ${round(percentile(result.latenciesMs, 99))} ms, errors ${result.errors}; bare node:http ${round(baseline.perSecond, 0)}/s`,
    );
    report({
      leases_per_s: round(leasesPerS, 0),
      p50_ms: round(percentile(result.latenciesMs, 50)),
      p99_ms: round(percentile(result.latenciesMs, 99)),
      bare_per_s: round(baseline.perSecond, 0),
      ratio_vs_bare: round(leasesPerS / baseline.perSecond, 3),
      double_assignments: doubles,
      errors: result.errors,
      numbers_leased: result.summary.numbers,
      rss_mb: round(process.memoryUsage().rss / 2 ** 20, 0),
      // CPU per request while the lease load ran: the service's main thread, redis-server, and this
      // process's other threads (the load generator's worker, GC helpers); bare: its main thread.
      cpu_us_per_lease: {
        node_main: usPer(mainCpuS, result.requests),
        node_other: usPer(
          mainCpuS === undefined ? undefined : (processCpu.user + processCpu.system) / 1e6 - mainCpuS,
          result.requests,
        ),
        redis: usPer(cpu1.redis - cpu0.redis, result.requests),
        bare_main: baseline.mainCpuUs,
      },
      baseline: { leases_per_s: round(baseline.perSecond, 0), p99_ms: round(baseline.p99) },
      goals: { ratio_vs_bare: '>=0.45', p99_ms: '<=15', double_assignments: '=0' },
    });
  } finally {
    await app.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
