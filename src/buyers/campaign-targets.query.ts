// The targets a campaign can send calls to: active, of an active buyer, linked to the campaign. Shared
// by the call flow's static routing and the auction (which takes every kind).
import type { DataSource } from 'typeorm';
import { TargetEntity } from './target.entity';

export function activeCampaignTargets(
  db: DataSource,
  tenantId: string,
  campaignId: string,
  opts: { staticOnly?: boolean } = {},
): Promise<TargetEntity[]> {
  const q = db
    .getRepository(TargetEntity)
    .createQueryBuilder('t')
    .innerJoin('campaign_targets', 'ct', 'ct.target_id = t.id AND ct.campaign_id = :campaignId', {
      campaignId,
    })
    .innerJoin('buyers', 'b', "b.id = t.buyer_id AND b.status = 'active'")
    .where('t.tenant_id = :tenantId', { tenantId })
    .andWhere("t.status = 'active'");
  if (opts.staticOnly) q.andWhere("t.kind = 'static'").andWhere('t.destination IS NOT NULL');
  return q.orderBy('t.id').getMany();
}
