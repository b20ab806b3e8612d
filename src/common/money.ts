// Money as integer ten-thousandths (matching numeric(14,4) / Decimal(18,4)); decimal strings at the edges.
// Never a JS float.
export type Money = bigint;

const SCALE = 10_000n;
const PATTERN = /^(-)?(\d{1,10})(?:\.(\d{1,4}))?$/;

export function parseMoney(text: string): Money {
  const m = PATTERN.exec(text.trim());
  if (!m) throw new RangeError(`not a decimal amount with at most 4 decimals: ${text}`);
  const units = BigInt(m[2]) * SCALE + BigInt((m[3] ?? '').padEnd(4, '0'));
  return m[1] ? -units : units;
}

export function isMoney(text: unknown): text is string {
  return typeof text === 'string' && PATTERN.test(text.trim());
}

/** Canonical text: at least two decimals, no trailing zeros beyond them ("12.50", "0.1234"). */
export function formatMoney(value: Money): string {
  const neg = value < 0n;
  const abs = neg ? -value : value;
  const whole = abs / SCALE;
  let frac = (abs % SCALE).toString().padStart(4, '0');
  while (frac.length > 2 && frac.endsWith('0')) frac = frac.slice(0, -1);
  return `${neg ? '-' : ''}${whole}.${frac}`;
}

/** For people to read (dashboards): rounded half up to cents, always two decimals ("384.35"). */
export function displayMoney(value: Money): string {
  const neg = value < 0n;
  const cents = ((neg ? -value : value) + 50n) / 100n;
  return `${neg && cents > 0n ? '-' : ''}${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
}

/** value × percent / 100, percent given as a decimal string ("12.5"), rounded half up to 4 decimals. */
export function percentOf(value: Money, percent: string): Money {
  const p = parseMoney(percent); // percent in ten-thousandths
  const num = value * p;
  const den = 100n * SCALE;
  const q = num / den;
  const r = num % den;
  return r * 2n >= den ? q + 1n : r * 2n <= -den ? q - 1n : q;
}

export const minMoney = (a: Money, b: Money): Money => (a < b ? a : b);
export const maxMoney = (a: Money, b: Money): Money => (a > b ? a : b);
