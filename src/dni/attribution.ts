// Pure helpers: turn the snippet's URL parameters into attribution, and decide when a new visit
// replaces a session's first-touch attribution.
import type { VisitAttribution } from './dni-session.repository';

const UTM = ['source', 'medium', 'campaign', 'term', 'content'] as const;
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

/** A new paid click or a new source/medium starts a new attribution (first touch otherwise). */
export function resetsAttribution(previous: VisitAttribution, next: VisitAttribution): boolean {
  const changed = (a: string, b: string) => b !== '' && a !== b;
  return (
    CLICK_IDS.some((k) => changed(previous.clickIds[k], next.clickIds[k])) ||
    changed(previous.utm.source, next.utm.source) ||
    changed(previous.utm.medium, next.utm.medium)
  );
}
