import { signPixel, verifyPixelSignature } from './pixel-signature';
import { createHmac } from 'node:crypto';

describe('pixel signature', () => {
  const secret = 'pxs_test';
  const t = 1_780_000_000;

  it('is the HMAC-SHA256 of timestamp, method, target and body', () => {
    const sig = signPixel(secret, t, 'post', '/hook?a=1', '{"x":1}');
    const mac = createHmac('sha256', secret).update(`${t}.POST./hook?a=1.{"x":1}`).digest('hex');
    expect(sig).toBe(`v1=${mac}`);
  });

  it('verifies what was signed and refuses any change, another secret or an old timestamp', () => {
    const sig = signPixel(secret, t, 'POST', '/hook', 'body');
    expect(verifyPixelSignature(secret, sig, t, 'POST', '/hook', 'body', t + 10)).toBe(true);
    expect(verifyPixelSignature(secret, sig, t, 'POST', '/hook', 'bodY', t + 10)).toBe(false);
    expect(verifyPixelSignature(secret, sig, t, 'POST', '/hook2', 'body', t + 10)).toBe(false);
    expect(verifyPixelSignature(secret, sig, t, 'GET', '/hook', 'body', t + 10)).toBe(false);
    expect(verifyPixelSignature('other', sig, t, 'POST', '/hook', 'body', t + 10)).toBe(false);
    expect(verifyPixelSignature(secret, sig, t, 'POST', '/hook', 'body', t + 3600)).toBe(false);
    expect(verifyPixelSignature(secret, 'v1=00', t, 'POST', '/hook', 'body', t)).toBe(false);
  });
});
