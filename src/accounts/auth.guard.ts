// Global guard: resolves the caller from an API key (Authorization: Bearer / X-Api-Key) or the
// dashboard session cookie, then checks the route's roles (operators only unless @Roles says more).
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../common/errors';
import { AccountsService } from './accounts.service';
import { IS_PUBLIC, ROLES } from './auth.decorators';
import type { Principal, Role } from './principal';

export const SESSION_COOKIE = 'cb_session';

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly accounts: AccountsService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = ctx.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const principal = await this.resolve(req);
    if (!principal) throw unauthorized();
    req.principal = principal;
    const roles = this.reflector.getAllAndOverride<Role[]>(ROLES, targets) ?? ['operator'];
    if (!roles.includes(principal.role)) throw forbidden();
    return true;
  }

  private async resolve(req: FastifyRequest): Promise<Principal | null> {
    const auth = req.headers.authorization;
    const headerKey = req.headers['x-api-key'];
    if (typeof auth === 'string' && auth.startsWith('Bearer ')) {
      return this.accounts.principalFromApiKey(auth.slice(7).trim());
    }
    if (typeof headerKey === 'string') return this.accounts.principalFromApiKey(headerKey.trim());
    const cookie = (req as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies?.[
      SESSION_COOKIE
    ];
    if (cookie) return this.accounts.principalFromSession(cookie);
    return null;
  }
}
