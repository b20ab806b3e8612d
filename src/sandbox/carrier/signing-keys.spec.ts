// The sandbox signs with libsodium; the signatures must be the plain Ed25519 ones Telnyx sends, which
// any verifier accepts. node:crypto (OpenSSL) is the independent check here.
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { generateSigningKeys, WebhookSigner } from './signing-keys';

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function publicKeyOf(base64: string) {
  return createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(base64, 'base64')]),
    format: 'der',
    type: 'spki',
  });
}

describe('WebhookSigner', () => {
  const keys = generateSigningKeys();
  const signer = new WebhookSigner(keys.privateKeyPem);
  const body = JSON.stringify({
    data: { id: 'e1', event_type: 'call.initiated', payload: { to: '+18005551234' } },
  });

  it('signs `${timestamp}|${body}` so that OpenSSL accepts it with the published public key', () => {
    expect(signer.publicKeyBase64).toBe(keys.publicKeyBase64);
    const signature = Buffer.from(signer.sign('1795000000', body), 'base64');
    expect(signature).toHaveLength(64);
    const key = publicKeyOf(keys.publicKeyBase64);
    expect(verify(null, Buffer.from(`1795000000|${body}`), key, signature)).toBe(true);
    expect(verify(null, Buffer.from(`1795000001|${body}`), key, signature)).toBe(false);
  });

  it('gives each message its own signature (no buffer shared between results)', () => {
    const a = signer.sign('1795000000', body);
    const b = signer.sign('1795000000', `${body} `);
    expect(a).not.toBe(b);
    expect(signer.signMessage(Buffer.from(`1795000000|${body}`))).toBe(a);
  });

  it('refuses a key that is not Ed25519', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => new WebhookSigner(pem)).toThrow(/must be Ed25519/);
  });
});
