import { urlProblem } from './pixel-client';
import type { PixelContext } from './pixel-context';
import type { PixelEntity } from './pixel.entity';
import { pixelMatches, renderPixel } from './pixels.service';

const pixel = (over: Partial<PixelEntity>): PixelEntity =>
  ({
    id: 'p1',
    tenantId: 't1',
    name: 'x',
    campaignId: null,
    publisherId: null,
    events: ['converted'],
    method: 'GET',
    urlTemplate: 'https://postback.example.com/c?id={{call_id}}',
    bodyTemplate: null,
    contentType: null,
    headers: {},
    secret: 's',
    enabled: true,
    ...over,
  }) as PixelEntity;

const ctx: PixelContext = {
  event: 'converted',
  call_id: 'c1',
  tenant_id: 't1',
  campaign_id: 'camp1',
  publisher_id: 'pub1',
  caller: '+15125550100',
  utm_term: 'a&b=c "q"',
  tags: { note: '</x>' },
};

describe('pixels', () => {
  it('escapes values for where they land', () => {
    const get = renderPixel(pixel({ urlTemplate: 'https://x.example/p?t={{utm_term}}&c={{caller}}' }), ctx);
    expect(get).toEqual({
      method: 'GET',
      url: 'https://x.example/p?t=a%26b%3Dc%20%22q%22&c=%2B15125550100',
      body: null,
      contentType: null,
    });
    const json = renderPixel(
      pixel({ method: 'POST', bodyTemplate: '{"t":"{{utm_term}}","n":"{{tags.note}}"}' }),
      ctx,
    );
    expect(JSON.parse(json.body!)).toEqual({ t: 'a&b=c "q"', n: '</x>' });
    expect(json.contentType).toBe('application/json');
    const xml = renderPixel(
      pixel({ method: 'POST', bodyTemplate: '<n>{{tags.note}}</n>', contentType: 'application/xml' }),
      ctx,
    );
    expect(xml.body).toBe('<n>&lt;/x&gt;</n>');
  });

  it('fires only for its tenant, events, campaign and publisher', () => {
    expect(pixelMatches(pixel({}), 'converted', ctx)).toBe(true);
    expect(pixelMatches(pixel({}), 'completed', ctx)).toBe(false);
    expect(pixelMatches(pixel({ tenantId: 't2' }), 'converted', ctx)).toBe(false);
    expect(pixelMatches(pixel({ campaignId: 'camp1' }), 'converted', ctx)).toBe(true);
    expect(pixelMatches(pixel({ campaignId: 'camp2' }), 'converted', ctx)).toBe(false);
    expect(pixelMatches(pixel({ publisherId: 'pub2' }), 'converted', ctx)).toBe(false);
    expect(pixelMatches(pixel({ enabled: false }), 'converted', ctx)).toBe(false);
  });

  it('refuses URLs that are not public http(s) unless private targets are allowed', () => {
    expect(urlProblem('https://postback.example.com/x', false)).toBeUndefined();
    expect(urlProblem('ftp://example.com/x', false)).toMatch(/http/);
    expect(urlProblem('http://user:pw@example.com/', false)).toMatch(/credentials/);
    for (const u of [
      'http://127.0.0.1/',
      'http://10.1.2.3/',
      'http://[::1]/',
      'http://169.254.169.254/latest',
      'http://localhost/',
    ]) {
      expect(urlProblem(u, false)).toBeDefined();
      expect(urlProblem(u, true)).toBeUndefined();
    }
  });
});
