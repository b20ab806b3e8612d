import { dollars, formatLine } from './demo-status';

describe('demo terminal line', () => {
  it('writes money from decimal strings with thousands separators and two decimals', () => {
    expect(dollars('0')).toBe('$0.00');
    expect(dollars('12.5')).toBe('$12.50');
    expect(dollars('1234567.8912')).toBe('$1,234,567.89');
    expect(dollars('-40.00')).toBe('-$40.00');
    expect(dollars(null)).toBe('–');
  });

  it('shows every figure, and a dash for those the platform has not answered yet', () => {
    const line = formatLine({
      elapsedS: 3725,
      callsPerSecond: 0.5,
      visitors: 120,
      calls: 61,
      errors: 0,
      live: 7,
      pings: null,
      bids: null,
      connected: 40,
      converted: 18,
      revenue: '402.3',
    });
    expect(line).toBe(
      '1:02:05 · 0.50 calls/s · visitors 120 · calls 61 · live 7 · bids –/– pings · connected 40 · converted 18 · revenue $402.30',
    );
    expect(
      formatLine({
        elapsedS: 65,
        callsPerSecond: 0,
        visitors: 0,
        calls: 0,
        errors: 4,
        live: null,
        pings: 3,
        bids: 2,
        connected: null,
        converted: null,
        revenue: null,
      }),
    ).toMatch(/^01:05 .* bids 2\/3 pings · connected – · converted – · revenue – · visitor errors 4$/);
  });
});
