// `npm run migrate`: applies PostgreSQL and ClickHouse migrations to the configured stores (or the
// embedded ones under DATA_DIR when no URL is set), then exits.
import 'reflect-metadata';
import { ConfigError, loadConfig } from '../infra/config/app-config';
import { EmbeddedStores } from '../infra/embedded/embedded-stores';
import { migrateAll } from '../infra/migrate';

async function main(): Promise<void> {
  const config = loadConfig();
  const stores = new EmbeddedStores((m) => console.log(m));
  const resolved = await stores.start(config);
  try {
    const done = await migrateAll(config, resolved);
    console.log(`postgres: ${done.postgres.length ? done.postgres.join(', ') : 'up to date'}`);
    console.log(`clickhouse: ${done.clickhouse.length ? done.clickhouse.join(', ') : 'up to date'}`);
  } finally {
    await stores.stop();
  }
}

main().catch((e) => {
  console.error(
    e instanceof ConfigError || (e as Error)?.name === 'DataDirLockedError' ? (e as Error).message : e,
  );
  process.exit(1);
});
