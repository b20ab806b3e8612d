// Builds and starts the service: stores (embedded or configured), migrations, the Nest app on
// Fastify. Used by main.ts, the CLI and the e2e tests, so all of them start the service the same way.
import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { LogController } from 'fastify';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { AppModule } from './app.module';
import { AppExceptionFilter } from './common/app-exception.filter';
import { createValidationPipe } from './common/validation';
import { AppConfig } from './infra/config/app-config';
import { EmbeddedStores, ResolvedStores } from './infra/embedded/embedded-stores';
import { MetricsService } from './infra/metrics/metrics.service';
import { migrateAll } from './infra/migrate';
import { loadOrCreateSigningKeys, SandboxCarrier } from './sandbox/carrier';
import { PinoNestLogger, createLogger } from './infra/logging/logger';
import { registerDashboardViews } from './reports/view-engine';

export interface RunningApp {
  app: NestFastifyApplication;
  url: string;
  stores: ResolvedStores;
  /** The embedded sandbox carrier standing in for Telnyx (only when TELNYX_API_KEY is not set). */
  sandbox?: SandboxCarrier;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Stores already running (tests share one set); otherwise embedded ones start as configured. */
  stores?: ResolvedStores;
  /** Apply migrations before serving; default: when any store is embedded. */
  migrate?: boolean;
  /** Silence Nest's own logger (tests). */
  quiet?: boolean;
  log?: (msg: string) => void;
}

const MAX_REQUEST_ID = 128;
const HOT_PATHS = /^\/(dni\/|webhooks\/|health|metrics)/;

export async function startApp(config: AppConfig, options: StartOptions = {}): Promise<RunningApp> {
  const log = options.log ?? ((m: string) => process.stdout.write(`${m}\n`));
  const embedded = options.stores ? undefined : new EmbeddedStores(log);
  const stores = options.stores ?? (await embedded!.start(config));
  let app: NestFastifyApplication | undefined;
  let sandbox: SandboxCarrier | undefined;
  try {
    if (config.telnyx.sandbox) {
      // No Telnyx account: a sandbox carrier in this process plays Telnyx, reached through the same SDK.
      sandbox = new SandboxCarrier({
        signingKeys: await loadOrCreateSigningKeys(join(config.dataDir, 'sandbox')),
        connectionId: config.telnyx.connectionId,
        logger: options.quiet ? undefined : carrierLogger(log),
      });
      const base = await sandbox.start({ host: '127.0.0.1', port: 0 });
      config = {
        ...config,
        telnyx: { ...config.telnyx, baseUrl: `${base}/v2`, publicKey: sandbox.publicKeyBase64 },
      };
      if (!options.quiet) log(`telnyx   sandbox carrier at ${base} (TELNYX_API_KEY not set)`);
    }
    if (options.migrate ?? (!options.stores && EmbeddedStores.needsDataDir(config))) {
      await migrateAll(config, stores);
    }
    const logger = createLogger(options.quiet ? 'silent' : config.logLevel);
    const adapter = new FastifyAdapter({
      loggerInstance: logger,
      logController: new LogController({ disableRequestLogging: true }),
      trustProxy: true,
      bodyLimit: 1024 * 1024,
      genReqId: (req: import('node:http').IncomingMessage) => {
        const given = req.headers['x-request-id'];
        return typeof given === 'string' && given.length > 0 && given.length <= MAX_REQUEST_ID
          ? given
          : randomUUID();
      },
    });
    app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, stores), adapter, {
      rawBody: true,
      bufferLogs: true,
      logger: options.quiet ? false : new PinoNestLogger(logger),
      abortOnError: false,
    });
    await app.register(fastifyCookie);
    registerDashboardViews(app);
    // Any origin may call the API, never with credentials: the snippet runs on customers' sites, and
    // API keys travel in headers; session cookies are never sent cross-origin.
    await app.register(fastifyCors, {
      origin: '*',
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      maxAge: 86400,
    });
    // sendBeacon and CORS-simple requests send JSON as text/plain; parse it as JSON everywhere.
    const http = app.getHttpAdapter().getInstance();
    http.addContentTypeParser(
      'text/plain',
      { parseAs: 'string', bodyLimit: 64 * 1024 },
      (_req, body, done) => {
        try {
          done(null, JSON.parse(body as string));
        } catch {
          done(Object.assign(new Error('Body is not valid JSON'), { statusCode: 400 }), undefined);
        }
      },
    );
    app.useGlobalFilters(new AppExceptionFilter());
    app.useGlobalPipes(createValidationPipe());
    const metrics = app.get(MetricsService);
    const fastify = app.getHttpAdapter().getInstance();
    fastify.addHook('onResponse', (req, reply, done) => {
      // One line per request; the hot public paths (snippet, webhooks) only at debug level.
      const level = HOT_PATHS.test(req.url) ? 'debug' : 'info';
      if (logger.isLevelEnabled(level)) {
        req.log[level](
          {
            reqId: req.id,
            method: req.method,
            url: req.url,
            status: reply.statusCode,
            ms: Math.round(reply.elapsedTime),
          },
          'request',
        );
      }
      metrics.httpDuration.observe(
        { method: req.method, route: req.routeOptions?.url ?? 'unmatched', status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
      done();
    });
    fastify.addHook('onSend', (req, reply, payload, done) => {
      void reply.header('x-request-id', req.id);
      done(null, payload);
    });
    const doc = new DocumentBuilder()
      .setTitle('callbid')
      .setDescription('Pay-per-call tracking and real-time bidding: configuration, DNI, calls, reports.')
      .setVersion('0.1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key (cbk_…)' })
      .addCookieAuth('cb_session')
      .build();
    SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app!, doc), {
      jsonDocumentUrl: 'docs/json',
    });
    await app.listen(config.port, config.host);
    const address = fastify.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://127.0.0.1:${port}`;
    sandbox?.setWebhookUrl(`${url}/webhooks/telnyx`);
    let closed = false;
    return {
      app,
      url,
      stores,
      sandbox,
      close: async () => {
        if (closed) return;
        closed = true;
        await sandbox?.stop();
        await app!.close();
        await embedded?.stop();
      },
    };
  } catch (e) {
    await sandbox?.stop().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await embedded?.stop();
    throw e;
  }
}

function carrierLogger(log: (msg: string) => void) {
  const line = (level: string) => (obj: object, msg?: string) =>
    log(`sandbox carrier ${level}: ${msg ?? ''} ${JSON.stringify(obj)}`);
  return { debug: () => undefined, info: () => undefined, warn: line('warn'), error: line('error') };
}
