// Rules that span fields of a target (which fields each kind needs) and the normalised forms stored in
// PostgreSQL. Pure, so a PATCH is checked on the merged result exactly like a create.
import { formatMoney, parseMoney } from '../common/money';
import { normaliseDestination } from '../common/phone';
import type { Schedule } from '../common/schedule';
import type { TagFilter } from '../common/tag-filter';
import type {
  CapsDto,
  ConfirmRequestDto,
  ParseRulesDto,
  PingRequestDto,
  ScheduleDto,
  TagFilterDto,
} from './dto/target.dto';
import {
  DEFAULT_CONTENT_TYPE,
  PING_TIMEOUT_DEFAULT_MS,
  type ConfirmSpec,
  type HttpRequestSpec,
  type PingParseRules,
  type PingSpec,
} from './ping-spec';
import { CAP_PERIODS, type TargetCaps, type TargetKind } from './target.entity';

export interface FieldProblem {
  field: string;
  problem: string;
}

/** The fields whose combination depends on the kind, after a create or a merged PATCH. */
export interface TargetShape {
  kind: TargetKind;
  destination: string | null;
  revenue: string | null;
  ping: PingSpec | null;
}

export function targetShapeProblems(t: TargetShape): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (t.kind === 'static') {
    if (!t.destination) out.push({ field: 'destination', problem: 'required for a static target' });
    if (t.revenue === null) out.push({ field: 'revenue', problem: 'required for a static target' });
    if (t.ping) out.push({ field: 'ping', problem: 'only for ping_post targets (send ping: null)' });
    return out;
  }
  if (!t.ping) {
    out.push({ field: 'ping', problem: 'required for a ping_post target' });
    return out;
  }
  const p = t.ping;
  if (!p.parse.destination && !t.destination) {
    out.push({
      field: 'destination',
      problem: 'a ping_post target needs ping.parse.destination or a fallback destination',
    });
  }
  if (p.parse.bid && t.revenue !== null) {
    out.push({ field: 'revenue', problem: 'not used when ping.parse.bid is set (the bid is the revenue)' });
  }
  if (!p.parse.bid && t.revenue === null) {
    out.push({ field: 'revenue', problem: 'required as the fixed bid when ping.parse.bid is absent' });
  }
  out.push(...requestProblems('ping', p));
  if (p.parse.accepted?.value !== undefined && p.parse.accepted.regex !== undefined) {
    out.push({ field: 'ping.parse.accepted', problem: 'give value or regex, not both' });
  }
  if (p.confirm) {
    out.push(...requestProblems('ping.confirm', p.confirm));
    if (p.confirm.acceptValue !== null && p.confirm.acceptPath === null) {
      out.push({ field: 'ping.confirm.acceptValue', problem: 'needs acceptPath' });
    }
  }
  return out;
}

function requestProblems(prefix: string, r: HttpRequestSpec): FieldProblem[] {
  return r.method === 'GET' && r.bodyTemplate !== null
    ? [{ field: `${prefix}.bodyTemplate`, problem: 'a GET request has no body; put tokens in the url' }]
    : [];
}

// --- normalised forms -------------------------------------------------------------------------------

export const normaliseMoney = (m: string): string => formatMoney(parseMoney(m));

/** E.164 / SIP form; the DTO has already checked that it parses. */
export function normaliseTargetDestination(d: string | null | undefined): string | null {
  if (d === null || d === undefined) return null;
  return normaliseDestination(d) ?? d;
}

export function normaliseCaps(dto: CapsDto | undefined): TargetCaps {
  const out: TargetCaps = {};
  if (!dto) return out;
  for (const kind of ['calls', 'conversions'] as const) {
    const src = dto[kind];
    if (!src) continue;
    const caps: Partial<Record<(typeof CAP_PERIODS)[number], number>> = {};
    for (const p of CAP_PERIODS) if (src[p] !== undefined) caps[p] = src[p];
    out[kind] = caps;
  }
  if (dto.revenue) {
    const caps: Partial<Record<(typeof CAP_PERIODS)[number], string>> = {};
    for (const p of CAP_PERIODS) {
      const v = dto.revenue[p];
      if (v !== undefined) caps[p] = normaliseMoney(v);
    }
    out.revenue = caps;
  }
  return out;
}

export function normaliseSchedule(dto: ScheduleDto | null | undefined): Schedule | null {
  if (!dto) return null;
  return {
    timezone: dto.timezone,
    windows: dto.windows.map((w) => ({
      days: [...w.days].sort((a, b) => a - b),
      start: w.start,
      end: w.end,
    })),
  };
}

export function normaliseFilters(dto: TagFilterDto[] | undefined): TagFilter[] {
  return (dto ?? []).map((f) => ({
    tag: f.tag,
    op: f.op,
    ...(f.value !== undefined ? { value: f.value } : {}),
    ...(f.values !== undefined ? { values: [...f.values] } : {}),
  }));
}

function normaliseParse(dto: ParseRulesDto): PingParseRules {
  const out: PingParseRules = {};
  if (dto.accepted) {
    out.accepted = { path: dto.accepted.path };
    if (dto.accepted.value !== undefined) out.accepted.value = dto.accepted.value;
    if (dto.accepted.regex !== undefined) out.accepted.regex = dto.accepted.regex;
  }
  for (const key of ['bid', 'destination', 'bidId', 'requiredTalkSeconds'] as const) {
    const rule = dto[key];
    if (rule)
      out[key] = rule.regex !== undefined ? { path: rule.path, regex: rule.regex } : { path: rule.path };
  }
  if (dto.expiry) out.expiry = { path: dto.expiry.path, unit: dto.expiry.unit };
  return out;
}

function normaliseRequest(dto: PingRequestDto | ConfirmRequestDto): HttpRequestSpec {
  return {
    url: dto.url,
    method: dto.method ?? 'POST',
    headers: Object.fromEntries(Object.entries(dto.headers ?? {})),
    bodyTemplate: dto.bodyTemplate ?? null,
    contentType: dto.contentType ?? DEFAULT_CONTENT_TYPE,
    timeoutMs: dto.timeoutMs ?? PING_TIMEOUT_DEFAULT_MS,
  };
}

export function normalisePing(dto: PingRequestDto | null | undefined): PingSpec | null {
  if (!dto) return null;
  const confirm: ConfirmSpec | null = dto.confirm
    ? {
        ...normaliseRequest(dto.confirm),
        acceptPath: dto.confirm.acceptPath ?? null,
        acceptValue: dto.confirm.acceptValue ?? null,
      }
    : null;
  return { ...normaliseRequest(dto), parse: normaliseParse(dto.parse), confirm };
}
