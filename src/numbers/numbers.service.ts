// Number pools and tracking numbers. Publishers see the pools assigned to them. Whoever keeps a
// live copy of a pool's inventory (the DNI allocator in Redis) subscribes with onPoolChanged.
import { Injectable } from '@nestjs/common';
import { FindOptionsWhere } from 'typeorm';
import type { Principal } from '../accounts/principal';
import { conflict, notFound } from '../common/errors';
import { toE164 } from '../common/phone';
import { AddNumbersDto, CreatePoolDto, UpdateNumberDto, UpdatePoolDto } from './dto/numbers.dto';
import { NumberPoolEntity } from './number-pool.entity';
import { NumbersRepository } from './numbers.repository';
import { TrackingNumberEntity } from './tracking-number.entity';

type PoolListener = (poolId: string) => Promise<void>;

@Injectable()
export class NumbersService {
  private readonly listeners: PoolListener[] = [];

  constructor(private readonly repo: NumbersRepository) {}

  onPoolChanged(listener: PoolListener): void {
    this.listeners.push(listener);
  }

  private async changed(poolId: string): Promise<void> {
    for (const l of this.listeners) await l(poolId);
  }

  private scope(p: Principal, id?: string): FindOptionsWhere<NumberPoolEntity> {
    const where: FindOptionsWhere<NumberPoolEntity> = { tenantId: p.tenantId };
    if (id !== undefined) where.id = id;
    if (p.role === 'publisher') where.publisherId = p.publisherId;
    return where;
  }

  async createPool(tenantId: string, dto: CreatePoolDto): Promise<NumberPoolEntity> {
    if (!(await this.repo.campaignExists(tenantId, dto.campaignId))) throw notFound('Campaign');
    if (dto.publisherId && !(await this.repo.publisherExists(tenantId, dto.publisherId)))
      throw notFound('Publisher');
    return this.repo.savePool({
      tenantId,
      campaignId: dto.campaignId,
      publisherId: dto.publisherId ?? null,
      name: dto.name,
      kind: dto.kind,
      leaseIdleS: dto.leaseIdleS ?? 300,
      cooldownS: dto.cooldownS ?? 300,
      overflowNumber: dto.overflowNumber ? toE164(dto.overflowNumber)! : null,
    });
  }

  async getPool(p: Principal, id: string): Promise<NumberPoolEntity> {
    const pool = await this.repo.findPool(this.scope(p, id));
    if (!pool) throw notFound('Number pool');
    return pool;
  }

  listPools(p: Principal, skip: number, take: number) {
    return this.repo.listPools(this.scope(p), skip, take);
  }

  async updatePool(p: Principal, id: string, dto: UpdatePoolDto): Promise<NumberPoolEntity> {
    const pool = await this.getPool(p, id);
    if (dto.publisherId && !(await this.repo.publisherExists(p.tenantId, dto.publisherId)))
      throw notFound('Publisher');
    const saved = await this.repo.savePool({
      ...pool,
      ...(dto.name !== undefined && { name: dto.name }),
      ...(dto.publisherId !== undefined && { publisherId: dto.publisherId }),
      ...(dto.leaseIdleS !== undefined && { leaseIdleS: dto.leaseIdleS }),
      ...(dto.cooldownS !== undefined && { cooldownS: dto.cooldownS }),
      ...(dto.overflowNumber !== undefined && { overflowNumber: toE164(dto.overflowNumber)! }),
    });
    await this.changed(id);
    return saved;
  }

  async deletePool(p: Principal, id: string): Promise<void> {
    if (!(await this.repo.deletePool(p.tenantId, id))) throw notFound('Number pool');
    await this.changed(id);
  }

  async addNumbers(p: Principal, poolId: string, dto: AddNumbersDto): Promise<TrackingNumberEntity[]> {
    const pool = await this.getPool(p, poolId);
    const numbers = [...new Set(dto.numbers.map((n) => toE164(n)!))];
    const taken = await this.repo.existingNumbers(numbers);
    if (taken.length > 0) {
      throw conflict('NUMBER_TAKEN', `Already tracked: ${taken.map((t) => t.number).join(', ')}`);
    }
    const rows = await this.repo.insertNumbers(
      numbers.map((number) => ({
        tenantId: pool.tenantId,
        poolId: pool.id,
        number,
        status: 'active' as const,
      })),
    );
    await this.changed(pool.id);
    return rows;
  }

  async listNumbers(p: Principal, poolId: string, skip: number, take: number) {
    await this.getPool(p, poolId);
    return this.repo.listNumbers(poolId, skip, take);
  }

  private async getNumber(p: Principal, id: string): Promise<TrackingNumberEntity> {
    const n = await this.repo.findNumber({ tenantId: p.tenantId, id });
    if (!n) throw notFound('Tracking number');
    await this.getPool(p, n.poolId).catch(() => {
      throw notFound('Tracking number');
    });
    return n;
  }

  async updateNumber(p: Principal, id: string, dto: UpdateNumberDto): Promise<TrackingNumberEntity> {
    const n = await this.getNumber(p, id);
    n.status = dto.status;
    const saved = await this.repo.saveNumber(n);
    await this.changed(n.poolId);
    return saved;
  }

  async deleteNumber(p: Principal, id: string): Promise<void> {
    const n = await this.getNumber(p, id);
    await this.repo.deleteNumber(n.id);
    await this.changed(n.poolId);
  }

  /** Internal (no principal): used by DNI and telephony. */
  findPoolById(id: string) {
    return this.repo.findPoolById(id);
  }
  activeNumbers(poolId: string) {
    return this.repo.activeNumbers(poolId);
  }
  poolsOfCampaign(campaignId: string) {
    return this.repo.poolsOfCampaign(campaignId);
  }
  findTrackingNumber(number: string) {
    return this.repo.findNumber({ number });
  }
  poolByOverflowNumber(number: string) {
    return this.repo.poolByOverflowNumber(number);
  }
}
