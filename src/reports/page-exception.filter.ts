// Errors on dashboard pages: a visitor without a session goes to the login page (and comes back after),
// anything else gets an HTML error page instead of the API's JSON body.
import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import '@fastify/view';
import { errorBody } from '../common/app-exception.filter';

@Catch()
export class PageExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Pages');

  catch(error: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const req = ctx.getRequest<FastifyRequest>();
    const body = errorBody(error, String(req.id ?? ''));
    if (reply.sent) return;
    if (body.statusCode === 401) {
      void reply
        .status(302)
        .header('location', `/login?next=${encodeURIComponent(req.url)}`)
        .send();
      return;
    }
    if (body.statusCode >= 500)
      this.logger.error({ err: error, requestId: body.requestId }, 'dashboard page failed');
    void reply.status(body.statusCode).view('error', {
      title: 'Error',
      status: body.statusCode,
      message: body.statusCode >= 500 ? 'Something went wrong; quote the request id.' : body.message,
      requestId: body.requestId,
    });
  }
}
