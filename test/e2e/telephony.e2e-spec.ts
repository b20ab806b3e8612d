// Calls end to end through the embedded sandbox carrier: a visitor leases a DNI number, a caller dials
// it, the app answers, tags, routes to a static target and stores the final record; and the unhappy
// paths: the caller abandons while the buyer rings, a busy buyer, nobody available, block list.
import type { RunningApp } from '../../src/app.bootstrap';
import { TargetCapsRepository } from '../../src/calls/target-caps.repository';
import type { SandboxCarrier } from '../../src/sandbox/carrier';
import { newTenant, startTestApp } from '../support/test-app';
import {
  callerNumber,
  eventually,
  recordApi,
  setupCampaign,
  sleep,
  waitForRecord,
} from './telephony-support';

describe('telephony: calls through the sandbox carrier', () => {
  let app: RunningApp;
  let carrier: SandboxCarrier;

  beforeAll(async () => {
    app = await startTestApp({ DNI_RATE_LIMIT_PER_IP: '1000000' });
    carrier = app.sandbox!;
    expect(carrier).toBeDefined();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('connects a call to a leased DNI number and stores a record tagged with the visitor’s attribution', async () => {
    const s = await setupCampaign(app, { campaign: { conversionSeconds: 1 } });
    const lease = await fetch(`${app.url}/dni/v1/lease`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({
        key: s.campaign.publicKey,
        page: 'https://landing.example.com/quote?utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=GCLID42',
        ref: 'https://www.google.com/',
        params: { utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'spring', gclid: 'GCLID42' },
      }),
    });
    expect(lease.status).toBe(200);
    const leased = (await lease.json()) as { sid: string; number: string };
    expect(s.numbers).toContain(leased.number);

    const target = s.targets[0];
    carrier.setDestinationBehaviour(target.destination, {
      mode: 'answer',
      answerAfterMs: 100,
      talkMs: 1_300,
    });
    const api = recordApi(carrier);
    const caller = callerNumber();
    const call = carrier.placeInboundCall({ from: caller, to: leased.number });

    // While it is connected, the operator sees it live.
    const live = await eventually(async () => {
      const r = await s.operator.get('/calls/live');
      const found = (r.body.items as any[]).find((c) => c.callSessionId === call.callSessionId);
      return found?.phase === 'connected' ? found : undefined;
    });
    expect(live).toMatchObject({ targetId: target.id, caller, trackingNumber: leased.number });

    await carrier.waitForCallEnd(call.callControlId, 10_000);
    const record = await waitForRecord(s.operator, call.callSessionId);
    api.stop();

    expect(record).toMatchObject({
      state: 'completed',
      reason: null,
      campaignId: s.campaign.id,
      publisherId: s.publisher.id,
      poolId: s.pool.id,
      targetId: target.id,
      buyerId: target.buyerId,
      destination: target.destination,
      trackingNumber: leased.number,
      caller,
      attributionMethod: 'current_holder',
      dniSessionId: leased.sid,
      duplicate: false,
      converted: true,
      conversionSeconds: 1,
      revenue: '40.00',
      payout: '10.00',
      profit: '30.00',
      attempts: 1,
    });
    expect(record.tags).toMatchObject({
      utm_source: 'google',
      utm_medium: 'cpc',
      utm_campaign: 'spring',
      gclid: 'GCLID42',
      landing_page: expect.stringContaining('landing.example.com/quote'),
      referrer: 'https://www.google.com/',
      campaign_id: s.campaign.id,
      vertical: 'insurance',
      caller_area_code: '512',
      caller_state: 'TX',
      caller_country: 'US',
    });
    expect(record.talkMs).toBeGreaterThanOrEqual(1_200);
    expect(record.talkMs).toBeLessThan(3_000);
    expect(record.totalMs).toBeGreaterThanOrEqual(record.talkMs);
    for (const k of ['receivedAt', 'answeredAt', 'routingAt', 'ringingAt', 'connectedAt', 'endedAt']) {
      expect(typeof record[k]).toBe('string');
    }
    expect(Date.parse(record.connectedAt)).toBeGreaterThanOrEqual(Date.parse(record.ringingAt));
    expect(record.legs).toHaveLength(2);
    expect(record.legs[1]).toMatchObject({
      leg: 'B',
      attempt: 1,
      outcome: 'connected',
      hangupCause: 'normal_clearing',
      hangupSource: 'callee',
    });
    expect(record.legs[0]).toMatchObject({ leg: 'A', hangupCause: 'normal_clearing' });

    // One answer and one transfer, with deterministic ids and the ring timeout of the target.
    const answers = api.commands(call.callControlId, 'answer');
    const transfers = api.commands(call.callControlId, 'transfer');
    expect(answers).toHaveLength(1);
    expect(transfers).toHaveLength(1);
    expect(transfers[0].requestBody).toMatchObject({ to: target.destination, timeout_secs: 30 });
    expect((answers[0].requestBody as any).command_id).toMatch(/^[0-9a-f-]{36}$/);
    expect((answers[0].requestBody as any).client_state).toEqual(expect.any(String));

    // Records are the tenant's own.
    const stranger = await newTenant(app);
    expect((await stranger.operator.get(`/calls/${record.id}`)).status).toBe(404);
    expect((await stranger.operator.get('/calls')).body.total).toBe(0);

    // No longer live, and the target's concurrency slot was given back.
    const after = await s.operator.get('/calls/live');
    expect((after.body.items as any[]).some((c) => c.callSessionId === call.callSessionId)).toBe(false);
    expect(await app.app.get(TargetCapsRepository).live(target.id)).toBe(0);
    expect(await app.app.get(TargetCapsRepository).callsCounted(target.id, 'day')).toBe(1);
  });

  it('records an abandoned call when the caller hangs up while the buyer rings', async () => {
    const s = await setupCampaign(app, { targets: [{ concurrencyCap: 1 }] });
    const target = s.targets[0];
    carrier.setDestinationBehaviour(target.destination, { mode: 'no_answer' });
    const call = carrier.placeInboundCall({
      from: callerNumber(),
      to: s.numbers[0],
      abandonIfNotBridgedWithinMs: 800,
    });
    await eventually(async () =>
      (await app.app.get(TargetCapsRepository).live(target.id)) === 1 ? true : undefined,
    );
    await carrier.waitForCallEnd(call.callControlId, 10_000);
    const record = await waitForRecord(s.operator, call.callSessionId);
    expect(record).toMatchObject({
      state: 'abandoned',
      reason: 'caller_hung_up_ringing',
      hangupSource: 'caller',
      converted: false,
      revenue: '0.00',
      payout: '0.00',
      targetId: null,
    });
    expect(record.legs[1]).toMatchObject({
      leg: 'B',
      outcome: 'cancelled',
      hangupCause: 'originator_cancel',
    });
    expect(record.ringMs).toBeGreaterThan(300);
    expect(await app.app.get(TargetCapsRepository).live(target.id)).toBe(0);
    // Released, so the call does not count against the target's calls cap.
    expect(await app.app.get(TargetCapsRepository).callsCounted(target.id, 'day')).toBe(0);
  });

  it('tries the next target when the first is busy', async () => {
    const s = await setupCampaign(app, { targets: [{ revenue: '50' }, { revenue: '20' }] });
    const [busy, good] = s.targets;
    carrier.setDestinationBehaviour(busy.destination, { mode: 'busy', answerAfterMs: 100 });
    carrier.setDestinationBehaviour(good.destination, { mode: 'answer', answerAfterMs: 100, talkMs: 1_200 });
    const api = recordApi(carrier);
    const call = carrier.placeInboundCall({ from: callerNumber(), to: s.numbers[1] });
    await carrier.waitForCallEnd(call.callControlId, 10_000);
    const record = await waitForRecord(s.operator, call.callSessionId);
    api.stop();
    expect(record).toMatchObject({
      state: 'completed',
      targetId: good.id,
      attempts: 2,
      revenue: '20.00',
      converted: true,
    });
    expect(record.legs.slice(1)).toEqual([
      expect.objectContaining({ attempt: 1, targetId: busy.id, outcome: 'busy', hangupCause: 'user_busy' }),
      expect.objectContaining({ attempt: 2, targetId: good.id, outcome: 'connected' }),
    ]);
    const transfers = api.commands(call.callControlId, 'transfer').map((e) => e.requestBody as any);
    expect(transfers.map((t) => t.to)).toEqual([busy.destination, good.destination]);
    expect(new Set(transfers.map((t) => t.command_id)).size).toBe(2);
  });

  it('speaks the unrouted message and hangs up when no target answers', async () => {
    const s = await setupCampaign(app, {
      campaign: { unroutedAction: 'message', unroutedMessage: 'Sorry, nobody can take your call.' },
      targets: [{ ringTimeoutS: 5 }],
    });
    carrier.setDestinationBehaviour(s.targets[0].destination, { mode: 'reject', answerAfterMs: 50 });
    const api = recordApi(carrier);
    const call = carrier.placeInboundCall({ from: callerNumber(), to: s.numbers[2] });
    await carrier.waitForCallEnd(call.callControlId, 15_000);
    const record = await waitForRecord(s.operator, call.callSessionId);
    api.stop();
    expect(record).toMatchObject({ state: 'failed', reason: 'unrouted', attempts: 1, revenue: '0.00' });
    expect(api.commands(call.callControlId, 'speak')).toHaveLength(1);
    expect((api.commands(call.callControlId, 'speak')[0].requestBody as any).payload).toBe(
      'Sorry, nobody can take your call.',
    );
    expect(api.commands(call.callControlId, 'hangup')).toHaveLength(1);
    expect(carrier.getCall(call.callControlId)?.events).toContain('call.speak.ended');
  });

  it('rejects blocked callers and flags repeat callers as payout duplicates', async () => {
    const s = await setupCampaign(app, { campaign: { dupPayoutWindowS: 3600 } });
    const blocked = callerNumber();
    expect((await s.operator.post('/blocked-numbers', { number: blocked, reason: 'abuse' })).status).toBe(
      201,
    );
    const api = recordApi(carrier);
    const call = carrier.placeInboundCall({ from: blocked, to: s.numbers[0] });
    await carrier.waitForCallEnd(call.callControlId, 10_000);
    const record = await waitForRecord(s.operator, call.callSessionId);
    expect(record).toMatchObject({ state: 'rejected', reason: 'blocked' });
    expect(api.commands(call.callControlId, 'reject')).toHaveLength(1);
    expect(api.commands(call.callControlId, 'answer')).toHaveLength(0);

    carrier.setDestinationBehaviour(s.targets[0].destination, {
      mode: 'answer',
      answerAfterMs: 50,
      talkMs: 1_100,
    });
    const repeat = callerNumber();
    const first = carrier.placeInboundCall({ from: repeat, to: s.numbers[1] });
    await carrier.waitForCallEnd(first.callControlId, 10_000);
    const r1 = await waitForRecord(s.operator, first.callSessionId);
    const second = carrier.placeInboundCall({ from: repeat, to: s.numbers[2] });
    await carrier.waitForCallEnd(second.callControlId, 10_000);
    const r2 = await waitForRecord(s.operator, second.callSessionId);
    api.stop();
    expect(r1).toMatchObject({ state: 'completed', duplicate: false, payout: '10.00' });
    // Same buyer would be a routing duplicate too (default 24 h window): the repeat caller is not routed to it.
    expect(r2).toMatchObject({ duplicate: true, payout: '0.00', state: 'failed', reason: 'unrouted' });
    await sleep(0);
  });

  it('still records a call whose campaign was deleted while it was up', async () => {
    const s = await setupCampaign(app);
    carrier.setDestinationBehaviour(s.targets[0].destination, {
      mode: 'answer',
      answerAfterMs: 50,
      talkMs: 1_500,
    });
    const call = carrier.placeInboundCall({ from: callerNumber(), to: s.numbers[0] });
    await eventually(async () => {
      const r = await s.operator.get('/calls/live');
      return (r.body.items as any[]).some(
        (c) => c.callSessionId === call.callSessionId && c.phase === 'connected',
      )
        ? true
        : undefined;
    });
    expect((await s.operator.delete(`/campaigns/${s.campaign.id}`)).status).toBe(204);
    await carrier.waitForCallEnd(call.callControlId, 10_000);
    const record = await waitForRecord(s.operator, call.callSessionId);
    expect(record).toMatchObject({
      state: 'completed',
      campaignId: null,
      poolId: null,
      targetId: null,
      converted: true,
    });
    expect(record.revenue).toBe('40.00');
  });
});
