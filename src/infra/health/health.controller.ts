// GET /health: postgres, redis and clickhouse by name (terminus). 503 when any is down.
import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { Public } from '../../accounts/auth.decorators';
import { ClickHouseService } from '../clickhouse/clickhouse.service';
import { RedisService } from '../redis/redis.service';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisService,
    private readonly clickhouse: ClickHouseService,
  ) {}

  @Public()
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.db.pingCheck('postgres', { timeout: 3000 }),
      () => this.probe('redis', async () => (await this.redis.client.ping()) === 'PONG'),
      () => this.probe('clickhouse', () => this.clickhouse.ping()),
    ]);
  }

  private async probe(key: string, fn: () => Promise<boolean>) {
    const session = this.indicator.check(key);
    try {
      const ok = await Promise.race([
        fn(),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3000).unref()),
      ]);
      return ok ? session.up() : session.down({ message: 'no answer' });
    } catch (e) {
      return session.down({ message: (e as Error).message });
    }
  }
}
