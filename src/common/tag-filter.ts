// Target filters on call tags ("caller_state in [CA, NY]", "loan_amount gte 10000", "caller_zip regex ^100").
// Validated when a target is saved (tagFilterProblems, regexProblem) and evaluated on every call (matches).
//
// Semantics:
// - A target matches when every filter matches (AND); `in`/`not_in` give OR within one filter.
// - String comparisons (equals, in, regex) ignore case and surrounding spaces: "ca" equals "CA ".
// - gt/gte/lt/lte compare decimal numbers exactly (no floats); a tag that is not a number fails them.
// - A missing tag fails every positive filter (equals, in, regex, gt…, exists) and passes the negative
//   ones (not_equals, not_in, not_exists): "not in CA" routes a caller whose state is unknown.
// - Geo filters are tag filters on caller_state, caller_zip and caller_area_code.
//
// Regexes run on the call path, so saving one refuses patterns that can backtrack catastrophically
// (nested or alternated repetition, back-references); values longer than REGEX_MAX_INPUT never match a
// regex filter. This is a cheap structural check, not a proof.
import { ValidationOptions, registerDecorator } from 'class-validator';

export const FILTER_OPS = [
  'equals',
  'not_equals',
  'in',
  'not_in',
  'regex',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
  'not_exists',
] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

export interface TagFilter {
  /** Tag name, e.g. caller_state. */
  tag: string;
  op: FilterOp;
  /** For equals, not_equals, regex, gt, gte, lt, lte. */
  value?: string;
  /** For in, not_in. */
  values?: string[];
}

/** A call's tags: name → value. Numbers and booleans are compared by their text. */
export type CallTags = Readonly<Record<string, string | number | boolean | null | undefined>>;

export const GEO_TAGS = { state: 'caller_state', zip: 'caller_zip', areaCode: 'caller_area_code' } as const;

export const TAG_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
export const FILTER_VALUE_MAX = 200;
export const FILTER_VALUES_MAX = 5000;
export const MAX_FILTERS = 50;
export const REGEX_MAX_LENGTH = 200;
export const REGEX_MAX_INPUT = 256;
/** Repetitions that can each consume the whole input (*, +, {n,}, {n,m>10}); k of them cost up to n^k. */
export const REGEX_MAX_UNBOUNDED = 3;

const LIST_OPS: readonly FilterOp[] = ['in', 'not_in'];
const NO_VALUE_OPS: readonly FilterOp[] = ['exists', 'not_exists'];
const NUMERIC_OPS: readonly FilterOp[] = ['gt', 'gte', 'lt', 'lte'];
const NUMBER = /^[+-]?\d{1,30}(?:\.\d{1,30})?$/;

export const opTakesValues = (op: FilterOp) => LIST_OPS.includes(op);
export const opTakesValue = (op: FilterOp) => !LIST_OPS.includes(op) && !NO_VALUE_OPS.includes(op);

/** Why a regex may not be saved, or undefined when it compiles and looks safe to run on the call path. */
export function regexProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string') return 'must be a string';
  if (pattern.length > REGEX_MAX_LENGTH) return `regex longer than ${REGEX_MAX_LENGTH} characters`;
  try {
    new RegExp(pattern, 'i');
  } catch (e) {
    return `invalid regex: ${(e as Error).message}`;
  }
  return backtrackingRisk(pattern);
}

interface Frame {
  repeats: boolean; // holds a quantifier somewhere inside
  alternates: boolean; // holds a | somewhere inside
}

/**
 * Walks the pattern's groups: a group repeated by *, +, {n,} or {n,m} that itself holds a quantifier or
 * an alternation is the shape of exponential backtracking ((a+)+, (a|a)*, (\w+\s?)*). `?` is fine.
 */
function backtrackingRisk(p: string): string | undefined {
  const stack: Frame[] = [{ repeats: false, alternates: false }];
  let i = 0;
  // Reads a quantifier at position j; returns its length and whether it repeats more than once.
  let unbounded = 0;
  const quantifier = (j: number): { len: number; repeats: boolean } => {
    const c = p[j];
    if (c === '*' || c === '+') {
      unbounded++;
      return { len: p[j + 1] === '?' ? 2 : 1, repeats: true };
    }
    if (c === '?') return { len: p[j + 1] === '?' ? 2 : 1, repeats: false };
    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}\??/.exec(p.slice(j));
      if (m) {
        const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
        if (max > 10) unbounded++;
        return { len: m[0].length, repeats: max > 1 };
      }
    }
    return { len: 0, repeats: false };
  };
  while (i < p.length) {
    const c = p[i];
    const top = stack[stack.length - 1];
    if (c === '\\') {
      const next = p[i + 1] ?? '';
      if (/[1-9]/.test(next) || (next === 'k' && p[i + 2] === '<')) {
        return 'back-references are not allowed in filters';
      }
      i += 2;
    } else if (c === '[') {
      // Skip the character class; escapes inside it are literal for our purpose.
      i++;
      if (p[i] === '^') i++;
      if (p[i] === ']') i++;
      while (i < p.length && p[i] !== ']') i += p[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '(') {
      stack.push({ repeats: false, alternates: false });
      i++;
      if (p[i] === '?') {
        // (?: (?= (?! (?<= (?<! (?<name>
        i++;
        if (p[i] === '<' && p[i + 1] !== '=' && p[i + 1] !== '!') {
          while (i < p.length && p[i] !== '>') i++;
        }
        i++;
      }
      continue;
    } else if (c === ')') {
      const inner = stack.length > 1 ? stack.pop()! : top;
      const q = quantifier(i + 1);
      if (q.repeats && (inner.repeats || inner.alternates)) {
        return 'nested repetition such as (a+)+ or (a|b)* can take exponential time; rewrite the pattern';
      }
      const parent = stack[stack.length - 1];
      parent.repeats ||= inner.repeats || q.repeats;
      parent.alternates ||= inner.alternates;
      i += 1 + q.len;
      continue;
    } else if (c === '|') {
      top.alternates = true;
      i++;
      continue;
    } else {
      i++;
    }
    const q = quantifier(i);
    if (q.len > 0) {
      top.repeats ||= q.repeats;
      i += q.len;
    }
  }
  if (unbounded > REGEX_MAX_UNBOUNDED) {
    return `at most ${REGEX_MAX_UNBOUNDED} open-ended repetitions (*, +, {n,}) per filter regex`;
  }
  return undefined;
}

/** Problems with one filter, each prefixed with the field it concerns ("value: …"); empty when valid. */
export function tagFilterProblems(f: TagFilter): string[] {
  const out: string[] = [];
  if (typeof f.tag !== 'string' || !TAG_NAME.test(f.tag)) {
    out.push('tag: must be a tag name (letters, digits, _ . : -, at most 64)');
  }
  if (!FILTER_OPS.includes(f.op)) {
    out.push(`op: must be one of ${FILTER_OPS.join(', ')}`);
    return out;
  }
  const v = valueProblem(f.op, f.value);
  if (v) out.push(`value: ${v}`);
  const vs = valuesProblem(f.op, f.values);
  if (vs) out.push(`values: ${vs}`);
  return out;
}

/** Why `value` does not suit `op`, or undefined. */
export function valueProblem(op: FilterOp, value: unknown): string | undefined {
  if (!opTakesValue(op)) {
    return value === undefined
      ? undefined
      : `not used with op ${op}${opTakesValues(op) ? '; use values' : ''}`;
  }
  if (typeof value !== 'string') return `required as a string for op ${op}`;
  if (value.length > FILTER_VALUE_MAX) return `at most ${FILTER_VALUE_MAX} characters`;
  if (op === 'regex') return regexProblem(value);
  if (NUMERIC_OPS.includes(op) && !NUMBER.test(value.trim())) {
    return `must be a decimal number such as 10000 or 2.5 for op ${op}`;
  }
  return undefined;
}

/** Why `values` does not suit `op`, or undefined. */
export function valuesProblem(op: FilterOp, values: unknown): string | undefined {
  if (!opTakesValues(op)) {
    return values === undefined
      ? undefined
      : `only used with in / not_in${opTakesValue(op) ? '; use value' : ''}`;
  }
  if (!Array.isArray(values) || values.length === 0 || values.length > FILTER_VALUES_MAX) {
    return `required as 1 to ${FILTER_VALUES_MAX} strings for op ${op}`;
  }
  if (!values.every((x) => typeof x === 'string' && x.length <= FILTER_VALUE_MAX)) {
    return `each must be a string of at most ${FILTER_VALUE_MAX} characters`;
  }
  return undefined;
}

// --- evaluation --------------------------------------------------------------------------------------

const norm = (s: string) => s.trim().toLowerCase();

const regexCache = new Map<string, RegExp | null>();
function compiledRegex(pattern: string): RegExp | null {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    // Filters are validated on save; a pattern that no longer compiles (older data) just never matches.
    re = regexProblem(pattern) === undefined ? new RegExp(pattern, 'i') : null;
    if (regexCache.size >= 2000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

const setCache = new WeakMap<readonly string[], Set<string>>();
function valueSet(values: readonly string[]): Set<string> {
  let set = setCache.get(values);
  if (!set) {
    set = new Set(values.map(norm));
    setCache.set(values, set);
  }
  return set;
}

/** Exact comparison of two decimal strings; undefined when either is not a number. */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 | undefined {
  const x = a.trim();
  const y = b.trim();
  if (!NUMBER.test(x) || !NUMBER.test(y)) return undefined;
  const split = (s: string) => {
    const neg = s.startsWith('-');
    const [int, frac = ''] = s.replace(/^[+-]/, '').split('.');
    return { neg, int, frac };
  };
  const p = split(x);
  const q = split(y);
  const scale = Math.max(p.frac.length, q.frac.length);
  const big = (n: { neg: boolean; int: string; frac: string }) => {
    const v = BigInt(n.int + n.frac.padEnd(scale, '0'));
    return n.neg ? -v : v;
  };
  const d = big(p) - big(q);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

function tagText(tags: CallTags, name: string): string | undefined {
  const v = Object.prototype.hasOwnProperty.call(tags, name) ? tags[name] : undefined;
  if (v === undefined || v === null) return undefined;
  const s = String(v);
  return s.trim() === '' ? undefined : s;
}

function matchOne(f: TagFilter, tags: CallTags): boolean {
  const actual = tagText(tags, f.tag);
  switch (f.op) {
    case 'exists':
      return actual !== undefined;
    case 'not_exists':
      return actual === undefined;
    case 'equals':
      return actual !== undefined && norm(actual) === norm(f.value ?? '');
    case 'not_equals':
      return actual === undefined || norm(actual) !== norm(f.value ?? '');
    case 'in':
      return actual !== undefined && valueSet(f.values ?? []).has(norm(actual));
    case 'not_in':
      return actual === undefined || !valueSet(f.values ?? []).has(norm(actual));
    case 'regex': {
      if (actual === undefined || actual.length > REGEX_MAX_INPUT) return false;
      const re = compiledRegex(f.value ?? '');
      return re !== null && re.test(actual.trim());
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      if (actual === undefined) return false;
      const c = compareDecimal(actual, f.value ?? '');
      if (c === undefined) return false;
      return f.op === 'gt' ? c > 0 : f.op === 'gte' ? c >= 0 : f.op === 'lt' ? c < 0 : c <= 0;
    }
    default:
      return false;
  }
}

/** Whether a call with these tags passes every filter (an empty list passes). */
export function matches(filters: readonly TagFilter[] | null | undefined, tags: CallTags): boolean {
  if (!filters) return true;
  for (const f of filters) if (!matchOne(f, tags)) return false;
  return true;
}

/** The first filter a call fails, for bid logs and "why was this target skipped" answers. */
export function firstFailing(
  filters: readonly TagFilter[] | null | undefined,
  tags: CallTags,
): TagFilter | undefined {
  return filters?.find((f) => !matchOne(f, tags));
}

/** class-validator decorator for `value`: checks it against the sibling `op` (regex, number, presence). */
export function IsFilterValue(options?: ValidationOptions): PropertyDecorator {
  return (object, propertyName) =>
    registerDecorator({
      name: 'isFilterValue',
      target: object.constructor,
      propertyName: propertyName as string,
      options: { message: (a) => valueProblem((a.object as TagFilter).op, a.value) ?? 'invalid', ...options },
      validator: {
        validate: (value: unknown, a) => {
          const op = (a?.object as TagFilter).op;
          return !FILTER_OPS.includes(op) || valueProblem(op, value) === undefined;
        },
      },
    });
}

/** class-validator decorator for `values`: checks it against the sibling `op`. */
export function IsFilterValues(options?: ValidationOptions): PropertyDecorator {
  return (object, propertyName) =>
    registerDecorator({
      name: 'isFilterValues',
      target: object.constructor,
      propertyName: propertyName as string,
      options: {
        message: (a) => valuesProblem((a.object as TagFilter).op, a.value) ?? 'invalid',
        ...options,
      },
      validator: {
        validate: (value: unknown, a) => {
          const op = (a?.object as TagFilter).op;
          return !FILTER_OPS.includes(op) || valuesProblem(op, value) === undefined;
        },
      },
    });
}
