// The webhook ingress and the guarantees around it: signatures (forged, stale, missing), unknown
// events, idempotency under duplicate and reordered delivery, two instances sharing the calls of one
// carrier, and another instance taking over a call whose lock holder died.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID, sign, createPrivateKey } from 'node:crypto';
import type { RunningApp } from '../../src/app.bootstrap';
import { RedisService } from '../../src/infra/redis/redis.service';
import { redisKeys } from '../../src/infra/redis/redis-keys';
import {
  DEFAULT_DELIVERY_OPTIONS,
  generateSigningKeys,
  type SandboxCarrier,
} from '../../src/sandbox/carrier';
import { Http, startTestApp } from '../support/test-app';
import { callerNumber, eventually, recordApi, setupCampaign, waitForRecord } from './telephony-support';

function signed(privateKeyPem: string, body: string, timestamp = String(Math.floor(Date.now() / 1000))) {
  const signature = sign(null, Buffer.from(`${timestamp}|${body}`), createPrivateKey(privateKeyPem)).toString(
    'base64',
  );
  return { 'telnyx-signature-ed25519': signature, 'telnyx-timestamp': timestamp };
}

function envelope(eventType: string, payload: Record<string, unknown>, id = randomUUID()) {
  return JSON.stringify({
    data: { record_type: 'event', event_type: eventType, id, occurred_at: new Date().toISOString(), payload },
    meta: { attempt: 1, delivered_to: 'http://test/webhooks/telnyx' },
  });
}

/** Forwards each webhook to the next app in turn (a load balancer without stickiness). */
async function roundRobin(targets: string[]): Promise<{ url: string; server: Server; counts: number[] }> {
  let i = 0;
  const counts = targets.map(() => 0);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const k = i++ % targets.length;
      counts[k]++;
      const out = httpRequest(
        `${targets[k]}/webhooks/telnyx`,
        {
          method: 'POST',
          headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host')),
        },
        (r) => {
          res.writeHead(r.statusCode ?? 502, { 'content-type': 'application/json' });
          r.pipe(res);
        },
      );
      out.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      out.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/telnyx`,
    server,
    counts,
  };
}

describe('telephony: webhook ingress, idempotency, ordering and takeover', () => {
  let app: RunningApp;
  let carrier: SandboxCarrier;

  beforeAll(async () => {
    app = await startTestApp({ CALL_LOCK_TTL_MS: '2000', CALL_SWEEP_INTERVAL_MS: '200' });
    carrier = app.sandbox!;
  });
  afterAll(async () => {
    await app?.close();
  });
  afterEach(() => {
    carrier.configureDelivery({ ...DEFAULT_DELIVERY_OPTIONS });
    carrier.setWebhookUrl(`${app.url}/webhooks/telnyx`);
  });

  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${app.url}/webhooks/telnyx`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  it('refuses forged, stale, unsigned and tampered webhooks with 401 and changes nothing', async () => {
    const redis = app.app.get(RedisService).client;
    const session = randomUUID();
    const body = envelope('call.initiated', {
      call_control_id: 'v3:forged-call-control-id-000',
      call_session_id: session,
      direction: 'incoming',
      from: '+15125550100',
      to: '+13125550100',
    });
    const forged = await post(body, signed(generateSigningKeys().privateKeyPem, body));
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ statusCode: 401, code: 'WEBHOOK_SIGNATURE_INVALID' });

    const stale = await post(
      body,
      signed(carrier.signingKeys.privateKeyPem, body, String(Math.floor(Date.now() / 1000) - 400)),
    );
    expect(stale.status).toBe(401);
    expect((await stale.json()).code).toBe('WEBHOOK_TIMESTAMP_STALE');

    const future = await post(
      body,
      signed(carrier.signingKeys.privateKeyPem, body, String(Math.floor(Date.now() / 1000) + 400)),
    );
    expect(future.status).toBe(401);

    const unsigned = await post(body, {});
    expect(unsigned.status).toBe(401);
    expect((await unsigned.json()).code).toBe('WEBHOOK_SIGNATURE_MISSING');

    const tampered = await post(
      body.replace('+15125550100', '+15125550199'),
      signed(carrier.signingKeys.privateKeyPem, body),
    );
    expect(tampered.status).toBe(401);

    // Nothing reached the call's keys, and no command went to the carrier.
    const keys = [redisKeys.callSeen(session), redisKeys.callInbox(session), redisKeys.callState(session)];
    expect(await redis.exists(...keys)).toBe(0);
    expect(await redis.zscore(redisKeys.callsDue(), session)).toBeNull();
  });

  it('accepts unknown event types and fields, ignores events without a call, dedupes on data.id', async () => {
    const key = carrier.signingKeys.privateKeyPem;
    const redis = app.app.get(RedisService).client;
    const session = randomUUID();
    // A kind of event the call logic never reads: acknowledged, nothing stored.
    const fork = envelope('call.fork.started', {
      call_session_id: session,
      call_control_id: 'v3:unknown-event-0000',
    });
    const ignored = await post(fork, signed(key, fork));
    expect(ignored.status).toBe(200);
    expect(await ignored.json()).toEqual({ ok: true, outcome: 'ignored' });
    expect(await redis.exists(redisKeys.callInbox(session))).toBe(0);

    // A known kind with fields nobody has heard of (and an unknown hangup cause): taken in once.
    const id = randomUUID();
    const body = envelope(
      'call.hangup',
      {
        call_session_id: session,
        call_control_id: 'v3:unknown-fields-test-0000',
        hangup_cause: 'brand_new_cause',
        brand_new_field: { x: 1 },
      },
      id,
    );
    const first = await post(body, signed(key, body));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ ok: true, outcome: 'accepted' });
    const again = await post(body, signed(key, body));
    expect(await again.json()).toEqual({ ok: true, outcome: 'duplicate' });
    expect(await redis.hexists(redisKeys.callSeen(session), id)).toBe(1);

    const order = envelope('number_order.complete', { id: randomUUID(), status: 'success' });
    const r = await post(order, signed(key, order));
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ok: true, outcome: 'ignored' });

    const junk = '{"data": 12}';
    const bad = await post(junk, signed(key, junk));
    expect(bad.status).toBe(400);
    expect((await bad.json()).code).toBe('WEBHOOK_INVALID');
  });

  it('rejects calls to numbers that are not tracking numbers', async () => {
    const api = recordApi(carrier);
    const call = carrier.placeInboundCall({ from: callerNumber(), to: '+13125550142' });
    const ended = await carrier.waitForCallEnd(call.callControlId, 10_000);
    api.stop();
    expect(ended.hangupCause).toBe('call_rejected');
    expect(api.commands(call.callControlId, 'reject')).toHaveLength(1);
    expect(api.commands(call.callControlId, 'answer')).toHaveLength(0);
  });

  it('plays the campaign message to callers of a paused campaign and records them as rejected', async () => {
    const s = await setupCampaign(app, {
      campaign: { status: 'paused', unroutedAction: 'message', unroutedMessage: 'This offer has ended.' },
    });
    const api = recordApi(carrier);
    const call = carrier.placeInboundCall({ from: callerNumber(), to: s.numbers[0] });
    await carrier.waitForCallEnd(call.callControlId, 10_000);
    const record = await waitForRecord(s.operator, call.callSessionId);
    api.stop();
    expect(record).toMatchObject({ state: 'rejected', reason: 'campaign_paused', attempts: 0 });
    expect(api.commands(call.callControlId).map((e) => e.url.split('/').pop())).toEqual([
      'answer',
      'speak',
      'hangup',
    ]);
  });

  it('answers and transfers each call exactly once under duplicated and reordered delivery', async () => {
    const s = await setupCampaign(app, { numbers: 8 });
    const target = s.targets[0];
    carrier.setDestinationBehaviour(target.destination, { mode: 'answer', answerAfterMs: 30, talkMs: 1_100 });
    carrier.configureDelivery({ duplicateRate: 1, reorder: true, reorderWindowMs: 60, duplicateDelayMs: 30 });
    const api = recordApi(carrier);
    const calls = s.numbers.map((to) => carrier.placeInboundCall({ from: callerNumber(), to }));
    await Promise.all(calls.map((c) => carrier.waitForCallEnd(c.callControlId, 15_000)));
    const records = await Promise.all(calls.map((c) => waitForRecord(s.operator, c.callSessionId)));
    await carrier.whenIdle();
    api.stop();
    expect(carrier.stats().webhooks.duplicates).toBeGreaterThan(0);
    for (const [i, c] of calls.entries()) {
      expect(api.commands(c.callControlId, 'answer')).toHaveLength(1);
      expect(api.commands(c.callControlId, 'transfer')).toHaveLength(1);
      expect(api.commands(c.callControlId, 'hangup')).toHaveLength(0);
      expect(records[i]).toMatchObject({
        state: 'completed',
        targetId: target.id,
        attempts: 1,
        converted: true,
        revenue: '40.00',
      });
      expect(records[i].talkMs).toBeGreaterThanOrEqual(1_000);
    }
    // One record per call session, even though every event arrived twice.
    const all = await s.operator.get('/calls?limit=200');
    expect(all.body.total).toBe(calls.length);
  });

  it('lets two instances share the calls of one carrier, each receiving every other webhook', async () => {
    const second = await startTestApp({
      TELNYX_API_KEY: 'KEY_second_instance',
      TELNYX_BASE_URL: carrier.apiBaseUrl,
      TELNYX_PUBLIC_KEY: carrier.publicKeyBase64,
      TELNYX_CONNECTION_ID: carrier.connectionId,
    });
    const lb = await roundRobin([app.url, second.url]);
    try {
      expect(second.sandbox).toBeUndefined();
      const s = await setupCampaign(app, { numbers: 6, targets: [{}, {}] });
      carrier.setDestinationBehaviour(s.targets[0].destination, { mode: 'busy', answerAfterMs: 40 });
      carrier.setDestinationBehaviour(s.targets[1].destination, {
        mode: 'answer',
        answerAfterMs: 40,
        talkMs: 1_100,
      });
      carrier.setWebhookUrl(lb.url);
      carrier.configureDelivery({ duplicateRate: 0.5 });
      const api = recordApi(carrier);
      const calls = s.numbers.map((to) => carrier.placeInboundCall({ from: callerNumber(), to }));
      await Promise.all(calls.map((c) => carrier.waitForCallEnd(c.callControlId, 15_000)));
      const records = await Promise.all(calls.map((c) => waitForRecord(s.operator, c.callSessionId)));
      await carrier.whenIdle();
      api.stop();
      expect(lb.counts[0]).toBeGreaterThan(10);
      expect(lb.counts[1]).toBeGreaterThan(10);
      for (const [i, c] of calls.entries()) {
        expect(api.commands(c.callControlId, 'answer')).toHaveLength(1);
        expect(api.commands(c.callControlId, 'transfer')).toHaveLength(2);
        expect(records[i]).toMatchObject({ state: 'completed', targetId: s.targets[1].id, attempts: 2 });
      }
      // Both instances list the same live calls and records (no instance-local state).
      const key = await s.operator.post('/api-keys', { name: 'second', role: 'operator' });
      const viaSecond = await new Http(second.url).withKey(key.body.key).get('/calls?limit=200');
      expect(viaSecond.body.total).toBe(calls.length);
    } finally {
      lb.server.close();
      await second.close();
    }
  });

  it('takes over a call whose lock holder died, once the lock expires', async () => {
    const s = await setupCampaign(app);
    carrier.setDestinationBehaviour(s.targets[0].destination, {
      mode: 'answer',
      answerAfterMs: 50,
      talkMs: 800,
    });
    const redis = app.app.get(RedisService).client;
    const call = carrier.placeInboundCall({ from: callerNumber(), to: s.numbers[0] });
    // Once connected, a "dead instance" grabs the call's lock and never lets go.
    await eventually(async () => {
      const r = await s.operator.get('/calls/live');
      return (
        (r.body.items as any[]).some(
          (c) => c.callSessionId === call.callSessionId && c.phase === 'connected',
        ) || undefined
      );
    });
    expect(await redis.set(redisKeys.callLock(call.callSessionId), 'dead-instance', 'PX', 2_000)).toBe('OK');
    const lockedAt = Date.now();
    const ended = await carrier.waitForCallEnd(call.callControlId, 10_000);
    expect(ended.isAlive).toBe(false);
    // The hangups are queued for the call, not applied, while the dead holder's lock lasts.
    await eventually(
      async () => ((await redis.llen(redisKeys.callInbox(call.callSessionId))) >= 2 ? true : undefined),
      3_000,
    );
    expect(await redis.get(redisKeys.callLock(call.callSessionId))).toBe('dead-instance');
    const record = await waitForRecord(s.operator, call.callSessionId, 15_000);
    const tookMs = Date.now() - lockedAt;
    expect(record).toMatchObject({ state: 'completed', converted: false, talkMs: expect.any(Number) });
    expect(tookMs).toBeGreaterThanOrEqual(1_900);
    expect(tookMs).toBeLessThan(6_000);
  });
});
