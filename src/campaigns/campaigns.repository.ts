import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CampaignEntity } from './campaign.entity';

@Injectable()
export class CampaignsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private get repo() {
    return this.db.getRepository(CampaignEntity);
  }

  save(c: Partial<CampaignEntity>): Promise<CampaignEntity> {
    return this.repo.save(c);
  }

  findOne(tenantId: string, id: string): Promise<CampaignEntity | null> {
    return this.repo.findOneBy({ tenantId, id });
  }

  findByPublicKey(publicKey: string): Promise<CampaignEntity | null> {
    return this.repo.findOneBy({ publicKey });
  }

  list(tenantId: string, skip: number, take: number): Promise<[CampaignEntity[], number]> {
    return this.repo.findAndCount({ where: { tenantId }, order: { createdAt: 'DESC' }, skip, take });
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const r = await this.repo.delete({ tenantId, id });
    return (r.affected ?? 0) > 0;
  }
}
