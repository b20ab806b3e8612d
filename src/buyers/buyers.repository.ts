// The only code touching the buyers, targets and campaign_targets tables. Every query is scoped by
// tenant; callers add the buyer scope for buyer-role principals.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { BuyerEntity, type RecordStatus } from './buyer.entity';
import { TargetEntity, type TargetKind } from './target.entity';

export interface BuyerFilter {
  status?: RecordStatus;
  /** Only this buyer (buyer-role principals). */
  id?: string;
}

export interface TargetFilter {
  buyerId?: string;
  campaignId?: string;
  status?: RecordStatus;
  kind?: TargetKind;
}

export interface TargetRecord {
  target: TargetEntity;
  campaignIds: string[];
}

@Injectable()
export class BuyersRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  // --- buyers ---------------------------------------------------------------------------------------

  listBuyers(tenantId: string, f: BuyerFilter, skip: number, take: number): Promise<[BuyerEntity[], number]> {
    return this.db.getRepository(BuyerEntity).findAndCount({
      where: { tenantId, ...(f.status ? { status: f.status } : {}), ...(f.id ? { id: f.id } : {}) },
      order: { createdAt: 'DESC', id: 'ASC' },
      skip,
      take,
    });
  }

  findBuyer(tenantId: string, id: string): Promise<BuyerEntity | null> {
    return this.db.getRepository(BuyerEntity).findOneBy({ tenantId, id });
  }

  saveBuyer(buyer: Partial<BuyerEntity>): Promise<BuyerEntity> {
    return this.db.getRepository(BuyerEntity).save(buyer);
  }

  /** Archives the buyer and all of its targets together. */
  async archiveBuyer(tenantId: string, id: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const r = await tx.getRepository(BuyerEntity).update({ tenantId, id }, { status: 'archived' });
      if ((r.affected ?? 0) === 0) return false;
      await tx.getRepository(TargetEntity).update({ tenantId, buyerId: id }, { status: 'archived' });
      return true;
    });
  }

  // --- targets --------------------------------------------------------------------------------------

  async listTargets(
    tenantId: string,
    f: TargetFilter,
    skip: number,
    take: number,
  ): Promise<[TargetRecord[], number]> {
    const qb = this.db
      .getRepository(TargetEntity)
      .createQueryBuilder('t')
      .where('t.tenant_id = :tenantId', { tenantId });
    if (f.buyerId) qb.andWhere('t.buyer_id = :buyerId', { buyerId: f.buyerId });
    if (f.status) qb.andWhere('t.status = :status', { status: f.status });
    if (f.kind) qb.andWhere('t.kind = :kind', { kind: f.kind });
    if (f.campaignId) {
      qb.andWhere(
        'EXISTS (SELECT 1 FROM campaign_targets ct WHERE ct.target_id = t.id AND ct.campaign_id = :campaignId)',
        { campaignId: f.campaignId },
      );
    }
    const [rows, total] = await qb
      .orderBy('t.created_at', 'DESC')
      .addOrderBy('t.id', 'ASC')
      .skip(skip)
      .take(take)
      .getManyAndCount();
    const links = await this.campaignIdsFor(
      this.db.manager,
      rows.map((t) => t.id),
    );
    return [rows.map((target) => ({ target, campaignIds: links.get(target.id) ?? [] })), total];
  }

  async findTarget(tenantId: string, id: string): Promise<TargetRecord | null> {
    const target = await this.db.getRepository(TargetEntity).findOneBy({ tenantId, id });
    if (!target) return null;
    const links = await this.campaignIdsFor(this.db.manager, [id]);
    return { target, campaignIds: links.get(id) ?? [] };
  }

  /** The ids among `ids` that are not campaigns of this tenant. */
  async missingCampaigns(tenantId: string, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows: { id: string }[] = await this.db.query(
      'SELECT id FROM campaigns WHERE tenant_id = $1 AND id = ANY($2::uuid[])',
      [tenantId, ids],
    );
    const found = new Set(rows.map((r) => r.id));
    return ids.filter((id) => !found.has(id));
  }

  /** Saves the target and, when given, replaces its campaign links, in one transaction. */
  async saveTarget(target: Partial<TargetEntity>, campaignIds: string[] | undefined): Promise<TargetRecord> {
    return this.db.transaction(async (tx) => {
      const saved = await tx.getRepository(TargetEntity).save(target);
      if (campaignIds !== undefined) {
        await tx.query('DELETE FROM campaign_targets WHERE target_id = $1', [saved.id]);
        if (campaignIds.length > 0) {
          await tx.query(
            'INSERT INTO campaign_targets (campaign_id, target_id) SELECT unnest($1::uuid[]), $2',
            [campaignIds, saved.id],
          );
        }
      }
      const links = await this.campaignIdsFor(tx, [saved.id]);
      // Re-read so generated columns and numeric formatting match what a GET returns.
      const fresh = await tx.getRepository(TargetEntity).findOneByOrFail({ id: saved.id });
      return { target: fresh, campaignIds: links.get(saved.id) ?? [] };
    });
  }

  async archiveTarget(tenantId: string, id: string): Promise<boolean> {
    const r = await this.db.getRepository(TargetEntity).update({ tenantId, id }, { status: 'archived' });
    return (r.affected ?? 0) > 0;
  }

  private async campaignIdsFor(em: EntityManager, targetIds: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (targetIds.length === 0) return out;
    const rows: { target_id: string; campaign_id: string }[] = await em.query(
      'SELECT target_id, campaign_id FROM campaign_targets WHERE target_id = ANY($1::uuid[]) ORDER BY campaign_id',
      [targetIds],
    );
    for (const r of rows) {
      const list = out.get(r.target_id) ?? [];
      list.push(r.campaign_id);
      out.set(r.target_id, list);
    }
    return out;
  }
}
