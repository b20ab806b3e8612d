// Pure matching and formatting: which strings count as a target number, and what the
// digit-slot replacement writes in their place.

import {
  findHits,
  fillSlots,
  formatPhone,
  isTelTo,
  makeMatcher,
  mayContain,
  parsePhone,
  replacement,
  slotText,
  telHref,
  type Matcher,
} from '../src/phone';

const TARGET = '+18005551234';
const LEASED = parsePhone('+18885550001')!;

/** What the swapper does to one text node: every whole hit replaced, right to left. */
function swapIn(text: string, m: Matcher | null = makeMatcher([TARGET])): string {
  const hits = findHits(text, m!);
  for (let i = hits.length; i--;) {
    const [s, e] = hits[i];
    text = text.slice(0, s) + replacement(text.slice(s, e), LEASED) + text.slice(e);
  }
  return text;
}

describe('parsePhone', () => {
  it.each([
    ['+18005551234', '+18005551234'],
    ['+1 (800) 555-1234', '+18005551234'],
    ['800-555-1234', '+18005551234'],
    ['1-800-555-1234', '+18005551234'],
  ])('reads %s as %s', (input, e164) => {
    expect(parsePhone(input)).toEqual({ e164, d: e164.slice(1) });
  });

  it.each(['', '555-1234', '+442071234567', '+1 055 555 1234', '123456789012345', 42, null])(
    'rejects %p',
    (input) => {
      expect(parsePhone(input)).toBeNull();
    },
  );
});

describe('digit-slot replacement in every common format', () => {
  it.each([
    ['(800) 555-1234', '(888) 555-0001'],
    ['800-555-1234', '888-555-0001'],
    ['800.555.1234', '888.555.0001'],
    ['800 555 1234', '888 555 0001'],
    ['8005551234', '8885550001'],
    ['(800)555-1234', '(888)555-0001'],
    ['1-800-555-1234', '1-888-555-0001'],
    ['1 (800) 555-1234', '1 (888) 555-0001'],
    ['18005551234', '18885550001'],
    ['1.800.555.1234', '1.888.555.0001'],
    ['+1 800 555 1234', '+1 888 555 0001'],
    ['+1 (800) 555-1234', '+1 (888) 555-0001'],
    ['+1-800-555-1234', '+1-888-555-0001'],
    ['+18005551234', '+18885550001'],
    ['800\u00a0555\u00a01234', '888\u00a0555\u00a00001'],
    ['800\u2011555\u20111234', '888\u2011555\u20110001'],
    ['800 / 555-1234', '888 / 555-0001'],
  ])('%s → %s', (shown, expected) => {
    expect(swapIn(shown)).toBe(expected);
    // and inside a sentence, with the surrounding text untouched
    expect(swapIn(`Call us: ${shown}, any time.`)).toBe(`Call us: ${expected}, any time.`);
  });

  it('swaps every occurrence, and every configured target', () => {
    const m = makeMatcher([TARGET, '+18005550000']);
    expect(swapIn('800-555-1234 or (800) 555-0000, fax 800.555.1234', m)).toBe(
      '888-555-0001 or (888) 555-0001, fax 888.555.0001',
    );
  });

  it('finds nothing once the number is swapped (a re-scan is a no-op)', () => {
    const m = makeMatcher([TARGET])!;
    const once = swapIn('Call (800) 555-1234', m);
    expect(findHits(once, m)).toEqual([]);
    expect(swapIn(once, m)).toBe(once);
  });
});

describe('what must never be swapped', () => {
  it.each([
    ['a different business number', 'Sales: 800-555-9999'],
    ['a longer digit run containing the number', 'Order 80055512345'],
    ['an order id ending in the number', 'Order #28005551234'],
    ['a number glued to more digits by a dash', 'Ref 12-800-555-1234'],
    ['a number followed by more digits', 'Part 800-555-1234-77'],
    ['a number followed by a decimal part', 'Serial 8005551234.5'],
    ['another country code in front', 'Intl +8005551234'],
    ['a ZIP+4 run', 'ZIP 94105-1234, 8005551'],
    ['seven digits only', 'Local 555-1234'],
  ])('%s', (_, text) => {
    expect(swapIn(text)).toBe(text);
  });

  it('has no matcher at all without a valid target', () => {
    expect(makeMatcher([])).toBeNull();
    expect(makeMatcher(['not a number', '+442071234567'])).toBeNull();
  });

  it('mayContain is a cheap superset of findHits', () => {
    const m = makeMatcher([TARGET])!;
    expect(mayContain('x 800-555-1234 y', m)).toBe(true);
    expect(mayContain('Order 28005551234', m)).toBe(true); // the exact check then rejects it
    expect(findHits('Order 28005551234', m)).toEqual([]);
    expect(mayContain('Sales: 800-555-9999', m)).toBe(false);
  });
});

describe('explicit slots and default format', () => {
  it('formats a number the default way', () => {
    expect(formatPhone(LEASED)).toBe('(888) 555-0001');
  });

  it('writes the number in the format the slot already shows', () => {
    expect(slotText('555.000.1111', LEASED)).toBe('888.555.0001');
    expect(slotText('Call 1-555-000-1111 now', LEASED)).toBe('Call 1-888-555-0001 now');
    expect(slotText('+1 555 000 1111', LEASED)).toBe('+1 888 555 0001');
  });

  it('falls back to the default format when the slot shows no number', () => {
    expect(slotText('', LEASED)).toBe('(888) 555-0001');
    expect(slotText('Call us', LEASED)).toBe('(888) 555-0001');
  });

  it('applies a mask from the right', () => {
    expect(slotText('whatever', LEASED, 'xxx.xxx.xxxx')).toBe('888.555.0001');
    expect(slotText('', LEASED, '+x (xxx) xxx-xxxx')).toBe('+1 (888) 555-0001');
    expect(fillSlots('xx-xxxx', '12345', true)).toBe('1-2345');
  });

  it('keeps leading digits that have no counterpart', () => {
    expect(fillSlots('+1 (800) 555-1234', '8885550001')).toBe('+1 (888) 555-0001');
  });
});

describe('tel: links', () => {
  const m = makeMatcher([TARGET])!;

  it.each([
    'tel:8005551234',
    'tel:+18005551234',
    'tel:18005551234',
    'tel:1-800-555-1234',
    'tel:+1-800-555-1234',
    'tel:+1%20(800)%20555-1234',
    'tel:800.555.1234;ext=12',
    'TEL:+18005551234',
  ])('%s dials the target', (href) => {
    expect(isTelTo(href, m)).toBe(true);
  });

  it.each([
    'tel:8005559999',
    'tel:+8005551234',
    'tel:5551234',
    'mailto:8005551234@example.com',
    'https://x/8005551234',
  ])('%s does not', (href) => {
    expect(isTelTo(href, m)).toBe(false);
  });

  it('is rewritten in E.164, keeping an extension', () => {
    expect(telHref('tel:1-800-555-1234', LEASED)).toBe('tel:+18885550001');
    expect(telHref('tel:800.555.1234;ext=12', LEASED)).toBe('tel:+18885550001;ext=12');
  });
});
