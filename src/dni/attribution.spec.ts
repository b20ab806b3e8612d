import { attributionFrom, isCrawler, resetsAttribution } from './attribution';

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
});
