// Pure helpers: turn the snippet's URL parameters into attribution, and decide when a new visit
// replaces a session's first-touch attribution.
import { createHash } from 'node:crypto';
import type { VisitAttribution } from './dni-session.repository';

const CLICK_IDS = ['gclid', 'gbraid', 'wbraid', 'msclkid', 'fbclid', 'ttclid'] as const;
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
  // Spelled out field by field: this runs for every visit that is stored.
  const utm = {
    source: params.utm_source ?? '',
    medium: params.utm_medium ?? '',
    campaign: params.utm_campaign ?? '',
    term: params.utm_term ?? '',
    content: params.utm_content ?? '',
  };
  const clickIds = {
    gclid: params.gclid ?? '',
    gbraid: params.gbraid ?? '',
    wbraid: params.wbraid ?? '',
    msclkid: params.msclkid ?? '',
    fbclid: params.fbclid ?? '',
    ttclid: params.ttclid ?? '',
  };
  const mapped: Record<string, string> = {};
  for (const param in paramTags) {
    if (params[param] !== undefined) mapped[paramTags[param]] = params[param];
  }
  return { landingPage: page, referrer, utm, clickIds, tags: { ...mapped, ...tags } };
}

/** A value as `length:value`, so concatenated values cannot run into each other. */
function part(value: string | undefined): string {
  return value === undefined ? '0:' : `${value.length}:${value}`;
}

/**
 * A short text equal for two visits whenever they would leave a stored session alike: the fields
 * that can restart attribution (click ids, UTM source and medium) and the tags the visit sets, in
 * the order the visit gives them (a different order only costs a session read). Landing page and
 * referrer are left out: a session keeps its first touch's. Same inputs as attributionFrom.
 * Every value is length-prefixed and every list counted, so no two visits share a text.
 */
export function visitFingerprint(
  params: Record<string, string>,
  tags: Record<string, string> | undefined,
  paramTags: Record<string, string>,
): string {
  // Plain concatenation: this runs on every lease (JSON.stringify cost more, for the same purpose).
  let text = part(params.utm_source) + part(params.utm_medium);
  for (let i = 0; i < CLICK_IDS.length; i++) text += part(params[CLICK_IDS[i]]);
  let count = 0;
  let list = '';
  for (const param in paramTags) {
    const value = params[param];
    if (value !== undefined) {
      count++;
      list += part(paramTags[param]) + part(value);
    }
  }
  text += `${count}#${list}`;
  count = 0;
  list = '';
  if (tags) {
    for (const tag in tags) {
      count++;
      list += part(tag) + part(tags[tag]);
    }
  }
  text += `${count}#${list}`;
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
