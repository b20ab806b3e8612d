// The per-tenant caller block list (PostgreSQL, primary key lookup on the call path).
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BlockedNumberEntity } from './blocked-number.entity';

@Injectable()
export class BlocklistRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private get repo() {
    return this.db.getRepository(BlockedNumberEntity);
  }

  async isBlocked(tenantId: string, number: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      'SELECT 1 FROM blocked_numbers WHERE tenant_id = $1 AND number = $2',
      [tenantId, number],
    );
    return rows.length > 0;
  }

  async numbers(tenantId: string, limit: number): Promise<string[]> {
    const rows: Array<{ number: string }> = await this.db.query(
      'SELECT number FROM blocked_numbers WHERE tenant_id = $1 LIMIT $2',
      [tenantId, limit],
    );
    return rows.map((r) => r.number);
  }

  list(tenantId: string, skip: number, take: number): Promise<[BlockedNumberEntity[], number]> {
    return this.repo.findAndCount({
      where: { tenantId },
      order: { createdAt: 'DESC', number: 'ASC' },
      skip,
      take,
    });
  }

  async upsert(tenantId: string, number: string, reason: string): Promise<BlockedNumberEntity> {
    await this.db.query(
      `INSERT INTO blocked_numbers (tenant_id, number, reason) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id, number) DO UPDATE SET reason = EXCLUDED.reason`,
      [tenantId, number, reason],
    );
    return this.repo.findOneByOrFail({ tenantId, number });
  }

  async remove(tenantId: string, number: string): Promise<boolean> {
    const r = await this.repo.delete({ tenantId, number });
    return (r.affected ?? 0) > 0;
  }
}
