// Which feature modules run in which APP_ROLE. `api` serves HTTP, `worker` runs queue consumers,
// `all` does both.
import { DynamicModule, Type } from '@nestjs/common';
import { BuyersModule } from './buyers/buyers.module';
import { CampaignsModule } from './campaigns/campaigns.module';
import { DniModule } from './dni/dni.module';
import { AppConfig } from './infra/config/app-config';
import { NumbersModule } from './numbers/numbers.module';
import { PublishersModule } from './publishers/publishers.module';

const apiModules: Type[] = [BuyersModule];
const workerModules: Type[] = [];
const sharedModules: Type[] = [CampaignsModule, PublishersModule, NumbersModule];

export function featureModules(config: AppConfig): (Type | DynamicModule)[] {
  const api = config.role === 'all' || config.role === 'api';
  const worker = config.role === 'all' || config.role === 'worker';
  return [
    ...sharedModules,
    DniModule.register({ exporter: worker }),
    ...(api ? apiModules : []),
    ...(worker ? workerModules : []),
  ];
}
