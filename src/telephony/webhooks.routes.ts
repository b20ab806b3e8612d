// POST /webhooks/telnyx: Telnyx (or the sandbox carrier) delivers Call Control events here, several per
// call, so this is the service's busiest endpoint. It is served straight from the HTTP server, ahead of
// Fastify: the request never goes through the app-wide hooks (CORS, cookies, middleware, request logs),
// which together cost more than verifying the signature. Public, but every request must carry a valid
// Ed25519 signature over the exact bytes received; the answer is sent as soon as the event is queued.
// Errors keep the service's shape ({ statusCode, code, message, requestId }).
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { errorBody } from '../common/app-exception.filter';
import { serveAhead } from '../common/serve-ahead';
import { AppError } from '../common/errors';
import { WebhookIngressService } from './webhook-ingress.service';

export const TELNYX_WEBHOOK_PATH = '/webhooks/telnyx';
const BODY_LIMIT = 1024 * 1024;

@Injectable()
export class WebhookRoutes implements OnModuleInit {
  private readonly logger = new Logger('TelnyxWebhooks');

  constructor(
    private readonly host: HttpAdapterHost,
    private readonly ingress: WebhookIngressService,
  ) {}

  onModuleInit(): void {
    const fastify = this.host.httpAdapter?.getInstance<FastifyInstance>();
    const server = fastify?.server as Server | undefined;
    if (!server?.listeners) return; // an application context without HTTP (CLI)
    serveAhead(server, (req, res) => {
      if (req.method !== 'POST' || !isWebhookPath(req.url)) return false;
      this.handle(req, res);
      return true;
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const done = (status: number, body: string, outcome: string) => {
        this.ingress.observeAck(outcome, (performance.now() - started) / 1000);
        res.writeHead(status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
      };
      const fail = (e: unknown) => {
        const given = req.headers['x-request-id'];
        const requestId = typeof given === 'string' && given.length <= 128 ? given : randomUUID();
        const body = errorBody(e, requestId);
        if (body.statusCode >= 500) this.logger.error({ err: e, requestId }, 'telnyx webhook failed');
        res.setHeader('x-request-id', requestId);
        done(body.statusCode, JSON.stringify(body), e instanceof AppError ? e.code : 'error');
      };
      if (tooLarge) return fail(new AppError(413, 'PAYLOAD_TOO_LARGE', 'Webhook body over 1 MB'));
      this.ingress
        .receive(Buffer.concat(chunks, size), req.headers)
        .then((outcome) => done(200, `{"ok":true,"outcome":"${outcome}"}`, outcome), fail);
    });
  }
}

function isWebhookPath(url: string | undefined): boolean {
  if (!url || !url.startsWith(TELNYX_WEBHOOK_PATH)) return false;
  const rest = url.slice(TELNYX_WEBHOOK_PATH.length);
  return rest === '' || rest === '/' || rest.startsWith('?');
}
