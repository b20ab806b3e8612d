// The snippet's public protocol, on plain Fastify routes. It is the hottest public path (every page
// view of every landing page), so it skips Nest's per-request pipeline: bodies are checked by JSON
// schemas compiled once (strict: no coercion, unknown fields rejected), answers are serialised by
// compiled response schemas, and errors keep the service's `{ statusCode, code, message, requestId }`.
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import Ajv from 'ajv';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../common/app-exception.filter';
import { AppError } from '../common/errors';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import { DniService } from './dni.service';
import {
  ClickRequest,
  LeaseRequest,
  SessionRequest,
  clickRequestSchema,
  heartbeatResponseSchema,
  leaseRequestSchema,
  leaseResponseSchema,
  sessionRequestSchema,
} from './dni.schemas';
import { RateLimiter } from './rate-limiter';

@Injectable()
export class DniRoutes implements OnModuleInit {
  constructor(
    private readonly host: HttpAdapterHost,
    private readonly dni: DniService,
    private readonly limits: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const fastify = this.host.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify?.post) return; // an application context without HTTP (CLI)
    const ajv = new Ajv({
      allErrors: false,
      coerceTypes: false,
      removeAdditional: false,
      useDefaults: false,
    });
    const validatorCompiler = ({ schema }: { schema: object }) => ajv.compile(schema);
    const errorHandler = (error: Error, req: FastifyRequest, reply: FastifyReply) => {
      const fe = error as Error & { validation?: unknown; validationContext?: string };
      const mapped = fe.validation
        ? new AppError(400, 'VALIDATION_FAILED', fe.message.replace(/^body\/?/, '') || 'invalid body')
        : error;
      const body = errorBody(mapped, String(req.id));
      if (body.statusCode >= 500) req.log.error({ err: error }, 'dni request failed');
      void reply.status(body.statusCode).send(body);
    };
    const route = (
      url: string,
      body: object,
      response: object | undefined,
      handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
    ) =>
      fastify.route({
        method: 'POST',
        url,
        schema: response ? { body, response: { 200: response } } : { body },
        validatorCompiler,
        errorHandler,
        handler,
      });

    route('/dni/v1/lease', leaseRequestSchema, leaseResponseSchema, async (req) => {
      const body = req.body as LeaseRequest;
      this.limit(req, body.key);
      return this.dni.lease(body, { ip: req.ip, userAgent: req.headers['user-agent'] });
    });
    route('/dni/v1/heartbeat', sessionRequestSchema, heartbeatResponseSchema, async (req) => {
      const body = req.body as SessionRequest;
      this.limit(req, body.key);
      return this.dni.heartbeat(body);
    });
    route('/dni/v1/release', sessionRequestSchema, undefined, async (req, reply) => {
      const body = req.body as SessionRequest;
      this.limit(req, body.key);
      await this.dni.release(body);
      return reply.status(204).send();
    });
    route('/dni/v1/click', clickRequestSchema, undefined, async (req, reply) => {
      const body = req.body as ClickRequest;
      this.limit(req, body.key);
      await this.dni.click(body);
      return reply.status(204).send();
    });
  }

  private limit(req: FastifyRequest, key: string): void {
    const ip = this.limits.hit('ip', req.ip, this.config.dniRateLimit.perIp);
    const campaign = this.limits.hit('key', key, this.config.dniRateLimit.perKey);
    if (!ip || !campaign) throw new AppError(429, 'RATE_LIMITED', 'Too many DNI requests; slow down');
  }
}
