// Phone numbers are E.164 inside the service; formatting happens only at the edges.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

const SIP_URI = /^sips?:[^@\s]+@[A-Za-z0-9.-]+(?::\d{1,5})?(?:;[^\s]*)?$/;

/** Normalises a phone number to E.164 (US default region), or undefined when it is not a valid number. */
export function toE164(input: string, defaultCountry: 'US' = 'US'): string | undefined {
  if (typeof input !== 'string' || input.length > 32) return undefined;
  const parsed = parsePhoneNumberFromString(input, defaultCountry);
  if (!parsed || !parsed.isValid()) return undefined;
  return parsed.number;
}

export function isSipUri(input: string): boolean {
  return typeof input === 'string' && input.length <= 256 && SIP_URI.test(input);
}

/** A call destination: E.164 number or SIP URI; returns the normalised form or undefined. */
export function normaliseDestination(input: string): string | undefined {
  if (isSipUri(input)) return input;
  return toE164(input);
}

/** State (ISO 3166-2 subdivision code where known) and area code of a NANP number. */
export function nanpAreaCode(e164: string): string | undefined {
  return /^\+1(\d{3})\d{7}$/.exec(e164)?.[1];
}
