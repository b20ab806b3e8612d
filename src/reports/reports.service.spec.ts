import { metricValue, toUnits } from './reports.service';

describe('report metrics', () => {
  const agg = {
    a_calls: '3',
    a_uc: '2',
    a_conn: '2',
    a_conv: '1',
    a_rev: '95.5',
    a_pay: '30',
    a_prof: '-4.0001',
    a_talk: '140000',
    a_ttc: '8000',
  };

  it('computes rates, averages and money exactly', () => {
    expect(metricValue('calls', agg)).toBe(3);
    expect(metricValue('conversion_rate', agg)).toBe(0.3333);
    expect(metricValue('revenue', agg)).toBe('95.50');
    expect(metricValue('profit', agg)).toBe('-4.0001');
    expect(metricValue('revenue_per_call', agg)).toBe('31.8333');
    expect(metricValue('payout_per_call', agg)).toBe('10.00');
    expect(metricValue('avg_talk_time', agg)).toBe(70);
    expect(metricValue('time_to_connect', agg)).toBe(4);
  });

  it('has no division by zero', () => {
    const none = { a_calls: '0', a_conn: '0', a_conv: '0', a_rev: '0', a_talk: '0', a_ttc: '0' };
    expect(metricValue('conversion_rate', none)).toBe(0);
    expect(metricValue('revenue_per_call', none)).toBe('0.00');
    expect(metricValue('avg_talk_time', none)).toBe(0);
  });

  it('reads ClickHouse decimals of any size', () => {
    expect(toUnits('123456789012345.1234')).toBe(1234567890123451234n);
    expect(toUnits('-0.5')).toBe(-5000n);
    expect(toUnits('7')).toBe(70000n);
  });
});
