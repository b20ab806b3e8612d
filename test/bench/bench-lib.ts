// Shared pieces of the benchmarks: a service on fresh embedded stores, a closed-loop HTTP load
// generator over keep-alive connections, percentiles, and the final JSON line.
import 'reflect-metadata';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { RunningApp, startApp } from '../../src/app.bootstrap';
import { loadConfig } from '../../src/infra/config/app-config';
import { projectRoot } from '../../src/common/project-root';

export async function startBenchApp(name: string, env: Record<string, string> = {}): Promise<RunningApp> {
  const dataDir = join(projectRoot(), '.data', `bench-${name}`);
  rmSync(dataDir, { recursive: true, force: true });
  const config = loadConfig({
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    DNI_RATE_LIMIT_PER_IP: '10000000',
    DNI_RATE_LIMIT_PER_KEY: '100000000',
    ...env,
  });
  return startApp(config, { quiet: true, log: () => undefined });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

export interface LoadResult {
  requests: number;
  errors: number;
  perSecond: number;
  latenciesMs: number[];
  statuses: Record<number, number>;
}

/**
 * Closed loop: `connections` workers each send one request, wait for the answer, send the next,
 * until `durationMs` passes. `makeRequest(i)` gives the method/path/body of request i.
 */
export async function load(
  origin: string,
  connections: number,
  durationMs: number,
  makeRequest: (i: number) => {
    method: 'GET' | 'POST';
    path: string;
    body?: string;
    headers?: Record<string, string>;
  },
  onResponse?: (i: number, status: number, body: string) => void,
): Promise<LoadResult> {
  const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let errors = 0;
  let seq = 0;
  const start = performance.now();
  const stopAt = start + durationMs;
  const worker = async () => {
    while (performance.now() < stopAt) {
      const i = seq++;
      const req = makeRequest(i);
      const t0 = performance.now();
      try {
        const res = await pool.request({
          method: req.method,
          path: req.path,
          body: req.body,
          headers: req.headers,
        });
        const text = await res.body.text();
        latencies.push(performance.now() - t0);
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        if (res.statusCode >= 400) errors++;
        onResponse?.(i, res.statusCode, text);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (performance.now() - start) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    perSecond: latencies.length / elapsed,
    latenciesMs: latencies,
    statuses,
  };
}

/** Prints the result object as the last line (the bench runner reads it). */
export function report(result: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** `load` in a worker thread; `script` is a compiled module exporting `create(arg): LoadScript`. */
export async function loadInWorker(
  origin: string,
  connections: number,
  durationMs: number,
  script: string,
  arg: unknown,
): Promise<LoadResult & { summary: Record<string, unknown> }> {
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(join(__dirname, 'load-worker.js'), {
    workerData: { origin, connections, durationMs, script, arg },
  });
  return new Promise((resolve, reject) => {
    worker.once('message', (m) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

/** An inspector session on the current thread: `post` sends a DevTools protocol command. */
async function inspectorSession(): Promise<{
  post: (method: string, params?: object) => Promise<any>;
  disconnect: () => void;
}> {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) =>
      session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))),
    );
  return { post, disconnect: () => session.disconnect() };
}

/**
 * Starts a CPU profile of the current thread (`intervalUs`: sampling interval, V8's default 1,000);
 * the returned function stops it and writes it to `file`.
 */
export async function startCpuProfile(file: string, intervalUs?: number): Promise<() => Promise<void>> {
  const { post, disconnect } = await inspectorSession();
  await post('Profiler.enable');
  if (intervalUs && intervalUs > 0) await post('Profiler.setSamplingInterval', { interval: intervalUs });
  await post('Profiler.start');
  return async () => {
    const { profile } = await post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    disconnect();
  };
}

/**
 * With BENCH_PROFILE=file.cpuprofile, profiles the main thread while `fn` runs (BENCH_PROFILE_US: interval).
 * With BENCH_ALLOC=file.heapprofile, samples its allocations instead, including the objects that the
 * young and old generation collections have freed since (where the garbage comes from); with
 * BENCH_ALLOC_PROMOTED=1 only those that outlived the young generation (what gets promoted), and with
 * BENCH_ALLOC_LIVE_S=N what is alive N seconds into the run.
 */
export async function profiled<T>(fn: () => Promise<T>): Promise<T> {
  const cpu = process.env.BENCH_PROFILE;
  const alloc = process.env.BENCH_ALLOC;
  const live = Number(process.env.BENCH_ALLOC_LIVE_S);
  const promoted = process.env.BENCH_ALLOC_PROMOTED === '1';
  if (!cpu && !alloc) return fn();
  let stop: () => Promise<void>;
  if (alloc) {
    const { post, disconnect } = await inspectorSession();
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', {
      samplingInterval: 16_384,
      includeObjectsCollectedByMajorGC: !live,
      includeObjectsCollectedByMinorGC: !live && !promoted,
    });
    stop = async () => {
      const { profile } = await post('HeapProfiler.stopSampling');
      writeFileSync(alloc, JSON.stringify(profile));
      disconnect();
    };
  } else {
    stop = await startCpuProfile(cpu!, Number(process.env.BENCH_PROFILE_US));
  }
  if (alloc && live > 0) {
    // What is alive `live` seconds into the run (in flight or kept), rather than all that was allocated.
    const stopping = stop;
    const done = new Promise<void>((resolve) => setTimeout(() => void stopping().then(resolve), live * 1000));
    stop = () => done;
  }
  try {
    return await fn();
  } finally {
    await stop();
  }
}
