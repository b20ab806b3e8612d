// The service: infrastructure plus the feature modules this instance's APP_ROLE runs.
import { DynamicModule, Module } from '@nestjs/common';
import { AccountsModule } from './accounts/accounts.module';
import { AppConfig } from './infra/config/app-config';
import { ResolvedStores } from './infra/embedded/embedded-stores';
import { InfraModule } from './infra/infra.module';
import { featureModules } from './features';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, stores: ResolvedStores): DynamicModule {
    return {
      module: AppModule,
      imports: [InfraModule.forRoot(config, stores), AccountsModule, ...featureModules(config)],
    };
  }
}
