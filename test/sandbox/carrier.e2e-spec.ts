// The sandbox carrier over real HTTP: the official telnyx SDK drives it (baseURL changed only), a local
// receiver plays the app's webhook endpoint, and both directions are checked against Telnyx's OpenAPI
// document: the webhooks the carrier sends, and the requests the SDK sends with the carrier's responses.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Telnyx, { APIError } from 'telnyx';
import { TelnyxWebhookVerificationError } from 'telnyx/lib/webhooks';
import {
  type ApiExchange,
  type DeliveryAttemptReport,
  type EmittedWebhook,
  generateSigningKeys,
  loadOrCreateSigningKeys,
  SandboxCarrier,
  type SandboxCarrierOptions,
  SIGNING_KEYS_FILE,
} from '../../src/sandbox/carrier';
import { TelnyxSpec } from './telnyx-spec';
import { type ReceivedWebhook, WebhookReceiver } from './webhook-receiver';

const API_KEY = 'KEY_sandbox_test';
const CALLER = '+15129342627';
const TRACKING_NUMBER = '+18885550100';
const spec = new TelnyxSpec();

interface Harness {
  carrier: SandboxCarrier;
  receiver: WebhookReceiver;
  client: Telnyx;
  exchanges: ApiExchange[];
  emitted: EmittedWebhook[];
  deliveries: DeliveryAttemptReport[];
}

const running: Harness[] = [];

async function setup(options: SandboxCarrierOptions = {}): Promise<Harness> {
  const receiver = new WebhookReceiver();
  await receiver.start();
  const carrier = new SandboxCarrier({
    webhookUrl: receiver.url,
    apiKey: API_KEY,
    timeScale: 0.01,
    seed: 42,
    ...options,
    delivery: { retryDelaysMs: [20, 40, 80], ...options.delivery },
  });
  const base = await carrier.start({ host: '127.0.0.1', port: 0 });
  const client = new Telnyx({
    apiKey: API_KEY,
    baseURL: `${base}/v2`,
    maxRetries: 0,
    publicKey: carrier.publicKeyBase64,
  });
  const harness: Harness = { carrier, receiver, client, exchanges: [], emitted: [], deliveries: [] };
  carrier.on('api', (e) => harness.exchanges.push(e));
  carrier.on('webhook', (e) => harness.emitted.push(e));
  carrier.on('delivery', (e) => harness.deliveries.push(e));
  running.push(harness);
  return harness;
}

afterEach(async () => {
  for (const h of running.splice(0)) {
    await h.carrier.stop();
    await h.receiver.stop();
  }
});

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');

function payloadOf(w: ReceivedWebhook): Record<string, any> {
  return w.body.data.payload;
}

/** Every received webhook validates against the spec schema of its event type. */
function expectWebhooksMatchSpec(receiver: WebhookReceiver): void {
  expect(receiver.received.length).toBeGreaterThan(0);
  for (const w of receiver.received) {
    expect({ event: w.body.data.event_type, errors: spec.webhookErrors(w.body) }).toEqual({
      event: w.body.data.event_type,
      errors: [],
    });
  }
}

/** Every /v2 exchange the spec documents: the SDK's request body and the carrier's response body validate. */
function expectExchangesMatchSpec(exchanges: ApiExchange[]): number {
  let checked = 0;
  for (const e of exchanges) {
    if (!spec.operation(e.method, e.url)) continue;
    const label = `${e.method} ${e.url.split('?')[0]} → ${e.statusCode}`;
    if (e.statusCode < 400) {
      expect({ label, request: spec.requestErrors(e.method, e.url, e.requestBody) }).toEqual({
        label,
        request: [],
      });
    }
    const response = spec.responseErrors(e.method, e.url, e.statusCode, JSON.parse(e.responseBody));
    expect({ label, response }).toEqual({ label, response: [] });
    checked++;
  }
  return checked;
}

async function apiError(promise: Promise<unknown>): Promise<APIError & { error: any }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof APIError) return error as APIError & { error: any };
    throw error;
  }
  throw new Error('expected the SDK call to fail');
}

/** Places an inbound call and answers it through the SDK; returns leg A's id. */
async function answeredCall(
  h: Harness,
  options: Partial<Parameters<SandboxCarrier['placeInboundCall']>[0]> = {},
): Promise<string> {
  const a = h.carrier.placeInboundCall({ from: CALLER, to: TRACKING_NUMBER, ...options });
  await h.receiver.event('call.initiated', a.callControlId);
  await h.client.calls.actions.answer(a.callControlId, { command_id: randomUUID() });
  await h.receiver.event('call.answered', a.callControlId);
  return a.callControlId;
}

async function transferLeg(
  h: Harness,
  a: string,
  to: string,
  body: Record<string, unknown> = {},
): Promise<string> {
  await h.client.calls.actions.transfer(a, { to, command_id: randomUUID(), ...body });
  const initiated = await h.receiver.waitFor(
    (w) =>
      w.body.data.event_type === 'call.initiated' &&
      payloadOf(w).direction === 'outgoing' &&
      payloadOf(w).to === to,
  );
  return payloadOf(initiated).call_control_id as string;
}

describe('sandbox carrier (Telnyx Call Control over HTTP)', () => {
  it('runs a full inbound call driven by the SDK; every webhook, request and response matches the spec', async () => {
    const h = await setup();
    const buyer = '+13125550142';
    h.carrier.setDestinationBehaviour(buyer, { mode: 'answer', answerAfterMs: 1000, talkMs: 3000 });

    const a = h.carrier.placeInboundCall({ from: CALLER, to: TRACKING_NUMBER });
    const initiated = await h.receiver.event('call.initiated', a.callControlId);
    expect(payloadOf(initiated)).toMatchObject({
      call_control_id: a.callControlId,
      call_session_id: a.callSessionId,
      connection_id: h.carrier.connectionId,
      direction: 'incoming',
      state: 'parked',
      from: CALLER,
      to: TRACKING_NUMBER,
    });
    expect(a.callControlId).toMatch(/^v3:[A-Za-z0-9_-]{54}$/);
    expect(payloadOf(initiated).call_leg_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(payloadOf(initiated)).not.toHaveProperty('client_state');
    expect(initiated.body.data.record_type).toBe('event');
    expect(initiated.body.data.occurred_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(initiated.body.meta).toEqual({ attempt: 1, delivered_to: h.receiver.url });
    expect(initiated.headers).toMatchObject({
      'user-agent': 'telnyx-webhooks',
      'content-type': 'application/json',
    });
    expect(initiated.headers['telnyx-timestamp']).toMatch(/^\d{10}$/);
    expect(Buffer.from(initiated.headers['telnyx-signature-ed25519'], 'base64')).toHaveLength(64);

    const stateA = b64({ step: 'answered' });
    await h.client.calls.actions.answer(a.callControlId, { client_state: stateA, command_id: randomUUID() });
    const answered = await h.receiver.event('call.answered', a.callControlId);
    expect(payloadOf(answered)).toMatchObject({
      state: 'answered',
      client_state: stateA,
      start_time: payloadOf(initiated).start_time,
    });

    await h.client.calls.actions.speak(a.callControlId, {
      payload: 'This call may be recorded.',
      voice: 'female',
      language: 'en-US',
      command_id: randomUUID(),
    });
    await h.receiver.event('call.speak.started', a.callControlId);
    const spoken = await h.receiver.event('call.speak.ended', a.callControlId);
    expect(payloadOf(spoken)).toMatchObject({ status: 'completed', client_state: stateA });

    const stateB = b64({ leg: 'buyer' });
    const b = await transferLeg(h, a.callControlId, buyer, {
      timeout_secs: 30,
      target_leg_client_state: stateB,
    });
    const bInitiated = await h.receiver.event('call.initiated', b);
    expect(payloadOf(bInitiated)).toMatchObject({
      direction: 'outgoing',
      state: 'bridging',
      from: TRACKING_NUMBER,
      to: buyer,
      call_session_id: a.callSessionId,
      client_state: stateB,
    });
    expect(b).not.toBe(a.callControlId);
    await h.receiver.event('call.answered', b);
    await h.receiver.event('call.bridged', a.callControlId);
    await h.receiver.event('call.bridged', b);
    const bHangup = await h.receiver.event('call.hangup', b);
    const aHangup = await h.receiver.event('call.hangup', a.callControlId);
    expect(payloadOf(bHangup)).toMatchObject({
      hangup_cause: 'normal_clearing',
      hangup_source: 'callee',
      sip_hangup_cause: '200',
      state: 'hangup',
      client_state: stateB,
    });
    expect(payloadOf(aHangup)).toMatchObject({
      hangup_cause: 'normal_clearing',
      hangup_source: 'callee',
      client_state: stateA,
    });
    expect(payloadOf(aHangup).end_time).toBeDefined();
    expect(payloadOf(aHangup).call_quality_stats).toMatchObject({ inbound: { mos: '4.50' } });
    await h.carrier.whenIdle();

    expect(h.receiver.typesFor(a.callControlId)).toEqual([
      'call.initiated',
      'call.answered',
      'call.speak.started',
      'call.speak.ended',
      'call.bridged',
      'call.hangup',
    ]);
    expect(h.receiver.typesFor(b)).toEqual([
      'call.initiated',
      'call.answered',
      'call.bridged',
      'call.hangup',
    ]);
    // Without fault injection every event arrives once, in the order the carrier generated it.
    expect(h.receiver.received.map((w) => w.body.data.id)).toEqual(h.emitted.map((e) => e.data.id));

    const status = await h.client.calls.retrieveStatus(a.callControlId);
    expect(status.data).toMatchObject({
      call_control_id: a.callControlId,
      is_alive: false,
      client_state: stateA,
      record_type: 'call',
    });
    expect(h.carrier.getCall(b)).toMatchObject({
      hangupCause: 'normal_clearing',
      parentCallControlId: a.callControlId,
    });

    expectWebhooksMatchSpec(h.receiver);
    expect(expectExchangesMatchSpec(h.exchanges)).toBe(4);
  });

  it('signs webhooks so the SDK verifier accepts them and rejects tampered bodies or another key', async () => {
    const h = await setup();
    const a = await answeredCall(h);
    await h.client.calls.actions.hangup(a, {});
    await h.receiver.event('call.hangup', a);
    await h.carrier.whenIdle();

    for (const w of h.receiver.received) {
      const event = await h.client.webhooks.unwrap(w.rawBody, {
        headers: w.headers,
        key: h.carrier.publicKeyBase64,
      });
      expect(event).toMatchObject({ data: { id: w.body.data.id } });
    }
    const sample = h.receiver.received[0];
    const tampered = sample.rawBody.replace(CALLER, '+15129340000');
    expect(tampered).not.toBe(sample.rawBody);
    await expect(h.client.webhooks.unwrap(tampered, { headers: sample.headers })).rejects.toBeInstanceOf(
      TelnyxWebhookVerificationError,
    );
    const otherKey = generateSigningKeys().publicKeyBase64;
    await expect(
      h.client.webhooks.unwrap(sample.rawBody, { headers: sample.headers, key: otherKey }),
    ).rejects.toThrow(/signature does not match/);
  });

  it('dials outbound calls, dedupes dial command_id, bridges on answer with link_to, and reports status', async () => {
    const h = await setup();
    const target = '+13125550150';
    h.carrier.setDestinationBehaviour(target, { mode: 'answer', answerAfterMs: 500, talkMs: null });
    const commandId = randomUUID();
    const clientState = b64({ dial: 1 });
    const body = {
      connection_id: h.carrier.connectionId,
      to: target,
      from: TRACKING_NUMBER,
      command_id: commandId,
      client_state: clientState,
      timeout_secs: 30,
    };
    const dialled = await h.client.calls.dial(body);
    const again = await h.client.calls.dial({ ...body, to: '+13125550151' });
    expect(dialled.data).toMatchObject({ record_type: 'call', is_alive: false, client_state: clientState });
    expect(again.data?.call_control_id).toBe(dialled.data?.call_control_id);
    expect(h.carrier.calls().filter((c) => c.origin === 'dial')).toHaveLength(1);
    const id = dialled.data?.call_control_id as string;
    expect(payloadOf(await h.receiver.event('call.initiated', id))).toMatchObject({
      direction: 'outgoing',
      state: 'bridging',
      client_state: clientState,
    });
    await h.receiver.event('call.answered', id);
    await h.client.calls.actions.hangup(id, {});
    expect(payloadOf(await h.receiver.event('call.hangup', id))).toMatchObject({
      hangup_cause: 'normal_clearing',
      hangup_source: 'caller',
      sip_hangup_cause: '200',
    });

    // link_to + bridge_on_answer: the answered outbound leg joins the inbound call's session and bridge.
    const a = await answeredCall(h);
    const linked = await h.client.calls.dial({
      connection_id: h.carrier.connectionId,
      to: target,
      from: '+15550000000',
      link_to: a,
      bridge_intent: true,
      bridge_on_answer: true,
    });
    const leg = linked.data?.call_control_id as string;
    expect(linked.data?.call_session_id).toBe(h.carrier.getCall(a)?.callSessionId);
    expect(payloadOf(await h.receiver.event('call.initiated', leg)).from).toBe(CALLER);
    await h.receiver.event('call.bridged', a);
    await h.receiver.event('call.bridged', leg);
    const status = await h.client.calls.retrieveStatus(leg);
    expect(status.data).toMatchObject({
      is_alive: true,
      call_session_id: h.carrier.getCall(a)?.callSessionId,
    });
    // The caller hangs up: the bridged leg is hung up by our side.
    h.carrier.farEndHangup(a);
    expect(payloadOf(await h.receiver.event('call.hangup', a))).toMatchObject({
      hangup_source: 'caller',
      hangup_cause: 'normal_clearing',
    });
    expect(payloadOf(await h.receiver.event('call.hangup', leg))).toMatchObject({
      hangup_source: 'caller',
      hangup_cause: 'normal_clearing',
    });

    const wrongApp = await apiError(
      h.client.calls.dial({ ...body, command_id: randomUUID(), connection_id: '42' }),
    );
    expect(wrongApp.status).toBe(422);
    expect(wrongApp.error.errors[0]).toMatchObject({ code: '10015', source: { pointer: '/connection_id' } });
    const notE164 = await apiError(h.client.calls.dial({ ...body, command_id: randomUUID(), to: '5551234' }));
    expect(notE164.error.errors[0]).toMatchObject({ code: '10016' });

    await h.carrier.whenIdle();
    expectWebhooksMatchSpec(h.receiver);
    expectExchangesMatchSpec(h.exchanges);
  });

  it('searches, orders, lists, updates and deletes numbers like the numbers API', async () => {
    const h = await setup();
    const search = await h.client.availablePhoneNumbers.list({
      filter: { country_code: 'US', national_destination_code: '312', limit: 5, features: ['voice'] },
    });
    expect(search.data).toHaveLength(5);
    for (const n of search.data ?? []) {
      expect(n.phone_number).toMatch(/^\+1312[2-9]\d{6}$/);
      expect(n.features).toContainEqual({ name: 'voice' });
      expect(n.region_information).toContainEqual({ region_type: 'state', region_name: 'IL' });
    }
    const ending = await h.client.availablePhoneNumbers.list({
      filter: { country_code: 'US', locality: 'Austin', phone_number: { ends_with: '42' }, limit: 3 },
    });
    expect(ending.data?.map((n) => n.phone_number)).toEqual([
      expect.stringMatching(/^\+1512\d{5}42$/),
      expect.stringMatching(/^\+1512\d{5}42$/),
      expect.stringMatching(/^\+1512\d{5}42$/),
    ]);

    const wanted = (search.data ?? []).slice(0, 3).map((n) => n.phone_number as string);
    const order = await h.client.numberOrders.create({
      phone_numbers: wanted.map((phone_number) => ({ phone_number })),
      connection_id: h.carrier.connectionId,
      customer_reference: 'pool-7',
    });
    expect(order.data).toMatchObject({
      status: 'success',
      phone_numbers_count: 3,
      connection_id: h.carrier.connectionId,
    });

    // Owned numbers are no longer offered.
    const later = await h.client.availablePhoneNumbers.list({
      filter: { country_code: 'US', national_destination_code: '312', limit: 100 },
    });
    expect(later.data?.map((n) => n.phone_number)).not.toEqual(expect.arrayContaining([wanted[0]]));

    const first = await h.client.phoneNumbers.list({ 'page[size]': 2 });
    expect(first.data).toHaveLength(2);
    expect(first.meta).toMatchObject({ total_results: 3, total_pages: 2, page_number: 1, page_size: 2 });
    const all: string[] = [];
    for await (const n of h.client.phoneNumbers.list({ 'page[size]': 2 })) all.push(n.phone_number as string);
    expect(all.sort()).toEqual([...wanted].sort());
    const one = await h.client.phoneNumbers.list({ filter: { phone_number: wanted[1] } });
    expect(one.data?.map((n) => n.phone_number)).toEqual([wanted[1]]);

    const id = first.data[0].id as string;
    const updated = await h.client.phoneNumbers.update(id, {
      connection_id: '2222222222222222222',
      tags: ['campaign-7'],
    });
    expect(updated.data).toMatchObject({
      id,
      connection_id: '2222222222222222222',
      tags: ['campaign-7'],
      status: 'active',
    });
    const byConnection = await h.client.phoneNumbers.list({
      filter: { connection_id: '2222222222222222222' },
    });
    expect(byConnection.data?.map((n) => n.id)).toEqual([id]);

    // Inbound calls to an owned number carry its connection and tags (DNI attribution reads them).
    const call = h.carrier.placeInboundCall({ from: CALLER, to: updated.data?.phone_number as string });
    expect(payloadOf(await h.receiver.event('call.initiated', call.callControlId))).toMatchObject({
      connection_id: '2222222222222222222',
      tags: ['campaign-7'],
    });

    const deleted = await h.client.phoneNumbers.delete(id);
    expect(deleted.data).toMatchObject({ id, status: 'deleted' });
    expect((await apiError(h.client.phoneNumbers.retrieve(id))).status).toBe(404);

    // GET /phone_numbers is not in the spec extract: check its items and meta against the component schemas.
    const listed = h.exchanges.filter((e) => e.method === 'GET' && e.url.startsWith('/v2/phone_numbers?'));
    expect(listed.length).toBeGreaterThan(0);
    for (const e of listed) {
      const body = JSON.parse(e.responseBody) as { data: unknown[]; meta: unknown };
      for (const item of body.data)
        expect(spec.schema('#/components/schemas/PhoneNumberDetailed')(item)).toBe(true);
      expect(spec.schema('#/components/schemas/PaginationMeta')(body.meta)).toBe(true);
    }
    expect(expectExchangesMatchSpec(h.exchanges)).toBeGreaterThanOrEqual(6);
  });

  it('ignores a repeated command_id on the same call and returns the first result', async () => {
    const h = await setup();
    const a = await answeredCall(h);
    const commandId = randomUUID();
    const first = await h.client.calls.actions.speak(a, {
      payload: 'Hello',
      voice: 'female',
      command_id: commandId,
    });
    const second = await h.client.calls.actions.speak(a, {
      payload: 'Something else',
      voice: 'male',
      command_id: commandId,
    });
    expect(second).toEqual(first);
    await h.receiver.event('call.speak.ended', a);

    const hangupId = randomUUID();
    await h.client.calls.actions.hangup(a, { command_id: hangupId });
    // The retried hangup is answered as before, not with "call has already ended".
    await expect(h.client.calls.actions.hangup(a, { command_id: hangupId })).resolves.toEqual({
      data: { result: 'ok' },
    });
    await h.receiver.event('call.hangup', a);
    await h.carrier.whenIdle();
    expect(h.receiver.typesFor(a)).toEqual([
      'call.initiated',
      'call.answered',
      'call.speak.started',
      'call.speak.ended',
      'call.hangup',
    ]);
  });

  it('answers errors in Telnyx shape: 422 after hangup, 404 unknown call, 401 bad key, 422 validation', async () => {
    const h = await setup();
    const parked = h.carrier.placeInboundCall({ from: CALLER, to: TRACKING_NUMBER });
    await h.receiver.event('call.initiated', parked.callControlId);
    const early = await apiError(
      h.client.calls.actions.speak(parked.callControlId, { payload: 'hi', voice: 'female' }),
    );
    expect(early.status).toBe(422);
    expect(early.error.errors[0]).toMatchObject({ code: '90034', title: 'Call not answered yet' });

    const missingTo = await apiError(h.client.calls.actions.transfer(parked.callControlId, {} as never));
    expect(missingTo.error.errors[0]).toMatchObject({ code: '10004', source: { pointer: '/to' } });

    await h.client.calls.actions.hangup(parked.callControlId, {});
    const ended = await apiError(h.client.calls.actions.answer(parked.callControlId, {}));
    expect(ended).toBeInstanceOf(Telnyx.UnprocessableEntityError);
    expect(ended.error).toEqual({
      errors: [
        {
          code: '90018',
          title: 'Call has already ended',
          detail: "This call is no longer active and can't receive commands.",
        },
      ],
    });

    const unknown = await apiError(h.client.calls.retrieveStatus(`v3:${'A'.repeat(54)}`));
    expect(unknown).toBeInstanceOf(Telnyx.NotFoundError);
    expect(unknown.error.errors[0].code).toBe('10005');
    const malformed = await apiError(h.client.calls.actions.answer('not-a-call', {}));
    expect(malformed.error.errors[0]).toMatchObject({ code: '90015' });

    const stranger = new Telnyx({ apiKey: 'KEY_wrong', baseURL: h.carrier.apiBaseUrl, maxRetries: 0 });
    const denied = await apiError(stranger.calls.actions.answer(parked.callControlId, {}));
    expect(denied).toBeInstanceOf(Telnyx.AuthenticationError);
    expect(denied.error.errors[0]).toMatchObject({ code: '10009', title: 'Authentication failed' });

    expectExchangesMatchSpec(h.exchanges);
  });

  it.each([
    { mode: 'busy' as const, cause: 'user_busy', source: 'callee', sip: '486' },
    { mode: 'reject' as const, cause: 'call_rejected', source: 'callee', sip: '603' },
    { mode: 'fail' as const, cause: 'unspecified', source: 'callee', sip: '503' },
    { mode: 'no_answer' as const, cause: 'timeout', source: 'caller', sip: '487' },
  ])(
    'ends leg B of a transfer to a $mode destination with $cause and keeps the caller',
    async ({ mode, cause, source, sip }) => {
      const h = await setup();
      const destination = '+13125550160';
      h.carrier.setDestinationBehaviour(destination, { mode });
      const a = await answeredCall(h);
      const b = await transferLeg(h, a, destination, { timeout_secs: 5 });
      const hangup = await h.receiver.event('call.hangup', b);
      expect(payloadOf(hangup)).toMatchObject({
        hangup_cause: cause,
        hangup_source: source,
        sip_hangup_cause: sip,
      });
      expect(h.receiver.typesFor(b)).toEqual(['call.initiated', 'call.hangup']);
      expect(h.carrier.getCall(a)).toMatchObject({ isAlive: true, state: 'answered', transferTo: null });

      // The app tries the next buyer on the same call.
      const next = await transferLeg(h, a, '+13125550161');
      await h.receiver.event('call.bridged', next);
      expect(h.carrier.getCall(a)).toMatchObject({ state: 'bridged', bridgedWith: next });
      expectWebhooksMatchSpec(h.receiver);
    },
  );

  it('ends both legs with the right causes when the caller abandons while the buyer rings', async () => {
    const h = await setup();
    const ringing = '+13125550170';
    h.carrier.setDestinationBehaviour(ringing, { mode: 'no_answer' });
    const a = await answeredCall(h, { abandonIfNotBridgedWithinMs: 20_000 });
    const b = await transferLeg(h, a, ringing, { timeout_secs: 60 });
    const aHangup = await h.receiver.event('call.hangup', a);
    const bHangup = await h.receiver.event('call.hangup', b);
    expect(payloadOf(aHangup)).toMatchObject({ hangup_cause: 'normal_clearing', hangup_source: 'caller' });
    expect(payloadOf(bHangup)).toMatchObject({
      hangup_cause: 'originator_cancel',
      hangup_source: 'caller',
      sip_hangup_cause: '487',
    });
    expect(aHangup.seq).toBeLessThan(bHangup.seq);

    // Before the app answers: the caller's cancel is originator_cancel / 487 and any ringing leg B goes too.
    const parked = h.carrier.placeInboundCall({
      from: CALLER,
      to: TRACKING_NUMBER,
      abandonIfNotAnsweredWithinMs: 30_000,
    });
    await h.receiver.event('call.initiated', parked.callControlId);
    const b2 = await transferLeg(h, parked.callControlId, ringing, { timeout_secs: 60 });
    expect(payloadOf(await h.receiver.event('call.hangup', parked.callControlId, 3000))).toMatchObject({
      hangup_cause: 'originator_cancel',
      hangup_source: 'caller',
      sip_hangup_cause: '487',
    });
    expect(payloadOf(await h.receiver.event('call.hangup', b2))).toMatchObject({
      hangup_cause: 'originator_cancel',
    });

    // The app rejects a call it does not want.
    const rejected = h.carrier.placeInboundCall({ from: CALLER, to: TRACKING_NUMBER });
    await h.receiver.event('call.initiated', rejected.callControlId);
    await h.client.calls.actions.reject(rejected.callControlId, { cause: 'USER_BUSY' });
    expect(payloadOf(await h.receiver.event('call.hangup', rejected.callControlId))).toMatchObject({
      hangup_cause: 'user_busy',
      hangup_source: 'callee',
      sip_hangup_cause: '486',
    });
    await h.carrier.whenIdle();
    expectWebhooksMatchSpec(h.receiver);
  });

  it('retries after a 500 or a slow answer with meta.attempt + 1 and the same event id, then gives up', async () => {
    const h = await setup({ delivery: { retryDelaysMs: [30], maxAttempts: 3, timeoutMs: 300 } });
    h.receiver.responder = (w) => {
      const { event_type } = w.body.data;
      if (event_type === 'call.initiated' && w.body.meta.attempt === 1) return { status: 500 };
      if (event_type === 'call.answered' && w.body.meta.attempt === 1) return { delayMs: 800 };
      if (event_type === 'call.hangup') return { status: 503 };
    };
    const a = h.carrier.placeInboundCall({ from: CALLER, to: TRACKING_NUMBER });
    const retried = await h.receiver.waitFor(
      (w) => w.body.data.event_type === 'call.initiated' && w.body.meta.attempt === 2,
    );
    const firstTry = h.receiver.received.find(
      (w) => w.body.data.event_type === 'call.initiated' && w.body.meta.attempt === 1,
    );
    expect(retried.body.data).toEqual(firstTry?.body.data);
    await expect(
      h.client.webhooks.unwrap(retried.rawBody, { headers: retried.headers }),
    ).resolves.toBeDefined();

    await h.client.calls.actions.answer(a.callControlId, {});
    const slow = await h.receiver.waitFor(
      (w) => w.body.data.event_type === 'call.answered' && w.body.meta.attempt === 2,
    );
    expect(slow.body.data.payload.call_control_id).toBe(a.callControlId);

    await h.client.calls.actions.hangup(a.callControlId, {});
    await h.receiver.waitFor((w) => w.body.data.event_type === 'call.hangup' && w.body.meta.attempt === 3);
    await h.carrier.whenIdle();
    const hangups = h.deliveries.filter((d) => d.eventType === 'call.hangup');
    expect(hangups.map((d) => [d.attempt, d.ok, d.statusCode, d.gaveUp])).toEqual([
      [1, false, 503, false],
      [2, false, 503, false],
      [3, false, 503, true],
    ]);
    expect(h.deliveries.find((d) => d.eventType === 'call.answered' && d.attempt === 1)).toMatchObject({
      ok: false,
    });
    expect(h.carrier.stats().webhooks).toMatchObject({ outstanding: 0, gaveUp: 1 });
  });

  it('delivers every event twice with duplicateRate 1 (same data.id, attempts 1 and 2)', async () => {
    const h = await setup({ delivery: { duplicateRate: 1 } });
    const a = await answeredCall(h);
    await h.client.calls.actions.hangup(a, {});
    await h.receiver.waitFor((w) => w.body.data.event_type === 'call.hangup' && w.body.meta.attempt === 2);
    await h.carrier.whenIdle();
    const byId = new Map<string, number[]>();
    for (const w of h.receiver.received)
      byId.set(w.body.data.id, [...(byId.get(w.body.data.id) ?? []), w.body.meta.attempt]);
    expect(byId.size).toBe(3);
    for (const attempts of byId.values()) expect(attempts.sort()).toEqual([1, 2]);
  });

  it('holds and shuffles the events of a call in reorder mode', async () => {
    const h = await setup({ delivery: { reorder: true, reorderWindowMs: 80 } });
    const buyer = '+13125550180';
    // Answering at once makes B's initiated/answered and both bridged events fall in one window.
    h.carrier.setDestinationBehaviour(buyer, { mode: 'answer', answerAfterMs: 0, talkMs: null });
    const a = await answeredCall(h);
    const b = await transferLeg(h, a, buyer);
    await h.receiver.event('call.bridged', b);
    await h.receiver.event('call.bridged', a);
    await h.receiver.event('call.answered', b);
    await h.carrier.whenIdle();

    const burst = new Set(
      h.emitted
        .filter((e) => e.callControlId === b || e.data.event_type === 'call.bridged')
        .map((e) => e.data.id),
    );
    const emittedOrder = h.emitted.filter((e) => burst.has(e.data.id)).map((e) => e.data.id);
    const arrivalOrder = h.receiver.received
      .filter((w) => burst.has(w.body.data.id))
      .map((w) => w.body.data.id);
    expect(emittedOrder).toHaveLength(4);
    expect([...arrivalOrder].sort()).toEqual([...emittedOrder].sort());
    expect(arrivalOrder).not.toEqual(emittedOrder);
  });

  it('gathers the digits the caller keys in, plays audio and records', async () => {
    const h = await setup();
    const a = await answeredCall(h, { dtmf: '12#' });
    await h.client.calls.actions.gatherUsingSpeak(a, {
      payload: 'Press 1 for sales, 2 for support.',
      voice: 'female',
      minimum_digits: 1,
      maximum_digits: 4,
      command_id: randomUUID(),
    });
    const gathered = await h.receiver.event('call.gather.ended', a);
    expect(payloadOf(gathered)).toMatchObject({ digits: '12', status: 'valid' });
    expect(
      h.receiver.received
        .filter((w) => w.body.data.event_type === 'call.dtmf.received')
        .map((w) => payloadOf(w).digit),
    ).toEqual(['1', '2', '#']);

    await h.client.calls.actions.startRecording(a, { format: 'mp3', channels: 'single' });
    await h.client.calls.actions.startPlayback(a, { audio_url: 'https://example.com/hold.mp3' });
    expect(payloadOf(await h.receiver.event('call.playback.ended', a))).toMatchObject({
      status: 'completed',
      media_url: 'https://example.com/hold.mp3',
    });
    await h.client.calls.actions.startPlayback(a, {
      audio_url: 'https://example.com/loop.mp3',
      loop: 'infinity',
    });
    await h.receiver.waitFor(
      (w) =>
        w.body.data.event_type === 'call.playback.started' && payloadOf(w).media_url.endsWith('loop.mp3'),
    );
    await h.client.calls.actions.stopPlayback(a, {});
    await h.receiver.waitFor(
      (w) => w.body.data.event_type === 'call.playback.ended' && payloadOf(w).status === 'cancelled',
    );
    await h.client.calls.actions.stopRecording(a, {});
    const saved = await h.receiver.event('call.recording.saved', a);
    expect(payloadOf(saved).recording_urls.mp3).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/sandbox\/recordings\/.+\.mp3$/,
    );

    // A new gather without digits from the caller times out.
    await h.client.calls.actions.gather(a, { timeout_millis: 2000 } as never);
    const timedOut = await h.receiver.waitFor(
      (w) => w.body.data.event_type === 'call.gather.ended' && payloadOf(w).status === 'timeout',
    );
    expect(payloadOf(timedOut).digits).toBe('');

    await h.carrier.whenIdle();
    expectWebhooksMatchSpec(h.receiver);
    expectExchangesMatchSpec(h.exchanges);
  });

  it('offers the same simulation over the /sandbox HTTP control endpoints', async () => {
    const h = await setup();
    const base = h.carrier.baseUrl;
    const json = async (
      method: string,
      path: string,
      body?: unknown,
    ): Promise<{ status: number; body: any }> => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    };
    const info = await json('GET', '/sandbox');
    expect(info.body.data).toMatchObject({
      connectionId: h.carrier.connectionId,
      publicKey: h.carrier.publicKeyBase64,
    });

    const busy = '+13125550190';
    expect(
      (await json('PUT', `/sandbox/destinations/${encodeURIComponent(busy)}`, { mode: 'busy' })).status,
    ).toBe(200);
    expect((await json('PUT', '/sandbox/destinations/x', { mode: 'sometimes' })).status).toBe(422);
    expect(
      (await json('POST', '/sandbox/numbers', { phoneNumber: TRACKING_NUMBER, tags: ['pool-a'] })).status,
    ).toBe(201);

    const placed = await json('POST', '/sandbox/calls', { from: CALLER, to: TRACKING_NUMBER });
    expect(placed.status).toBe(201);
    const a = placed.body.data.callControlId as string;
    expect(payloadOf(await h.receiver.event('call.initiated', a)).tags).toEqual(['pool-a']);
    await h.client.calls.actions.answer(a, {});
    const b = await transferLeg(h, a, busy);
    await h.receiver.event('call.hangup', b);
    const listed = await json('GET', `/sandbox/calls?state=active`);
    expect(listed.body.data.map((c: { callControlId: string }) => c.callControlId)).toEqual([a]);

    expect((await json('POST', `/sandbox/calls/${encodeURIComponent(a)}/hangup`)).body.data).toMatchObject({
      state: 'hangup',
      hangupCause: 'normal_clearing',
      hangupSource: 'caller',
    });
    await h.receiver.event('call.hangup', a);
    await h.carrier.waitForCallEnd(a);
    expect(
      (await json('PATCH', '/sandbox/config', { delivery: { duplicateRate: 0.5 } })).body.data.delivery
        .duplicateRate,
    ).toBe(0.5);
    expect((await json('GET', '/sandbox/stats')).body.data).toMatchObject({ activeCalls: 0 });
  });

  it('persists its signing keys and leaves no timers behind after stop()', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-keys-'));
    try {
      const keys = await loadOrCreateSigningKeys(dir);
      expect(await loadOrCreateSigningKeys(dir)).toEqual(keys);
      expect(Buffer.from(keys.publicKeyBase64, 'base64')).toHaveLength(32);
      expect((await stat(join(dir, SIGNING_KEYS_FILE))).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await readFile(join(dir, SIGNING_KEYS_FILE), 'utf8'))).toEqual(keys);

      const h = await setup({ signingKeys: keys });
      expect(h.carrier.publicKeyBase64).toBe(keys.publicKeyBase64);
      const a = await answeredCall(h, { callerHangupAfterMs: 3_600_000 });
      await transferLeg(h, a, '+13125550199', { timeout_secs: 600 });
      expect(h.carrier.stats().timers).toBeGreaterThan(0);
      await h.carrier.stop();
      expect(h.carrier.stats().timers).toBe(0);
      expect(() => h.carrier.placeInboundCall({ from: CALLER, to: TRACKING_NUMBER })).toThrow(/stopped/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
