// JSON schemas of the snippet protocol (dni-snippet/README.md). Everything here comes from
// strangers' browsers: sizes and shapes are bounded before anything touches Redis.
const SID = '^[A-Za-z0-9_-]{16,64}$';

const stringMap = {
  type: 'object',
  maxProperties: 40,
  propertyNames: { minLength: 1, maxLength: 64 },
  additionalProperties: { type: 'string', maxLength: 512 },
} as const;

export const leaseRequestSchema = {
  type: 'object',
  required: ['key'],
  additionalProperties: false,
  properties: {
    key: { type: 'string', minLength: 1, maxLength: 64 },
    sid: { type: 'string', pattern: SID },
    page: { type: 'string', maxLength: 2048 },
    ref: { type: 'string', maxLength: 2048 },
    params: stringMap,
    tags: stringMap,
  },
} as const;

export const sessionRequestSchema = {
  type: 'object',
  required: ['key', 'sid'],
  additionalProperties: false,
  properties: {
    key: { type: 'string', minLength: 1, maxLength: 64 },
    sid: { type: 'string', pattern: SID },
  },
} as const;

export const clickRequestSchema = {
  ...sessionRequestSchema,
  required: ['key', 'sid', 'number'],
  properties: { ...sessionRequestSchema.properties, number: { type: 'string', maxLength: 32 } },
} as const;

export interface LeaseRequest {
  key: string;
  sid?: string;
  page?: string;
  ref?: string;
  params?: Record<string, string>;
  tags?: Record<string, string>;
}

export interface SessionRequest {
  key: string;
  sid: string;
}

export interface ClickRequest extends SessionRequest {
  number: string;
}
