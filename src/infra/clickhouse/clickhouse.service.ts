// The one owner of the ClickHouse client. Table names are always qualified with the configured
// database (chDB sessions ignore the client's `database` setting, a server would honour it).
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ClickHouseClient } from '@clickhouse/client';
import { APP_CONFIG, AppConfig } from '../config/app-config';

export const CLICKHOUSE_CLIENT = Symbol('CLICKHOUSE_CLIENT');

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

  async ping(): Promise<boolean> {
    const r = await this.client.ping();
    return r.success;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
