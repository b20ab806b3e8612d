/* eslint-disable no-restricted-properties */
// Standalone sandbox carrier: `node dist/src/sandbox/carrier/main.js`. It runs as its own process (the demo,
// benchmarks, a developer's second terminal), outside the app and its validated config module, so it reads
// its few settings from the environment itself; the lint rule against process.env is off for that reason.
//
//   SANDBOX_HOST (127.0.0.1)  SANDBOX_PORT (4010)  SANDBOX_WEBHOOK_URL (the app's POST /webhooks/telnyx)
//   SANDBOX_API_KEY  SANDBOX_CONNECTION_ID  SANDBOX_KEYS_DIR (./.data/sandbox)  SANDBOX_TIME_SCALE (1)
//   SANDBOX_DUPLICATE_RATE (0)  SANDBOX_REORDER (false)  SANDBOX_SEED
import pino from 'pino';
import { SandboxCarrier } from './sandbox-carrier';
import { loadOrCreateSigningKeys } from './signing-keys';

function numberFromEnv(name: string, fallback: number | undefined): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got "${raw}"`);
  return value;
}

async function main(): Promise<void> {
  const logger = pino({ name: 'sandbox-carrier' });
  const signingKeys = await loadOrCreateSigningKeys(process.env.SANDBOX_KEYS_DIR || './.data/sandbox');
  const carrier = new SandboxCarrier({
    webhookUrl: process.env.SANDBOX_WEBHOOK_URL || undefined,
    apiKey: process.env.SANDBOX_API_KEY || undefined,
    connectionId: process.env.SANDBOX_CONNECTION_ID || undefined,
    signingKeys,
    timeScale: numberFromEnv('SANDBOX_TIME_SCALE', 1),
    seed: numberFromEnv('SANDBOX_SEED', undefined),
    delivery: {
      duplicateRate: numberFromEnv('SANDBOX_DUPLICATE_RATE', 0),
      reorder: ['1', 'true', 'yes'].includes((process.env.SANDBOX_REORDER ?? '').toLowerCase()),
    },
    logger,
  });
  const base = await carrier.start({
    host: process.env.SANDBOX_HOST || '127.0.0.1',
    port: numberFromEnv('SANDBOX_PORT', 4010),
  });
  logger.info(
    {
      telnyxBaseUrl: `${base}/v2`,
      telnyxPublicKey: carrier.publicKeyBase64,
      connectionId: carrier.connectionId,
      webhookUrl: carrier.getWebhookUrl() ?? null,
    },
    'sandbox carrier ready: point the telnyx SDK at telnyxBaseUrl and verify webhooks with telnyxPublicKey',
  );

  const shutdown = (signal: string): void => {
    logger.info({ signal }, 'sandbox carrier stopping');
    carrier.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'sandbox carrier failed to stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
