// Builds the HTTP requests of a ping and of a confirmation from a target's spec: the URL and the body
// are Handlebars over the call's tags (URL tokens URL-escaped, body values escaped for its content type),
// with the caller's number masked in pings unless the campaign shares it. Also the request hash the bid
// log keeps instead of the request itself.
import { hash } from 'node:crypto';
import type { HttpRequestSpec } from '../buyers/ping-spec';
import { compileTemplate, escapeForContentType } from '../common/templates';
import { fastRender } from './fast-template';
import type { OutboundRequest } from './ping-client';

/** "+13125550123" → "+1312555XXXX": the last four digits hidden, like a partial caller-ID mask. */
export function maskCaller(caller: string): string {
  let hidden = 0;
  const chars = [...caller];
  for (let i = chars.length - 1; i >= 0 && hidden < 4; i--) {
    if (/\d/.test(chars[i])) {
      chars[i] = 'X';
      hidden++;
    }
  }
  return chars.join('');
}

/** The tags a ping template sees: the call's tags with the caller masked unless `fullCaller`. */
export function pingContext(
  tags: Readonly<Record<string, string>>,
  extra: { callId: string; caller: string; fullCaller: boolean },
): Record<string, string> {
  const caller = extra.fullCaller ? extra.caller : maskCaller(extra.caller);
  return {
    ...tags,
    call_id: extra.callId,
    caller_number: caller,
    caller_number_noplus: caller.replace(/^\+/, ''),
    caller_id_masked: extra.fullCaller ? 'false' : 'true',
  };
}

export function requestHash(method: string, url: string, body: string | null): string {
  return hash('sha256', `${method} ${url}\n${body ?? ''}`, 'hex').slice(0, 32);
}

/** Renders a ping or confirmation request; throws when a template does not compile (never for saved ones). */
export function renderRequest(spec: HttpRequestSpec, context: Record<string, unknown>): OutboundRequest {
  const url = spec.url.includes('{{')
    ? (fastRender(spec.url, 'url', context) ?? compileTemplate(spec.url, 'url', 'url')(context))
    : spec.url;
  let body: string | null = null;
  if (spec.method !== 'GET' && spec.bodyTemplate !== null) {
    const escape = escapeForContentType(spec.contentType);
    body =
      fastRender(spec.bodyTemplate, escape, context) ??
      compileTemplate(spec.bodyTemplate, escape, 'bodyTemplate')(context);
  }
  return {
    url,
    method: spec.method,
    headers: spec.headers,
    body,
    contentType: body === null ? null : spec.contentType,
  };
}
