import { DynamicModule, Module, Provider } from '@nestjs/common';
import { CampaignsModule } from '../campaigns/campaigns.module';
import { NumbersModule } from '../numbers/numbers.module';
import { CallAttributionService } from './call-attribution.service';
import { DniExportService } from './dni-export.service';
import { DniRedisTurn } from './dni-redis-turn';
import { DniSessionRepository } from './dni-session.repository';
import { DniController } from './dni.controller';
import { DniRoutes } from './dni.routes';
import { DniService } from './dni.service';
import { PoolAllocatorRepository } from './pool-allocator.repository';
import { RateLimiter } from './rate-limiter';

@Module({})
export class DniModule {
  /** `exporter`: run the ClickHouse copier here (worker and all roles). */
  static register(options: { exporter: boolean }): DynamicModule {
    const providers: Provider[] = [
      DniRedisTurn,
      PoolAllocatorRepository,
      DniSessionRepository,
      RateLimiter,
      DniService,
      CallAttributionService,
      DniRoutes,
    ];
    if (options.exporter) providers.push(DniExportService);
    return {
      module: DniModule,
      imports: [CampaignsModule, NumbersModule],
      controllers: [DniController],
      providers,
      exports: [DniService, CallAttributionService, DniSessionRepository],
    };
  }
}
