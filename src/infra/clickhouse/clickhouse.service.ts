// The one owner of the ClickHouse client. Table names are always qualified with the configured
// database (chDB sessions ignore the client's `database` setting, a server would honour it).
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ClickHouseClient } from '@clickhouse/client';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { chdbExtensionOf } from './clickhouse.factory';

export const CLICKHOUSE_CLIENT = Symbol('CLICKHOUSE_CLIENT');

/** Text formats a bulk insert may carry (chDB's raw path takes these, a server takes them all). */
export type BulkFormat = 'JSONCompactEachRow' | 'JSONEachRow' | 'TabSeparated';

/**
 * chDB shares this process's cores with PostgreSQL and Node: parsing one insert on several threads only
 * adds hand-offs between them (about a tenth more CPU per CDR, measured), and the exporter already runs
 * several inserts at once.
 */
const CHDB_BULK_SETTINGS = { input_format_parallel_parsing: 0 };

/** Names chDB's raw insert accepts unquoted (it checks them itself and refuses anything else). */
const PLAIN_NAME = /^[A-Za-z0-9_]+$/;

@Injectable()
export class ClickHouseService implements OnApplicationShutdown {
  readonly database: string;

  constructor(
    @Inject(CLICKHOUSE_CLIENT) readonly client: ClickHouseClient,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.database = config.clickhouse.database;
  }

  /** `db`.`name`, for use inside SQL text (identifiers cannot be bound parameters). */
  table(name: string): string {
    return `\`${this.database}\`.\`${name}\``;
  }

  /**
   * Inserts rows already encoded in `format` (`body`: whole lines, each ending in a newline). On chDB
   * the bytes go to the engine as they are; on a server they are the body of one HTTP INSERT. Either
   * way the insert is all or nothing, and it fails (throws) when ClickHouse does not take it. The client
   * is looked up on every call, so a replaced client (a reconnect, a test's dead one) is used at once.
   */
  async insertFormatted(
    table: string,
    columns: readonly string[],
    format: BulkFormat,
    body: Buffer,
  ): Promise<void> {
    if (body.length === 0) return;
    const client = this.client;
    const chdb = chdbExtensionOf(client);
    if (
      chdb &&
      PLAIN_NAME.test(this.database) &&
      PLAIN_NAME.test(table) &&
      columns.every((c) => PLAIN_NAME.test(c))
    ) {
      await chdb.rawInsert({
        table: `${this.database}.${table}`,
        columns,
        format,
        values: body,
        settings: CHDB_BULK_SETTINGS,
      });
      return;
    }
    const result = await client.exec({
      query: `INSERT INTO ${this.table(table)} (${columns.join(', ')}) FORMAT ${format}`,
      values: Readable.from([body], { objectMode: false }),
    });
    // An INSERT answers with an empty body; reading it to the end frees the connection for the next one.
    result.stream.resume();
    await finished(result.stream);
  }

  async ping(): Promise<boolean> {
    const r = await this.client.ping();
    return r.success;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
