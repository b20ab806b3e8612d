// Turns a buyer's ping response into a bid or a reason code, by the target's parse rules. The body is
// hostile input: anything odd (wrong types, absurd amounts, unreadable dates, broken destinations)
// becomes a rejection with a code, never an exception and never a guess that could misroute a call.
import { formatMoney, type Money } from '../common/money';
import { normaliseDestination } from '../common/phone';
import { type JsonPath, parseJsonPath, type PingParseRules, readJsonPath } from '../buyers/ping-spec';
import type { RejectReason } from './auction.types';

/** Largest bid taken (an amount beyond it is a buyer's bug, not a price). */
export const MAX_BID: Money = 100_000n * 10_000n;
/** Longest expiry and talk requirement taken from a response. */
const MAX_EXPIRY_S = 86_400;
const MAX_TALK_S = 86_400;
const MAX_BID_ID = 128;
/** Regexes of parse rules run on at most this much of a value (they were checked for backtracking). */
const REGEX_MAX_INPUT = 256;

export interface ParsedBid {
  revenue: Money;
  destination: string;
  bidId: string | null;
  expiresAt: number | null;
  requiredTalkSeconds: number | null;
}

export type ParseResult =
  { ok: true; bid: ParsedBid } | { ok: false; reason: RejectReason; revenue?: Money; bidId?: string | null };

export interface ParseContext {
  /** The target's destination, used when the response names none. */
  fallbackDestination: string | null;
  /** The target's fixed revenue, the bid when the rules read no amount. */
  fixedRevenue: Money | null;
  /** When the response arrived (relative expiries count from here). */
  now: number;
}

interface CompiledRule {
  path: JsonPath;
  regex?: RegExp;
}

interface CompiledRules {
  accepted?: CompiledRule & { value?: string };
  bid?: CompiledRule;
  destination?: CompiledRule;
  bidId?: CompiledRule;
  expiry?: CompiledRule & { unit: 'seconds' | 'timestamp' };
  requiredTalkSeconds?: CompiledRule;
  broken: boolean;
}

const compiled = new WeakMap<PingParseRules, CompiledRules>();

function compileRules(rules: PingParseRules): CompiledRules {
  const hit = compiled.get(rules);
  if (hit) return hit;
  const out: CompiledRules = { broken: false };
  const one = (r: { path: string; regex?: string } | undefined): CompiledRule | undefined => {
    if (!r) return undefined;
    const path = parseJsonPath(r.path);
    if (!path) {
      out.broken = true;
      return undefined;
    }
    let regex: RegExp | undefined;
    if (r.regex !== undefined) {
      try {
        regex = new RegExp(r.regex, 'i');
      } catch {
        out.broken = true;
      }
    }
    return { path, regex };
  };
  const accepted = one(rules.accepted);
  if (accepted) out.accepted = { ...accepted, value: rules.accepted?.value?.toLowerCase() };
  out.bid = one(rules.bid);
  out.destination = one(rules.destination);
  out.bidId = one(rules.bidId);
  const expiry = one(rules.expiry);
  if (expiry) out.expiry = { ...expiry, unit: rules.expiry!.unit };
  out.requiredTalkSeconds = one(rules.requiredTalkSeconds);
  compiled.set(rules, out);
  return out;
}

/** A scalar as text (numbers as JS prints them, so 1e21 stays unparseable as money); else undefined. */
function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return undefined;
}

/** The rule's value: read at its path, then narrowed by its regex (first group, else the match). */
function ruleValue(body: unknown, rule: CompiledRule): unknown {
  const raw = readJsonPath(body, rule.path);
  if (!rule.regex || raw === undefined || raw === null) return raw;
  const text = scalarText(raw);
  if (text === undefined) return undefined;
  const m = rule.regex.exec(text.slice(0, REGEX_MAX_INPUT));
  if (!m) return undefined;
  return m[1] ?? m[0];
}

const ABSENT = (v: unknown) => v === undefined || v === null || v === '';

const TRUTHY = new Set(['true', 'yes', 'y', '1', 'accepted', 'accept', 'ok', 'success']);

function accepted(rule: NonNullable<CompiledRules['accepted']>, body: unknown): boolean {
  const raw = readJsonPath(body, rule.path);
  const text = scalarText(raw);
  if (text === undefined) return false;
  if (rule.value !== undefined) return text.trim().toLowerCase() === rule.value;
  if (rule.regex) return rule.regex.test(text.slice(0, REGEX_MAX_INPUT));
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'number') return raw !== 0;
  return TRUTHY.has(text.trim().toLowerCase());
}

const AMOUNT = /^\+?(\d{1,12})(?:\.(\d{1,20}))?$/;

/** A decimal amount in ten-thousandths, extra decimals cut (never rounded up); undefined = not a number. */
export function parseAmount(v: unknown): Money | undefined {
  const text = scalarText(v)?.trim();
  if (text === undefined) return undefined;
  if (text.startsWith('-')) return AMOUNT.test(text.slice(1)) ? -1n : undefined;
  const m = AMOUNT.exec(text);
  if (!m) return undefined;
  return BigInt(m[1]) * 10_000n + BigInt((m[2] ?? '').slice(0, 4).padEnd(4, '0'));
}

/** A non-negative whole or decimal number of seconds (decimals round up); undefined = not one. */
function parseSeconds(v: unknown, max: number): number | undefined {
  const text = scalarText(v)?.trim();
  if (text === undefined || !/^\d{1,9}(\.\d{1,9})?$/.test(text)) return undefined;
  const n = Math.ceil(Number(text));
  return n <= max ? n : undefined;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** An expiry as ms since epoch; undefined = unreadable. */
function parseExpiry(v: unknown, unit: 'seconds' | 'timestamp', now: number): number | undefined {
  if (unit === 'seconds') {
    const s = parseSeconds(v, MAX_EXPIRY_S);
    return s === undefined ? undefined : now + s * 1000;
  }
  const text = scalarText(v)?.trim();
  if (text === undefined) return undefined;
  if (/^\d{9,13}(\.\d+)?$/.test(text)) {
    const n = Number(text);
    // Epoch seconds until 5138 AD are below 1e11; milliseconds since 1973 are above it.
    return Math.floor(n < 1e11 ? n * 1000 : n);
  }
  if (!ISO_DATE.test(text)) return undefined;
  const ms = Date.parse(text.includes('T') ? text : text.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : undefined;
}

// Buyers answer with the same few destinations again and again; libphonenumber is not cheap.
const destinations = new Map<string, string | null>();

function destinationOf(text: string): string | undefined {
  const hit = destinations.get(text);
  if (hit !== undefined) return hit ?? undefined;
  const d = text.length > 256 ? undefined : normaliseDestination(text);
  if (destinations.size >= 10_000) destinations.clear();
  destinations.set(text, d ?? null);
  return d;
}

function cleanBidId(v: unknown): string | null {
  const text = scalarText(v);
  if (text === undefined) return null;
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return clean === '' ? null : clean.slice(0, MAX_BID_ID);
}

/** Parses an answered ping's body by the target's rules. */
export function parseBidResponse(rules: PingParseRules, ctx: ParseContext, bodyText: string): ParseResult {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return { ok: false, reason: 'invalid_json' };
  }
  const r = compileRules(rules);
  if (r.broken) return { ok: false, reason: 'bad_spec' };
  const bidId = r.bidId ? cleanBidId(ruleValue(body, r.bidId)) : null;
  if (r.accepted && !accepted(r.accepted, body)) return { ok: false, reason: 'not_accepted', bidId };

  let revenue: Money | undefined;
  if (r.bid) {
    const raw = ruleValue(body, r.bid);
    if (ABSENT(raw)) revenue = undefined;
    else {
      revenue = parseAmount(raw);
      if (revenue === undefined || revenue < 0n || revenue > MAX_BID) {
        return { ok: false, reason: 'invalid_bid', bidId };
      }
    }
  } else {
    revenue = ctx.fixedRevenue ?? undefined;
  }

  if (revenue === undefined || revenue === 0n) return { ok: false, reason: 'no_bid', bidId };

  let destination: string | undefined;
  if (r.destination) {
    const raw = ruleValue(body, r.destination);
    if (!ABSENT(raw)) {
      const text = scalarText(raw);
      destination = text === undefined ? undefined : destinationOf(text.trim());
      if (destination === undefined) return { ok: false, reason: 'invalid_destination', revenue, bidId };
    }
  }
  destination ??= ctx.fallbackDestination ?? undefined;
  if (!destination) return { ok: false, reason: 'no_destination', revenue, bidId };

  let expiresAt: number | null = null;
  if (r.expiry) {
    const raw = ruleValue(body, r.expiry);
    if (!ABSENT(raw)) {
      const at = parseExpiry(raw, r.expiry.unit, ctx.now);
      if (at === undefined) return { ok: false, reason: 'invalid_expiry', revenue, bidId };
      if (at <= ctx.now) return { ok: false, reason: 'expired', revenue, bidId };
      expiresAt = at;
    }
  }

  let requiredTalkSeconds: number | null = null;
  if (r.requiredTalkSeconds) {
    const raw = ruleValue(body, r.requiredTalkSeconds);
    if (!ABSENT(raw)) {
      const s = parseSeconds(raw, MAX_TALK_S);
      if (s === undefined) return { ok: false, reason: 'invalid_talk_time', revenue, bidId };
      requiredTalkSeconds = s;
    }
  }
  return { ok: true, bid: { revenue, destination, bidId, expiresAt, requiredTalkSeconds } };
}

export const moneyText = (m: Money | undefined): string | null => (m === undefined ? null : formatMoney(m));
