// Builds the @clickhouse/client for either a ClickHouse server (CLICKHOUSE_URL) or chDB in this
// process. Both speak the same client API and SQL, so repositories never know which one they have.
// chDB also takes bulk text straight from a Buffer (no string built in JS, no SQL text carrying the
// rows): the factory remembers which clients sit on chDB, so ClickHouseService can offer that path for
// bulk inserts while every other call goes through the client.
import { ClickHouseClient, createClient } from '@clickhouse/client';
import type { ChdbExtension } from 'chdb/connection';
import { AppConfig } from '../config/app-config';
import { ResolvedStores } from '../embedded/embedded-stores';

const chdbOf = new WeakMap<ClickHouseClient, ChdbExtension>();

/** chDB's own calls behind a client built here for chDB; undefined for a server's client (or any other). */
export const chdbExtensionOf = (client: ClickHouseClient): ChdbExtension | undefined => chdbOf.get(client);

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
  const connection = createChdbConnection({ path: stores.clickhouse.path });
  const client = createClient({ connection } as Parameters<typeof createClient>[0]);
  chdbOf.set(client, connection.chdb);
  return client;
}
