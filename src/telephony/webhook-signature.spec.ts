import { createPrivateKey, sign } from 'node:crypto';
import { TelnyxWebhook, TelnyxWebhookVerificationError } from 'telnyx/lib/webhooks';
import { generateSigningKeys } from '../sandbox/carrier/signing-keys';
import { WebhookSignatureError, WebhookVerifier } from './webhook-signature';

const keys = generateSigningKeys();
const other = generateSigningKeys();
const body = '{"data":{"id":"e1","event_type":"call.initiated","payload":{}},"meta":{"attempt":1}}';
const now = Date.parse('2026-05-19T23:30:15Z');
const ts = String(Math.floor(now / 1000));
const signWith = (pem: string, t: string, b: string) =>
  sign(null, Buffer.from(`${t}|${b}`), createPrivateKey(pem)).toString('base64');

function problem(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof WebhookSignatureError) return e.problem;
    throw e;
  }
}

describe('WebhookVerifier', () => {
  const verifier = new WebhookVerifier(keys.publicKeyBase64);

  it('accepts a signature over `${timestamp}|${raw body}` within ±300 s', () => {
    const sig = signWith(keys.privateKeyPem, ts, body);
    expect(problem(() => verifier.verify(Buffer.from(body), sig, ts, now))).toBeUndefined();
    expect(problem(() => verifier.verify(Buffer.from(body), sig, ts, now + 300_000))).toBeUndefined();
    expect(problem(() => verifier.verify(Buffer.from(body), sig, ts, now - 300_000))).toBeUndefined();
  });

  it('names what is wrong', () => {
    const sig = signWith(keys.privateKeyPem, ts, body);
    expect(problem(() => verifier.verify(Buffer.from(body), undefined, ts, now))).toBe('missing');
    expect(problem(() => verifier.verify(Buffer.from(body), sig, undefined, now))).toBe('missing');
    expect(problem(() => verifier.verify(Buffer.from(body), sig, ts, now + 301_000))).toBe('stale');
    expect(problem(() => verifier.verify(Buffer.from(body), sig, ts, now - 301_000))).toBe('stale');
    expect(problem(() => verifier.verify(Buffer.from(body), sig, '17792334a', now))).toBe('malformed');
    expect(problem(() => verifier.verify(Buffer.from(body), 'not base64!', ts, now))).toBe('malformed');
    expect(problem(() => verifier.verify(Buffer.from(`${body} `), sig, ts, now))).toBe('invalid');
    expect(
      problem(() => verifier.verify(Buffer.from(body), signWith(other.privateKeyPem, ts, body), ts, now)),
    ).toBe('invalid');
    // Signed for another timestamp: the timestamp is part of what is signed.
    const t2 = String(Number(ts) + 1);
    expect(problem(() => verifier.verify(Buffer.from(body), sig, t2, now))).toBe('invalid');
  });

  it('agrees with the SDK verifier (telnyx/lib/webhooks) on the same inputs', async () => {
    const realNow = Date.now();
    const t = String(Math.floor(realNow / 1000));
    const sdk = new TelnyxWebhook(keys.publicKeyBase64);
    const cases: Array<{ sig: string; t: string; b: string }> = [
      { sig: signWith(keys.privateKeyPem, t, body), t, b: body },
      { sig: signWith(keys.privateKeyPem, t, body), t, b: body.replace('e1', 'e2') },
      { sig: signWith(other.privateKeyPem, t, body), t, b: body },
      {
        sig: signWith(keys.privateKeyPem, String(Number(t) - 400), body),
        t: String(Number(t) - 400),
        b: body,
      },
    ];
    for (const c of cases) {
      const ours = problem(() => verifier.verify(Buffer.from(c.b), c.sig, c.t, realNow)) === undefined;
      const theirs = await sdk
        .verify(c.b, { 'telnyx-signature-ed25519': c.sig, 'telnyx-timestamp': c.t })
        .then(
          () => true,
          (e: unknown) => {
            expect(e).toBeInstanceOf(TelnyxWebhookVerificationError);
            return false;
          },
        );
      expect(ours).toBe(theirs);
    }
  });

  it('refuses a key that is not 32 raw bytes', () => {
    expect(() => new WebhookVerifier(Buffer.alloc(16).toString('base64'))).toThrow(/32-byte/);
  });
});
