import { NumberResponseDto, PoolResponseDto } from './dto/numbers.dto';
import { NumberPoolEntity } from './number-pool.entity';
import { TrackingNumberEntity } from './tracking-number.entity';

export const toPoolDto = (p: NumberPoolEntity): PoolResponseDto => ({
  id: p.id,
  campaignId: p.campaignId,
  publisherId: p.publisherId,
  name: p.name,
  kind: p.kind,
  leaseIdleS: p.leaseIdleS,
  cooldownS: p.cooldownS,
  overflowNumber: p.overflowNumber,
  createdAt: p.createdAt.toISOString(),
});

export const toNumberDto = (n: TrackingNumberEntity): NumberResponseDto => ({
  id: n.id,
  poolId: n.poolId,
  number: n.number,
  status: n.status,
  createdAt: n.createdAt.toISOString(),
});
