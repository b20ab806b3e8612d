// Ed25519 keys for signing the sandbox's webhooks the way Telnyx does: the signature covers
// `${telnyx-timestamp}|${rawBody}`, and the app verifies it with the raw 32-byte public key in
// base64 (what Telnyx shows in Mission Control and the app reads as TELNYX_PUBLIC_KEY).
import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crypto_sign_detached, crypto_sign_seed_keypair } from 'sodium-native';

export interface SigningKeys {
  /** Raw 32-byte Ed25519 public key, base64: give it to the app as TELNYX_PUBLIC_KEY. */
  publicKeyBase64: string;
  /** PKCS#8 PEM of the private key; stays with the carrier. */
  privateKeyPem: string;
}

export const SIGNING_KEYS_FILE = 'telnyx-sandbox-ed25519.json';

function rawPublicKeyBase64(key: KeyObject): string {
  // The SPKI DER of an Ed25519 key ends with the 32 raw key bytes.
  return key.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
}

export function generateSigningKeys(): SigningKeys {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKeyBase64: rawPublicKeyBase64(publicKey),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

function parseKeysFile(text: string, path: string): SigningKeys {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not valid JSON; delete it to create a new sandbox key pair`);
  }
  const keys = parsed as Partial<SigningKeys> | null;
  if (!keys || typeof keys.privateKeyPem !== 'string') {
    throw new Error(`${path} has no privateKeyPem; delete it to create a new sandbox key pair`);
  }
  // The public key is derived again so a hand-edited file cannot hold a mismatched pair.
  return new WebhookSigner(keys.privateKeyPem).keys;
}

/**
 * Reads the key pair from `${dir}/telnyx-sandbox-ed25519.json`, or creates and stores one (mode 0600) so the
 * app's TELNYX_PUBLIC_KEY stays valid across restarts. Two processes racing here end up with the same pair.
 */
export async function loadOrCreateSigningKeys(dir: string): Promise<SigningKeys> {
  const path = join(dir, SIGNING_KEYS_FILE);
  try {
    return parseKeysFile(await readFile(path, 'utf8'), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dir, { recursive: true });
  const keys = generateSigningKeys();
  try {
    await writeFile(path, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return keys;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return parseKeysFile(await readFile(path, 'utf8'), path);
  }
}

/**
 * Signs webhook bodies with a key parsed once (no per-event PEM parsing). The signing itself is
 * libsodium's, like the app's check: about half the CPU of node:crypto's per signature, and the carrier
 * signs every delivery (retries and duplicates included).
 */
export class WebhookSigner {
  private readonly privateKey: KeyObject;
  private readonly privateKeyPem: string;
  /** libsodium's form of the private key: the 32-byte seed followed by the public key. */
  private readonly secretKey = Buffer.alloc(64);
  private readonly signature = Buffer.alloc(64);
  readonly publicKeyBase64: string;

  constructor(privateKeyPem: string) {
    this.privateKey = createPrivateKey(privateKeyPem);
    if (this.privateKey.asymmetricKeyType !== 'ed25519') {
      throw new Error(`sandbox signing key must be Ed25519, got ${this.privateKey.asymmetricKeyType}`);
    }
    this.publicKeyBase64 = rawPublicKeyBase64(createPublicKey(this.privateKey));
    this.privateKeyPem = privateKeyPem;
    // The PKCS#8 DER of an Ed25519 key ends with its 32-byte seed.
    const seed = this.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
    crypto_sign_seed_keypair(Buffer.alloc(32), this.secretKey, seed);
  }

  get keys(): SigningKeys {
    return { publicKeyBase64: this.publicKeyBase64, privateKeyPem: this.privateKeyPem };
  }

  /** Base64 Ed25519 signature over `${timestamp}|${body}`, the value of telnyx-signature-ed25519. */
  sign(timestamp: string, body: string): string {
    return this.signMessage(Buffer.from(`${timestamp}|${body}`));
  }

  /** The same signature over an already encoded `${timestamp}|${body}`. */
  signMessage(message: Buffer): string {
    crypto_sign_detached(this.signature, message, this.secretKey);
    return this.signature.toString('base64');
  }
}
