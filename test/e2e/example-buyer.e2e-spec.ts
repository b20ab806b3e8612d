// The example buyer endpoint (examples/buyer-endpoint) as a buyer would run it: `node server.mjs` in its
// own process, configured as a ping_post target from the documented target.json (only the host and
// the token changed) through the HTTP API, then auctioned through AuctionService on the real stores.
// Checks the README's promise: the example's bid wins, its confirmation is accepted, and its refusals
// (no agent free, bad token) come back as what they are.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningApp } from '../../src/app.bootstrap';
import { AuctionService } from '../../src/auction/auction.service';
import type { AuctionRequest } from '../../src/auction/auction.types';
import { Http, newTenant, startTestApp, uniqueNumber } from '../support/test-app';

const EXAMPLE_DIR = join(__dirname, '..', '..', 'examples', 'buyer-endpoint');
const TOKEN = 'example-buyer-token';
const DESTINATION = '+12125550123';

interface Example {
  child: ChildProcessWithoutNullStreams;
  origin: string;
  /** Every line the example printed (one per request, with its response). */
  lines: string[];
}

/** Starts `node server.mjs` on a free port and resolves once it says where it listens. */
function startExample(env: Record<string, string>): Promise<Example> {
  const child = spawn(process.execPath, [join(EXAMPLE_DIR, 'server.mjs')], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
  });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`example did not start: ${lines.join('\n')}`)), 10_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        const m = /listening on (http:\/\/\S+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve({ child, origin: m[1], lines });
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => lines.push(`stderr: ${chunk.toString()}`));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`example exited with ${code}: ${lines.join('\n')}`));
    });
  });
}

/** The documented target configuration, pointed at `origin` with `token`. */
function targetFromExample(origin: string, token: string): Record<string, any> {
  const doc = JSON.parse(readFileSync(join(EXAMPLE_DIR, 'target.json'), 'utf8'));
  const retarget = (spec: Record<string, any>) => ({
    ...spec,
    url: spec.url.replace('https://buyer.example.com', origin),
    headers: { ...spec.headers, Authorization: `Bearer ${token}` },
  });
  return { ...doc, ping: { ...retarget(doc.ping), confirm: retarget(doc.ping.confirm) } };
}

describe('example buyer endpoint (examples/buyer-endpoint) in a real auction', () => {
  let app: RunningApp;
  let example: Example;
  let operator: Http;
  let tenantId: string;
  let auction: AuctionService;
  let campaignId: string;
  let exampleTarget: string;
  let houseTarget: string;
  let wrongTokenTarget: string;

  beforeAll(async () => {
    // Two agents; Illinois calls are worth more to this buyer; Texas is not bought at all.
    example = await startExample({
      BUYER_TOKEN: TOKEN,
      BID: '25.00',
      STATE_BIDS: 'IL=31.50',
      STATES: 'IL,CA',
      AGENTS: '2',
      DESTINATION,
    });
    // The example runs on 127.0.0.1: private targets must be allowed, as in the sandbox.
    app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true' });
    const t = await newTenant(app);
    operator = t.operator;
    tenantId = t.tenantId;
    auction = app.app.get(AuctionService);

    const campaign = await operator.post('/campaigns', { name: 'example buyer', floorPrice: '10.00' });
    expect(campaign.status).toBe(201);
    campaignId = campaign.body.id;
    const place = async (body: Record<string, unknown>) => {
      const buyer = await operator.post('/buyers', {
        name: `${String(body.name)} ${randomUUID().slice(0, 6)}`,
      });
      expect(buyer.status).toBe(201);
      const target = await operator.post(`/buyers/${buyer.body.id}/targets`, {
        ...body,
        campaignIds: [campaignId],
      });
      if (target.status !== 201) throw new Error(`target: ${JSON.stringify(target.body)}`);
      return target.body.id as string;
    };
    exampleTarget = await place(targetFromExample(example.origin, TOKEN));
    // A static buyer paying less: the one the call falls to when the example says no.
    houseTarget = await place({
      name: 'house',
      kind: 'static',
      destination: uniqueNumber(),
      revenue: '20.00',
    });
    // The same example configured with the wrong token: the example answers 401.
    wrongTokenTarget = await place({
      ...targetFromExample(example.origin, 'not-the-token'),
      name: 'wrong token',
    });
  });

  afterAll(async () => {
    await app?.close();
    if (example && example.child.exitCode === null) {
      const exited = new Promise((r) => example.child.once('exit', r));
      example.child.kill('SIGTERM');
      await exited;
    }
  });

  const request = (state: string): AuctionRequest => {
    const caller = uniqueNumber();
    return {
      callId: randomUUID(),
      tenantId,
      campaignId,
      caller,
      tags: {
        caller_number: caller,
        caller_state: state,
        caller_area_code: caller.slice(2, 5),
        vertical: 'insurance',
        campaign_name: 'example buyer',
        utm_source: 'google',
      },
    };
  };
  const confirmations = () => example.lines.filter((l) => l.startsWith('POST /confirm'));
  /** The example's log lines arrive through a pipe, a moment after its answer: wait for the count. */
  async function confirmationsAfter(before: number, count: number): Promise<string[]> {
    for (let i = 0; i < 100 && confirmations().length < before + count; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    return confirmations().slice(before);
  }

  it('saves the documented target.json as it is (only host and token changed)', async () => {
    const saved = await operator.get(`/targets/${exampleTarget}`);
    expect(saved.status).toBe(200);
    expect(saved.body.ping.parse).toEqual(
      JSON.parse(readFileSync(join(EXAMPLE_DIR, 'target.json'), 'utf8')).ping.parse,
    );
    expect(saved.body.ping.url).toBe(`${example.origin}/ping`);
  });

  it('wins with its bid, and its confirmation accepts the call', async () => {
    const r = await auction.run(request('IL'));
    expect(r.closedBy).toBe('all_answered');
    expect(r.bids.map((b) => [b.targetId, b.revenue])).toEqual([
      [exampleTarget, '31.50'],
      [houseTarget, '20.00'],
    ]);
    const top = r.bids[0];
    expect(top).toMatchObject({
      kind: 'ping_post',
      destination: DESTINATION,
      requiredTalkSeconds: 90,
      conversionSeconds: 90,
      httpStatus: 200,
      confirm: true,
    });
    expect(top.bidId).toMatch(/^bid_[A-Za-z0-9_-]{12}$/);
    // expires_in: 60 → an absolute expiry about a minute after the auction closed.
    expect(top.expiresAt! - r.closedAt).toBeGreaterThan(55_000);
    expect(top.expiresAt! - r.closedAt).toBeLessThanOrEqual(60_000);
    // The wrong token is refused by the example and counted as an HTTP error, never as a bid.
    expect(r.rejected).toEqual([
      expect.objectContaining({ targetId: wrongTokenTarget, reason: 'http_error', httpStatus: 401 }),
    ]);

    const before = confirmations().length;
    const award = await auction.award(r);
    expect(award).not.toBeNull();
    expect(award!.bid.targetId).toBe(exampleTarget);
    expect(award!.passed).toEqual([]);
    // The example itself saw the post for its bid and said yes.
    const seen = await confirmationsAfter(before, 1);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^POST \/confirm 200 .*\{"confirmed":true\}$/);
    expect(await auction.finish(award!, { connected: true, talkSeconds: 120 })).toBe('31.50');
  });

  it('prices by state and declines states it does not buy', async () => {
    const ca = await auction.run(request('CA'));
    expect(ca.bids[0]).toMatchObject({ targetId: exampleTarget, revenue: '25.00' });
    const tx = await auction.run(request('TX'));
    expect(tx.bids.map((b) => b.targetId)).toEqual([houseTarget]);
    expect(tx.rejected).toContainEqual(
      expect.objectContaining({ targetId: exampleTarget, reason: 'not_accepted' }),
    );
  });

  it('refuses the confirmation when its last agent was taken since the ping; the call goes to the next bid', async () => {
    // One agent is busy with the first test's call (SLOT_SECONDS 300); both pings see the other free.
    const first = await auction.run(request('IL'));
    const second = await auction.run(request('IL'));
    expect(first.bids[0].targetId).toBe(exampleTarget);
    expect(second.bids[0].targetId).toBe(exampleTarget);

    const before = confirmations().length;
    const taken = await auction.award(first);
    expect(taken?.bid.targetId).toBe(exampleTarget);
    const fallback = await auction.award(second);
    expect(fallback?.bid.targetId).toBe(houseTarget);
    expect(fallback?.passed).toEqual([{ targetId: exampleTarget, reason: 'confirm_refused' }]);
    const seen = await confirmationsAfter(before, 2);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatch(/\{"confirmed":true\}$/);
    expect(seen[1]).toMatch(/\{"confirmed":false,"reason":"no agent free"\}$/);

    // With every agent busy the example now declines at the ping already.
    const third = await auction.run(request('IL'));
    expect(third.rejected).toContainEqual(
      expect.objectContaining({ targetId: exampleTarget, reason: 'not_accepted' }),
    );
    await auction.finish(taken!, { connected: false, talkSeconds: 0 });
    await auction.finish(fallback!, { connected: false, talkSeconds: 0 });
  });
});
