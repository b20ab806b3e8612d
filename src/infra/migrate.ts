// Applies PostgreSQL (TypeORM) and ClickHouse migrations. Several instances may start at once, so
// PostgreSQL migrations run under an advisory lock.
import { DataSource } from 'typeorm';
import { AppConfig } from './config/app-config';
import { createClickHouseClient } from './clickhouse/clickhouse.factory';
import { migrateClickHouse } from './clickhouse/clickhouse-migrator';
import { dataSourceOptions } from './database/data-source';
import { ResolvedStores } from './embedded/embedded-stores';

const MIGRATION_LOCK = 7_310_001;

export async function migratePostgres(url: string): Promise<string[]> {
  const ds = new DataSource(dataSourceOptions(url));
  await ds.initialize();
  try {
    await ds.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const done = await ds.runMigrations({ transaction: 'each' });
      return done.map((m) => m.name);
    } finally {
      await ds.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await ds.destroy();
  }
}

export async function migrateAll(
  config: AppConfig,
  stores: ResolvedStores,
): Promise<{ postgres: string[]; clickhouse: string[] }> {
  const postgres = await migratePostgres(stores.databaseUrl);
  const ch = createClickHouseClient(config, stores);
  try {
    const clickhouse = await migrateClickHouse(ch, config.clickhouse.database);
    return { postgres, clickhouse };
  } finally {
    await ch.close();
  }
}
