import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, FindOptionsWhere, In } from 'typeorm';
import { NumberPoolEntity } from './number-pool.entity';
import { TrackingNumberEntity } from './tracking-number.entity';

@Injectable()
export class NumbersRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private get pools() {
    return this.db.getRepository(NumberPoolEntity);
  }
  private get numbers() {
    return this.db.getRepository(TrackingNumberEntity);
  }

  async campaignExists(tenantId: string, id: string): Promise<boolean> {
    return (
      (await this.db.query('SELECT 1 FROM campaigns WHERE id = $1 AND tenant_id = $2', [id, tenantId]))
        .length > 0
    );
  }

  async publisherExists(tenantId: string, id: string): Promise<boolean> {
    return (
      (await this.db.query('SELECT 1 FROM publishers WHERE id = $1 AND tenant_id = $2', [id, tenantId]))
        .length > 0
    );
  }

  savePool(p: Partial<NumberPoolEntity>): Promise<NumberPoolEntity> {
    return this.pools.save(p);
  }

  findPool(where: FindOptionsWhere<NumberPoolEntity>): Promise<NumberPoolEntity | null> {
    return this.pools.findOneBy(where);
  }

  findPoolById(id: string): Promise<NumberPoolEntity | null> {
    return this.pools.findOneBy({ id });
  }

  listPools(where: FindOptionsWhere<NumberPoolEntity>, skip: number, take: number) {
    return this.pools.findAndCount({ where, order: { createdAt: 'DESC' }, skip, take });
  }

  poolsOfCampaign(campaignId: string): Promise<NumberPoolEntity[]> {
    return this.pools.find({ where: { campaignId }, order: { createdAt: 'ASC' } });
  }

  async deletePool(tenantId: string, id: string): Promise<boolean> {
    return ((await this.pools.delete({ tenantId, id })).affected ?? 0) > 0;
  }

  existingNumbers(numbers: string[]): Promise<TrackingNumberEntity[]> {
    return this.numbers.findBy({ number: In(numbers) });
  }

  insertNumbers(rows: Partial<TrackingNumberEntity>[]): Promise<TrackingNumberEntity[]> {
    return this.numbers.save(rows);
  }

  listNumbers(poolId: string, skip: number, take: number) {
    return this.numbers.findAndCount({ where: { poolId }, order: { number: 'ASC' }, skip, take });
  }

  activeNumbers(poolId: string): Promise<TrackingNumberEntity[]> {
    return this.numbers.findBy({ poolId, status: 'active' });
  }

  findNumber(where: FindOptionsWhere<TrackingNumberEntity>): Promise<TrackingNumberEntity | null> {
    return this.numbers.findOneBy(where);
  }

  saveNumber(n: TrackingNumberEntity): Promise<TrackingNumberEntity> {
    return this.numbers.save(n);
  }

  poolByOverflowNumber(number: string): Promise<NumberPoolEntity | null> {
    return this.pools.findOneBy({ overflowNumber: number });
  }

  async deleteNumber(id: string): Promise<void> {
    await this.numbers.delete({ id });
  }
}
