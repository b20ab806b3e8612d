// Pure attribution and storage helpers: parameter capture and its limits, custom tags,
// crawler detection, the stored lease record and the cookie-domain candidates.

import { bag, captureParams, isCrawler, MAX_KEY, MAX_PARAMS, MAX_VALUE, mergeTags } from '../src/params';
import { decodeSaved, domainCandidates, SID } from '../src/storage';

describe('captureParams', () => {
  it('captures UTMs, every click id and other parameters, decoded', () => {
    const p = captureParams(
      '?utm_source=google&utm_medium=cpc&utm_campaign=spring+sale&utm_term=plumber%20near%20me&utm_content=ad1' +
        '&gclid=Cj0KCQ&gbraid=0AAAA&wbraid=1BBBB&msclkid=ms123&fbclid=IwAR0&ttclid=tt9&zip=94105',
    );
    expect(p).toEqual({
      utm_source: 'google',
      utm_medium: 'cpc',
      utm_campaign: 'spring sale',
      utm_term: 'plumber near me',
      utm_content: 'ad1',
      gclid: 'Cj0KCQ',
      gbraid: '0AAAA',
      wbraid: '1BBBB',
      msclkid: 'ms123',
      fbclid: 'IwAR0',
      ttclid: 'tt9',
      zip: '94105',
    });
  });

  it('keeps at most 40 parameters, and never drops a click id or UTM for the long tail', () => {
    const tail = Array.from({ length: 60 }, (_, i) => `p${i}=${i}`).join('&');
    const p = captureParams(`?${tail}&gclid=G1&utm_source=bing`);
    expect(Object.keys(p)).toHaveLength(MAX_PARAMS);
    expect(p.gclid).toBe('G1');
    expect(p.utm_source).toBe('bing');
    expect(p.p0).toBe('0');
    expect(p.p59).toBeUndefined();
  });

  it('drops keys longer than 64 characters and clips values to 512', () => {
    const longKey = 'k'.repeat(MAX_KEY + 1);
    const p = captureParams(`?${longKey}=1&${'k'.repeat(MAX_KEY)}=2&v=${'x'.repeat(2000)}`);
    expect(p[longKey]).toBeUndefined();
    expect(p['k'.repeat(MAX_KEY)]).toBe('2');
    expect(p.v).toHaveLength(MAX_VALUE);
  });

  it('survives malformed escapes and empty keys', () => {
    expect(captureParams('?a=%E0%A4%A&=x&b')).toEqual({ a: expect.any(String), b: '' });
    expect(captureParams('')).toEqual({});
  });

  it('treats "constructor" and "__proto__" as ordinary keys', () => {
    const p = captureParams('?constructor=1&toString=2');
    expect(p.constructor).toBe('1');
    expect(JSON.parse(JSON.stringify(p))).toEqual({ constructor: '1', toString: '2' });
  });
});

describe('mergeTags', () => {
  it('keeps strings, numbers and booleans, and drops everything else', () => {
    const t = mergeTags(bag(), { a: 'x', n: 5, b: true, o: { deep: 1 }, u: undefined, z: null, f: () => 1 });
    expect({ ...t }).toEqual({ a: 'x', n: '5', b: 'true' });
  });

  it('applies the parameter limits, and lets a later call update a key', () => {
    const t = bag();
    mergeTags(t, Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`t${i}`, i])));
    expect(Object.keys(t)).toHaveLength(MAX_PARAMS);
    mergeTags(t, { t0: 'updated', fresh: 'x', ['k'.repeat(65)]: 'y', v: 'z'.repeat(600) });
    expect(t.t0).toBe('updated');
    expect(t.fresh).toBeUndefined();
    mergeTags(t, { t1: 'w'.repeat(600) });
    expect(t.t1).toHaveLength(MAX_VALUE);
  });

  it('ignores a non-object', () => {
    expect({ ...mergeTags(bag(), 'abc') }).toEqual({});
    expect({ ...mergeTags(bag(), null) }).toEqual({});
  });
});

describe('isCrawler', () => {
  it.each([
    'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1) Chrome/120.0 Safari/537.36',
    'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
    'AdsBot-Google (+http://www.google.com/adsbot.html)',
    'Mozilla/5.0 (compatible; YandexBot/3.0)',
    'DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)',
    'Mozilla/5.0 (compatible; Baiduspider/2.0)',
    'Mozilla/5.0 (compatible; Yahoo! Slurp)',
    'Mozilla/5.0 (Linux; Android 11; moto g power) Chrome-Lighthouse',
    'Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17 Safari/605 Applebot/0.1',
    'Mediapartners-Google',
  ])('%s is a crawler', (ua) => {
    expect(isCrawler(ua)).toBe(true);
  });

  it.each([
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
    'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0 Mobile Safari/537.36',
    'Mozilla/5.0 (Linux; Android 10; CUBOT NOTE 20) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Mobile Safari/537.36',
  ])('%s is a visitor', (ua) => {
    expect(isCrawler(ua)).toBe(false);
  });
});

describe('stored lease record', () => {
  const sid = 'sid_abcdefghijklmnop';

  it('decodes what was stored', () => {
    const saved = { sid, number: '+18885550001', targets: ['+18005551234'], exp: Date.now() + 300_000 };
    expect(decodeSaved(JSON.stringify(saved))).toEqual(saved);
  });

  it.each([
    ['not JSON', '{"sid":'],
    ['nothing', null],
    ['a short sid', JSON.stringify({ sid: 'abc', exp: 1 })],
    ['a sid with bad characters', JSON.stringify({ sid: 'a'.repeat(15) + '<script>', exp: 1 })],
    ['no expiry', JSON.stringify({ sid })],
  ])('rejects %s', (_, raw) => {
    expect(decodeSaved(raw)).toBeNull();
  });

  it('accepts sids of 16 to 64 characters of [A-Za-z0-9_-]', () => {
    expect(SID.test('a'.repeat(16))).toBe(true);
    expect(SID.test('aZ0_-'.repeat(12) + 'abcd')).toBe(true);
    expect(SID.test('a'.repeat(65))).toBe(false);
    expect(SID.test('a'.repeat(15))).toBe(false);
  });
});

describe('domainCandidates', () => {
  it('tries the shortest possible registrable domain first', () => {
    expect(domainCandidates('www.shop.example.co.uk')).toEqual([
      'co.uk',
      'example.co.uk',
      'shop.example.co.uk',
      'www.shop.example.co.uk',
    ]);
    expect(domainCandidates('www.example.com')).toEqual(['example.com', 'www.example.com']);
  });

  it('uses a host-only cookie for IP addresses and single labels', () => {
    expect(domainCandidates('127.0.0.1')).toEqual([]);
    expect(domainCandidates('::1')).toEqual([]);
    expect(domainCandidates('localhost')).toEqual([]);
  });
});
