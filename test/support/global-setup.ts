// Starts the real stores once for the e2e suites, the same way the app starts them: embedded
// PostgreSQL and a redis-server child under .data/test/run-<pid> (or the servers named by TEST_DATABASE_URL /
// TEST_REDIS_URL). ClickHouse runs in each test process through chDB at .data/test/clickhouse. It also
// builds the DNI snippet, which the service serves (GET /dni.js, the embed tag), as `npm start` does.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/infra/config/app-config';
import { EmbeddedStores } from '../../src/infra/embedded/embedded-stores';
import { migratePostgres } from '../../src/infra/migrate';

export default async function globalSetup(): Promise<void> {
  const root = join(__dirname, '..', '..');
  const build = spawnSync(process.execPath, [join(root, 'dni-snippet', 'build.mjs')], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`the DNI snippet did not build: ${build.stderr}`);
  // One directory per jest run, so two runs on one machine never share (or wipe) each other's stores.
  const dataDir = join(__dirname, '..', '..', '.data', 'test', `run-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  const config = loadConfig({
    DATA_DIR: dataDir,
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    REDIS_URL: process.env.TEST_REDIS_URL,
    CLICKHOUSE_URL: process.env.TEST_CLICKHOUSE_URL,
  });
  const stores = new EmbeddedStores();
  const resolved = await stores.start(config);
  await migratePostgres(resolved.databaseUrl);
  (globalThis as { __stores?: EmbeddedStores }).__stores = stores;
  process.env.CB_TEST_DATA_DIR = dataDir;
  process.env.CB_TEST_DATABASE_URL = resolved.databaseUrl;
  process.env.CB_TEST_REDIS_URL = resolved.redisUrl;
  if (resolved.clickhouse.kind === 'http') process.env.CB_TEST_CLICKHOUSE_URL = resolved.clickhouse.url;
}
