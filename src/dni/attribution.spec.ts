import { attributionFrom, isCrawler, resetsAttribution, visitFingerprint } from './attribution';

describe('attribution capture', () => {
  const params = {
    utm_source: 'google',
    utm_medium: 'cpc',
    utm_campaign: 'spring',
    gclid: 'abc',
    kw: 'cheap insurance',
    unrelated: 'x',
  };

  it('captures UTM, click ids, and maps only configured custom parameters to tags', () => {
    const a = attributionFrom(
      'https://lp.example.com/?x',
      'https://google.com/',
      params,
      { plan: 'gold' },
      { kw: 'keyword' },
    );
    expect(a.utm).toEqual({ source: 'google', medium: 'cpc', campaign: 'spring', term: '', content: '' });
    expect(a.clickIds.gclid).toBe('abc');
    expect(a.clickIds.fbclid).toBe('');
    expect(a.tags).toEqual({ keyword: 'cheap insurance', plan: 'gold' });
    expect(a.landingPage).toBe('https://lp.example.com/?x');
  });

  it('keeps first touch unless a new click id or source/medium arrives', () => {
    const first = attributionFrom('p', '', params, {}, {});
    expect(resetsAttribution(first, attributionFrom('p2', '', {}, {}, {}))).toBe(false);
    expect(resetsAttribution(first, attributionFrom('p2', '', { gclid: 'abc' }, {}, {}))).toBe(false);
    expect(resetsAttribution(first, attributionFrom('p2', '', { gclid: 'new' }, {}, {}))).toBe(true);
    expect(resetsAttribution(first, attributionFrom('p2', '', { utm_source: 'bing' }, {}, {}))).toBe(true);
  });

  it('recognises crawlers but not browsers', () => {
    expect(isCrawler('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)')).toBe(true);
    expect(isCrawler('Mozilla/5.0 (compatible; bingbot/2.0)')).toBe(true);
    expect(
      isCrawler('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537.36'),
    ).toBe(false);
    expect(isCrawler(undefined)).toBe(false);
  });

  it('fingerprints what a session keeps from a visit, and only that', () => {
    const paramTags = { kw: 'keyword' };
    const base = visitFingerprint(params, { plan: 'gold' }, paramTags);
    expect(visitFingerprint({ ...params }, { plan: 'gold' }, paramTags)).toBe(base);
    // Fields a session never takes from a later visit do not count.
    expect(
      visitFingerprint({ ...params, utm_campaign: 'fall', unrelated: 'y' }, { plan: 'gold' }, paramTags),
    ).toBe(base);
    // Every field that can restart attribution or add a tag does.
    const changed = [
      { ...params, utm_source: 'bing' },
      { ...params, utm_medium: 'email' },
      ...['gclid', 'gbraid', 'wbraid', 'msclkid', 'fbclid', 'ttclid'].map((k) => ({
        ...params,
        [k]: 'other',
      })),
      { ...params, kw: 'cheaper' },
    ];
    for (const p of changed) expect(visitFingerprint(p, { plan: 'gold' }, paramTags)).not.toBe(base);
    expect(visitFingerprint(params, { plan: 'silver' }, paramTags)).not.toBe(base);
    expect(visitFingerprint(params, undefined, paramTags)).not.toBe(base);
    // Values cannot be shifted between fields to forge another visit's fingerprint.
    expect(visitFingerprint({ utm_source: 'a', utm_medium: '' }, undefined, {})).not.toBe(
      visitFingerprint({ utm_source: '', utm_medium: 'a' }, undefined, {}),
    );
    // Nor can a value that looks like the encoding itself.
    expect(visitFingerprint({ utm_source: '1:a1:b' }, undefined, {})).not.toBe(
      visitFingerprint({ utm_source: '1:a', utm_medium: 'b' }, undefined, {}),
    );
    expect(visitFingerprint({}, { a: '1:b' }, {})).not.toBe(visitFingerprint({}, { a: '', b: '' }, {}));
    // Long visits are hashed to a bounded size.
    const long = visitFingerprint(params, { note: 'x'.repeat(500) }, paramTags);
    expect(long.length).toBeLessThanOrEqual(160);
    expect(long).not.toBe(visitFingerprint(params, { note: 'y'.repeat(500) }, paramTags));
  });
});
