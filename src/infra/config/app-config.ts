// The one typed configuration of the service, built from the environment once at boot.
// A bad value stops the boot with a message naming the variable; nothing else reads process.env.
import { resolve } from 'node:path';
import { z } from 'zod';
import { redisConnectionOptions } from '../redis/redis-url';

export type AppRole = 'all' | 'api' | 'worker' | 'calls';

export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  role: AppRole;
  /** Nice value the process gives itself at start (0 = unchanged; higher = less CPU when cores are short). */
  processNice: number;
  logLevel: string;
  publicBaseUrl: string;
  database: { url?: string };
  redis: { url?: string };
  clickhouse: { url?: string; user: string; password: string; database: string };
  telnyx: {
    apiKey?: string;
    publicKey?: string;
    connectionId: string;
    baseUrl?: string;
    /** Per-attempt timeout of a Call Control / numbers API request (the SDK retries on top). */
    commandTimeoutMs: number;
    /** SDK retries on 408/409/429/5xx/timeouts; the same command_id keeps them idempotent. */
    maxRetries: number;
    /** True when the embedded sandbox carrier stands in for Telnyx (no TELNYX_API_KEY). */
    sandbox: boolean;
  };
  /** Live call handling (src/calls). */
  calls: {
    /** What a call to a number that is not a tracking number gets. */
    unknownNumberAction: 'reject' | 'message';
    unknownNumberMessage: string;
    /** Transfers tried per call before the unrouted message (busy / no answer / failed legs). */
    maxAttempts: number;
    /** Per-call lock lifetime; a dead instance's calls are taken over after at most this long. */
    lockTtlMs: number;
    /** How often each instance looks for calls whose timers are due or whose owner died. */
    sweepIntervalMs: number;
    /**
     * Webhook-taking instances answer new callers themselves and hand everything after the answer to
     * the call runners (APP_ROLE calls or all) through Redis (src/calls/call-handoff.service.ts).
     */
    handoff: boolean;
  };
  /** Lets pings, confirmations and pixels reach private/loopback addresses (sandbox, tests). */
  allowPrivateTargets: boolean;
  /** Secret used to sign session cookies and pixel HMACs when none is given, persisted under DATA_DIR. */
  sessionSecret?: string;
  /** Seconds a dashboard session lives. */
  sessionTtlSeconds: number;
  /** DNI lease API requests allowed per minute per client IP and per campaign key. */
  dniRateLimit: { perIp: number; perKey: number };
  /** CDR export from the PostgreSQL outbox to ClickHouse (src/cdr, worker role). */
  cdr: {
    /** How often the worker looks for new outbox rows to batch. */
    dispatchIntervalMs: number;
    /** Outbox rows per export job. */
    batchSize: number;
    /** Export jobs one worker runs at once (loading the next batch overlaps inserting this one). */
    concurrency: number;
    /** A batch whose export went silent this long is rolled back into the outbox. */
    staleAfterMs: number;
    /** Tries of one export job (exponential backoff from retryBaseMs) before the dispatcher queues a new one. */
    attempts: number;
    retryBaseMs: number;
  };
  /** Conversion pixels (src/pixels). */
  pixels: {
    /** Tries of one delivery; backoff doubles from retryBaseMs. */
    attempts: number;
    retryBaseMs: number;
    /** Per-request timeout. */
    timeoutMs: number;
    /** How often the worker looks at live calls for incoming/connected pixels. */
    livePollMs: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const url = (protocols: string[]) =>
  optionalString.refine(
    (v) => {
      if (v === undefined) return true;
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL with protocol ${protocols.join(' or ')}` },
  );

const boolFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./.data'),
  APP_ROLE: z.enum(['all', 'api', 'worker', 'calls']).default('all'),
  PROCESS_NICE: z.coerce.number().int().min(0).max(19).default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PUBLIC_BASE_URL: url(['http:', 'https:']),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  REDIS_URL: optionalString.superRefine((v, ctx) => {
    if (v === undefined) return;
    try {
      redisConnectionOptions(v);
    } catch (e) {
      const msg = e instanceof Error ? e.message : '';
      const why = msg.startsWith('Redis URL: ') ? msg.slice('Redis URL: '.length) : 'not a URL';
      ctx.addIssue({
        code: 'custom',
        message: `must be redis://, rediss:// or unix:///path/redis.sock (${why})`,
      });
    }
  }),
  CLICKHOUSE_URL: url(['http:', 'https:']),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
    .default('callbid'),
  TELNYX_API_KEY: optionalString,
  TELNYX_PUBLIC_KEY: optionalString.refine((v) => v === undefined || Buffer.from(v, 'base64').length === 32, {
    message: 'must be the base64 of a raw 32-byte Ed25519 public key',
  }),
  TELNYX_CONNECTION_ID: z.string().default('sandbox-connection'),
  TELNYX_BASE_URL: url(['http:', 'https:']),
  TELNYX_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(500).max(60_000).default(5_000),
  TELNYX_MAX_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
  CALL_UNKNOWN_NUMBER_ACTION: z.enum(['reject', 'message']).default('reject'),
  CALL_UNKNOWN_NUMBER_MESSAGE: z
    .string()
    .max(1000)
    .default('The number you have called is not in service. Goodbye.'),
  CALL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  CALL_LOCK_TTL_MS: z.coerce.number().int().min(500).max(120_000).default(10_000),
  CALL_SWEEP_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  CALL_HANDOFF: boolFlag,
  ALLOW_PRIVATE_TARGETS: boolFlag,
  SESSION_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, {
    message: 'must be at least 32 characters',
  }),
  SESSION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(31 * 86400)
    .default(7 * 86400),
  DNI_RATE_LIMIT_PER_IP: z.coerce.number().int().min(1).max(10_000_000).default(600),
  DNI_RATE_LIMIT_PER_KEY: z.coerce.number().int().min(1).max(100_000_000).default(120_000),
  CDR_DISPATCH_INTERVAL_MS: z.coerce.number().int().min(20).max(60_000).default(500),
  CDR_BATCH_SIZE: z.coerce.number().int().min(1).max(50_000).default(10_000),
  CDR_EXPORT_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(3),
  CDR_STALE_AFTER_MS: z.coerce.number().int().min(100).max(86_400_000).default(60_000),
  CDR_EXPORT_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(6),
  CDR_RETRY_BASE_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
  PIXEL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(10),
  PIXEL_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(2_000),
  PIXEL_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  PIXEL_LIVE_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
});

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  if (e.CALL_HANDOFF && e.APP_ROLE !== 'api' && e.APP_ROLE !== 'all') {
    throw new ConfigError([
      `CALL_HANDOFF: applies to instances that take Telnyx webhooks (APP_ROLE api or all), not ${e.APP_ROLE}`,
    ]);
  }
  const port = e.PORT;
  return {
    port,
    host: e.HOST,
    dataDir: resolve(e.DATA_DIR),
    role: e.APP_ROLE,
    processNice: e.PROCESS_NICE,
    logLevel: e.LOG_LEVEL,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    database: { url: e.DATABASE_URL },
    redis: { url: e.REDIS_URL },
    clickhouse: {
      url: e.CLICKHOUSE_URL,
      user: e.CLICKHOUSE_USER,
      password: e.CLICKHOUSE_PASSWORD,
      database: e.CLICKHOUSE_DATABASE,
    },
    telnyx: {
      apiKey: e.TELNYX_API_KEY,
      publicKey: e.TELNYX_PUBLIC_KEY,
      connectionId: e.TELNYX_CONNECTION_ID,
      baseUrl: e.TELNYX_BASE_URL,
      commandTimeoutMs: e.TELNYX_COMMAND_TIMEOUT_MS,
      maxRetries: e.TELNYX_MAX_RETRIES,
      sandbox: !e.TELNYX_API_KEY,
    },
    calls: {
      unknownNumberAction: e.CALL_UNKNOWN_NUMBER_ACTION,
      unknownNumberMessage: e.CALL_UNKNOWN_NUMBER_MESSAGE,
      maxAttempts: e.CALL_MAX_ATTEMPTS,
      lockTtlMs: e.CALL_LOCK_TTL_MS,
      sweepIntervalMs: e.CALL_SWEEP_INTERVAL_MS,
      handoff: e.CALL_HANDOFF,
    },
    // With no Telnyx key the sandbox runs locally, so private targets are the default there.
    allowPrivateTargets: env.ALLOW_PRIVATE_TARGETS ? e.ALLOW_PRIVATE_TARGETS : !e.TELNYX_API_KEY,
    sessionSecret: e.SESSION_SECRET,
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    dniRateLimit: { perIp: e.DNI_RATE_LIMIT_PER_IP, perKey: e.DNI_RATE_LIMIT_PER_KEY },
    cdr: {
      dispatchIntervalMs: e.CDR_DISPATCH_INTERVAL_MS,
      batchSize: e.CDR_BATCH_SIZE,
      concurrency: e.CDR_EXPORT_CONCURRENCY,
      staleAfterMs: e.CDR_STALE_AFTER_MS,
      attempts: e.CDR_EXPORT_ATTEMPTS,
      retryBaseMs: e.CDR_RETRY_BASE_MS,
    },
    pixels: {
      attempts: e.PIXEL_MAX_ATTEMPTS,
      retryBaseMs: e.PIXEL_RETRY_BASE_MS,
      timeoutMs: e.PIXEL_TIMEOUT_MS,
      livePollMs: e.PIXEL_LIVE_POLL_MS,
    },
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
