// Publishers (traffic sources) and their payout rules. A publisher-role caller sees only itself.
import { Injectable } from '@nestjs/common';
import { FindOptionsWhere } from 'typeorm';
import type { Principal } from '../accounts/principal';
import { badRequest, notFound } from '../common/errors';
import { formatMoney, parseMoney } from '../common/money';
import { CreatePublisherDto, UpdatePublisherDto } from './dto/publisher.dto';
import { PublisherEntity } from './publisher.entity';
import { PublishersRepository } from './publishers.repository';

const money = (v: string | null | undefined) =>
  v === undefined || v === null ? v : formatMoney(parseMoney(v));

@Injectable()
export class PublishersService {
  constructor(private readonly repo: PublishersRepository) {}

  /** Tenant scope plus, for a publisher, its own row only. */
  private scope(p: Principal, id?: string): FindOptionsWhere<PublisherEntity> {
    const where: FindOptionsWhere<PublisherEntity> = { tenantId: p.tenantId };
    if (p.role === 'publisher') {
      if (id !== undefined && id !== p.publisherId)
        return { ...where, id: '00000000-0000-0000-0000-000000000000' };
      where.id = p.publisherId;
    } else if (id !== undefined) where.id = id;
    return where;
  }

  async create(tenantId: string, dto: CreatePublisherDto): Promise<PublisherEntity> {
    const row = this.checkRule({
      name: dto.name,
      status: dto.status ?? 'active',
      payoutType: dto.payoutType,
      payoutAmount: money(dto.payoutAmount) ?? null,
      payoutPercent: money(dto.payoutPercent) ?? null,
      payoutMin: money(dto.payoutMin) ?? null,
      payoutMax: money(dto.payoutMax) ?? null,
    });
    return this.repo.save({ ...row, tenantId });
  }

  async get(p: Principal, id: string): Promise<PublisherEntity> {
    const row = await this.repo.findOne(this.scope(p, id));
    if (!row) throw notFound('Publisher');
    return row;
  }

  list(p: Principal, skip: number, take: number) {
    return this.repo.list(this.scope(p), skip, take);
  }

  async update(p: Principal, id: string, dto: UpdatePublisherDto): Promise<PublisherEntity> {
    const current = await this.get(p, id);
    const next = this.checkRule({
      ...current,
      ...(dto.name !== undefined && { name: dto.name }),
      ...(dto.status !== undefined && { status: dto.status }),
      ...(dto.payoutType !== undefined && { payoutType: dto.payoutType }),
      ...(dto.payoutAmount !== undefined && { payoutAmount: money(dto.payoutAmount) }),
      ...(dto.payoutPercent !== undefined && { payoutPercent: money(dto.payoutPercent) }),
      ...(dto.payoutMin !== undefined && { payoutMin: money(dto.payoutMin) }),
      ...(dto.payoutMax !== undefined && { payoutMax: money(dto.payoutMax) }),
    });
    return this.repo.save(next);
  }

  async remove(tenantId: string, id: string): Promise<void> {
    if (!(await this.repo.delete(tenantId, id))) throw notFound('Publisher');
  }

  private checkRule<T extends Partial<PublisherEntity>>(row: T): T {
    if (row.payoutType === 'fixed' && !row.payoutAmount) {
      throw badRequest('VALIDATION_FAILED', 'payoutAmount: required when payoutType is fixed');
    }
    if (row.payoutType === 'percent' && !row.payoutPercent) {
      throw badRequest('VALIDATION_FAILED', 'payoutPercent: required when payoutType is percent');
    }
    if (row.payoutMin && row.payoutMax && parseMoney(row.payoutMin) > parseMoney(row.payoutMax)) {
      throw badRequest('VALIDATION_FAILED', 'payoutMin: must not exceed payoutMax');
    }
    return row;
  }
}
