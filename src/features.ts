// Which feature modules run in which APP_ROLE. `api` serves HTTP (and drives calls from the Telnyx
// webhooks it receives, or with CALL_HANDOFF answers them and hands the rest to call runners), `calls`
// is a call runner (drives the calls api instances hand over, and the calls whose timers are due),
// `worker` runs queue consumers, `all` does everything.
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
  const runner = config.role === 'all' || config.role === 'calls';
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
    ...(api || runner ? [CallsModule.register({ dni, telephony, auction, ingress: api, runner })] : []),
    ...(api ? apiModules : []),
    pixels,
    ...(worker ? [CdrModule.register({ pixels }), ...workerModules] : []),
  ];
}
