// Call Control commands that arrive over a socket are served ahead of Fastify; inject() still goes
// through the Fastify route. The same requests, sent both ways to two calls in the same state, must get
// the same answers (status, headers that matter, body) and the same 'api' events.
import { request as httpRequest } from 'node:http';
import { type ApiExchange, SandboxCarrier } from './sandbox-carrier';

const KEY = 'KEY_fast_path';

interface Answer {
  status: number;
  contentType: string | undefined;
  retryAfterMs: string | undefined;
  closes: boolean;
  body: string;
}

interface Step {
  action: string;
  body: string;
  /** The call control id as it appears in the path: raw (`v3:…`) or as the SDK encodes it (`v3%3A…`). */
  encodeId?: boolean;
  contentType?: string;
  before?: (carrier: SandboxCarrier) => void;
}

const speak = JSON.stringify({ payload: 'Hello', voice: 'female' });

const STEPS: Step[] = [
  { action: 'answer', body: '' },
  { action: 'answer', body: JSON.stringify({ command_id: 'c1', client_state: 'QQ==' }), encodeId: true },
  { action: 'answer', body: JSON.stringify({ command_id: 'c1', client_state: 'Qg==' }) },
  { action: 'speak', body: '{not json' },
  { action: 'speak', body: '[1]' },
  { action: 'speak', body: speak, contentType: 'application/json; charset=utf-8' },
  { action: 'transfer', body: '{}' },
  { action: 'no_such_command', body: '{}' },
  {
    action: 'speak',
    body: speak,
    before: (carrier) => carrier.injectFault({ action: 'speak', status: 429, retryAfterMs: 250 }),
  },
  {
    action: 'speak',
    body: speak,
    before: (carrier) => carrier.injectFault({ action: 'speak', status: 503 }),
  },
  { action: 'client_state_update', body: JSON.stringify({ client_state: 'Qw==' }) },
  { action: 'hangup', body: '{}' },
  { action: 'speak', body: speak },
];

function overSocket(base: string, path: string, step: Step): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}${path}`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${KEY}`,
          'content-type': step.contentType ?? 'application/json',
          'content-length': Buffer.byteLength(step.body),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'],
            retryAfterMs: res.headers['retry-after-ms'] as string | undefined,
            closes: res.headers.connection === 'close',
            body,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(step.body);
  });
}

async function throughFastify(carrier: SandboxCarrier, path: string, step: Step): Promise<Answer> {
  const res = await carrier.server.inject({
    method: 'POST',
    url: path,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': step.contentType ?? 'application/json' },
    payload: step.body,
  });
  return {
    status: res.statusCode,
    contentType: res.headers['content-type'] as string | undefined,
    retryAfterMs: res.headers['retry-after-ms'] as string | undefined,
    closes: res.headers.connection === 'close',
    body: res.body,
  };
}

describe('SandboxCarrier command fast path', () => {
  let carrier: SandboxCarrier;
  let base: string;

  beforeEach(async () => {
    carrier = new SandboxCarrier({ apiKey: KEY, seed: 1 });
    base = await carrier.start();
  });

  afterEach(() => carrier.stop());

  it('answers commands over a socket exactly as the Fastify route answers them', async () => {
    const viaSocket = carrier.placeInboundCall({ from: '+15125550100', to: '+13125550100' }).callControlId;
    const viaFastify = carrier.placeInboundCall({ from: '+15125550100', to: '+13125550100' }).callControlId;
    const events: ApiExchange[] = [];
    carrier.on('api', (e) => events.push(e));
    const normalise = (text: string, id: string) =>
      text.replaceAll(encodeURIComponent(id), '{id}').replaceAll(id, '{id}');

    for (const step of STEPS) {
      const pathFor = (id: string) =>
        `/v2/calls/${step.encodeId ? encodeURIComponent(id) : id}/actions/${step.action}`;
      step.before?.(carrier);
      const socket = await overSocket(base, pathFor(viaSocket), step);
      step.before?.(carrier);
      const fastify = await throughFastify(carrier, pathFor(viaFastify), step);
      const label = `${step.action} ${step.body}`;
      expect({ label, ...socket, body: normalise(socket.body, viaSocket) }).toEqual({
        label,
        ...fastify,
        body: normalise(fastify.body, viaFastify),
      });
      expect(events).toHaveLength(2);
      const [a, b] = events.splice(0).map((e, i) => {
        const id = i === 0 ? viaSocket : viaFastify;
        return { ...e, url: normalise(e.url, id), responseBody: normalise(e.responseBody, id) };
      });
      expect(a).toEqual(b);
    }
    // The steps covered success, dedupe, every error kind and injected faults.
    expect(carrier.getCall(viaSocket)?.events).toEqual(carrier.getCall(viaFastify)?.events);
    expect(carrier.getCall(viaSocket)?.hangupCause).toBe('normal_clearing');
  });

  it('leaves unknown and malformed ids, other routes and bad keys with the same Telnyx errors', async () => {
    const paths = [
      '/v2/calls/v3%3AAAAAAAAAAAAAAAAAAAAAAAAA/actions/answer',
      '/v2/calls/abc/actions/answer',
      `/v2/calls/v3:${'A'.repeat(120)}/actions/answer`,
      '/v2/calls/abc/actions/answer?x=1',
    ];
    for (const path of paths) {
      const step: Step = { action: 'answer', body: '{}' };
      const socket = await overSocket(base, path, step);
      const fastify = await throughFastify(carrier, path, step);
      expect({ path, ...socket }).toEqual({ path, ...fastify });
      expect(socket.status).toBeGreaterThanOrEqual(400);
    }
    const unauthorised = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${base}/v2/calls/abc/actions/answer`, {
        method: 'POST',
        headers: { authorization: 'Bearer wrong', 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{}');
    });
    expect(unauthorised).toBe(401);
  });
});
