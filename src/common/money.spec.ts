import { displayMoney, formatMoney, isMoney, parseMoney, percentOf } from './money';

describe('money', () => {
  it('round-trips decimal strings without floats', () => {
    expect(formatMoney(parseMoney('12.5'))).toBe('12.50');
    expect(formatMoney(parseMoney('0.1234'))).toBe('0.1234');
    expect(formatMoney(parseMoney('-3'))).toBe('-3.00');
    expect(parseMoney('0.1') + parseMoney('0.2')).toBe(parseMoney('0.3'));
  });

  it('rejects floats with too many decimals and junk', () => {
    for (const bad of ['1.23456', 'abc', '1e3', '', '12345678901.0']) {
      expect(isMoney(bad)).toBe(false);
      expect(() => parseMoney(bad)).toThrow(RangeError);
    }
  });

  it('computes percentages with half-up rounding', () => {
    expect(formatMoney(percentOf(parseMoney('40.00'), '12.5'))).toBe('5.00');
    expect(formatMoney(percentOf(parseMoney('0.0003'), '50'))).toBe('0.0002');
    expect(formatMoney(percentOf(parseMoney('33.33'), '33.3333'))).toBe('11.11');
  });
});

describe('displayMoney', () => {
  it('rounds half up to cents with two decimals', () => {
    expect(displayMoney(parseMoney('384.348'))).toBe('384.35');
    expect(displayMoney(parseMoney('384.3449'))).toBe('384.34');
    expect(displayMoney(parseMoney('240'))).toBe('240.00');
    expect(displayMoney(parseMoney('0.005'))).toBe('0.01');
    expect(displayMoney(parseMoney('-12.345'))).toBe('-12.35');
    expect(displayMoney(parseMoney('-0.004'))).toBe('0.00');
  });
});
