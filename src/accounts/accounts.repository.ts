// The only code touching the accounts tables and the session keys in Redis.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { RedisService } from '../infra/redis/redis.service';
import { redisKeys } from '../infra/redis/redis-keys';
import { ApiKeyEntity } from './api-key.entity';
import type { Principal } from './principal';
import { TenantEntity } from './tenant.entity';
import { UserEntity } from './user.entity';

@Injectable()
export class AccountsRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly redis: RedisService,
  ) {}

  countTenants(): Promise<number> {
    return this.db.getRepository(TenantEntity).count();
  }

  /** Creates a tenant and its first operator atomically. */
  async createTenantWithOperator(name: string, email: string, passwordHash: string) {
    return this.db.transaction(async (tx) => {
      const tenant = await tx.getRepository(TenantEntity).save({ name });
      const user = await tx.getRepository(UserEntity).save({
        tenantId: tenant.id,
        email,
        passwordHash,
        role: 'operator',
        publisherId: null,
        buyerId: null,
      });
      return { tenant, user };
    });
  }

  findUserByEmail(email: string): Promise<UserEntity | null> {
    return this.db
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .where('lower(u.email) = lower(:email)', { email })
      .getOne();
  }

  emailTaken(email: string): Promise<boolean> {
    return this.findUserByEmail(email).then((u) => u !== null);
  }

  saveUser(user: Partial<UserEntity>): Promise<UserEntity> {
    return this.db.getRepository(UserEntity).save(user);
  }

  listUsers(tenantId: string): Promise<UserEntity[]> {
    return this.db.getRepository(UserEntity).find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  async ownerExists(table: 'publishers' | 'buyers', tenantId: string, id: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(`SELECT 1 FROM ${table} WHERE id = $1 AND tenant_id = $2`, [
      id,
      tenantId,
    ]);
    return rows.length > 0;
  }

  findTenant(id: string): Promise<TenantEntity | null> {
    return this.db.getRepository(TenantEntity).findOneBy({ id });
  }

  saveApiKey(key: Partial<ApiKeyEntity>): Promise<ApiKeyEntity> {
    return this.db.getRepository(ApiKeyEntity).save(key);
  }

  findActiveApiKeyByPrefix(prefix: string): Promise<ApiKeyEntity | null> {
    return this.db.getRepository(ApiKeyEntity).findOneBy({ prefix, revokedAt: IsNull() });
  }

  listApiKeys(tenantId: string, skip: number, take: number): Promise<[ApiKeyEntity[], number]> {
    return this.db
      .getRepository(ApiKeyEntity)
      .findAndCount({ where: { tenantId }, order: { createdAt: 'DESC' }, skip, take });
  }

  async revokeApiKey(tenantId: string, id: string): Promise<boolean> {
    const r = await this.db
      .getRepository(ApiKeyEntity)
      .update({ id, tenantId, revokedAt: IsNull() }, { revokedAt: new Date() });
    return (r.affected ?? 0) > 0;
  }

  async touchApiKey(id: string): Promise<void> {
    await this.db
      .getRepository(ApiKeyEntity)
      .createQueryBuilder()
      .update()
      .set({ lastUsedAt: () => 'now()' })
      .where("id = :id AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds')", { id })
      .execute();
  }

  async saveSession(tokenHash: string, principal: Principal, ttlSeconds: number): Promise<void> {
    await this.redis.client.set(redisKeys.session(tokenHash), JSON.stringify(principal), 'EX', ttlSeconds);
  }

  async findSession(tokenHash: string): Promise<Principal | null> {
    const raw = await this.redis.client.get(redisKeys.session(tokenHash));
    return raw ? (JSON.parse(raw) as Principal) : null;
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.redis.client.del(redisKeys.session(tokenHash));
  }
}
