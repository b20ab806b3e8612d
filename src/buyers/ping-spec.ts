// The ping/post description stored on a ping_post target (targets.ping), and the pure checks and
// helpers around it. The auction reads these types; the DTOs and the service validate with them.
import { templateProblem } from '../common/templates';

export const HTTP_METHODS = ['POST', 'GET', 'PUT'] as const;
export type PingMethod = (typeof HTTP_METHODS)[number];

export const EXPIRY_UNITS = ['seconds', 'timestamp'] as const;
/** seconds: the value is a number of seconds from now; timestamp: ISO 8601 or Unix epoch (s or ms). */
export type ExpiryUnit = (typeof EXPIRY_UNITS)[number];

export const PING_TIMEOUT_MIN_MS = 50;
export const PING_TIMEOUT_MAX_MS = 10_000;
export const PING_TIMEOUT_DEFAULT_MS = 2000;
export const DEFAULT_CONTENT_TYPE = 'application/json';
export const MAX_HEADERS = 20;
export const URL_MAX_LENGTH = 2048;

/** Whether the bid is accepted: value equal to `value` (case-insensitive), matching `regex`, or truthy. */
export interface AcceptRule {
  path: string;
  value?: string;
  regex?: string;
}

/** Where a value sits in the response; `regex` keeps its first capture group (or the whole match). */
export interface ValueRule {
  path: string;
  regex?: string;
}

export interface ExpiryRule {
  path: string;
  unit: ExpiryUnit;
}

export interface PingParseRules {
  accepted?: AcceptRule;
  /** The bid amount; absent = the target's fixed revenue is its bid (accept/reject buyers). */
  bid?: ValueRule;
  /** Number or SIP URI to send the call to; absent = the target's destination. */
  destination?: ValueRule;
  bidId?: ValueRule;
  expiry?: ExpiryRule;
  /** Talk time in seconds the buyer requires for a conversion, overriding conversionSeconds. */
  requiredTalkSeconds?: ValueRule;
}

export interface HttpRequestSpec {
  /** http(s) URL; may hold Handlebars tokens after the host ({{caller_zip}}), rendered URL-escaped. */
  url: string;
  method: PingMethod;
  headers: Record<string, string>;
  /** Handlebars over the call's tags, escaped for contentType; null = no body. */
  bodyTemplate: string | null;
  contentType: string;
  timeoutMs: number;
}

/** The "post": a second request to the winner before the call is sent. */
export interface ConfirmSpec extends HttpRequestSpec {
  /** Where the acceptance flag is in the confirmation's response; null = any 2xx confirms. */
  acceptPath: string | null;
  /** The value that means accepted (case-insensitive); null = truthy. */
  acceptValue: string | null;
}

export interface PingSpec extends HttpRequestSpec {
  parse: PingParseRules;
  confirm: ConfirmSpec | null;
}

// --- JSON paths -------------------------------------------------------------------------------------

export type JsonPath = (string | number)[];

const IDENT = /^[A-Za-z_][A-Za-z0-9_$-]*/;
export const JSON_PATH_MAX_LENGTH = 256;

/**
 * Parses `data.bid`, `bids[0].amount`, `$.result["phone number"]` or `$` (the whole body) into
 * segments; undefined when the syntax is wrong.
 */
export function parseJsonPath(path: unknown): JsonPath | undefined {
  if (typeof path !== 'string' || path.length === 0 || path.length > JSON_PATH_MAX_LENGTH) return undefined;
  let rest = path;
  if (rest === '$') return [];
  if (rest.startsWith('$.') || rest.startsWith('$[')) rest = rest.slice(rest[1] === '.' ? 2 : 1);
  const out: JsonPath = [];
  let first = true;
  while (rest.length > 0) {
    if (rest.startsWith('[')) {
      const index = /^\[(\d{1,6})\]/.exec(rest);
      const quoted = /^\["((?:[^"\\]|\\.){1,128})"\]/.exec(rest);
      if (index) {
        out.push(Number(index[1]));
        rest = rest.slice(index[0].length);
      } else if (quoted) {
        out.push(quoted[1].replace(/\\(.)/g, '$1'));
        rest = rest.slice(quoted[0].length);
      } else {
        return undefined;
      }
    } else {
      if (!first) {
        if (!rest.startsWith('.')) return undefined;
        rest = rest.slice(1);
      }
      const ident = IDENT.exec(rest);
      if (!ident) return undefined;
      out.push(ident[0]);
      rest = rest.slice(ident[0].length);
    }
    first = false;
  }
  return out.length > 32 ? undefined : out;
}

/** The value at a parsed path (own properties only), or undefined. */
export function readJsonPath(body: unknown, path: JsonPath): unknown {
  let cur: unknown = body;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (typeof seg === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[seg];
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  return cur;
}

// --- headers and URLs -------------------------------------------------------------------------------

export const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const HEADER_VALUE_MAX = 2048;
// Set by the HTTP client itself, or by contentType; letting a target set them breaks the request.
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-authorization',
  'proxy-connection',
]);

// Any C0 control character but tab, or DEL: a CR/LF in a header value would split the request.
const hasControlChars = (v: string) =>
  [...v].some((ch) => {
    const c = ch.charCodeAt(0);
    return (c < 0x20 && c !== 0x09) || c === 0x7f;
  });

/** Why a header map cannot be saved, or undefined. */
export function headersProblem(headers: unknown): string | undefined {
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    return 'must be an object of header name → string value';
  }
  const entries = Object.entries(headers);
  if (entries.length > MAX_HEADERS) return `at most ${MAX_HEADERS} headers`;
  const seen = new Set<string>();
  for (const [name, value] of entries) {
    if (!HEADER_NAME.test(name)) return `header name ${JSON.stringify(name.slice(0, 70))} is not valid`;
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) {
      return `header ${name} is set by the platform${lower === 'content-type' ? '; use contentType' : ''}`;
    }
    if (seen.has(lower)) return `header ${name} appears twice`;
    seen.add(lower);
    if (typeof value !== 'string') return `header ${name} must have a string value`;
    if (value.length > HEADER_VALUE_MAX)
      return `header ${name} is longer than ${HEADER_VALUE_MAX} characters`;
    if (hasControlChars(value)) return `header ${name} contains control characters`;
  }
  return undefined;
}

/** Why a ping/confirm URL cannot be saved, or undefined. Tokens are allowed after the host only. */
export function requestUrlProblem(url: unknown): string | undefined {
  if (typeof url !== 'string' || url.length === 0) return 'must be a URL string';
  if (url.length > URL_MAX_LENGTH) return `must be at most ${URL_MAX_LENGTH} characters`;
  const token = url.indexOf('{{');
  if (token >= 0) {
    const tpl = templateProblem(url);
    if (tpl) return `URL template ${tpl}`;
    if (!/^https?:\/\/[^/?#{}]+[/?#]/i.test(url.slice(0, token))) {
      return 'template tokens may only appear after the host, in the path or query';
    }
  }
  let parsed: URL;
  try {
    parsed = new URL(url.replace(/\{\{[^}]*\}\}\}?/g, 'x'));
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must use http or https';
  if (!parsed.hostname) return 'must name a host';
  return undefined;
}

const CONTENT_TYPE = /^[A-Za-z0-9][\w.+-]*\/[A-Za-z0-9][\w.+-]*(\s*;\s*[\w.+-]+=("[^"\r\n]*"|[\w.+-]+))*$/;
export const isContentType = (v: unknown): v is string =>
  typeof v === 'string' && v.length <= 100 && CONTENT_TYPE.test(v);
