import { formatMoney, parseMoney } from '../common/money';
import type { BlockedNumberEntity } from './blocked-number.entity';
import type { CallEntity } from './call.entity';
import { type LiveCall, livePhase } from './call-machine';
import type { BlockedNumberResponseDto, CallResponseDto, LiveCallResponseDto } from './dto/calls.dto';

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const money = (v: string) => formatMoney(parseMoney(v));

export const toCallDto = (c: CallEntity): CallResponseDto => ({
  id: c.id,
  callSessionId: c.callSessionId,
  state: c.state,
  reason: c.reason,
  campaignId: c.campaignId,
  publisherId: c.publisherId,
  poolId: c.poolId,
  buyerId: c.buyerId,
  targetId: c.targetId,
  trackingNumber: c.trackingNumber,
  caller: c.caller,
  destination: c.destination,
  duplicate: c.duplicate,
  attributionMethod: c.attributionMethod,
  attributionConfidence: c.attributionConfidence === null ? null : Number(c.attributionConfidence),
  dniSessionId: c.dniSessionId,
  tags: c.tags,
  receivedAt: c.receivedAt.toISOString(),
  answeredAt: iso(c.answeredAt),
  routingAt: iso(c.routingAt),
  ringingAt: iso(c.ringingAt),
  connectedAt: iso(c.connectedAt),
  endedAt: c.endedAt.toISOString(),
  ringMs: c.ringMs,
  talkMs: c.talkMs,
  totalMs: c.totalMs,
  attempts: c.attempts,
  converted: c.converted,
  conversionSeconds: c.conversionSeconds,
  revenue: money(c.revenue),
  payout: money(c.payout),
  profit: money(c.profit),
  hangupCause: c.hangupCause,
  hangupSource: c.hangupSource,
  sipHangupCause: c.sipHangupCause,
  legs: c.legs.map(({ callControlId: _ccid, ...leg }) => leg),
  auction: c.auction,
});

export function toLiveCallDto(c: LiveCall): LiveCallResponseDto {
  const current = c.attempts[c.attempts.length - 1];
  const ms = (v: number | undefined) => (v === undefined ? null : new Date(v).toISOString());
  const connected = c.attempts.find((t) => t.outcome === 'connected');
  return {
    id: c.id,
    callSessionId: c.sessionId,
    phase: livePhase(c),
    campaignId: c.setup?.campaignId ?? null,
    publisherId: c.setup?.publisherId ?? null,
    trackingNumber: c.to ?? null,
    caller: c.from ?? null,
    targetId: current?.target.targetId ?? null,
    buyerId: current?.target.buyerId ?? null,
    destination: current?.target.destination ?? null,
    attempts: c.attempts.length,
    receivedAt: new Date(c.a.startedAt ?? c.createdAt).toISOString(),
    answeredAt: ms(c.a.answeredAt ?? (c.answer.s === 'ok' ? c.answer.at : undefined)),
    connectedAt: ms(connected?.leg.answeredAt),
    tags: c.setup?.tags ?? {},
  };
}

export const toBlockedDto = (b: BlockedNumberEntity): BlockedNumberResponseDto => ({
  number: b.number,
  reason: b.reason,
  createdAt: b.createdAt.toISOString(),
});
