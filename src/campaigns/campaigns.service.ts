// Campaigns: the offer a call is tracked and sold under, with its conversion, duplicate and auction rules.
import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { badRequest, notFound } from '../common/errors';
import { formatMoney, parseMoney } from '../common/money';
import { toE164 } from '../common/phone';
import { defined } from '../common/validators';
import { CampaignEntity } from './campaign.entity';
import { CampaignsRepository } from './campaigns.repository';
import { CreateCampaignDto, UpdateCampaignDto } from './dto/campaign.dto';

const PARAM_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const TAG_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export const CAMPAIGN_DEFAULTS = {
  vertical: '',
  status: 'active' as const,
  attributionWindowS: 86_400,
  conversionSeconds: 90,
  dupRoutingWindowS: 86_400,
  dupPayoutWindowS: 30 * 86_400,
  auctionDeadlineMs: 1_500,
  floorPrice: '0.00',
  callerIdPolicy: 'masked' as const,
  swapNumbers: [] as string[],
  paramTags: {} as Record<string, string>,
  unroutedAction: 'message' as const,
  unroutedMessage: 'Sorry, no one is available to take your call right now. Please try again later.',
  holdMessage: '',
};

@Injectable()
export class CampaignsService {
  constructor(private readonly repo: CampaignsRepository) {}

  async create(tenantId: string, dto: CreateCampaignDto): Promise<CampaignEntity> {
    const values = this.normalise({ ...CAMPAIGN_DEFAULTS, ...defined(dto) });
    return this.repo.save({ ...values, tenantId, publicKey: `cmp_${randomBytes(12).toString('base64url')}` });
  }

  async get(tenantId: string, id: string): Promise<CampaignEntity> {
    const c = await this.repo.findOne(tenantId, id);
    if (!c) throw notFound('Campaign');
    return c;
  }

  list(tenantId: string, skip: number, take: number) {
    return this.repo.list(tenantId, skip, take);
  }

  async update(tenantId: string, id: string, dto: UpdateCampaignDto): Promise<CampaignEntity> {
    const current = await this.get(tenantId, id);
    return this.repo.save({ ...current, ...this.normalise(defined(dto)) });
  }

  async remove(tenantId: string, id: string): Promise<void> {
    if (!(await this.repo.delete(tenantId, id))) throw notFound('Campaign');
  }

  findByPublicKey(publicKey: string) {
    return this.repo.findByPublicKey(publicKey);
  }

  private normalise<T extends UpdateCampaignDto>(dto: T): T {
    const out = { ...dto };
    if (dto.floorPrice !== undefined) out.floorPrice = formatMoney(parseMoney(dto.floorPrice));
    if (dto.swapNumbers !== undefined) out.swapNumbers = [...new Set(dto.swapNumbers.map((n) => toE164(n)!))];
    if (dto.paramTags !== undefined) {
      const entries = Object.entries(dto.paramTags);
      if (entries.length > 30) throw badRequest('VALIDATION_FAILED', 'paramTags: at most 30 entries');
      for (const [param, tag] of entries) {
        if (!PARAM_NAME.test(param))
          throw badRequest('VALIDATION_FAILED', `paramTags: bad parameter name "${param.slice(0, 80)}"`);
        if (typeof tag !== 'string' || !TAG_NAME.test(tag)) {
          throw badRequest('VALIDATION_FAILED', `paramTags.${param}: tag name must match ${TAG_NAME.source}`);
        }
      }
    }
    return out;
  }
}
