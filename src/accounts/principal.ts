export type Role = 'operator' | 'publisher' | 'buyer';
export const ROLE_VALUES: Role[] = ['operator', 'publisher', 'buyer'];

/** Who is calling: every query is scoped by tenantId and, for publisher/buyer roles, by their own id. */
export interface Principal {
  tenantId: string;
  role: Role;
  publisherId?: string;
  buyerId?: string;
  userId?: string;
  apiKeyId?: string;
  via: 'api_key' | 'session';
}
