// Telnyx webhook signatures: Ed25519 over `${telnyx-timestamp}|${raw body}` with the account's public key
// (base64 of the raw 32-byte key), timestamps within ±300 s. The same rules as the SDK's
// `client.webhooks.unwrap` (telnyx/lib/webhooks), but the SDK imports the key into WebCrypto on every
// call, and this runs on every webhook. The check itself is libsodium's (sodium-native): about half the
// CPU of OpenSSL's Ed25519 through node:crypto on this hardware (57 against 110 µs per check), and it
// also refuses non-canonical signatures and small-order keys. It runs on the calling thread: handing
// it to libuv's thread pool cost more in thread wake-ups than it saved (see WebhookIngressService).
import { crypto_sign_verify_detached } from 'sodium-native';
const SIGNATURE_B64 = /^[A-Za-z0-9+/]{86}==$/;
const TIMESTAMP = /^\d{1,12}$/;

export type SignatureProblem = 'missing' | 'malformed' | 'stale' | 'invalid';

export class WebhookSignatureError extends Error {
  constructor(
    readonly problem: SignatureProblem,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

export class WebhookVerifier {
  private readonly key: Buffer;

  constructor(
    publicKeyBase64: string,
    private readonly toleranceS = 300,
  ) {
    const raw = Buffer.from(publicKeyBase64, 'base64');
    if (raw.length !== 32) throw new Error('TELNYX_PUBLIC_KEY must be the base64 of a raw 32-byte key');
    this.key = raw;
  }

  /** Throws WebhookSignatureError unless `signature` signs `${timestamp}|${rawBody}` recently enough. */
  verify(
    rawBody: Buffer,
    signature: string | undefined,
    timestamp: string | undefined,
    nowMs = Date.now(),
  ): void {
    const { message, sig } = this.check(rawBody, signature, timestamp, nowMs);
    if (!crypto_sign_verify_detached(sig, message, this.key)) {
      throw new WebhookSignatureError('invalid', 'Signature does not match the payload');
    }
  }

  /** The cheap checks (headers, timestamp window, signature shape) and the signed message. */
  private check(
    rawBody: Buffer,
    signature: string | undefined,
    timestamp: string | undefined,
    nowMs: number,
  ): { message: Buffer; sig: Buffer } {
    if (!signature || !timestamp) {
      throw new WebhookSignatureError(
        'missing',
        'Missing telnyx-signature-ed25519 or telnyx-timestamp header',
      );
    }
    if (!TIMESTAMP.test(timestamp)) {
      throw new WebhookSignatureError('malformed', 'telnyx-timestamp must be Unix seconds');
    }
    if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > this.toleranceS) {
      throw new WebhookSignatureError('stale', 'Webhook timestamp too old or too new');
    }
    if (!SIGNATURE_B64.test(signature)) {
      throw new WebhookSignatureError(
        'malformed',
        'telnyx-signature-ed25519 is not a base64 Ed25519 signature',
      );
    }
    const message = Buffer.allocUnsafe(timestamp.length + 1 + rawBody.length);
    message.write(timestamp, 0, 'latin1');
    message[timestamp.length] = 0x7c; // '|'
    rawBody.copy(message, timestamp.length + 1);
    return { message, sig: Buffer.from(signature, 'base64') };
  }
}
