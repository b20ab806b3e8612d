import type { HttpRequestSpec } from '../buyers/ping-spec';
import { maskCaller, pingContext, renderRequest, requestHash } from './ping-request';

const spec = (over: Partial<HttpRequestSpec> = {}): HttpRequestSpec => ({
  url: 'https://buyer.example.com/ping',
  method: 'POST',
  headers: { Authorization: 'Bearer k' },
  bodyTemplate: '{"cid":"{{caller_number}}","zip":"{{caller_zip}}","note":"{{note}}"}',
  contentType: 'application/json',
  timeoutMs: 500,
  ...over,
});

describe('caller masking', () => {
  it('hides the last four digits', () => {
    expect(maskCaller('+13125550123')).toBe('+1312555XXXX');
    expect(maskCaller('123')).toBe('XXX');
  });

  it('masks the caller in pings unless the campaign shares it', () => {
    const tags = { caller_number: '+13125550123', caller_zip: '60601' };
    const masked = pingContext(tags, { callId: 'c1', caller: '+13125550123', fullCaller: false });
    expect(masked.caller_number).toBe('+1312555XXXX');
    expect(masked.caller_number_noplus).toBe('1312555XXXX');
    expect(JSON.stringify(masked)).not.toContain('0123');
    const full = pingContext(tags, { callId: 'c1', caller: '+13125550123', fullCaller: true });
    expect(full.caller_number).toBe('+13125550123');
    expect(full.call_id).toBe('c1');
  });
});

describe('renderRequest', () => {
  it('renders the body over the tags, escaped so a tag cannot break out of its JSON string', () => {
    const r = renderRequest(spec(), {
      caller_number: '+1312555XXXX',
      caller_zip: '60601',
      note: '","evil":"1',
    });
    expect(JSON.parse(r.body!)).toEqual({ cid: '+1312555XXXX', zip: '60601', note: '","evil":"1' });
    expect(r.contentType).toBe('application/json');
    expect(r.headers).toEqual({ Authorization: 'Bearer k' });
  });

  it('URL-escapes tokens in the URL and sends no body with GET', () => {
    const r = renderRequest(
      spec({ method: 'GET', bodyTemplate: null, url: 'https://b.example.com/p?zip={{zip}}' }),
      {
        zip: '606&admin=1',
      },
    );
    expect(r.url).toBe('https://b.example.com/p?zip=606%26admin%3D1');
    expect(r.body).toBeNull();
    expect(r.contentType).toBeNull();
  });

  it('hashes the request so the log can tell requests apart without keeping them', () => {
    const a = requestHash('POST', 'https://x/p', '{"a":1}');
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(requestHash('POST', 'https://x/p', '{"a":1}')).toBe(a);
    expect(requestHash('POST', 'https://x/p', '{"a":2}')).not.toBe(a);
  });
});
