// Stores, logging, metrics and health, shared by every feature module.
import { DynamicModule, Global, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ClickHouseClient } from '@clickhouse/client';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { CLICKHOUSE_CLIENT, ClickHouseService } from './clickhouse/clickhouse.service';
import { createClickHouseClient } from './clickhouse/clickhouse.factory';
import { dataSourceOptions } from './database/data-source';
import { ResolvedStores } from './embedded/embedded-stores';
import { HealthController } from './health/health.controller';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { RedisService } from './redis/redis.service';
import { RESOLVED_STORES } from './stores.tokens';

@Global()
@Module({})
export class InfraModule {
  static forRoot(config: AppConfig, stores: ResolvedStores): DynamicModule {
    return {
      module: InfraModule,
      imports: [
        TypeOrmModule.forRoot({ ...dataSourceOptions(stores.databaseUrl), autoLoadEntities: true }),
        BullModule.forRootAsync({
          inject: [RedisService],
          useFactory: (redis: RedisService) => ({ connection: redis.bullConnection(), prefix: 'bull' }),
        }),
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: RESOLVED_STORES, useValue: stores },
        RedisService,
        MetricsService,
        {
          provide: CLICKHOUSE_CLIENT,
          useFactory: (): ClickHouseClient => createClickHouseClient(config, stores),
        },
        ClickHouseService,
      ],
      exports: [APP_CONFIG, RESOLVED_STORES, RedisService, MetricsService, ClickHouseService, BullModule],
    };
  }
}
