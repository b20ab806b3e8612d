// Pure phone-number logic for the DNI snippet: which digit strings count as one of the
// campaign's target numbers, where they sit in a piece of text, and how to write the
// leased number into the same digit slots so the page keeps its own format. Only
// configured targets ever match; an arbitrary 10-digit string never does.
// Numbers are NANP (+1: US, Canada, Caribbean), matched in every common format with or
// without a leading 1 or +1; numbers of other countries are left alone.

export interface Phone {
  /** "+18005551234" */
  e164: string;
  /** the digits of e164, without the "+" */
  d: string;
}

/** Start and end (exclusive) of a number in a text. */
export type Hit = [number, number];

export interface Matcher {
  re: RegExp;
  /** what a tel: link to a target may carry, as digits with any leading "+" ("+18005551234", "8005551234") */
  tel: Set<string>;
}

// What may sit between two digits of a written number: "(800) 555-1234", "800.555.1234"...
const SEP = '[\\s().\\-/\\u2010-\\u2015]{0,4}';

export const digitsOf = (s: string): string => s.replace(/\D/g, '');

/** Parses "+18005551234", "+1 (800) 555-1234" or "800-555-1234"; null if not a NANP number. */
export function parsePhone(input: unknown): Phone | null {
  const d = digitsOf(String(input)).replace(/^(?=\d{10}$)/, '1');
  return typeof input == 'string' && /^1[2-9]\d{9}$/.test(d) ? { e164: '+' + d, d } : null;
}

/** One matcher for a list of numbers (invalid entries are dropped); null when none is valid. */
export function makeMatcher(list: readonly string[]): Matcher | null {
  const alts: string[] = [];
  const tel = new Set<string>();
  for (const raw of list) {
    const p = parsePhone(raw);
    if (p) {
      const d = p.d;
      // +1 800 555 1234, 1-800-555-1234, (800) 555-1234
      alts.push('(?:\\+?1' + SEP + ')?' + d.slice(1).split('').join(SEP));
      tel
        .add('+' + d)
        .add(d)
        .add(d.slice(1));
    }
  }
  return alts.length ? { re: new RegExp(alts.join('|'), 'g'), tel } : null;
}

// A hit must be a whole number: no digit (or "+") right before it, no digit right after,
// and no "-", "." or "/" glued to another digit on either side (order ids, ZIP+4 runs).
const whole = (t: string, s: number, e: number) =>
  !/[\d+]$|\d[-./]$/.test(t.substring(s - 2, s)) && !/^[-./]?\d/.test(t.substr(e, 2));

/** Cheap pre-check: could the text contain a target at all (ignores word boundaries)? */
export function mayContain(text: string, m: Matcher): boolean {
  m.re.lastIndex = 0;
  return m.re.test(text);
}

/** Every whole-number occurrence of a target in the text, left to right. */
export function findHits(text: string, m: Matcher): Hit[] {
  const out: Hit[] = [];
  const re = m.re;
  let x: RegExpExecArray | null;
  // after a match that is not a whole number, look again from its second character
  for (re.lastIndex = 0; (x = re.exec(text));)
    if (whole(text, x.index, re.lastIndex)) out.push([x.index, re.lastIndex]);
    else re.lastIndex = x.index + 1;
  return out;
}

/**
 * Writes `digits` into the slots of `text` (its digits, or each "x" of a mask) from the right.
 * Digit slots left over keep their digit, so "+1 (800) 555-1234" filled with "8885550001"
 * keeps its "+1 ("; "x" slots left over are dropped.
 */
export function fillSlots(text: string, digits: string, mask?: boolean): string {
  const slots = mask ? /x/gi : /\d/g;
  // the digit for each slot, counted so that the last slot takes the last digit
  let j = digits.length - (text.match(slots) || []).length;
  return text.replace(slots, (c) => (j++ < 0 ? (mask ? '' : c) : digits[j - 1]));
}

/** Default display: "(800) 555-1234". */
export const formatPhone = (p: Phone): string => fillSlots('(xxx) xxx-xxxx', p.d, true);

/**
 * What replaces the written number `shown` when the visitor's number is `to`: digit-slot
 * replacement when it has 10 or 11 digits, so "1-800-555-1234" becomes "1-888-555-0001"
 * and "(800)555-1234" becomes "(888)555-0001"; otherwise the default format.
 */
export function replacement(shown: string, to: Phone): string {
  return /^1?\d{10}$/.test(digitsOf(shown)) ? fillSlots(shown, to.d) : formatPhone(to);
}

/**
 * Text for an explicit number slot (data-cb-dni): the mask if one is given ("xxx.xxx.xxxx"),
 * else the number written over the phone-like part of the element's own text, else the default.
 */
export function slotText(current: string, to: Phone, mask?: string | null): string {
  if (mask && /x/i.test(mask)) return fillSlots(mask, to.d, true);
  const m = /\+?\d[\d\s().\-/\u2010-\u2015]{5,24}\d/.exec(current);
  return m ? current.replace(m[0], replacement(m[0], to)) : formatPhone(to);
}

/** "tel:+1-800-555-1234;ext=5" → [, "+1-800-555-1234", ";ext=5"] (decoded); null if not a tel: link. */
function telParts(href: string): string[] | null {
  const m = /^\s*tel:([^;?]*)(.*)/i.exec(href);
  try {
    if (m) m[1] = decodeURIComponent(m[1]);
  } catch {
    // keep it as written
  }
  return m;
}

/** Does this href dial one of the matcher's numbers? */
export function isTelTo(href: string, m: Matcher): boolean {
  const t = telParts(href);
  // The "+" is kept: "+8005551234" is not a US number.
  return !!t && m.tel.has((/^\s*\+/.test(t[1]) ? '+' : '') + digitsOf(t[1]));
}

/** The tel: href rewritten to the leased number in E.164, keeping any ";ext=" suffix. */
export function telHref(href: string, to: Phone): string {
  const t = telParts(href);
  return 'tel:' + to.e164 + (t ? t[2] : '');
}
