// Runs a closed-loop HTTP load in its own thread, so the load generator does not share the event
// loop with the server it measures (like wrk or autocannon in another process would).
import { parentPort, workerData } from 'node:worker_threads';
import { load } from './bench-lib';

export interface LoadScript {
  makeRequest(i: number): {
    method: 'GET' | 'POST';
    path: string;
    body?: string;
    headers?: Record<string, string>;
  };
  onResponse?(i: number, status: number, body: string): void;
  summary?(): Record<string, unknown>;
}

interface Job {
  origin: string;
  connections: number;
  durationMs: number;
  script: string;
  arg: unknown;
}

async function run(): Promise<void> {
  const job = workerData as Job;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(job.script) as { create(arg: unknown): LoadScript };
  const script = mod.create(job.arg);
  const r = await load(
    job.origin,
    job.connections,
    job.durationMs,
    (i) => script.makeRequest(i),
    script.onResponse?.bind(script),
  );
  parentPort!.postMessage({ ...r, summary: script.summary?.() ?? {} });
}

void run();
