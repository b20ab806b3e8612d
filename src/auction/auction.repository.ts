// The PostgreSQL side of the auction: the targets a campaign can sell a call to (static and ping/post,
// active, of an active buyer), and the tenant-scoped lookups the bid statistics need to decide who
// may see a target's or a buyer's figures.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BuyerEntity } from '../buyers/buyer.entity';
import { TargetEntity } from '../buyers/target.entity';

@Injectable()
export class AuctionRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  campaignTargets(tenantId: string, campaignId: string): Promise<TargetEntity[]> {
    return this.db
      .getRepository(TargetEntity)
      .createQueryBuilder('t')
      .innerJoin('campaign_targets', 'ct', 'ct.target_id = t.id AND ct.campaign_id = :campaignId', {
        campaignId,
      })
      .innerJoin('buyers', 'b', "b.id = t.buyer_id AND b.status = 'active'")
      .where('t.tenant_id = :tenantId', { tenantId })
      .andWhere("t.status = 'active'")
      .orderBy('t.id')
      .getMany();
  }

  /** The target's buyer, or null when the tenant has no such target. */
  async targetBuyer(tenantId: string, targetId: string): Promise<string | null> {
    const t = await this.db
      .getRepository(TargetEntity)
      .findOne({ where: { tenantId, id: targetId }, select: { id: true, buyerId: true } });
    return t?.buyerId ?? null;
  }

  async buyerExists(tenantId: string, buyerId: string): Promise<boolean> {
    return this.db.getRepository(BuyerEntity).exists({ where: { tenantId, id: buyerId } });
  }
}
