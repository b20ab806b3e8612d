import { formatMoney, parseMoney } from '../common/money';
import { computePayout } from './payout';

describe('computePayout', () => {
  it('pays the fixed amount whatever the revenue', () => {
    expect(formatMoney(computePayout({ type: 'fixed', amount: '12.50' }, parseMoney('40')))).toBe('12.50');
  });
  it('pays a percentage of revenue clamped to min and max', () => {
    const rule = { type: 'percent' as const, percent: '60', min: '5.00', max: '20.00' };
    expect(formatMoney(computePayout(rule, parseMoney('25')))).toBe('15.00');
    expect(formatMoney(computePayout(rule, parseMoney('2')))).toBe('5.00');
    expect(formatMoney(computePayout(rule, parseMoney('100')))).toBe('20.00');
  });
});
