// Maps every error to `{ statusCode, code, message, requestId }`. Unknown errors become a 500 with
// the request id, logged with the stack; nothing a client sends can crash the process.
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './errors';

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  requestId: string;
  details?: unknown;
}

const HTTP_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

export function errorBody(error: unknown, requestId: string): ErrorBody {
  if (error instanceof AppError) {
    return {
      statusCode: error.status,
      code: error.code,
      message: error.message,
      requestId,
      details: error.details,
    };
  }
  if (error instanceof ThrottlerException) {
    return { statusCode: 429, code: 'RATE_LIMITED', message: 'Too many requests', requestId };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const res = error.getResponse();
    const message =
      typeof res === 'string'
        ? res
        : Array.isArray((res as { message?: unknown }).message)
          ? ((res as { message: string[] }).message.join('; ') ?? error.message)
          : String((res as { message?: unknown }).message ?? error.message);
    const code = /not valid JSON/i.test(message) ? 'INVALID_JSON' : (HTTP_CODES[status] ?? `HTTP_${status}`);
    return { statusCode: status, code, message, requestId };
  }
  // Fastify's own errors (bad JSON, body too large, wrong content type) carry a statusCode < 500.
  const fe = error as { statusCode?: number; code?: string; message?: string };
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code =
      fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
        ? 'INVALID_JSON'
        : (HTTP_CODES[fe.statusCode] ?? `HTTP_${fe.statusCode}`);
    return { statusCode: fe.statusCode, code, message: fe.message ?? 'Bad request', requestId };
  }
  return { statusCode: 500, code: 'INTERNAL', message: 'Internal error; quote the request id', requestId };
}

@Catch()
export class AppExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(error: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();
    const body = errorBody(error, String(request?.id ?? ''));
    if (body.statusCode >= 500) {
      this.logger.error({ err: error, requestId: body.requestId }, (error as Error)?.stack ?? String(error));
    }
    if (reply === undefined || reply.sent) return;
    void reply.status(body.statusCode).header('content-type', 'application/json').send(body);
  }
}
