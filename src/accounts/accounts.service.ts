// Tenants, users (argon2id passwords), cookie sessions and API keys (shown once, stored hashed).
import { Inject, Injectable, Logger } from '@nestjs/common';
import * as argon2 from 'argon2';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import { badRequest, conflict, notFound, unauthorized } from '../common/errors';
import { AccountsRepository } from './accounts.repository';
import { ApiKeyEntity } from './api-key.entity';
import type { Principal, Role } from './principal';
import { UserEntity } from './user.entity';

const API_KEY = /^cbk_([a-f0-9]{12})_([A-Za-z0-9_-]{43})$/;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

@Injectable()
export class AccountsService {
  private readonly logger = new Logger(AccountsService.name);

  constructor(
    private readonly repo: AccountsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  hashPassword(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id });
  }

  /** First-run setup: only allowed while no tenant exists. */
  async bootstrap(tenantName: string, email: string, password: string) {
    if ((await this.repo.countTenants()) > 0) {
      throw conflict('ALREADY_BOOTSTRAPPED', 'A tenant already exists; sign in as its operator instead');
    }
    return this.createTenant(tenantName, email, password);
  }

  /** Creates another tenant with its operator (CLI, tests). */
  async createTenant(tenantName: string, email: string, password: string) {
    if (await this.repo.emailTaken(email)) throw conflict('EMAIL_TAKEN', `A user with email ${email} exists`);
    return this.repo.createTenantWithOperator(tenantName, email, await this.hashPassword(password));
  }

  async createUser(
    tenantId: string,
    input: { email: string; password: string; role: Role; publisherId?: string; buyerId?: string },
  ): Promise<UserEntity> {
    this.assertRoleOwner(input.role, input.publisherId, input.buyerId);
    await this.assertOwnerExists(tenantId, input.publisherId, input.buyerId);
    if (await this.repo.emailTaken(input.email)) {
      throw conflict('EMAIL_TAKEN', `A user with email ${input.email} exists`);
    }
    return this.repo.saveUser({
      tenantId,
      email: input.email,
      passwordHash: await this.hashPassword(input.password),
      role: input.role,
      publisherId: input.publisherId ?? null,
      buyerId: input.buyerId ?? null,
    });
  }

  listUsers(tenantId: string) {
    return this.repo.listUsers(tenantId);
  }

  /** Verifies the password and opens a session; returns the cookie token (never stored in clear). */
  async login(email: string, password: string): Promise<{ token: string; principal: Principal }> {
    const user = await this.repo.findUserByEmail(email);
    // Verify against a dummy hash for unknown users so timing does not reveal which emails exist.
    const hash = user?.passwordHash ?? (await this.dummyHash());
    const ok = await argon2.verify(hash, password).catch(() => false);
    if (!user || !ok) throw unauthorized('Wrong email or password');
    const principal: Principal = {
      tenantId: user.tenantId,
      role: user.role,
      publisherId: user.publisherId ?? undefined,
      buyerId: user.buyerId ?? undefined,
      userId: user.id,
      via: 'session',
    };
    const token = randomBytes(32).toString('base64url');
    await this.repo.saveSession(sha256(token), principal, this.config.sessionTtlSeconds);
    return { token, principal };
  }

  async logout(token: string): Promise<void> {
    await this.repo.deleteSession(sha256(token));
  }

  async principalFromSession(token: string): Promise<Principal | null> {
    if (token.length < 20 || token.length > 100) return null;
    return this.repo.findSession(sha256(token));
  }

  async createApiKey(
    tenantId: string,
    input: { name: string; role: Role; publisherId?: string; buyerId?: string },
  ): Promise<{ key: ApiKeyEntity; secret: string }> {
    this.assertRoleOwner(input.role, input.publisherId, input.buyerId);
    await this.assertOwnerExists(tenantId, input.publisherId, input.buyerId);
    const prefix = randomBytes(6).toString('hex');
    const secretPart = randomBytes(32).toString('base64url');
    const key = await this.repo.saveApiKey({
      tenantId,
      name: input.name,
      prefix,
      secretHash: sha256(secretPart),
      role: input.role,
      publisherId: input.publisherId ?? null,
      buyerId: input.buyerId ?? null,
    });
    return { key, secret: `cbk_${prefix}_${secretPart}` };
  }

  listApiKeys(tenantId: string, skip: number, take: number) {
    return this.repo.listApiKeys(tenantId, skip, take);
  }

  async revokeApiKey(tenantId: string, id: string): Promise<void> {
    if (!(await this.repo.revokeApiKey(tenantId, id))) throw notFound('API key');
  }

  async principalFromApiKey(presented: string): Promise<Principal | null> {
    const m = API_KEY.exec(presented);
    if (!m) return null;
    const key = await this.repo.findActiveApiKeyByPrefix(m[1]);
    if (!key) return null;
    const a = Buffer.from(sha256(m[2]), 'hex');
    const b = Buffer.from(key.secretHash, 'hex');
    if (a.length !== b.length || !timingSafeEqual(a, b)) return null;
    this.repo.touchApiKey(key.id).catch((e) => this.logger.warn(`last_used_at update failed: ${String(e)}`));
    return {
      tenantId: key.tenantId,
      role: key.role,
      publisherId: key.publisherId ?? undefined,
      buyerId: key.buyerId ?? undefined,
      apiKeyId: key.id,
      via: 'api_key',
    };
  }

  private assertRoleOwner(role: Role, publisherId?: string, buyerId?: string): void {
    if (role === 'publisher' && (!publisherId || buyerId)) {
      throw badRequest(
        'VALIDATION_FAILED',
        'publisherId: required for the publisher role (and buyerId must be absent)',
      );
    }
    if (role === 'buyer' && (!buyerId || publisherId)) {
      throw badRequest(
        'VALIDATION_FAILED',
        'buyerId: required for the buyer role (and publisherId must be absent)',
      );
    }
    if (role === 'operator' && (publisherId || buyerId)) {
      throw badRequest('VALIDATION_FAILED', 'publisherId/buyerId: not allowed for the operator role');
    }
  }

  private async assertOwnerExists(tenantId: string, publisherId?: string, buyerId?: string): Promise<void> {
    if (publisherId && !(await this.repo.ownerExists('publishers', tenantId, publisherId))) {
      throw notFound('Publisher');
    }
    if (buyerId && !(await this.repo.ownerExists('buyers', tenantId, buyerId))) throw notFound('Buyer');
  }

  private dummy?: Promise<string>;
  private dummyHash(): Promise<string> {
    this.dummy ??= this.hashPassword(randomBytes(16).toString('hex'));
    return this.dummy;
  }
}
