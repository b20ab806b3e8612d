// The real-time auction: ping fan-out, parsing, ranking, confirmation, cap reservations, the bid log
// (queued on the call path, exported to ClickHouse by the worker) and its statistics API.
import { DynamicModule, Module, Provider } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BuyerEntity } from '../buyers/buyer.entity';
import { TargetEntity } from '../buyers/target.entity';
import { DuplicatesRepository } from '../calls/duplicates.repository';
import { TargetCapsRepository } from '../calls/target-caps.repository';
import { CampaignsModule } from '../campaigns/campaigns.module';
import { AUCTION_CAPS, AUCTION_DUPLICATES, AuctionRedis } from './auction-redis';
import { AuctionStoreRepository } from './auction-store.repository';
import { AuctionRepository } from './auction.repository';
import { AuctionService } from './auction.service';
import { BidLogExportService } from './bid-log-export.service';
import { BidLogRepository } from './bid-log.repository';
import { BidStatsController } from './bid-stats.controller';
import { BidStatsService } from './bid-stats.service';
import { PingClient } from './ping-client';

@Module({})
export class AuctionModule {
  /** `exporter`: run the bid_log copier to ClickHouse here (worker and all roles). */
  static register(options: { exporter: boolean }): DynamicModule {
    const providers: Provider[] = [
      AuctionRepository,
      AuctionRedis,
      AuctionStoreRepository,
      // The call flow's cap reservations and duplicate-caller reads (same scripts and keys), on the
      // auction's own connection.
      {
        provide: AUCTION_CAPS,
        inject: [AuctionRedis],
        useFactory: (r: AuctionRedis) => new TargetCapsRepository(r.asRedisService()),
      },
      {
        provide: AUCTION_DUPLICATES,
        inject: [AuctionRedis],
        useFactory: (r: AuctionRedis) => new DuplicatesRepository(r.asRedisService()),
      },
      BidLogRepository,
      PingClient,
      AuctionService,
      BidStatsService,
    ];
    if (options.exporter) providers.push(BidLogExportService);
    return {
      module: AuctionModule,
      imports: [TypeOrmModule.forFeature([TargetEntity, BuyerEntity]), CampaignsModule],
      controllers: [BidStatsController],
      providers,
      exports: [AuctionService, BidLogRepository],
    };
  }
}
