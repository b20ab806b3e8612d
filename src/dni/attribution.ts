// Pure helpers: turn the snippet's URL parameters into attribution, and decide when a new visit
// replaces a session's first-touch attribution.
import { createHash } from 'node:crypto';
import type { VisitAttribution } from './dni-session.repository';

const UTM = ['source', 'medium', 'campaign', 'term', 'content'] as const;
const CLICK_IDS = ['gclid', 'gbraid', 'wbraid', 'msclkid', 'fbclid', 'ttclid'] as const;
const NONE: readonly never[] = Object.freeze([]);
const CRAWLERS =
  /bot|crawl|spider|slurp|bingpreview|facebookexternalhit|mediapartners-google|adsbot|lighthouse|headlesschrome\/.*pagespeed|embedly|quora link preview|whatsapp|telegrambot|ahrefs|semrush|yandex|baiduspider|duckduckgo|petalbot|applebot/i;

export function isCrawler(userAgent: string | undefined): boolean {
  return !!userAgent && CRAWLERS.test(userAgent);
}

export function attributionFrom(
  page: string,
  referrer: string,
  params: Record<string, string>,
  tags: Record<string, string>,
  paramTags: Record<string, string>,
): VisitAttribution {
  const utm = Object.fromEntries(UTM.map((k) => [k, params[`utm_${k}`] ?? ''])) as VisitAttribution['utm'];
  const clickIds = Object.fromEntries(
    CLICK_IDS.map((k) => [k, params[k] ?? '']),
  ) as VisitAttribution['clickIds'];
  const mapped: Record<string, string> = {};
  for (const [param, tag] of Object.entries(paramTags)) {
    if (params[param] !== undefined) mapped[tag] = params[param];
  }
  return { landingPage: page, referrer, utm, clickIds, tags: { ...mapped, ...tags } };
}

/**
 * A short text equal for two visits whenever they would leave a stored session alike: the fields
 * that can restart attribution (click ids, UTM source and medium) and the tags the visit sets, in
 * the order the visit gives them (a different order only costs a session read). Landing page and
 * referrer are left out: a session keeps its first touch's. Same inputs as attributionFrom.
 */
export function visitFingerprint(
  params: Record<string, string>,
  tags: Record<string, string> | undefined,
  paramTags: Record<string, string>,
): string {
  // Sized once and filled in place: this runs on every lease.
  const parts: unknown[] = new Array(CLICK_IDS.length + 4);
  parts[0] = params.utm_source ?? '';
  parts[1] = params.utm_medium ?? '';
  for (let i = 0; i < CLICK_IDS.length; i++) parts[i + 2] = params[CLICK_IDS[i]] ?? '';
  let mapped: string[] | undefined;
  for (const param in paramTags) {
    if (params[param] !== undefined) (mapped ??= []).push(paramTags[param], params[param]);
  }
  parts[CLICK_IDS.length + 2] = mapped ?? NONE;
  parts[CLICK_IDS.length + 3] = tags ?? NONE;
  const text = JSON.stringify(parts);
  return text.length <= 160 ? text : createHash('sha256').update(text).digest('base64url');
}

/** A new paid click or a new source/medium starts a new attribution (first touch otherwise). */
export function resetsAttribution(previous: VisitAttribution, next: VisitAttribution): boolean {
  const changed = (a: string, b: string) => b !== '' && a !== b;
  return (
    CLICK_IDS.some((k) => changed(previous.clickIds[k], next.clickIds[k])) ||
    changed(previous.utm.source, next.utm.source) ||
    changed(previous.utm.medium, next.utm.medium)
  );
}
