// Starts the real service for an e2e suite on the stores the global setup started, and offers a
// small HTTP client. Each suite makes its own tenant, so suites never see each other's data.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { AccountsService } from '../../src/accounts/accounts.service';
import { RunningApp, startApp } from '../../src/app.bootstrap';
import { AppConfig, loadConfig } from '../../src/infra/config/app-config';
import { ResolvedStores } from '../../src/infra/embedded/embedded-stores';
import { createClickHouseClient } from '../../src/infra/clickhouse/clickhouse.factory';
import { migrateClickHouse } from '../../src/infra/clickhouse/clickhouse-migrator';

export function testStores(): ResolvedStores {
  const databaseUrl = process.env.CB_TEST_DATABASE_URL;
  const redisUrl = process.env.CB_TEST_REDIS_URL;
  if (!databaseUrl || !redisUrl) throw new Error('e2e global setup did not run');
  const chUrl = process.env.CB_TEST_CLICKHOUSE_URL;
  return {
    databaseUrl,
    redisUrl,
    clickhouse: chUrl
      ? { kind: 'http', url: chUrl }
      : { kind: 'chdb', path: join(testDataDir(), 'clickhouse') },
  };
}

export function testDataDir(): string {
  return process.env.CB_TEST_DATA_DIR ?? join(__dirname, '..', '..', '.data', 'test');
}

export function testConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: testDataDir(), LOG_LEVEL: 'silent', ...env });
}

let clickhouseMigrated = false;

export async function startTestApp(env: Record<string, string> = {}): Promise<RunningApp> {
  const config = testConfig(env);
  const stores = testStores();
  if (!clickhouseMigrated) {
    const ch = createClickHouseClient(config, stores);
    await migrateClickHouse(ch, config.clickhouse.database);
    await ch.close();
    clickhouseMigrated = true;
  }
  return startApp(config, { stores, migrate: false, quiet: !process.env.CB_TEST_VERBOSE });
}

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class Http {
  constructor(
    readonly base: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  withKey(key: string): Http {
    return new Http(this.base, { ...this.headers, authorization: `Bearer ${key}` });
  }

  withCookie(cookie: string): Http {
    return new Http(this.base, { ...this.headers, cookie });
  }

  async request<T = any>(method: string, path: string, body?: unknown, raw?: string): Promise<HttpResult<T>> {
    const res = await fetch(this.base + path, {
      method,
      headers: {
        ...this.headers,
        ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = any>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body ?? {});
  }
  patch<T = any>(path: string, body: unknown) {
    return this.request<T>('PATCH', path, body);
  }
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

/** A fresh tenant with an operator API key, made through the service itself. */
export async function newTenant(
  app: RunningApp,
): Promise<{ http: Http; operator: Http; tenantId: string; email: string; password: string }> {
  const accounts = app.app.get(AccountsService);
  const email = `op-${randomUUID()}@example.com`;
  const password = 'correct horse battery';
  const { tenant } = await accounts.createTenant(`Tenant ${email}`, email, password);
  const http = new Http(app.url);
  const login = await fetch(`${app.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
  const key = await http.withCookie(cookie).post('/api-keys', { name: 'ops', role: 'operator' });
  if (key.status !== 201) throw new Error(`api key: ${key.status} ${JSON.stringify(key.body)}`);
  return { http, operator: http.withKey(key.body.key), tenantId: tenant.id, email, password };
}

let numberSeq = 0;
/** A valid, test-unique US number (tracking numbers are unique across tenants). */
export function uniqueNumber(): string {
  numberSeq += 1;
  const exchange = 200 + Math.floor(Math.random() * 700);
  const line = (Math.floor(Math.random() * 9000) + numberSeq) % 10000;
  return `+1312${exchange}${String(line).padStart(4, '0')}`;
}
