// Buyers and their targets: who may see what (operators everything in the tenant, a buyer only its
// own), the rules that span a target's fields, and campaign links. Returns mapped DTOs.
import { Injectable } from '@nestjs/common';
import { AppError, badRequest, notFound } from '../common/errors';
import type { Page } from '../common/pagination';
import { pageWindow } from '../common/pagination';
import type { Principal } from '../accounts/principal';
import { toBuyerDto, toTargetDto } from './buyers.mapper';
import { BuyersRepository, type TargetRecord } from './buyers.repository';
import type { BuyerEntity } from './buyer.entity';
import type { BuyerListQueryDto, BuyerResponseDto, CreateBuyerDto, UpdateBuyerDto } from './dto/buyer.dto';
import type {
  CreateTargetDto,
  TargetListQueryDto,
  TargetResponseDto,
  UpdateTargetDto,
} from './dto/target.dto';
import type { TargetEntity } from './target.entity';
import {
  normaliseCaps,
  normaliseFilters,
  normaliseMoney,
  normalisePing,
  normaliseSchedule,
  normaliseTargetDestination,
  targetShapeProblems,
} from './target-rules';

@Injectable()
export class BuyersService {
  constructor(private readonly repo: BuyersRepository) {}

  // --- buyers ---------------------------------------------------------------------------------------

  async listBuyers(p: Principal, q: BuyerListQueryDto): Promise<Page<BuyerResponseDto>> {
    const w = pageWindow(q);
    const [rows, total] = await this.repo.listBuyers(
      p.tenantId,
      { status: q.status, id: this.ownBuyerScope(p) },
      w.skip,
      w.take,
    );
    return { items: rows.map(toBuyerDto), page: w.page, limit: w.limit, total };
  }

  async getBuyer(p: Principal, id: string): Promise<BuyerResponseDto> {
    return toBuyerDto(await this.visibleBuyer(p, id));
  }

  async createBuyer(p: Principal, dto: CreateBuyerDto): Promise<BuyerResponseDto> {
    const buyer = await this.repo.saveBuyer({
      tenantId: p.tenantId,
      name: dto.name,
      status: dto.status ?? 'active',
    });
    return toBuyerDto(buyer);
  }

  async updateBuyer(p: Principal, id: string, dto: UpdateBuyerDto): Promise<BuyerResponseDto> {
    const buyer = await this.visibleBuyer(p, id);
    if (dto.name !== undefined) buyer.name = dto.name;
    if (dto.status !== undefined) buyer.status = dto.status;
    return toBuyerDto(await this.repo.saveBuyer(buyer));
  }

  /** Archives rather than deletes: call records keep pointing at the buyer and its targets. */
  async archiveBuyer(p: Principal, id: string): Promise<void> {
    if (!(await this.repo.archiveBuyer(p.tenantId, id))) throw notFound('Buyer');
  }

  // --- targets --------------------------------------------------------------------------------------

  async listTargets(p: Principal, q: TargetListQueryDto, buyerId?: string): Promise<Page<TargetResponseDto>> {
    if (buyerId) await this.visibleBuyer(p, buyerId);
    const own = this.ownBuyerScope(p);
    const scope = buyerId ?? q.buyerId;
    // A buyer asking for another buyer's targets through ?buyerId sees an empty page, like any filter.
    const w = pageWindow(q);
    if (own && scope && scope.toLowerCase() !== own)
      return { items: [], page: w.page, limit: w.limit, total: 0 };
    const [rows, total] = await this.repo.listTargets(
      p.tenantId,
      { buyerId: own ?? scope, campaignId: q.campaignId, status: q.status, kind: q.kind },
      w.skip,
      w.take,
    );
    return {
      items: rows.map((r) => toTargetDto(r.target, r.campaignIds)),
      page: w.page,
      limit: w.limit,
      total,
    };
  }

  async getTarget(p: Principal, id: string): Promise<TargetResponseDto> {
    const r = await this.visibleTarget(p, id);
    return toTargetDto(r.target, r.campaignIds);
  }

  async createTarget(p: Principal, buyerId: string, dto: CreateTargetDto): Promise<TargetResponseDto> {
    await this.visibleBuyer(p, buyerId);
    const target: Partial<TargetEntity> = {
      tenantId: p.tenantId,
      buyerId,
      name: dto.name,
      kind: dto.kind,
      status: dto.status ?? 'active',
      destination: normaliseTargetDestination(dto.destination),
      revenue: dto.revenue === undefined || dto.revenue === null ? null : normaliseMoney(dto.revenue),
      priority: dto.priority ?? 1,
      weight: dto.weight ?? 1,
      conversionSeconds: dto.conversionSeconds ?? null,
      ringTimeoutS: dto.ringTimeoutS ?? 30,
      caps: normaliseCaps(dto.caps),
      concurrencyCap: dto.concurrencyCap ?? null,
      schedule: normaliseSchedule(dto.schedule),
      filters: normaliseFilters(dto.filters),
      cacheWindowS: dto.cacheWindowS ?? 0,
      ping: normalisePing(dto.ping),
    };
    this.assertShape(target as TargetEntity);
    const campaignIds = await this.checkCampaigns(p, dto.campaignIds ?? []);
    const saved = await this.repo.saveTarget(target, campaignIds);
    return toTargetDto(saved.target, saved.campaignIds);
  }

  /** Fields present replace the stored ones (objects such as ping, caps and schedule as a whole). */
  async updateTarget(p: Principal, id: string, dto: UpdateTargetDto): Promise<TargetResponseDto> {
    const { target } = await this.visibleTarget(p, id);
    if (dto.name !== undefined) target.name = dto.name;
    if (dto.kind !== undefined) target.kind = dto.kind;
    if (dto.status !== undefined) target.status = dto.status;
    if (dto.destination !== undefined) target.destination = normaliseTargetDestination(dto.destination);
    if (dto.revenue !== undefined) target.revenue = dto.revenue === null ? null : normaliseMoney(dto.revenue);
    if (dto.priority !== undefined) target.priority = dto.priority;
    if (dto.weight !== undefined) target.weight = dto.weight;
    if (dto.conversionSeconds !== undefined) target.conversionSeconds = dto.conversionSeconds;
    if (dto.ringTimeoutS !== undefined) target.ringTimeoutS = dto.ringTimeoutS;
    if (dto.caps !== undefined) target.caps = normaliseCaps(dto.caps);
    if (dto.concurrencyCap !== undefined) target.concurrencyCap = dto.concurrencyCap;
    if (dto.schedule !== undefined) target.schedule = normaliseSchedule(dto.schedule);
    if (dto.filters !== undefined) target.filters = normaliseFilters(dto.filters);
    if (dto.cacheWindowS !== undefined) target.cacheWindowS = dto.cacheWindowS;
    if (dto.ping !== undefined) target.ping = normalisePing(dto.ping);
    if (target.revenue !== null) target.revenue = normaliseMoney(target.revenue);
    this.assertShape(target);
    const campaignIds =
      dto.campaignIds === undefined ? undefined : await this.checkCampaigns(p, dto.campaignIds);
    const saved = await this.repo.saveTarget(target, campaignIds);
    return toTargetDto(saved.target, saved.campaignIds);
  }

  async archiveTarget(p: Principal, id: string): Promise<void> {
    if (!(await this.repo.archiveTarget(p.tenantId, id))) throw notFound('Target');
  }

  // --- scope and checks -----------------------------------------------------------------------------

  /** The buyer a buyer-role principal is limited to; undefined for operators. */
  private ownBuyerScope(p: Principal): string | undefined {
    if (p.role !== 'buyer') return undefined;
    // A buyer principal always carries its buyer id (a DB check); refuse rather than widen if not.
    if (!p.buyerId) throw new AppError(403, 'FORBIDDEN', 'Your role does not allow this');
    return p.buyerId;
  }

  /** Another tenant's buyer, or another buyer's for a buyer principal, does not exist for the caller. */
  private async visibleBuyer(p: Principal, id: string): Promise<BuyerEntity> {
    const own = this.ownBuyerScope(p);
    const buyer = own && own !== id.toLowerCase() ? null : await this.repo.findBuyer(p.tenantId, id);
    if (!buyer) throw notFound('Buyer');
    return buyer;
  }

  private async visibleTarget(p: Principal, id: string): Promise<TargetRecord> {
    const own = this.ownBuyerScope(p);
    const r = await this.repo.findTarget(p.tenantId, id);
    if (!r || (own && r.target.buyerId !== own)) throw notFound('Target');
    return r;
  }

  private assertShape(t: TargetEntity): void {
    const problems = targetShapeProblems(t);
    if (problems.length > 0) {
      throw badRequest('VALIDATION_FAILED', problems.map((x) => `${x.field}: ${x.problem}`).join('; '), {
        fields: problems.map((x) => ({ field: x.field, problems: [x.problem] })),
      });
    }
  }

  /** Deduplicated campaign ids, all of them campaigns of the caller's tenant (else 404 naming them). */
  private async checkCampaigns(p: Principal, ids: string[]): Promise<string[]> {
    const unique = [...new Set(ids.map((id) => id.toLowerCase()))];
    const missing = await this.repo.missingCampaigns(p.tenantId, unique);
    if (missing.length > 0) {
      throw new AppError(
        404,
        'CAMPAIGN_NOT_FOUND',
        `campaignIds: no campaign ${missing.join(', ')} in this tenant`,
        { fields: [{ field: 'campaignIds', problems: missing.map((m) => `campaign ${m} not found`) }] },
      );
    }
    return unique;
  }
}
