// Builds the @clickhouse/client for either a ClickHouse server (CLICKHOUSE_URL) or chDB in this
// process. Both speak the same client API and SQL, so repositories never know which one they have.
import { ClickHouseClient, createClient } from '@clickhouse/client';
import { AppConfig } from '../config/app-config';
import { ResolvedStores } from '../embedded/embedded-stores';

export function createClickHouseClient(config: AppConfig, stores: ResolvedStores): ClickHouseClient {
  if (stores.clickhouse.kind === 'http') {
    return createClient({
      url: stores.clickhouse.url,
      username: config.clickhouse.user,
      password: config.clickhouse.password,
      request_timeout: 30_000,
      max_open_connections: 20,
      keep_alive: { enabled: true },
    });
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createChdbConnection } = require('chdb/connection') as typeof import('chdb/connection');
  return createClient({ connection: createChdbConnection({ path: stores.clickhouse.path }) } as Parameters<
    typeof createClient
  >[0]);
}
