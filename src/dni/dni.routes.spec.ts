// The snippet protocol's HTTP handling, which runs ahead of Fastify and so has to do itself what
// Fastify did: body limits, media types, JSON and schema errors, CORS, request ids, rate limits,
// error shapes, and handing everything else on. The lease logic behind it is covered against real
// Redis in test/e2e/dni.e2e-spec.ts; here a stand-in service records what reaches it.
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { createServer, request, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '../common/errors';
import type { AppConfig } from '../infra/config/app-config';
import { MetricsService } from '../infra/metrics/metrics.service';
import { DniRoutes, leaseJson } from './dni.routes';
import type { DniService } from './dni.service';
import { RateLimiter } from './rate-limiter';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

describe('DNI routes (served ahead of Fastify)', () => {
  let server: Server;
  let port: number;
  const seen: { path: string; body: unknown; ip?: string }[] = [];
  let leaseBehaviour: () => Promise<object> = async () => ({ sid: 's', number: '+13125550100' });

  const service = {
    lease: (body: unknown, client: { ip: string }) => {
      seen.push({ path: 'lease', body, ip: client.ip });
      return leaseBehaviour();
    },
    heartbeat: async (body: unknown) => {
      seen.push({ path: 'heartbeat', body });
      return { number: '+13125550100', ttl: 300 };
    },
    release: async (body: unknown) => {
      seen.push({ path: 'release', body });
    },
    click: async (body: unknown) => {
      seen.push({ path: 'click', body });
    },
  } as unknown as DniService;

  beforeAll(async () => {
    // Stands in for Fastify: whatever the DNI routes hand on answers 299.
    server = createServer((_req, res) => {
      res.writeHead(299);
      res.end('fastify');
    });
    const host = { httpAdapter: { getInstance: () => ({ server }) } } as unknown as HttpAdapterHost;
    const config = { dniRateLimit: { perIp: 1_000, perKey: 5 } } as AppConfig;
    new DniRoutes(host, service, new RateLimiter(), new MetricsService(), config).onModuleInit();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    seen.length = 0;
    leaseBehaviour = async () => ({ sid: 's', number: '+13125550100' });
  });

  function send(
    path: string,
    body: string | Buffer | undefined,
    headers: Record<string, string> = { 'content-type': 'text/plain;charset=UTF-8' },
    method = 'POST',
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  const key = (n: number) => `cmp_key_${n}`;

  it('answers a lease with CORS and JSON, and passes the client address behind a proxy', async () => {
    const r = await send('/dni/v1/lease', JSON.stringify({ key: key(1), sid: 'a'.repeat(22) }), {
      'content-type': 'text/plain;charset=UTF-8',
      'x-forwarded-for': '203.0.113.9, 10.0.0.1',
    });
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.json).toEqual({ sid: 's', number: '+13125550100' });
    expect(r.headers['x-request-id']).toBeUndefined();
    expect(seen).toEqual([{ path: 'lease', body: { key: key(1), sid: 'a'.repeat(22) }, ip: '203.0.113.9' }]);
  });

  it('echoes a request id it was given, and accepts application/json too', async () => {
    const r = await send('/dni/v1/heartbeat?x=1', JSON.stringify({ key: key(2), sid: 'b'.repeat(22) }), {
      'content-type': 'application/json',
      'x-request-id': 'trace-123',
    });
    expect(r.status).toBe(200);
    expect(r.headers['x-request-id']).toBe('trace-123');
    expect(r.json).toEqual({ number: '+13125550100', ttl: 300 });
  });

  it('answers release and click with 204 and CORS', async () => {
    const body = JSON.stringify({ key: key(3), sid: 'c'.repeat(22) });
    const released = await send('/dni/v1/release', body);
    expect(released.status).toBe(204);
    expect(released.headers['access-control-allow-origin']).toBe('*');
    const clicked = await send(
      '/dni/v1/click',
      JSON.stringify({ key: key(3), sid: 'c'.repeat(22), number: '+13125550100' }),
    );
    expect(clicked.status).toBe(204);
    expect(seen.map((s) => s.path)).toEqual(['release', 'click']);
  });

  it('refuses bad bodies with a code, a message and a request id, before the service sees them', async () => {
    const badJson = await send('/dni/v1/lease', '{"key":');
    expect(badJson.status).toBe(400);
    expect(badJson.json).toMatchObject({ statusCode: 400, code: 'INVALID_JSON' });
    expect(badJson.json.requestId).toEqual(expect.any(String));
    expect(badJson.headers['x-request-id']).toBe(badJson.json.requestId);

    const empty = await send('/dni/v1/lease', '');
    expect(empty.status).toBe(400);

    const many = Object.fromEntries(Array.from({ length: 41 }, (_, i) => [`p${i}`, 'x']));
    const tooMany = await send('/dni/v1/lease', JSON.stringify({ key: key(4), params: many }));
    expect(tooMany.status).toBe(400);
    expect(tooMany.json).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(tooMany.json.message).toBe('params must NOT have more than 40 properties');

    const missing = await send('/dni/v1/heartbeat', JSON.stringify({ key: key(4) }));
    expect(missing.json.message).toBe("body must have required property 'sid'");
    const extra = await send('/dni/v1/lease', JSON.stringify({ key: key(4), admin: true }));
    expect(extra.status).toBe(400);
    const nested = await send('/dni/v1/lease', JSON.stringify({ key: key(4), params: { a: { b: 1 } } }));
    expect(nested.status).toBe(400);

    const xml = await send('/dni/v1/lease', '<lease/>', { 'content-type': 'application/xml' });
    expect(xml.status).toBe(415);
    expect(xml.json.code).toBe('UNSUPPORTED_MEDIA_TYPE');

    const huge = await send('/dni/v1/lease', JSON.stringify({ key: key(4), page: 'x'.repeat(70_000) }));
    expect(huge.status).toBe(413);
    expect(huge.json.code).toBe('PAYLOAD_TOO_LARGE');
    expect(seen).toEqual([]);
  });

  it('refuses a body that grows past the limit without a length given', async () => {
    const r = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/dni/v1/lease',
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', (e) =>
        e.message.includes('ECONNRESET') || e.message.includes('EPIPE') ? undefined : reject(e),
      );
      for (let i = 0; i < 20; i++) req.write('x'.repeat(8_192));
      req.end();
    });
    expect(r).toBe(413);
  });

  it('maps service errors to their status and code, and unknown errors to 500', async () => {
    leaseBehaviour = async () => {
      throw new AppError(404, 'DNI_UNKNOWN_KEY', 'Unknown campaign key');
    };
    const unknown = await send('/dni/v1/lease', JSON.stringify({ key: key(5) }));
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: 'DNI_UNKNOWN_KEY', message: 'Unknown campaign key' });

    leaseBehaviour = async () => {
      throw new Error('redis is down');
    };
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const broken = await send('/dni/v1/lease', JSON.stringify({ key: key(5) }));
    expect(broken.status).toBe(500);
    expect(broken.json.statusCode).toBe(500);
    expect(broken.text).not.toContain('redis is down');
    expect(logged).toHaveBeenCalledWith(
      expect.objectContaining({ requestId: broken.json.requestId }),
      'dni request failed',
    );
    logged.mockRestore();
  });

  it('rate-limits per campaign key', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await send('/dni/v1/lease', JSON.stringify({ key: key(6) }))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect((await send('/dni/v1/lease', JSON.stringify({ key: key(7) }))).status).toBe(200);
  });

  it('hands other methods and paths on to Fastify', async () => {
    expect((await send('/dni/v1/lease', undefined, {}, 'OPTIONS')).status).toBe(299);
    expect((await send('/dni/v1/lease', undefined, {}, 'GET')).status).toBe(299);
    expect((await send('/dni/v1/unknown', '{}')).status).toBe(299);
    expect((await send('/campaigns', '{}')).status).toBe(299);
    expect(seen).toEqual([]);
  });
});

describe('leaseJson', () => {
  it('writes exactly what JSON.stringify writes for every lease answer', () => {
    const targets = ['+18005550100', '(800) 555-0101 "main"'];
    const answers = [
      {
        sid: 'abcDEF123_-xyz0987',
        number: '+13125550100',
        overflow: false,
        targets,
        ttl: 300,
        heartbeat: 60,
      },
      { sid: 'abcDEF123_-xyz0987', number: '+13125550199', overflow: true, targets, ttl: 0, heartbeat: 60 },
      { sid: 'abcDEF123_-xyz0987', number: null, overflow: false, targets: [], ttl: 0, heartbeat: 60 },
    ];
    for (const a of answers) {
      expect(leaseJson(a)).toBe(JSON.stringify(a));
      expect(leaseJson(a)).toBe(JSON.stringify(a)); // again, from the cached target list
    }
  });
});
