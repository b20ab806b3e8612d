// Conversion pixels against a real receiver: a sandbox call fires incoming (while the call is up),
// connected, converted and completed to the campaign's pixel and converted to the publisher's, each
// signed with HMAC-SHA256 that the receiver verifies, each exactly once; a 500 is retried, a 404 is not;
// the delivery log tells what happened.
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import type { RunningApp } from '../../src/app.bootstrap';
import { verifyPixelSignature } from '../../src/pixels/pixel-signature';
import type { SandboxCarrier } from '../../src/sandbox/carrier';
import { newTenant, startTestApp } from '../support/test-app';
import { insertRecords, record } from './cdr-support';
import { callerNumber, eventually, setupCampaign, sleep, waitForRecord } from './telephony-support';

interface Received {
  at: number;
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  status: number;
}

describe('conversion pixels', () => {
  let app: RunningApp;
  let carrier: SandboxCarrier;
  let receiver: Server;
  let base = '';
  const received: Received[] = [];
  /** Status the receiver answers for a path, per attempt (then 200). */
  const script = new Map<string, number[]>();

  beforeAll(async () => {
    app = await startTestApp({
      DNI_RATE_LIMIT_PER_IP: '1000000',
      CDR_DISPATCH_INTERVAL_MS: '100',
      PIXEL_RETRY_BASE_MS: '200',
      PIXEL_MAX_ATTEMPTS: '3',
      PIXEL_LIVE_POLL_MS: '100',
      PIXEL_TIMEOUT_MS: '2000',
    });
    carrier = app.sandbox!;
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        const status = script.get(path)?.shift() ?? 200;
        received.push({
          at: Date.now(),
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          status,
        });
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(status === 200 ? 'ok' : 'no');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app?.close();
    receiver?.close();
  });

  it('fires signed pixels on incoming, connected, converted and completed, retrying a 500', async () => {
    const s = await setupCampaign(app, {
      campaign: { conversionSeconds: 1, paramTags: { sub_id: 'sub_id' } },
    });
    const target = s.targets[0];
    const campaignPixel = await s.operator.post('/pixels', {
      name: 'Campaign postback',
      campaignId: s.campaign.id,
      events: ['incoming', 'connected', 'converted', 'completed'],
      method: 'POST',
      url: `${base}/hook/{{event}}?call={{call_id}}`,
      body: '{"event":"{{event}}","call":"{{call_id}}","caller":"{{caller}}","payout":"{{payout}}","source":"{{utm_source}}","sub":"{{tags.sub_id}}","converted":{{converted}} }',
    });
    expect(campaignPixel.status).toBe(201);
    expect(campaignPixel.body.secret).toMatch(/^pxs_/);
    const publisherPixel = await s.operator.post('/pixels', {
      name: 'Publisher conversion',
      publisherId: s.publisher.id,
      events: ['converted'],
      method: 'GET',
      url: `${base}/pub?click={{gclid}}&payout={{payout}}&q={{utm_term}}`,
    });
    expect(publisherPixel.status).toBe(201);
    const other = await newTenant(app);
    const otherCampaign = await other.operator.post('/campaigns', { name: 'Other' });
    await other.operator.post('/pixels', {
      name: 'Not ours',
      campaignId: otherCampaign.body.id,
      events: ['incoming', 'completed'],
      method: 'GET',
      url: `${base}/other`,
    });
    // The campaign's pixel refuses its first converted request.
    script.set('/hook/converted', [500]);

    const lease = await fetch(`${app.url}/dni/v1/lease`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({
        key: s.campaign.publicKey,
        page: 'https://lp.example.com/?utm_source=google',
        params: { utm_source: 'google', utm_term: 'auto & home', gclid: 'GC"1', sub_id: '9' },
      }),
    });
    const leased = (await lease.json()) as { number: string };
    carrier.setDestinationBehaviour(target.destination, {
      mode: 'answer',
      answerAfterMs: 300,
      talkMs: 1_600,
    });
    const caller = callerNumber();
    const call = carrier.placeInboundCall({ from: caller, to: leased.number });
    await carrier.waitForCallEnd(call.callControlId, 15_000);
    const rec = await waitForRecord(s.operator, call.callSessionId);
    expect(rec).toMatchObject({ state: 'completed', converted: true, payout: '10.00' });

    const mine = () => received.filter((r) => r.url.includes(rec.id) || r.url.startsWith('/pub'));
    await eventually(
      async () => (mine().filter((r) => r.status === 200).length >= 5 ? true : undefined),
      20_000,
      'pixels',
    );
    await sleep(500); // nothing more may arrive
    const got = mine();
    expect(received.some((r) => r.url.startsWith('/other'))).toBe(false);

    const hook = (event: string) => got.filter((r) => r.url.startsWith(`/hook/${event}?`));
    for (const event of ['incoming', 'connected', 'completed'])
      expect(hook(event).map((r) => r.status)).toEqual([200]);
    expect(hook('converted').map((r) => r.status)).toEqual([500, 200]);
    const pub = got.filter((r) => r.url.startsWith('/pub'));
    expect(pub.map((r) => r.status)).toEqual([200]);
    expect(pub[0].method).toBe('GET');
    expect(pub[0].url).toBe('/pub?click=GC%221&payout=10.00&q=auto%20%26%20home');

    // Incoming went out while the call was still up, not only at the end.
    expect(hook('incoming')[0].at).toBeLessThan(Date.parse(rec.endedAt));
    expect(hook('connected')[0].at).toBeLessThan(Date.parse(rec.endedAt));

    // Every request carries a signature the receiver can check with the secret it was given.
    const secrets: Record<string, string> = {
      hook: campaignPixel.body.secret,
      pub: publisherPixel.body.secret,
    };
    for (const r of got) {
      const secret = r.url.startsWith('/pub') ? secrets.pub : secrets.hook;
      const ts = Number(r.headers['x-callbid-timestamp']);
      const sig = String(r.headers['x-callbid-signature']);
      expect(verifyPixelSignature(secret, sig, ts, r.method, r.url, r.body)).toBe(true);
      expect(verifyPixelSignature('pxs_wrong', sig, ts, r.method, r.url, r.body)).toBe(false);
      expect(
        verifyPixelSignature(secret, sig, ts, r.method, r.url, r.body.replace('10.00', '99.00') + ' '),
      ).toBe(false);
    }
    const converted = JSON.parse(hook('converted')[1].body);
    expect(converted).toEqual({
      event: 'converted',
      call: rec.id,
      caller,
      payout: '10.00',
      source: 'google',
      sub: '9',
      converted: true,
    });
    expect(hook('converted')[1].headers['content-type']).toBe('application/json');
    expect(hook('converted')[0].headers['x-callbid-delivery']).toBe(
      hook('converted')[1].headers['x-callbid-delivery'],
    );

    // The delivery log.
    const log = await s.operator.get(`/pixels/deliveries?callId=${rec.id}`);
    expect(log.status).toBe(200);
    expect(log.body.total).toBe(5);
    const byEvent = Object.fromEntries(
      (log.body.items as any[]).filter((d) => d.pixelId === campaignPixel.body.id).map((d) => [d.event, d]),
    );
    expect(byEvent.converted).toMatchObject({ status: 'delivered', attempts: 2, responseStatus: 200 });
    expect(byEvent.converted.history.map((h: any) => h.status)).toEqual([500, 200]);
    expect(byEvent.incoming).toMatchObject({ status: 'delivered', attempts: 1 });
    const onlyFailed = await s.operator.get(`/pixels/deliveries?callId=${rec.id}&status=failed`);
    expect(onlyFailed.body.total).toBe(0);
  });

  it('ends a delivery on a 404 at once and on a dead receiver after its attempts', async () => {
    const t = await newTenant(app);
    const gone = await t.operator.post('/pixels', {
      name: 'gone',
      events: ['completed'],
      method: 'GET',
      url: `${base}/gone`,
    });
    const dead = await t.operator.post('/pixels', {
      name: 'dead',
      events: ['completed'],
      method: 'GET',
      url: 'http://127.0.0.1:9/x',
    });
    script.set('/gone', [404, 404, 404]);
    await insertRecords(app, [record(t.tenantId, { receivedAt: new Date(Date.now() - 60_000) })]);
    const deliveries = await eventually(
      async () => {
        const r = await t.operator.get('/pixels/deliveries');
        const items = r.body.items as any[];
        return items.length === 2 && items.every((d) => d.status !== 'pending') ? items : undefined;
      },
      20_000,
      'final delivery states',
    );
    const of = (id: string) => deliveries.find((d) => d.pixelId === id);
    expect(of(gone.body.id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      responseStatus: 404,
      lastError: 'HTTP 404',
    });
    expect(of(dead.body.id)).toMatchObject({ status: 'failed', attempts: 3, responseStatus: null });
    expect(received.filter((r) => r.url === '/gone')).toHaveLength(1);
  });

  it('validates pixels and shows the secret only when it is made', async () => {
    const t = await newTenant(app);
    const bad = async (body: object) =>
      (
        await t.operator.post('/pixels', {
          name: 'x',
          events: ['converted'],
          method: 'GET',
          url: `${base}/ok`,
          ...body,
        })
      ).body;
    expect((await bad({ url: 'ftp://example.com/x' })).code).toBe('INVALID_PIXEL_URL');
    expect((await bad({ url: '{{tags.where}}' })).code).toBe('INVALID_PIXEL_URL');
    expect((await bad({ body: '{}' })).code).toBe('INVALID_PIXEL');
    expect((await bad({ url: `${base}/{{#each}}` })).code).toBe('VALIDATION_FAILED');
    expect((await bad({ events: ['paid'] })).code).toBe('VALIDATION_FAILED');
    expect((await bad({ campaignId: '00000000-0000-4000-8000-000000000001' })).code).toBe('UNKNOWN_CAMPAIGN');
    expect((await bad({ headers: { 'X-Callbid-Signature': 'forged' } })).code).toBe('INVALID_PIXEL');

    const created = await t.operator.post('/pixels', {
      name: 'ok',
      events: ['converted'],
      method: 'POST',
      url: `${base}/ok`,
      body: 'a={{caller}}',
      contentType: 'application/x-www-form-urlencoded',
      headers: { 'X-Api-Key': 'abc' },
    });
    expect(created.status).toBe(201);
    const one = await t.operator.get(`/pixels/${created.body.id}`);
    expect(one.body).not.toHaveProperty('secret');
    expect(one.body.signature).toContain('HMAC-SHA256');
    const rotated = await t.operator.post(`/pixels/${created.body.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    const patched = await t.operator.patch(`/pixels/${created.body.id}`, {
      enabled: false,
      events: ['completed', 'incoming'],
    });
    expect(patched.body).toMatchObject({ enabled: false, events: ['completed', 'incoming'] });
    const list = await t.operator.get('/pixels');
    expect(list.body.items.map((p: any) => p.id)).toEqual([created.body.id]);
    expect(JSON.stringify(list.body)).not.toContain('pxs_');
    expect((await t.operator.delete(`/pixels/${created.body.id}`)).status).toBe(204);
    expect((await t.operator.get(`/pixels/${created.body.id}`)).status).toBe(404);
  });
});
