// `npm run bench -- webhook`: calls driven by the sandbox carrier through the real webhook path.
// The carrier runs in a worker thread (its own event loop, like Telnyx on the other side of the
// network) and places inbound calls at a fixed rate to tracking numbers; the service (the main
// thread, and the call runner below) verifies each signed webhook, queues it, answers, routes and
// transfers to a static target that answers and talks, and writes the final record. Measured: sustained calls per second with zero
// failed calls (every call answered, bridged, recorded as completed), and the answer latency as the
// issue defines it: from call.initiated received to the answer command sent. "Received" is taken at the
// carrier, when its HTTP client has written the webhook to the socket (so the time the request waits for
// the service's busy event loop counts); "sent" is when the service's HTTP client has flushed the answer
// command to its socket. Both instants come from the process-wide monotonic clock (process.hrtime), shared by the
// two threads. The round trip as the carrier sees it (until its own loop has read the command) is
// printed too, as roundtrip_p50_ms / roundtrip_p99_ms: it adds the carrier thread's own delays, which
// belong to the bench's layout (Telnyx on the same 2 cores), not to the service. The baseline, in the
// same run and process layout, is a bare node:http server that only verifies the signature and sends
// answer and transfer, measured the same way.
// The service runs as an api instance (APP_ROLE=api): queue consumers belong to worker instances. By
// default it hands each call on after the answer (CALL_HANDOFF) to a call runner, a second process
// (APP_ROLE=calls, PROCESS_NICE=10 or BENCH_RUNNER_NICE) on the same stores that routes, transfers and
// writes the record; BENCH_LAYOUT=single has the api instance do all of it.
//
// BENCH_CALLS_PER_S (200) and BENCH_SECONDS (20) set the offered load. Besides the JSON line it prints
// where the time goes: CPU per call of the service thread, the runner and the carrier thread, event-loop
// utilisation, system calls per call, and Redis's commands and CPU per call. BENCH_PROFILE /
// BENCH_PROFILE_CARRIER write CPU profiles (BENCH_PROFILE_RUNNER: the runner's, into that directory,
// covering its whole life; BENCH_RUNNER_NODE_ARGS: more node options for it), BENCH_ALLOC an allocation profile (see bench-lib's
// profiled), BENCH_TRACE each call's timing (with its stages in the service) with the loop's lags and GC
// pauses.
import { randomFill } from 'node:crypto';
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as diagnostics from 'node:diagnostics_channel';
import { Agent, type ClientRequest, createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { crypto_sign_verify_detached } from 'sodium-native';
import { AccountsService } from '../../src/accounts/accounts.service';
import { RedisService } from '../../src/infra/redis/redis.service';
import { WebhookIngressService } from '../../src/telephony/webhook-ingress.service';
import { SandboxCarrier } from '../../src/sandbox/carrier';
import { Http } from '../support/test-app';
import { percentile, profiled, report, round, startBenchApp, startCpuProfile } from './bench-lib';

const RATE = Number(process.env.BENCH_CALLS_PER_S ?? 200);
/** BENCH_LAYOUT=single: one api instance drives its calls itself; default: the hand-off layout. */
const HANDOFF = (process.env.BENCH_LAYOUT ?? 'handoff') !== 'single';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
// The warm-up runs at the measured rate, so the measured run starts in the steady state it measures:
// JIT-compiled code, heap sizes, and as many keep-alive connections each way as that rate keeps busy.
// (At a quarter of the rate, the first second of the run opened ~90 new connections, and the calls
// that waited on them made up a third of the slowest 1 %.) It lasts 12 s (BENCH_WARMUP_SECONDS): after
// 4 s the call runner's compiler threads were still optimising functions through the measured run
// (~350 optimised compilations in it, V8's code log), on the same 2 cores.
const WARMUP_RATE = RATE;
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 12);
const TALK_MS = 1_000;
const ANSWER_AFTER_MS = 100;
const API_KEY = 'KEY_bench_webhook';
const DESTINATION = '+13125550177';
const NUMBERS = 200;

interface CarrierInfo {
  apiBaseUrl: string;
  publicKey: string;
  connectionId: string;
}

interface RunResult {
  /** Event-loop utilisation and CPU time of the carrier thread during the run. */
  carrierElu: number;
  carrierCpuMs: number;
  placed: number;
  completedLegs: number;
  failedCalls: number;
  /** Round trips as the carrier sees them: call.initiated handed to its client → answer command read. */
  answerMs: number[];
  /** When each incoming call.initiated was handed to the carrier's client: [call_control_id, hrtime ms]. */
  initiated: Array<[string, number]>;
  /** With BENCH_TRACE: when each measured call.initiated left the carrier (epoch ms), with answerMs. */
  answerAt?: number[];
  elapsedS: number;
  /** Calls per second as placed: (placed − 1) over the time from the first placement to the last. */
  placedPerS: number;
}

// ---- the carrier side (worker thread) ---------------------------------------------------------------

async function carrierWorker(): Promise<void> {
  const carrier = new SandboxCarrier({ apiKey: API_KEY, seed: 7, maxEndedCalls: 100_000 });
  await carrier.start({ host: '127.0.0.1', port: 0 });
  const port = parentPort!;
  port.postMessage({
    apiBaseUrl: carrier.apiBaseUrl,
    publicKey: carrier.publicKeyBase64,
    connectionId: carrier.connectionId,
  } satisfies CarrierInfo);
  carrier.setDestinationBehaviour(DESTINATION, {
    mode: 'answer',
    answerAfterMs: ANSWER_AFTER_MS,
    talkMs: TALK_MS,
  });

  const initiatedAt = new Map<string, number>();
  let initiated: Array<[string, number]> = [];
  let answerMs: number[] = [];
  let answerAt: number[] = [];
  const tracing = !!process.env.BENCH_TRACE;
  // Outcome of each caller leg, kept as it ends (one listener, not one per call).
  const ended = new Map<string, boolean>();
  carrier.on('call.ended', (leg) => {
    if (leg.origin !== 'inbound') return;
    // A completed call was answered, bridged to the buyer, and ended by the buyer's hangup.
    ended.set(
      leg.callControlId,
      !!leg.answerTime && leg.events.includes('call.bridged') && leg.hangupCause === 'normal_clearing',
    );
  });
  // When the POST of each incoming call.initiated has been written to the socket (undici's channels).
  let created: object | undefined;
  const writing = new WeakMap<object, string>();
  diagnostics.subscribe('undici:request:create', (m) => (created = (m as { request: object }).request));
  diagnostics.subscribe('undici:request:bodySent', (m) => {
    const request = (m as { request: object }).request;
    const ccid = writing.get(request);
    if (ccid !== undefined) {
      writing.delete(request);
      initiated.push([ccid, hrMs()]);
    }
  });
  carrier.on('webhook', (w) => {
    if (w.data.event_type === 'call.initiated' && w.data.payload.direction === 'incoming') {
      initiatedAt.set(w.callControlId, performance.now());
      // The carrier starts the POST before it emits the event: the request just created is this one.
      if (created) writing.set(created, w.callControlId);
      else initiated.push([w.callControlId, hrMs()]);
    }
    created = undefined;
  });
  carrier.on('api', (e) => {
    if (e.statusCode !== 200 || !e.url.endsWith('/actions/answer')) return;
    const ccid = decodeURIComponent(e.url.split('/')[3]);
    const t0 = initiatedAt.get(ccid);
    if (t0 !== undefined) {
      answerMs.push(performance.now() - t0);
      if (tracing) answerAt.push(performance.timeOrigin + t0);
      initiatedAt.delete(ccid);
    }
  });

  port.on(
    'message',
    (m: { webhookUrl: string; numbers: string[]; rate: number; seconds: number } | 'stop') => {
      if (m === 'stop') {
        void carrier.stop().then(() => port.close());
        return;
      }
      void (async () => {
        carrier.setWebhookUrl(m.webhookUrl);
        answerMs = [];
        answerAt = [];
        initiated = [];
        ended.clear();
        const legs: string[] = [];
        const total = Math.round(m.rate * m.seconds);
        const profiling =
          process.env.BENCH_PROFILE_CARRIER && m.seconds > 5
            ? await startCpuProfile(process.env.BENCH_PROFILE_CARRIER)
            : undefined;
        const elu0 = performance.eventLoopUtilization();
        const cpu0 = threadCpuMs();
        const start = performance.now();
        let placed = 0;
        let firstAt = 0;
        let lastAt = 0;
        await new Promise<void>((done) => {
          const tick = setInterval(() => {
            const now = performance.now();
            const due = Math.min(total, Math.floor(((now - start) / 1000) * m.rate));
            if (placed === 0 && due > 0) firstAt = now;
            if (due > placed) lastAt = now;
            for (; placed < due; placed++) {
              const caller = `+1512${String(2_000_000 + ((placed * 7919) % 7_000_000)).padStart(7, '0')}`;
              legs.push(
                carrier.placeInboundCall({ from: caller, to: m.numbers[placed % m.numbers.length] })
                  .callControlId,
              );
            }
            if (placed >= total) {
              clearInterval(tick);
              done();
            }
          }, 5);
        });
        const elapsedS = (performance.now() - start) / 1000;
        // The rate the calls went out at: intervals between the first and the last placement (the
        // time to the last one alone would also count the timer's lateness in placing it).
        const placedPerS = placed > 1 && lastAt > firstAt ? ((placed - 1) * 1000) / (lastAt - firstAt) : 0;
        const carrierElu = performance.eventLoopUtilization(elu0).utilization;
        const carrierCpuMs = threadCpuMs() - cpu0;
        if (profiling) await profiling();
        const deadline = Date.now() + 60_000;
        while (ended.size < legs.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        await carrier.whenIdle();
        const completedLegs = legs.filter((id) => ended.get(id) === true).length;
        port.postMessage({
          carrierElu,
          carrierCpuMs,
          placed: legs.length,
          completedLegs,
          failedCalls: legs.length - completedLegs,
          answerMs,
          initiated,
          ...(tracing ? { answerAt } : {}),
          elapsedS,
          placedPerS,
        } satisfies RunResult);
      })();
    },
  );
}

// ---- the service side (main thread) -------------------------------------------------------------------

function startCarrier(): Promise<{
  worker: Worker;
  info: CarrierInfo;
  run: (m: object) => Promise<RunResult>;
}> {
  const worker = new Worker(__filename, { workerData: { role: 'carrier' } });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (info: CarrierInfo) =>
      resolve({
        worker,
        info,
        run: (m) =>
          new Promise<RunResult>((done) => {
            worker.once('message', done);
            worker.postMessage(m);
          }),
      }),
    );
  });
}

/** A node:http server that verifies the signature and drives the call with plain HTTP: no service. */
async function bareServer(info: CarrierInfo): Promise<{ url: string; close: () => void }> {
  // The same check as the service's (libsodium), so the baseline is not slowed by a slower primitive.
  const key = Buffer.from(info.publicKey, 'base64');
  // Keep-alive node:http, as the service's SDK client uses.
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const api = new URL(info.apiBaseUrl);
  const command = (ccid: string, action: string, body: object) => {
    const json = JSON.stringify(body);
    const req = httpRequest(
      {
        host: api.hostname,
        port: api.port,
        method: 'POST',
        path: `/v2/calls/${encodeURIComponent(ccid)}/actions/${action}`,
        headers: {
          authorization: `Bearer ${API_KEY}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(json),
        },
        agent,
      },
      (res) => res.resume(),
    );
    req.on('error', () => undefined);
    req.end(json);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const ts = String(req.headers['telnyx-timestamp'] ?? '');
      const sig = Buffer.from(String(req.headers['telnyx-signature-ed25519'] ?? ''), 'base64');
      const message = Buffer.concat([Buffer.from(`${ts}|`), raw]);
      if (sig.length !== 64 || !crypto_sign_verify_detached(sig, message, key)) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      const { data } = JSON.parse(raw.toString('utf8')) as {
        data: { event_type: string; payload: Record<string, string> };
      };
      const p = data.payload;
      if (data.event_type === 'call.initiated' && p.direction === 'incoming') {
        command(p.call_control_id, 'answer', {
          command_id: `${p.call_session_id}:answer`,
          client_state: 'QQ==',
        });
      } else if (data.event_type === 'call.answered' && p.client_state === 'QQ==') {
        command(p.call_control_id, 'transfer', {
          to: DESTINATION,
          timeout_secs: 30,
          command_id: `${p.call_session_id}:transfer`,
          target_leg_client_state: 'Qg==',
        });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/telnyx`,
    close: () => {
      server.close();
      agent.destroy();
    },
  };
}

/** The process-wide monotonic clock in ms (the same in every thread, unlike performance.now()). */
function hrMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * When this thread's node:http client flushed each answer command to its socket (the service's SDK
 * client and the bare server both send through node:http): call_control_id → hrtime ms.
 */
function watchAnswerCommands(): { sent: Map<string, number>; stop: () => void } {
  const sent = new Map<string, number>();
  const onStart = (message: unknown) => {
    const request = (message as { request: ClientRequest }).request;
    const m = /^\/v2\/calls\/([^/]+)\/actions\/answer$/.exec(request.path);
    if (!m) return;
    const ccid = decodeURIComponent(m[1]);
    request.once('finish', () => {
      if (!sent.has(ccid)) sent.set(ccid, hrMs());
    });
  };
  diagnostics.subscribe('http.client.request.start', onStart);
  return { sent, stop: () => diagnostics.unsubscribe('http.client.request.start', onStart) };
}

/** CPU time (ms) and resident memory (MB) of another process (Linux /proc). */
function processUsage(pid: number): { cpuMs: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / 100,
    rssMb: (Number(fields[21]) * 4096) / 1024 / 1024,
  };
}

/**
 * BENCH_TRACE: for each incoming call.initiated, when the service's HTTP server started the request and
 * when the whole body reached the webhook ingress (hrtime ms), splitting the answer latency into the
 * wait for the service to read the request and the work from there to the answer command.
 */
function traceIntake(ingress: WebhookIngressService): Map<string, [number, number]> {
  const stages = new Map<string, [number, number]>();
  const startedAt = new WeakMap<object, number>();
  diagnostics.subscribe('http.server.request.start', (m) =>
    startedAt.set((m as { request: { headers: object } }).request.headers, hrMs()),
  );
  const receive = ingress.receive.bind(ingress);
  ingress.receive = (raw: Buffer, headers: Record<string, unknown>) => {
    const at = hrMs();
    const body = raw.toString();
    if (body.includes('"call.initiated"') && body.includes('"incoming"')) {
      const ccid = /"call_control_id":"([^"]+)"/.exec(body)?.[1];
      if (ccid) stages.set(ccid, [startedAt.get(headers) ?? at, at]);
    }
    return receive(raw, headers);
  };
  return stages;
}

/** CPU time (ms) of every PostgreSQL server process on this machine (Linux /proc), for the per-call figure. */
function postgresCpuMs(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      total += processUsage(Number(entry)).cpuMs;
    } catch {
      // the process ended between the listing and the read
    }
  }
  return total;
}

/**
 * The call runner of the hand-off layout: `node dist/src/main.js` as APP_ROLE=calls on the service's
 * PostgreSQL and Redis, at PROCESS_NICE=10 (see the README's layout notes), talking to the same carrier.
 */
async function startRunner(
  stores: { databaseUrl: string; redisUrl: string },
  info: CarrierInfo,
): Promise<ChildProcess> {
  const dataDir = join(__dirname, '..', '..', '..', '.data', 'bench-webhook-runner');
  rmSync(dataDir, { recursive: true, force: true });
  const profile = process.env.BENCH_PROFILE_RUNNER;
  const args = [
    ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
    ...(process.env.BENCH_RUNNER_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
  const child = spawn(process.execPath, [...args, join(__dirname, '..', '..', 'src', 'main.js')], {
    env: {
      ...process.env,
      APP_ROLE: 'calls',
      PROCESS_NICE: process.env.BENCH_RUNNER_NICE ?? '10',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: stores.databaseUrl,
      REDIS_URL: stores.redisUrl,
      LOG_LEVEL: 'silent',
      TELNYX_API_KEY: API_KEY,
      TELNYX_BASE_URL: info.apiBaseUrl,
      TELNYX_PUBLIC_KEY: info.publicKey,
      TELNYX_CONNECTION_ID: info.connectionId,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(' is up in ')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the call runner exited (${code}): ${out}`)));
  });
  child.stdout!.resume();
  return child;
}

/** CPU time of the calling thread (Linux /proc/thread-self), ms; 0 where unavailable. */
function threadCpuMs(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** Read and write system calls made by the calling thread so far (Linux), for the per-call figures. */
function threadSyscalls(): { r: number; w: number } {
  try {
    const io = readFileSync('/proc/thread-self/io', 'utf8');
    return { r: Number(/syscr: (\d+)/.exec(io)?.[1] ?? 0), w: Number(/syscw: (\d+)/.exec(io)?.[1] ?? 0) };
  } catch {
    return { r: 0, w: 0 };
  }
}

/**
 * Samples, every 10 ms, how late a timer fires on the service's event loop and how long a trivial job
 * waits in libuv's thread pool; the stop function summarises.
 */
function probeDelays(): () => {
  loopP99: number;
  loopMax: number;
  poolP99: number;
  poolMax: number;
  /** Late timers over 5 ms: [epoch ms when the timer fired, ms late]. */
  lags: Array<[number, number]>;
} {
  const loop: number[] = [];
  const pool: number[] = [];
  const lags: Array<[number, number]> = [];
  const one = Buffer.alloc(1);
  let expected = performance.now() + 10;
  const timer = setInterval(() => {
    const now = performance.now();
    loop.push(Math.max(0, now - expected));
    if (now - expected > 5) lags.push([round(performance.timeOrigin + now), round(now - expected)]);
    expected = now + 10;
    randomFill(one, () => pool.push(performance.now() - now));
  }, 10);
  return () => {
    clearInterval(timer);
    const l = [...loop].sort((a, b) => a - b);
    const q = [...pool].sort((a, b) => a - b);
    return {
      loopP99: round(percentile(l, 99)),
      loopMax: round(l[l.length - 1] ?? 0),
      poolP99: round(percentile(q, 99)),
      poolMax: round(q[q.length - 1] ?? 0),
      lags,
    };
  };
}

/** Garbage collections on the service thread while the run lasts: [epoch ms start, ms, kind]. */
function traceGc(): () => { entries: Array<[number, number, number]> } {
  const entries: Array<[number, number, number]> = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
      entries.push([round(performance.timeOrigin + e.startTime), round(e.duration), kind]);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    observer.disconnect();
    return { entries };
  };
}

/** Redis's own counters: calls per command (INFO commandstats) and the server's CPU (INFO cpu), in ms. */
async function redisStats(
  redis: RedisService,
): Promise<{ calls: Map<string, number>; cpuMs: number; aofRewrites: number; aofBytes: number }> {
  const info =
    (await redis.direct.info('commandstats')) +
    (await redis.direct.info('cpu')) +
    (await redis.direct.info('persistence'));
  const calls = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) calls.set(m[1], Number(m[2]));
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return {
    calls,
    cpuMs: (field('used_cpu_sys') + field('used_cpu_user')) * 1000,
    aofRewrites: field('aof_rewrites'),
    aofBytes: field('aof_current_size'),
  };
}

/** Cumulative buckets of call_answer_latency_seconds: [upper bound s, count]. */
function answerBuckets(metrics: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const m of metrics.matchAll(/^call_answer_latency_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)) {
    out.push([m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])]);
  }
  return out;
}

/**
 * The run's figures. `sent`: when each answer command left (watchAnswerCommands); a call whose answer
 * never left, or whose call.initiated was never seen leaving the carrier, counts as infinitely late.
 */
function summary(r: RunResult, sent: Map<string, number>) {
  const latency = r.initiated.map(([ccid, t0]) => {
    const t1 = sent.get(ccid);
    return t1 === undefined ? Infinity : t1 - t0;
  });
  for (let i = r.initiated.length; i < r.placed; i++) latency.push(Infinity);
  latency.sort((a, b) => a - b);
  const roundTrip = [...r.answerMs].sort((a, b) => a - b);
  return {
    calls_per_s: round(r.placedPerS, 1),
    failed_calls: r.failedCalls,
    p50_ms: round(percentile(latency, 50)),
    p99_ms: round(percentile(latency, 99)),
    max_ms: round(latency[latency.length - 1] ?? 0),
    roundtrip_p50_ms: round(percentile(roundTrip, 50)),
    roundtrip_p99_ms: round(percentile(roundTrip, 99)),
  };
}

async function main(): Promise<void> {
  const carrier = await startCarrier();
  const numbers = Array.from({ length: NUMBERS }, (_, i) => `+1312555${String(1000 + i).padStart(4, '0')}`);

  // Baseline: bare verifier + commands.
  const bare = await bareServer(carrier.info);
  await carrier.run({ webhookUrl: bare.url, numbers, rate: WARMUP_RATE, seconds: 2 });
  const cpu0 = process.cpuUsage();
  const main0 = threadCpuMs();
  const baseAnswers = watchAnswerCommands();
  const baseRun = await carrier.run({ webhookUrl: bare.url, numbers, rate: RATE, seconds: SECONDS });
  baseAnswers.stop();
  const baseCpu = process.cpuUsage(cpu0);
  const bareThreadMs = round((threadCpuMs() - main0) / baseRun.placed, 2);
  const base = summary(baseRun, baseAnswers.sent);
  console.log(
    `baseline CPU per call: process ${round((baseCpu.user + baseCpu.system) / 1000 / baseRun.placed, 2)} ms, ` +
      `bare server thread ${bareThreadMs} ms`,
  );
  bare.close();
  console.log(`baseline (bare verifier): ${JSON.stringify(base)}`);

  // An api instance, as in production: queue consumers (CDR export, pixels) run on worker instances.
  // In the hand-off layout it answers new callers and a call runner process does the rest.
  const app = await startBenchApp('webhook', {
    APP_ROLE: 'api',
    CALL_HANDOFF: HANDOFF ? 'true' : 'false',
    TELNYX_API_KEY: API_KEY,
    TELNYX_BASE_URL: carrier.info.apiBaseUrl,
    TELNYX_PUBLIC_KEY: carrier.info.publicKey,
    TELNYX_CONNECTION_ID: carrier.info.connectionId,
  });
  const runner = HANDOFF ? await startRunner(app.stores, carrier.info) : undefined;
  let peakRss = 0;
  let runnerPeakRss = 0;
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (runner?.pid) runnerPeakRss = Math.max(runnerPeakRss, processUsage(runner.pid).rssMb);
  }, 250);
  try {
    const accounts = app.app.get(AccountsService);
    const { tenant } = await accounts.createTenant('bench', 'bench-webhook@example.com', 'bench password 1');
    const { secret } = await accounts.createApiKey(tenant.id, { name: 'bench', role: 'operator' });
    const op = new Http(app.url).withKey(secret);
    const campaign = (
      await op.post('/campaigns', {
        name: 'bench',
        conversionSeconds: 0,
        dupPayoutWindowS: 0,
        dupRoutingWindowS: 0,
      })
    ).body;
    const publisher = (await op.post('/publishers', { name: 'pub', payoutType: 'fixed', payoutAmount: '5' }))
      .body;
    const pool = (
      await op.post('/pools', {
        campaignId: campaign.id,
        publisherId: publisher.id,
        name: 'p',
        kind: 'session',
      })
    ).body;
    const added = await op.post(`/pools/${pool.id}/numbers`, { numbers });
    if (added.status !== 201) throw new Error(`numbers: ${added.status} ${JSON.stringify(added.body)}`);
    const buyer = (await op.post('/buyers', { name: 'buyer' })).body;
    const target = await op.post(`/buyers/${buyer.id}/targets`, {
      name: 't',
      kind: 'static',
      destination: DESTINATION,
      revenue: '30',
      campaignIds: [campaign.id],
    });
    if (target.status !== 201) throw new Error(`target: ${target.status} ${JSON.stringify(target.body)}`);
    const webhookUrl = `${app.url}/webhooks/telnyx`;

    const idle0 = performance.eventLoopUtilization();
    await new Promise((r) => setTimeout(r, 3_000));
    const idleElu = performance.eventLoopUtilization(idle0).utilization;
    console.log(`service event loop busy while idle: ${round(idleElu * 100, 1)}%`);
    await carrier.run({ webhookUrl, numbers, rate: WARMUP_RATE, seconds: WARMUP_SECONDS });
    // Warm-up records still being written would count in the measured run.
    /** Final records (of one state), asking again while the service is too busy to answer. */
    const countRecords = async (state?: string): Promise<number> => {
      for (let i = 0; ; i++) {
        const r = await op.get(`/calls?limit=1${state ? `&state=${state}` : ''}`).catch(() => undefined);
        if (r?.status === 200 && typeof r.body?.total === 'number') return r.body.total as number;
        if (i >= 20) throw new Error(`GET /calls failed: ${r?.status} ${JSON.stringify(r?.body)}`);
        await new Promise((done) => setTimeout(done, 500));
      }
    };
    let warm = await countRecords();
    for (let settled = 0; settled < 3;) {
      await new Promise((r) => setTimeout(r, 200));
      const now = await countRecords();
      settled = now === warm ? settled + 1 : 0;
      warm = now;
    }
    const answerBuckets0 = answerBuckets(await (await fetch(`${app.url}/metrics`)).text());
    const elu0 = performance.eventLoopUtilization();
    const cpu1 = process.cpuUsage();
    const main1 = threadCpuMs();
    const io1 = threadSyscalls();
    const redis = app.app.get(RedisService);
    const redis0 = await redisStats(redis);
    // Redis's own record of slow moments (event-loop stalls, AOF writes and fsyncs) over 5 ms.
    await redis.direct.config('SET', 'latency-monitor-threshold', '5');
    await redis.direct.latency('RESET');
    const probe = probeDelays();
    const gcs = traceGc();
    const answers = watchAnswerCommands();
    let connections = 0;
    const countConnection = () => connections++;
    const server = app.app.getHttpServer() as Server;
    server.on('connection', countConnection);
    const runner0 = runner?.pid ? processUsage(runner.pid).cpuMs : 0;
    const postgres0 = postgresCpuMs();
    const intake = process.env.BENCH_TRACE ? traceIntake(app.app.get(WebhookIngressService)) : undefined;
    const run = await profiled(() => carrier.run({ webhookUrl, numbers, rate: RATE, seconds: SECONDS }));
    const runnerCpuMs = runner?.pid
      ? round((processUsage(runner.pid).cpuMs - runner0) / run.placed, 2)
      : undefined;
    const postgresMs = round((postgresCpuMs() - postgres0) / run.placed, 2);
    answers.stop();
    server.off('connection', countConnection);
    const delays = probe();
    const gc = gcs();
    const redis1 = await redisStats(redis);
    const redisLatency = (await redis.direct.latency('LATEST')) as Array<[string, number, number, number]>;
    if (process.env.BENCH_TRACE) {
      writeFileSync(
        process.env.BENCH_TRACE,
        JSON.stringify({
          answers: (run.answerAt ?? []).map((at, i) => [round(at), round(run.answerMs[i])]),
          // Per call (hrtime ms): written by the carrier, request started, body at the ingress, answer sent.
          stages: run.initiated.map(([ccid, t0]) => [
            t0,
            ...(intake?.get(ccid) ?? [0, 0]),
            answers.sent.get(ccid) ?? 0,
          ]),
          lags: delays.lags,
          gc: gc.entries,
        }),
      );
    }
    const appCpu = process.cpuUsage(cpu1);
    const serviceThreadMs = round((threadCpuMs() - main1) / run.placed, 2);
    const appElu = performance.eventLoopUtilization(elu0).utilization;
    console.log(
      `service CPU per call: process ${round((appCpu.user + appCpu.system) / 1000 / run.placed, 2)} ms, ` +
        `service thread ${serviceThreadMs} ms, ` +
        `carrier thread ${round(run.carrierCpuMs / run.placed, 2)} ms (while placing calls); ` +
        `service thread syscalls per call: ${round((threadSyscalls().r - io1.r) / run.placed, 1)} reads, ` +
        `${round((threadSyscalls().w - io1.w) / run.placed, 1)} writes`,
    );
    if (runner)
      console.log(
        `call runner process CPU per call: ${runnerCpuMs} ms (peak RSS ${round(runnerPeakRss, 0)} MB)`,
      );
    console.log(`PostgreSQL CPU per call (all its processes): ${postgresMs} ms`);
    const perCall = [...redis1.calls]
      .map(([cmd, n]) => [cmd, (n - (redis0.calls.get(cmd) ?? 0)) / run.placed] as const)
      .filter(([, n]) => n >= 0.05)
      .sort((a, b) => b[1] - a[1]);
    console.log(
      `Redis per call: server CPU ${round((redis1.cpuMs - redis0.cpuMs) / run.placed, 2)} ms, commands ` +
        perCall.map(([cmd, n]) => `${cmd} ${round(n, 1)}`).join(', '),
    );
    const rewrites = redis1.aofRewrites - redis0.aofRewrites;
    console.log(
      `Redis AOF: ${rewrites} rewrites during the run` +
        (rewrites === 0
          ? `, ${round((redis1.aofBytes - redis0.aofBytes) / 1024 / run.placed, 1)} KB appended per call`
          : ''),
    );
    console.log(
      `Redis stalls over 5 ms (LATENCY LATEST: event, last ms, max ms): ` +
        (redisLatency.map(([event, , last, max]) => `${event} ${last}/${max}`).join(', ') || 'none'),
    );
    console.log(
      `service waits (probes every 10 ms): event loop lag p99 ${delays.loopP99} ms max ${delays.loopMax} ms; ` +
        `thread pool queue p99 ${delays.poolP99} ms max ${delays.poolMax} ms`,
    );
    const expected = warm + run.placed;
    const deadline = Date.now() + 30_000;
    let recorded = 0;
    while (Date.now() < deadline) {
      recorded = await countRecords();
      if (recorded >= expected) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const completed = await countRecords('completed');
    const notCompleted = expected - completed;
    const s = summary(run, answers.sent);
    const failed = Math.max(s.failed_calls, notCompleted);
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    // The service's own view: from its ingress taking in call.initiated to the answer command leaving.
    const inside = answerBuckets(metrics).map(([le, n], i) => `≤${le * 1000} ms ${n - answerBuckets0[i][1]}`);
    console.log(`service-side answer latency (calls): ${inside.join(', ')}`);
    const ackP99 = /telnyx_webhook_ack_seconds_bucket\{le="0.05",outcome="accepted"\} (\d+)/.exec(metrics);
    const ackCount = /telnyx_webhook_ack_seconds_count\{outcome="accepted"\} (\d+)/.exec(metrics);
    console.log(
      `service: ${run.placed} calls in ${round(run.elapsedS, 1)} s, ${completed - (warm - 0)} completed records of ${run.placed}, ` +
        `answer latency p50 ${s.p50_ms} ms p99 ${s.p99_ms} ms max ${s.max_ms} ms ` +
        `(round trip as the carrier sees it: p50 ${s.roundtrip_p50_ms} ms p99 ${s.roundtrip_p99_ms} ms); ` +
        `webhook acks under 50 ms: ${ackP99?.[1] ?? '?'} of ${ackCount?.[1] ?? '?'}; ` +
        `event loop busy: service ${round(appElu * 100, 0)}%, carrier ${round(run.carrierElu * 100, 0)}%; ` +
        `new connections to the service: ${connections}`,
    );
    report({
      layout: HANDOFF ? 'api+calls' : 'single',
      calls_per_s: failed === 0 ? s.calls_per_s : 0,
      offered_calls_per_s: RATE,
      failed_calls: failed,
      p50_ms: s.p50_ms,
      p99_ms: s.p99_ms,
      max_ms: s.max_ms,
      roundtrip_p50_ms: s.roundtrip_p50_ms,
      roundtrip_p99_ms: s.roundtrip_p99_ms,
      rss_mb: round(peakRss / 2 ** 20, 0),
      // CPU of the thread that serves the webhooks, per call: the same work costs more of it when the
      // host is busy (the bare server's figure moves with the host, not with our code).
      thread_cpu_ms_per_call: serviceThreadMs,
      ...(runner ? { runner_cpu_ms_per_call: runnerCpuMs, runner_rss_mb: round(runnerPeakRss, 0) } : {}),
      baseline: {
        thread_cpu_ms_per_call: bareThreadMs,
        calls_per_s: base.calls_per_s,
        p50_ms: base.p50_ms,
        p99_ms: base.p99_ms,
        max_ms: base.max_ms,
        roundtrip_p99_ms: base.roundtrip_p99_ms,
      },
      goals: { calls_per_s: '>=200', p99_ms: '<=20' },
    });
  } finally {
    clearInterval(rssTimer);
    carrier.worker.postMessage('stop');
    // The runner stops first, while its stores are still up (and writes its profile, if asked).
    if (runner && runner.exitCode === null) {
      const exited = new Promise((resolve) => runner.once('exit', resolve));
      runner.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
    }
    await app.close();
  }
}

if (isMainThread) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else if ((workerData as { role?: string })?.role === 'carrier') {
  void carrierWorker();
}
