// The foundation as a user meets it: health, first-run setup, login, API keys, roles, bad input.
import { RunningApp } from '../../src/app.bootstrap';
import { Http, newTenant, startTestApp } from '../support/test-app';

describe('foundation (real PostgreSQL, Redis, ClickHouse)', () => {
  let app: RunningApp;
  let http: Http;

  beforeAll(async () => {
    app = await startTestApp();
    http = new Http(app.url);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('reports postgres, redis and clickhouse by name on /health', async () => {
    const res = await http.get('/health');
    expect(res.status).toBe(200);
    expect(res.body.info).toEqual({
      postgres: { status: 'up' },
      redis: { status: 'up' },
      clickhouse: { status: 'up' },
    });
  });

  it('serves Prometheus metrics and the OpenAPI document', async () => {
    const metrics = await http.get('/metrics');
    expect(metrics.status).toBe(200);
    expect(String(metrics.body)).toContain('http_request_duration_seconds');
    const docs = await http.get('/docs/json');
    expect(docs.status).toBe(200);
    expect(Object.keys(docs.body.paths)).toEqual(expect.arrayContaining(['/auth/login', '/api-keys']));
  });

  it('refuses first-run setup once a tenant exists', async () => {
    await newTenant(app);
    const res = await http.post('/setup', {
      tenantName: 'Late',
      email: 'late@example.com',
      password: 'long enough pw',
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('ALREADY_BOOTSTRAPPED');
  });

  it('logs in with the password, rejects a wrong one, and logs out', async () => {
    const t = await newTenant(app);
    const bad = await http.post('/auth/login', { email: t.email, password: 'wrong password' });
    expect(bad.status).toBe(401);
    const res = await fetch(`${app.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: t.email.toUpperCase(), password: t.password }),
    });
    expect(res.status).toBe(200);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
    expect(cookie).toMatch(/^cb_session=/);
    const me = await http.withCookie(cookie).get('/auth/me');
    expect(me.body).toMatchObject({ tenantId: t.tenantId, role: 'operator', via: 'session' });
    await http.withCookie(cookie).post('/auth/logout');
    expect((await http.withCookie(cookie).get('/auth/me')).status).toBe(401);
  });

  it('shows an API key once, stores it hashed, and honours revocation', async () => {
    const t = await newTenant(app);
    const created = await t.operator.post('/api-keys', { name: 'ci', role: 'operator' });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^cbk_[a-f0-9]{12}_/);
    const list = await t.operator.get('/api-keys');
    expect(list.body.total).toBe(2);
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);
    const withNew = http.withKey(created.body.key);
    expect((await withNew.get('/auth/me')).status).toBe(200);
    expect((await t.operator.delete(`/api-keys/${created.body.id}`)).status).toBe(204);
    expect((await withNew.get('/auth/me')).status).toBe(401);
  });

  it('answers bad input with a 4xx code and message, never a crash', async () => {
    const t = await newTenant(app);
    const badJson = await t.operator.request('POST', '/api-keys', undefined, '{"name": ');
    expect(badJson.status).toBe(400);
    expect(badJson.body.code).toBe('INVALID_JSON');
    const unknownField = await t.operator.post('/api-keys', { name: 'x', role: 'operator', admin: true });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.code).toBe('VALIDATION_FAILED');
    expect(unknownField.body.message).toContain('admin');
    const wrongType = await t.operator.post('/api-keys', { name: 42, role: 'operator' });
    expect(wrongType.body.message).toContain('name');
    const badRole = await t.operator.post('/api-keys', { name: 'x', role: 'root' });
    expect(badRole.body.message).toContain('role');
    const badUuid = await t.operator.delete('/api-keys/not-a-uuid');
    expect(badUuid.status).toBe(400);
    expect((await http.get('/api-keys')).status).toBe(401);
    expect((await http.withKey('cbk_nothing').get('/api-keys')).status).toBe(401);
    expect((await http.get('/health')).status).toBe(200);
  });

  it('keeps each tenant to its own API keys', async () => {
    const a = await newTenant(app);
    const b = await newTenant(app);
    const key = await a.operator.post('/api-keys', { name: 'a-only', role: 'operator' });
    expect((await b.operator.delete(`/api-keys/${key.body.id}`)).status).toBe(404);
    const listB = await b.operator.get('/api-keys');
    expect(listB.body.items.map((k: { id: string }) => k.id)).not.toContain(key.body.id);
  });
});
