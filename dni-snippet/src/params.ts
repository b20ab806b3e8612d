// Pure attribution helpers: which URL parameters and custom tags go to the lease
// request (bounded so a hostile URL cannot blow up the request), and which user
// agents are crawlers that must never take a number from the pool.

export const MAX_PARAMS = 40;
export const MAX_KEY = 64;
export const MAX_VALUE = 512;
export const MAX_URL = 2048;

export type Bag = Record<string, string>;

// Marketing parameters go first so a long tail of other parameters never crowds them out.
const KNOWN = /^(utm_\w+|[gw]braid|(g|msc|fb|tt)clid)$/i;
// Crawlers that run JavaScript (search engines, SEO tools, link previews, Lighthouse).
// Clients that do not run it (curl, most preview fetchers) never load dni.js at all.
const CRAWLER = /bot\b|crawl|spider|slurp|mediapartners|preview|lighthouse|pagespeed/i;

export const clip = (s: string, n: number): string => s.slice(0, n);
/** A bag without a prototype, so keys such as "constructor" are ordinary keys. */
export const bag = (): Bag => Object.create(null) as Bag;

/**
 * Adds string, number and boolean entries to the bag (a later value for a key replaces the
 * earlier one), skipping empty or over-long keys and new keys once the bag is full.
 */
export function addAll(into: Bag, entries: [string, unknown][]): Bag {
  for (const [k, v] of entries)
    if (
      k &&
      k.length <= MAX_KEY &&
      /^(st|n|bo)/.test(typeof v) &&
      (k in into || Object.keys(into).length < MAX_PARAMS)
    )
      into[k] = clip(String(v), MAX_VALUE);
  return into;
}

/** URL parameters of the landing page, click ids and UTMs first. */
export function captureParams(search: string): Bag {
  return addAll(
    bag(),
    Array.from(new URLSearchParams(search)).sort((a, b) => +KNOWN.test(b[0]) - +KNOWN.test(a[0])),
  );
}

/** Merges custom tags set through the JS API, with the same limits as URL parameters. */
export function mergeTags(into: Bag, tags: unknown): Bag {
  return addAll(into, Object.entries(typeof tags == 'object' && tags ? tags : {}));
}

export function isCrawler(ua: string): boolean {
  return CRAWLER.test(ua) && !/cubot/i.test(ua);
}
