// Entities to response DTOs. numeric columns arrive from pg as strings ("35.0000"); money goes out in
// its canonical text ("35.00").
import { formatMoney, parseMoney } from '../common/money';
import type { BuyerEntity } from './buyer.entity';
import type { BuyerResponseDto } from './dto/buyer.dto';
import type { CapsDto, TargetResponseDto } from './dto/target.dto';
import { CAP_PERIODS, type TargetCaps, type TargetEntity } from './target.entity';

const money = (v: string) => formatMoney(parseMoney(v));

export const toBuyerDto = (b: BuyerEntity): BuyerResponseDto => ({
  id: b.id,
  name: b.name,
  status: b.status,
  createdAt: b.createdAt.toISOString(),
  updatedAt: b.updatedAt.toISOString(),
});

function capsDto(caps: TargetCaps | null | undefined): CapsDto {
  const out: CapsDto = {};
  if (caps?.calls) out.calls = { ...caps.calls };
  if (caps?.conversions) out.conversions = { ...caps.conversions };
  if (caps?.revenue) {
    const r: Record<string, string> = {};
    for (const p of CAP_PERIODS) {
      const v = caps.revenue[p];
      if (v !== undefined) r[p] = money(v);
    }
    out.revenue = r;
  }
  return out;
}

export const toTargetDto = (t: TargetEntity, campaignIds: string[]): TargetResponseDto => ({
  id: t.id,
  buyerId: t.buyerId,
  name: t.name,
  kind: t.kind,
  status: t.status,
  destination: t.destination,
  revenue: t.revenue === null ? null : money(t.revenue),
  priority: t.priority,
  weight: t.weight,
  conversionSeconds: t.conversionSeconds,
  ringTimeoutS: t.ringTimeoutS,
  caps: capsDto(t.caps),
  concurrencyCap: t.concurrencyCap,
  schedule: t.schedule
    ? { timezone: t.schedule.timezone, windows: t.schedule.windows.map((w) => ({ ...w })) }
    : null,
  filters: (t.filters ?? []).map((f) => ({ ...f })),
  cacheWindowS: t.cacheWindowS,
  ping: t.ping ? structuredClone(t.ping) : null,
  campaignIds: [...campaignIds],
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
});
