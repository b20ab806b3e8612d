// The targets a campaign can route to right now: static, active, of an active buyer.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TargetEntity } from '../buyers/target.entity';

@Injectable()
export class RoutingRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  staticTargets(tenantId: string, campaignId: string): Promise<TargetEntity[]> {
    return this.db
      .getRepository(TargetEntity)
      .createQueryBuilder('t')
      .innerJoin('campaign_targets', 'ct', 'ct.target_id = t.id AND ct.campaign_id = :campaignId', {
        campaignId,
      })
      .innerJoin('buyers', 'b', "b.id = t.buyer_id AND b.status = 'active'")
      .where('t.tenant_id = :tenantId', { tenantId })
      .andWhere("t.kind = 'static'")
      .andWhere("t.status = 'active'")
      .andWhere('t.destination IS NOT NULL')
      .getMany();
  }
}
