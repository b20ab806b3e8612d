// Readers for Telnyx command bodies: each returns a typed value or throws the 4xx Telnyx would send
// (missing parameter 10004, wrong enum 10032, out of range 10033, not E.164 10016).
import { telnyxErrors } from './telnyx-errors';

export type Body = Record<string, unknown>;

const SIP_URI = /^sips?:[^\s]+$/i;
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * A JSON request body as received. Empty counts as `{}`: the SDK sends `content-type: application/json`
 * with no body for answer(id) and similar calls.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw telnyxErrors.badRequest('The request body is not valid JSON.');
  }
}

export function asBody(raw: unknown): Body {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw telnyxErrors.badRequest('The request body must be a JSON object.');
  }
  return raw as Body;
}

export function optString(body: Body, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw telnyxErrors.invalidType(name, 'a string');
  return value;
}

export function reqString(body: Body, name: string): string {
  const value = optString(body, name);
  if (value === undefined || value.trim() === '') throw telnyxErrors.missingParameter(name);
  return value;
}

export function optInt(body: Body, name: string, min: number, max: number): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw telnyxErrors.invalidType(name, 'an integer');
  if (value < min || value > max) throw telnyxErrors.outOfRange(name, min, max);
  return value;
}

export function optBool(body: Body, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw telnyxErrors.invalidType(name, 'a boolean');
  return value;
}

export function optEnum<T extends string>(body: Body, name: string, values: readonly T[]): T | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
    throw telnyxErrors.invalidEnum(name, values);
  }
  return value as T;
}

export function reqEnum<T extends string>(body: Body, name: string, values: readonly T[]): T {
  if (body[name] === undefined || body[name] === null || body[name] === '')
    throw telnyxErrors.missingParameter(name);
  return optEnum(body, name, values) as T;
}

/** A number or SIP URI to call: E.164 or sip:/sips:. */
export function isDestination(value: string): boolean {
  return E164.test(value) || SIP_URI.test(value);
}

export function reqDestination(body: Body, name: string): string {
  const value = reqString(body, name).trim();
  if (!isDestination(value.split(',')[0])) throw telnyxErrors.notE164(name);
  return value;
}

export function optHeaders(body: Body, name: string): Array<{ name: string; value: string }> | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (
    !Array.isArray(value) ||
    !value.every(
      (h: unknown) =>
        typeof h === 'object' &&
        h !== null &&
        typeof (h as Body).name === 'string' &&
        typeof (h as Body).value === 'string',
    )
  ) {
    throw telnyxErrors.invalidType(name, 'an array of { name, value } objects');
  }
  return (value as Array<{ name: string; value: string }>).map((h) => ({ name: h.name, value: h.value }));
}

/** `webhook_retries_policies: { "<event_type>": { retries_ms: [..] } }`, at most 5 retries per event. */
export function optRetryPolicies(body: Body): Record<string, number[]> | undefined {
  const value = body.webhook_retries_policies;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw telnyxErrors.invalidType('webhook_retries_policies', 'an object');
  }
  const policies: Record<string, number[]> = {};
  for (const [eventType, policy] of Object.entries(value as Body)) {
    const retries = (policy as Body | null)?.retries_ms;
    if (!Array.isArray(retries) || !retries.every((n) => typeof n === 'number' && n >= 0)) {
      throw telnyxErrors.invalidType('webhook_retries_policies', 'a map of { retries_ms: number[] }');
    }
    policies[eventType] = (retries as number[]).slice(0, 5);
  }
  return policies;
}
