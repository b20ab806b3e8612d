// The publisher's payout for a call: a fixed amount, or a percentage of revenue clamped to min/max.
import { Money, maxMoney, minMoney, parseMoney, percentOf } from '../common/money';

export interface PayoutRule {
  type: 'fixed' | 'percent';
  amount?: string | null;
  percent?: string | null;
  min?: string | null;
  max?: string | null;
}

export function computePayout(rule: PayoutRule, revenue: Money): Money {
  if (rule.type === 'fixed') return parseMoney(rule.amount ?? '0');
  let payout = percentOf(revenue, rule.percent ?? '0');
  if (rule.min) payout = maxMoney(payout, parseMoney(rule.min));
  if (rule.max) payout = minMoney(payout, parseMoney(rule.max));
  return payout;
}
