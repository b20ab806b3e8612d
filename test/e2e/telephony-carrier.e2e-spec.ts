// How calls survive the carrier's API errors (the sandbox injects them): a 429 or a 500 is retried with
// the same command_id, a 422 "call has already ended" stops the commands on that call, an answer that
// keeps failing ends the call as failed; and number provisioning through the numbers API.
import type { RunningApp } from '../../src/app.bootstrap';
import type { SandboxCarrier } from '../../src/sandbox/carrier';
import { startTestApp } from '../support/test-app';
import { callerNumber, recordApi, setupCampaign, waitForRecord } from './telephony-support';

describe('telephony: carrier errors and number provisioning', () => {
  let app: RunningApp;
  let carrier: SandboxCarrier;

  beforeAll(async () => {
    app = await startTestApp({ TELNYX_MAX_RETRIES: '2' });
    carrier = app.sandbox!;
  });
  afterAll(async () => {
    await app?.close();
  });
  afterEach(() => carrier.clearFaults());

  const commandIds = (bodies: unknown[]) => bodies.map((b) => (b as { command_id?: string }).command_id);

  it('retries a 429 on answer and a 500 on transfer with the same command_id, and the call goes through', async () => {
    const s = await setupCampaign(app);
    carrier.setDestinationBehaviour(s.targets[0].destination, {
      mode: 'answer',
      answerAfterMs: 50,
      talkMs: 1_100,
    });
    carrier.injectFault({ action: 'answer', status: 429, retryAfterMs: 20 });
    carrier.injectFault({ action: 'transfer', status: 500, retryAfterMs: 20 });
    const api = recordApi(carrier);
    const call = carrier.placeInboundCall({ from: callerNumber(), to: s.numbers[0] });
    await carrier.waitForCallEnd(call.callControlId, 10_000);
    const record = await waitForRecord(s.operator, call.callSessionId);
    api.stop();
    const answers = api.commands(call.callControlId, 'answer');
    const transfers = api.commands(call.callControlId, 'transfer');
    expect(answers.map((e) => e.statusCode)).toEqual([429, 200]);
    expect(transfers.map((e) => e.statusCode)).toEqual([500, 200]);
    expect(new Set(commandIds(answers.map((e) => e.requestBody))).size).toBe(1);
    expect(new Set(commandIds(transfers.map((e) => e.requestBody))).size).toBe(1);
    expect(record).toMatchObject({ state: 'completed', attempts: 1, converted: true });
  });

  it('keeps retrying a transfer through a longer 5xx outage, then connects', async () => {
    const s = await setupCampaign(app);
    carrier.setDestinationBehaviour(s.targets[0].destination, {
      mode: 'answer',
      answerAfterMs: 50,
      talkMs: 1_100,
    });
    // Three 503s exhaust the SDK's own retries (1 + 2); the state machine tries again a second later.
    carrier.injectFault({ action: 'transfer', status: 503, times: 3, retryAfterMs: 10 });
    const api = recordApi(carrier);
    const call = carrier.placeInboundCall({ from: callerNumber(), to: s.numbers[1] });
    await carrier.waitForCallEnd(call.callControlId, 15_000);
    const record = await waitForRecord(s.operator, call.callSessionId);
    api.stop();
    const transfers = api.commands(call.callControlId, 'transfer');
    expect(transfers.map((e) => e.statusCode)).toEqual([503, 503, 503, 200]);
    expect(new Set(commandIds(transfers.map((e) => e.requestBody))).size).toBe(1);
    expect(record).toMatchObject({ state: 'completed', attempts: 1 });
  });

  it('stops commanding a call the carrier says has ended (422 90018) and records how it ended', async () => {
    const s = await setupCampaign(app, { targets: [{}, {}] });
    carrier.injectFault({ action: 'transfer', status: 422 });
    const api = recordApi(carrier);
    const call = carrier.placeInboundCall({
      from: callerNumber(),
      to: s.numbers[2],
      callerHangupAfterMs: 1_000,
    });
    await carrier.waitForCallEnd(call.callControlId, 10_000);
    const record = await waitForRecord(s.operator, call.callSessionId);
    api.stop();
    const sent = api.commands(call.callControlId).map((e) => `${e.url.split('/').pop()} ${e.statusCode}`);
    // No second target, no message, no hangup: the call was reported gone, its hangup followed.
    expect(sent).toEqual(['answer 200', 'transfer 422']);
    expect(record).toMatchObject({ state: 'abandoned', hangupSource: 'caller', attempts: 1 });
    expect(record.legs[1]).toMatchObject({ outcome: 'not_sent' });
  });

  it('ends the call as failed when the answer keeps failing', async () => {
    const s = await setupCampaign(app);
    carrier.injectFault({ action: 'answer', status: 500, times: 100, retryAfterMs: 10 });
    const api = recordApi(carrier);
    const call = carrier.placeInboundCall({ from: callerNumber(), to: s.numbers[0] });
    await carrier.waitForCallEnd(call.callControlId, 20_000);
    const record = await waitForRecord(s.operator, call.callSessionId);
    api.stop();
    // 3 tries of the state machine × (1 + 2 SDK retries), then a hangup.
    expect(api.commands(call.callControlId, 'answer')).toHaveLength(9);
    expect(api.commands(call.callControlId, 'hangup').map((e) => e.statusCode)).toEqual([200]);
    expect(api.commands(call.callControlId, 'transfer')).toHaveLength(0);
    expect(record).toMatchObject({ state: 'failed', reason: 'carrier_error', attempts: 0 });
  });

  it('provisions pool numbers through the carrier, routes calls to them, and releases them', async () => {
    const s = await setupCampaign(app, { numbers: 1 });
    const r = await s.operator.post(`/pools/${s.pool.id}/provision`, { areaCode: '512', count: 2 });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'success', requested: 2, pending: [], failed: [] });
    const bought: string[] = r.body.added.map((n: { number: string }) => n.number);
    expect(bought).toHaveLength(2);
    for (const n of bought) expect(n).toMatch(/^\+1512\d{7}$/);
    // Ordered on the Call Control application, so their calls reach the app.
    const owned = carrier.phoneNumbers().filter((n) => bought.includes(n.phone_number as string));
    expect(owned.map((n) => n.connection_id)).toEqual([carrier.connectionId, carrier.connectionId]);
    const listed = await s.operator.get(`/pools/${s.pool.id}/numbers`);
    expect(listed.body.items.map((n: { number: string }) => n.number)).toEqual(
      expect.arrayContaining(bought),
    );

    carrier.setDestinationBehaviour(s.targets[0].destination, {
      mode: 'answer',
      answerAfterMs: 50,
      talkMs: 1_100,
    });
    const call = carrier.placeInboundCall({ from: callerNumber(), to: bought[0] });
    await carrier.waitForCallEnd(call.callControlId, 10_000);
    expect(await waitForRecord(s.operator, call.callSessionId)).toMatchObject({
      state: 'completed',
      poolId: s.pool.id,
    });

    const rel = await s.operator.post(`/pools/${s.pool.id}/release`, { numbers: [bought[1]] });
    expect(rel.status).toBe(201);
    expect(rel.body).toEqual({ released: [bought[1]] });
    expect(carrier.phoneNumbers().some((n) => n.phone_number === bought[1])).toBe(false);
    const after = await s.operator.get(`/pools/${s.pool.id}/numbers`);
    expect(after.body.items.map((n: { number: string }) => n.number)).not.toContain(bought[1]);

    const bad = await s.operator.post(`/pools/${s.pool.id}/provision`, { areaCode: '999', count: 0 });
    expect(bad.status).toBe(400);
  });
});
