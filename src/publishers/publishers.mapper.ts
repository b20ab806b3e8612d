import { formatMoney, parseMoney } from '../common/money';
import { PublisherResponseDto } from './dto/publisher.dto';
import { PublisherEntity } from './publisher.entity';

const money = (v: string | null) => (v === null ? null : formatMoney(parseMoney(v)));

export const toPublisherDto = (p: PublisherEntity): PublisherResponseDto => ({
  id: p.id,
  name: p.name,
  status: p.status,
  payoutType: p.payoutType,
  payoutAmount: money(p.payoutAmount),
  payoutPercent: money(p.payoutPercent),
  payoutMin: money(p.payoutMin),
  payoutMax: money(p.payoutMax),
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});
