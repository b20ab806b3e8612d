import { ApiKeyEntity } from './api-key.entity';
import { ApiKeyResponseDto, UserResponseDto } from './dto/accounts.dto';
import { UserEntity } from './user.entity';

export const toUserDto = (u: UserEntity): UserResponseDto => ({
  id: u.id,
  email: u.email,
  role: u.role,
  publisherId: u.publisherId,
  buyerId: u.buyerId,
  createdAt: u.createdAt.toISOString(),
});

export const toApiKeyDto = (k: ApiKeyEntity): ApiKeyResponseDto => ({
  id: k.id,
  name: k.name,
  prefix: `cbk_${k.prefix}`,
  role: k.role,
  publisherId: k.publisherId,
  buyerId: k.buyerId,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  revokedAt: k.revokedAt?.toISOString() ?? null,
});
