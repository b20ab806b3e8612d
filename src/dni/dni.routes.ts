// The snippet's public protocol (dni-snippet/README.md). It is the hottest public path (every page
// view of every landing page), so its POSTs are answered straight from the node:http server, ahead
// of Fastify: the app-wide hooks (CORS, cookies, Nest middleware, view engine, request log, and the
// async-context binding of Fastify's body parsers) cost more per request than the lease itself.
// What those hooks gave this path is done here, once: CORS for any origin (the snippet never sends
// credentials), the request id, the client address behind proxies, the HTTP timing metric, and
// errors in the service's `{ statusCode, code, message, requestId }` shape. Bodies are checked by
// JSON schemas compiled once (strict: no coercion, unknown fields rejected). Anything else under
// /dni/v1/ (the CORS preflight, other methods, unknown paths) goes on to Fastify as before.
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import { errorBody } from '../common/app-exception.filter';
import { AppError } from '../common/errors';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import { MetricsService } from '../infra/metrics/metrics.service';
import { DniService } from './dni.service';
import {
  ClickRequest,
  LeaseRequest,
  SessionRequest,
  clickRequestSchema,
  leaseRequestSchema,
  sessionRequestSchema,
} from './dni.schemas';
import { LeaseResponseDto } from './dto/dni.dto';
import { RateLimiter } from './rate-limiter';

const PREFIX = '/dni/v1/';
/** Valid bodies stay well under this (the schemas bound every field); sendBeacon allows 64 KB. */
const BODY_LIMIT = 64 * 1024;
const MAX_REQUEST_ID = 128;
const JSON_TYPE = 'application/json; charset=utf-8';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

interface DniRoute {
  path: string;
  /** Metric labels by status, made once. */
  labels: Map<number, { method: string; route: string; status: string }>;
  validate: ValidateFunction;
  /** Resolves to the JSON answer (200), or undefined for 204. */
  handle(body: unknown, req: IncomingMessage, ip: string): Promise<object | undefined>;
  /** The answer as JSON text (JSON.stringify unless the route knows its shape). */
  serialize(answer: object): string;
}

@Injectable()
export class DniRoutes implements OnModuleInit {
  private readonly logger = new Logger('DniRoutes');
  private readonly routes = new Map<string, DniRoute>();

  constructor(
    private readonly host: HttpAdapterHost,
    private readonly dni: DniService,
    private readonly limits: RateLimiter,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const fastify = this.host.httpAdapter?.getInstance<FastifyInstance>();
    const server = fastify?.server as Server | undefined;
    if (!server?.listeners) return; // an application context without HTTP (CLI)
    const ajv = new Ajv({
      allErrors: false,
      coerceTypes: false,
      removeAdditional: false,
      useDefaults: false,
    });
    const lease = ajv.compile(leaseRequestSchema);
    const session = ajv.compile(sessionRequestSchema);
    const click = ajv.compile(clickRequestSchema);
    const add = (
      path: string,
      validate: ValidateFunction,
      handle: DniRoute['handle'],
      serialize: DniRoute['serialize'] = JSON.stringify,
    ) =>
      this.routes.set(PREFIX + path, {
        path: PREFIX + path,
        labels: new Map(),
        validate,
        handle,
        serialize,
      });

    add(
      'lease',
      lease,
      (body, req, ip) => this.dni.lease(body as LeaseRequest, { ip, userAgent: req.headers['user-agent'] }),
      (answer) => leaseJson(answer as LeaseResponseDto),
    );
    add('heartbeat', session, (body) => this.dni.heartbeat(body as SessionRequest));
    add('release', session, async (body) => {
      await this.dni.release(body as SessionRequest);
      return undefined;
    });
    add('click', click, async (body) => {
      await this.dni.click(body as ClickRequest);
      return undefined;
    });

    const others = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? '';
      if (req.method === 'POST' && url.startsWith(PREFIX)) {
        const q = url.indexOf('?');
        const route = this.routes.get(q < 0 ? url : url.slice(0, q));
        if (route) {
          this.serve(route, req, res);
          return;
        }
      }
      for (const listener of others) listener.call(server, req, res);
    });
  }

  private serve(route: DniRoute, req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const given = req.headers['x-request-id'];
    // A balancer's request id is echoed; otherwise one is made only for an error, which is where a
    // client needs it (it is in the error body too). Nothing is logged for a request that succeeds.
    const requestId =
      typeof given === 'string' && given.length > 0 && given.length <= MAX_REQUEST_ID ? given : undefined;

    const fail = (e: unknown) => {
      const id = requestId ?? randomUUID();
      const body = errorBody(e, id);
      if (body.statusCode >= 500) this.logger.error({ err: e, requestId: id }, 'dni request failed');
      this.send(route, res, id, started, body.statusCode, JSON.stringify(body));
    };
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) > BODY_LIMIT) {
      res.shouldKeepAlive = false; // the rest of the body is not read
      return fail(new AppError(413, 'PAYLOAD_TOO_LARGE', `Body over ${BODY_LIMIT} bytes`));
    }
    const type = mediaType(req.headers['content-type']);
    if (type !== 'text/plain' && type !== 'application/json' && !(type === '' && hasNoBody(req))) {
      res.shouldKeepAlive = false;
      return fail(
        new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as text/plain or application/json'),
      );
    }

    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > BODY_LIMIT) {
        // Answer now and close the connection rather than read on.
        tooLarge = true;
        first = more = undefined;
        res.shouldKeepAlive = false;
        fail(new AppError(413, 'PAYLOAD_TOO_LARGE', `Body over ${BODY_LIMIT} bytes`));
      } else if (!first) first = chunk;
      else (more ??= [first]).push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (tooLarge) return;
      let body: unknown;
      if (first) {
        try {
          body = JSON.parse((more ? Buffer.concat(more, size) : first).toString('utf8'));
        } catch {
          return fail(new AppError(400, 'INVALID_JSON', 'Body is not valid JSON'));
        }
      } else if (type !== '') {
        return fail(new AppError(400, 'INVALID_JSON', 'Body is not valid JSON'));
      }
      if (!route.validate(body)) {
        return fail(new AppError(400, 'VALIDATION_FAILED', validationMessage(route.validate.errors)));
      }
      const key = (body as { key: string }).key;
      const ip = clientIp(req);
      const ipAllowed = this.limits.hit('ip', ip, this.config.dniRateLimit.perIp);
      if (!this.limits.hit('key', key, this.config.dniRateLimit.perKey) || !ipAllowed) {
        return fail(new AppError(429, 'RATE_LIMITED', 'Too many DNI requests; slow down'));
      }
      let answered: Promise<object | undefined>;
      try {
        answered = route.handle(body, req, ip);
      } catch (e) {
        return fail(e); // a handler that throws before its first await
      }
      answered.then((answer) => {
        if (answer === undefined) this.send(route, res, requestId, started, 204, undefined);
        else this.send(route, res, requestId, started, 200, route.serialize(answer));
      }, fail);
    });
  }

  private send(
    route: DniRoute,
    res: ServerResponse,
    requestId: string | undefined,
    started: number,
    status: number,
    body: string | undefined,
  ): void {
    const headers: OutgoingHttpHeaders = { 'access-control-allow-origin': '*' };
    if (requestId !== undefined) headers['x-request-id'] = requestId;
    if (body !== undefined) {
      headers['content-type'] = JSON_TYPE;
      headers['content-length'] = Buffer.byteLength(body);
    }
    try {
      res.writeHead(status, headers);
      res.end(body);
    } catch (e) {
      // Only a header the client sent and Node refuses to echo could get here; never crash on it.
      this.logger.warn({ err: e }, 'dni answer could not be written');
      res.destroy();
      return;
    }
    let labels = route.labels.get(status);
    if (!labels)
      route.labels.set(status, (labels = { method: 'POST', route: route.path, status: String(status) }));
    this.metrics.httpDuration.observe(labels, (performance.now() - started) / 1000);
  }
}

/** JSON of each campaign's target list, by the list (cached campaigns hand out the same array). */
const targetsJson = new WeakMap<string[], string>();

/**
 * The lease answer as JSON, built from its known shape (every lease is answered with one; this
 * skips walking the object and re-escaping the campaign's unchanging target list each time).
 */
export function leaseJson(a: LeaseResponseDto): string {
  if (!Array.isArray(a.targets)) return JSON.stringify(a);
  let targets = targetsJson.get(a.targets);
  if (targets === undefined) targetsJson.set(a.targets, (targets = JSON.stringify(a.targets)));
  const number = a.number === null ? 'null' : JSON.stringify(a.number);
  return `{"sid":${JSON.stringify(a.sid)},"number":${number},"overflow":${a.overflow},"targets":${targets},"ttl":${a.ttl},"heartbeat":${a.heartbeat}}`;
}

/** The media type without parameters, lower case; '' when absent. */
function mediaType(header: string | undefined): string {
  if (!header) return '';
  const semi = header.indexOf(';');
  return (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
}

function hasNoBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}

/**
 * The client's address as Fastify gives it with `trustProxy: true` (the service runs behind a
 * balancer): the first address of X-Forwarded-For, else the socket's peer.
 */
export function clientIp(req: IncomingMessage): string {
  const forwarded = req.headers['x-forwarded-for'];
  if (typeof forwarded === 'string' && forwarded.length > 0) {
    const comma = forwarded.indexOf(',');
    const first = (comma < 0 ? forwarded : forwarded.slice(0, comma)).trim();
    if (first) return first;
  }
  return req.socket.remoteAddress ?? '';
}

/** "params must NOT have more than 40 properties", "body must have required property 'key'". */
function validationMessage(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'invalid body';
  const where = e.instancePath ? e.instancePath.slice(1) : 'body';
  return `${where} ${e.message ?? 'is invalid'}`;
}
