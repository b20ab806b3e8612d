// The PostgreSQL side of the auction: the targets a campaign can sell a call to (static and ping/post,
// active, of an active buyer), and the tenant-scoped lookups the bid statistics need to decide who
// may see a target's or a buyer's figures.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BuyerEntity } from '../buyers/buyer.entity';
import { activeCampaignTargets } from '../buyers/campaign-targets.query';
import { TargetEntity } from '../buyers/target.entity';

@Injectable()
export class AuctionRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  campaignTargets(tenantId: string, campaignId: string): Promise<TargetEntity[]> {
    return activeCampaignTargets(this.db, tenantId, campaignId);
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
