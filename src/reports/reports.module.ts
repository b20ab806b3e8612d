// Attribution reports (JSON and CSV API) and the dashboards (api role). Reads ClickHouse `cdr` and
// `bid_log`, names from PostgreSQL, live calls from Redis.
import { Module } from '@nestjs/common';
import { LiveCallRepository } from '../calls/live-call.repository';
import { AssetsController } from './assets.controller';
import { DashboardsPageController } from './dashboards.page.controller';
import { DashboardsService } from './dashboards.service';
import { LookupsRepository } from './lookups.repository';
import { ReportsController } from './reports.controller';
import { ReportsRepository } from './reports.repository';
import { ReportsService } from './reports.service';

@Module({
  controllers: [ReportsController, DashboardsPageController, AssetsController],
  // The live-call index is read only (same keys and scripts as src/calls; stateless).
  providers: [ReportsRepository, LookupsRepository, ReportsService, DashboardsService, LiveCallRepository],
  exports: [ReportsService],
})
export class ReportsModule {}
