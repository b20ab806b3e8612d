// How receivers verify that a pixel request comes from us. Every request carries
//   X-Callbid-Timestamp: <unix seconds>
//   X-Callbid-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<METHOD>.<path?query>.<body>")>
// where the secret is the pixel's (shown once, when the pixel is created or its secret rotated), path?query
// is the request target exactly as sent, and body is the raw body ('' for none). A receiver recomputes
// the HMAC over what it received, compares in constant time and refuses old timestamps (replays).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-callbid-signature';
export const TIMESTAMP_HEADER = 'x-callbid-timestamp';
export const EVENT_HEADER = 'x-callbid-event';
export const DELIVERY_HEADER = 'x-callbid-delivery';
/** Headers a pixel's own header list may not set. */
export const RESERVED_HEADERS = new Set([
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  EVENT_HEADER,
  DELIVERY_HEADER,
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'user-agent',
]);

export function newPixelSecret(): string {
  return `pxs_${randomBytes(32).toString('base64url')}`;
}

export function signaturePayload(timestamp: number, method: string, target: string, body: string): string {
  return `${timestamp}.${method.toUpperCase()}.${target}.${body}`;
}

export function signPixel(
  secret: string,
  timestamp: number,
  method: string,
  target: string,
  body: string,
): string {
  const mac = createHmac('sha256', secret)
    .update(signaturePayload(timestamp, method, target, body))
    .digest('hex');
  return `v1=${mac}`;
}

/** Receiver side (tests, docs): true when the header matches and the timestamp is within `toleranceS`. */
export function verifyPixelSignature(
  secret: string,
  header: string,
  timestamp: number,
  method: string,
  target: string,
  body: string,
  nowS = Math.floor(Date.now() / 1000),
  toleranceS = 300,
): boolean {
  if (!Number.isInteger(timestamp) || Math.abs(nowS - timestamp) > toleranceS) return false;
  const expected = Buffer.from(signPixel(secret, timestamp, method, target, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
