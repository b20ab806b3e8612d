// The hand-off layout (CALL_HANDOFF): an api instance takes the webhooks and answers new callers, a
// call runner (APP_ROLE=calls) on the same stores drives everything after the answer; with no runner
// up, the api instance's own sweeper still finishes the calls, one lock lifetime later.
import type { RunningApp } from '../../src/app.bootstrap';
import type { SandboxCarrier } from '../../src/sandbox/carrier';
import { Http, startTestApp } from '../support/test-app';
import { callerNumber, recordApi, setupCampaign, waitForRecord } from './telephony-support';

/** A counter's value in a /metrics page (0 when absent). */
async function counter(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

const COMPLETED = 'calls_final_total{state="completed"}';
const ANSWERED = 'call_answer_latency_seconds_count';

describe('telephony: api instances hand calls to call runners', () => {
  let api: RunningApp;
  let carrier: SandboxCarrier;

  beforeAll(async () => {
    api = await startTestApp({
      APP_ROLE: 'api',
      CALL_HANDOFF: 'true',
      CALL_LOCK_TTL_MS: '1000',
      CALL_SWEEP_INTERVAL_MS: '100',
    });
    carrier = api.sandbox!;
  });

  afterAll(async () => {
    await api?.close();
  });

  it('still finishes a call on the api instance when no runner is up, after one lock lifetime', async () => {
    const s = await setupCampaign(api);
    carrier.setDestinationBehaviour(s.targets[0].destination, {
      mode: 'answer',
      answerAfterMs: 50,
      talkMs: 500,
    });
    const before = await counter(api.url, COMPLETED);
    const call = carrier.placeInboundCall({ from: callerNumber(), to: s.numbers[0] });
    await carrier.waitForCallEnd(call.callControlId, 15_000);
    const record = await waitForRecord(s.operator, call.callSessionId);
    expect(record).toMatchObject({ state: 'completed', targetId: s.targets[0].id, attempts: 1 });
    // The transfer waited for the grace period: nobody took the handed-over call sooner.
    expect(
      new Date(record.ringingAt).getTime() - new Date(record.answeredAt).getTime(),
    ).toBeGreaterThanOrEqual(900);
    expect(await counter(api.url, COMPLETED)).toBe(before + 1);
  });

  it('answers on the api instance and routes, transfers and records the call on the runner', async () => {
    const runner = await startTestApp({
      APP_ROLE: 'calls',
      TELNYX_API_KEY: 'KEY_call_runner',
      TELNYX_BASE_URL: carrier.apiBaseUrl,
      TELNYX_PUBLIC_KEY: carrier.publicKeyBase64,
      TELNYX_CONNECTION_ID: carrier.connectionId,
      CALL_LOCK_TTL_MS: '1000',
      // Its sweeper barely looks: the calls must reach it through calls:wake.
      CALL_SWEEP_INTERVAL_MS: '60000',
    });
    try {
      // A runner serves no webhooks.
      const post = await fetch(`${runner.url}/webhooks/telnyx`, { method: 'POST', body: '{}' });
      expect(post.status).toBe(404);

      const s = await setupCampaign(api, { targets: [{}, {}] });
      carrier.setDestinationBehaviour(s.targets[0].destination, { mode: 'busy', answerAfterMs: 40 });
      carrier.setDestinationBehaviour(s.targets[1].destination, {
        mode: 'answer',
        answerAfterMs: 50,
        talkMs: 1_100,
      });
      const apiDone = await counter(api.url, COMPLETED);
      const apiAnswered = await counter(api.url, ANSWERED);
      const runnerDone = await counter(runner.url, COMPLETED);
      const commands = recordApi(carrier);
      const calls = s.numbers.map((to) => carrier.placeInboundCall({ from: callerNumber(), to }));
      await Promise.all(calls.map((c) => carrier.waitForCallEnd(c.callControlId, 15_000)));
      const records = await Promise.all(calls.map((c) => waitForRecord(s.operator, c.callSessionId)));
      commands.stop();
      for (const [i, c] of calls.entries()) {
        expect(records[i]).toMatchObject({ state: 'completed', targetId: s.targets[1].id, attempts: 2 });
        // Attribution and tags were the runner's first steps.
        expect(records[i].tags).toMatchObject({ campaign_id: s.campaign.id, caller_state: 'TX' });
        expect(commands.commands(c.callControlId, 'answer')).toHaveLength(1);
        expect(commands.commands(c.callControlId, 'transfer')).toHaveLength(2);
        // The transfer followed the answer without waiting for a sweep.
        const ms = new Date(records[i].ringingAt).getTime() - new Date(records[i].answeredAt).getTime();
        expect(ms).toBeLessThan(900);
      }
      // The api instance answered every caller; the runner finished every call.
      expect(await counter(api.url, ANSWERED)).toBe(apiAnswered + calls.length);
      expect(await counter(api.url, COMPLETED)).toBe(apiDone);
      expect(await counter(runner.url, COMPLETED)).toBe(runnerDone + calls.length);
      // Nor the calls API: that is the api instances'.
      const key = await s.operator.post('/api-keys', { name: 'runner', role: 'operator' });
      expect((await new Http(runner.url).withKey(key.body.key).get('/calls?limit=200')).status).toBe(404);
    } finally {
      await runner.close();
    }
  });
});
