// Calls: the state machine that drives each call (attribution, tagging, rules, routing through the
// real-time auction, finalize), the sweeper that runs its timers and takes over calls of dead
// instances, the hand-off between api instances and call runners, and the calls API.
import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CampaignsModule } from '../campaigns/campaigns.module';
import { NumbersModule } from '../numbers/numbers.module';
import { PublishersModule } from '../publishers/publishers.module';
import { BlockedNumberEntity } from './blocked-number.entity';
import { BlocklistRepository } from './blocklist.repository';
import { CallEntity } from './call.entity';
import { CallProcessor } from './call-processor.service';
import { CallSetupService } from './call-setup.service';
import { CallHandoffConsumer } from './call-handoff.service';
import { CALLS_PLACEMENT, type CallsPlacement } from './calls-placement';
import { CallSweeper } from './call-sweeper.service';
import { CallsController } from './calls.controller';
import { CallsRepository } from './calls.repository';
import { CallsService } from './calls.service';
import { DuplicatesRepository } from './duplicates.repository';
import { LiveCallRepository } from './live-call.repository';
import { RoutingRepository } from './routing.repository';
import { RoutingService } from './routing.service';
import { TargetCapsRepository } from './target-caps.repository';

@Module({})
export class CallsModule {
  /**
   * `dni`, `telephony` and `auction` are the app's single instances of those dynamic modules
   * (features.ts). Without `auction`, calls route to the campaign's static targets only. `ingress`:
   * this instance takes Telnyx webhooks (and serves the calls API); `runner`: it drives the calls
   * that api instances hand over (default: both, as the `all` role).
   */
  static register(deps: {
    dni: DynamicModule;
    telephony: DynamicModule;
    auction?: DynamicModule;
    ingress?: boolean;
    runner?: boolean;
  }): DynamicModule {
    const placement: CallsPlacement = { ingress: deps.ingress ?? true, runner: deps.runner ?? true };
    return {
      module: CallsModule,
      imports: [
        TypeOrmModule.forFeature([CallEntity, BlockedNumberEntity]),
        CampaignsModule,
        PublishersModule,
        NumbersModule,
        deps.dni,
        deps.telephony,
        ...(deps.auction ? [deps.auction] : []),
      ],
      controllers: placement.ingress ? [CallsController] : [],
      providers: [
        { provide: CALLS_PLACEMENT, useValue: placement },
        ...(placement.runner ? [CallHandoffConsumer] : []),
        LiveCallRepository,
        CallsRepository,
        BlocklistRepository,
        DuplicatesRepository,
        RoutingRepository,
        TargetCapsRepository,
        RoutingService,
        CallSetupService,
        CallProcessor,
        CallSweeper,
        CallsService,
      ],
      exports: [RoutingService, TargetCapsRepository, CallsService, CallProcessor],
    };
  }
}
