// Which feature modules run in which APP_ROLE. `api` serves HTTP (and drives calls from the Telnyx
// webhooks it receives), `worker` runs queue consumers, `all` does both.
import { DynamicModule, Type } from '@nestjs/common';
import { AuctionModule } from './auction/auction.module';
import { BuyersModule } from './buyers/buyers.module';
import { CallsModule } from './calls/calls.module';
import { CampaignsModule } from './campaigns/campaigns.module';
import { CdrModule } from './cdr/cdr.module';
import { DniModule } from './dni/dni.module';
import { AppConfig } from './infra/config/app-config';
import { NumbersModule } from './numbers/numbers.module';
import { PixelsModule } from './pixels/pixels.module';
import { ProvisioningModule } from './numbers/provisioning.module';
import { PublishersModule } from './publishers/publishers.module';
import { ReportsModule } from './reports/reports.module';
import { TelephonyModule } from './telephony/telephony.module';

const apiModules: Type[] = [BuyersModule, ReportsModule];
const workerModules: Type[] = [];
const sharedModules: Type[] = [CampaignsModule, PublishersModule, NumbersModule];

export function featureModules(config: AppConfig): (Type | DynamicModule)[] {
  const api = config.role === 'all' || config.role === 'api';
  const worker = config.role === 'all' || config.role === 'worker';
  // One instance of each dynamic module, shared by every module that imports it.
  const dni = DniModule.register({ exporter: worker });
  const telephony = TelephonyModule.register({ ingress: api });
  const auction = AuctionModule.register({ exporter: worker });
  const pixels = PixelsModule.register({ api, worker });
  return [
    ...sharedModules,
    dni,
    telephony,
    auction,
    ProvisioningModule.register({ telephony, api, worker }),
    ...(api ? [CallsModule.register({ dni, telephony, auction }), ...apiModules] : []),
    pixels,
    ...(worker ? [CdrModule.register({ pixels }), ...workerModules] : []),
  ];
}
