// Shared set-up of the telephony suites: a tenant with a campaign, publisher, session pool and static
// targets made through the API, helpers to wait for final call records, and a log of the Call Control
// commands the sandbox carrier received.
import type { RunningApp } from '../../src/app.bootstrap';
import type { ApiExchange, SandboxCarrier } from '../../src/sandbox/carrier';
import { Http, newTenant, uniqueNumber } from '../support/test-app';

export interface TargetSpec {
  name?: string;
  priority?: number;
  weight?: number;
  revenue?: string;
  ringTimeoutS?: number;
  conversionSeconds?: number | null;
  concurrencyCap?: number;
  caps?: Record<string, unknown>;
  filters?: unknown[];
  schedule?: unknown;
}

export interface Setup {
  operator: Http;
  tenantId: string;
  campaign: any;
  publisher: any;
  pool: any;
  numbers: string[];
  buyers: any[];
  targets: Array<{ id: string; buyerId: string; destination: string }>;
}

export async function setupCampaign(
  app: RunningApp,
  opts: {
    numbers?: number;
    campaign?: Record<string, unknown>;
    targets?: TargetSpec[];
    payout?: Record<string, unknown>;
  } = {},
): Promise<Setup> {
  const t = await newTenant(app);
  const campaign = await t.operator.post('/campaigns', {
    name: 'Auto insurance',
    vertical: 'insurance',
    conversionSeconds: 1,
    ...opts.campaign,
  });
  expect(campaign.status).toBe(201);
  const publisher = await t.operator.post('/publishers', {
    name: 'Pub',
    payoutType: 'fixed',
    payoutAmount: '10',
    ...opts.payout,
  });
  expect(publisher.status).toBe(201);
  const pool = await t.operator.post('/pools', {
    campaignId: campaign.body.id,
    publisherId: publisher.body.id,
    name: 'pool',
    kind: 'session',
  });
  expect(pool.status).toBe(201);
  const numbers = Array.from({ length: opts.numbers ?? 3 }, uniqueNumber);
  expect((await t.operator.post(`/pools/${pool.body.id}/numbers`, { numbers })).status).toBe(201);
  const buyers: any[] = [];
  const targets: Setup['targets'] = [];
  for (const [i, spec] of (opts.targets ?? [{}]).entries()) {
    const buyer = await t.operator.post('/buyers', { name: `Buyer ${i + 1}` });
    expect(buyer.status).toBe(201);
    buyers.push(buyer.body);
    const destination = uniqueNumber();
    const target = await t.operator.post(`/buyers/${buyer.body.id}/targets`, {
      name: spec.name ?? `Target ${i + 1}`,
      kind: 'static',
      destination,
      revenue: spec.revenue ?? '40',
      priority: spec.priority ?? i + 1,
      ...(spec.weight !== undefined ? { weight: spec.weight } : {}),
      ...(spec.ringTimeoutS !== undefined ? { ringTimeoutS: spec.ringTimeoutS } : {}),
      ...(spec.conversionSeconds !== undefined ? { conversionSeconds: spec.conversionSeconds } : {}),
      ...(spec.concurrencyCap !== undefined ? { concurrencyCap: spec.concurrencyCap } : {}),
      ...(spec.caps !== undefined ? { caps: spec.caps } : {}),
      ...(spec.filters !== undefined ? { filters: spec.filters } : {}),
      ...(spec.schedule !== undefined ? { schedule: spec.schedule } : {}),
      campaignIds: [campaign.body.id],
    });
    expect(target.status).toBe(201);
    targets.push({ id: target.body.id, buyerId: buyer.body.id, destination: target.body.destination });
  }
  return {
    operator: t.operator,
    tenantId: t.tenantId,
    campaign: campaign.body,
    publisher: publisher.body,
    pool: pool.body,
    numbers,
    buyers,
    targets,
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `fn` returns a value (not undefined) or the time is up. */
export async function eventually<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The final record of the call session, through GET /calls then GET /calls/:id. */
export async function waitForRecord(operator: Http, callSessionId: string, timeoutMs = 15_000): Promise<any> {
  const id = await eventually(
    async () => {
      const r = await operator.get('/calls?limit=200');
      expect(r.status).toBe(200);
      return (r.body.items as any[]).find((c) => c.callSessionId === callSessionId)?.id as string | undefined;
    },
    timeoutMs,
    `the record of ${callSessionId}`,
  );
  const one = await operator.get(`/calls/${id}`);
  expect(one.status).toBe(200);
  return one.body;
}

/** Every /v2 request the carrier answers, from now on. */
export function recordApi(carrier: SandboxCarrier): {
  all: ApiExchange[];
  commands: (ccid: string, action?: string) => ApiExchange[];
  stop: () => void;
} {
  const all: ApiExchange[] = [];
  const stop = carrier.on('api', (e) => all.push(e));
  return {
    all,
    commands: (ccid, action) =>
      all.filter((e) => {
        const m = /^\/v2\/calls\/([^/]+)\/actions\/([a-z_]+)/.exec(e.url);
        return !!m && decodeURIComponent(m[1]) === ccid && (action === undefined || m[2] === action);
      }),
    stop,
  };
}

/** A fresh caller number (E.164, Austin TX). */
export function callerNumber(): string {
  return `+1512${String(2000000 + Math.floor(Math.random() * 7999999)).padStart(7, '0')}`;
}
