// The targets a campaign can route to right now: static, active, of an active buyer.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { activeCampaignTargets } from '../buyers/campaign-targets.query';
import type { TargetEntity } from '../buyers/target.entity';

@Injectable()
export class RoutingRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  staticTargets(tenantId: string, campaignId: string): Promise<TargetEntity[]> {
    return activeCampaignTargets(this.db, tenantId, campaignId, { staticOnly: true });
  }
}
