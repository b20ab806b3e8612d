// The real-time auction against sandbox bidders over real HTTP, on the real stores (PostgreSQL targets,
// Redis caps / duplicates / bid cache, ClickHouse bid_log through chDB): who wins, the floor, the hard
// deadline with hanging buyers, the early close, hostile answers, confirmation refusals, caps and
// concurrency under 200 simultaneous auctions, repeat callers, the bid cache, the SSRF guard, and the
// bid log with its statistics API.
import { randomUUID } from 'node:crypto';
import type { RunningApp } from '../../src/app.bootstrap';
import { AuctionService } from '../../src/auction/auction.service';
import { routingPlan } from '../../src/auction/auction-routing';
import type { AuctionRequest, AuctionResult } from '../../src/auction/auction.types';
import { BidLogExportService } from '../../src/auction/bid-log-export.service';
import { TargetCapsRepository } from '../../src/calls/target-caps.repository';
import { type BidderBehaviour, SandboxBidders } from '../../src/sandbox/buyers';
import { Http, newTenant, startTestApp, uniqueNumber } from '../support/test-app';

interface BidderSpec {
  key: string;
  behaviour?: Partial<BidderBehaviour>;
  /** Fields of the target (caps, priority, cacheWindowS…). */
  target?: Record<string, unknown>;
  /** Fields of its ping spec replacing the sandbox defaults. */
  ping?: Record<string, unknown>;
}

interface StaticSpec {
  key: string;
  revenue: string;
  target?: Record<string, unknown>;
}

interface Placed {
  targetId: string;
  buyerId: string;
  bidder?: string;
  destination: string;
}

interface Market {
  campaignId: string;
  t: Record<string, Placed>;
}

describe('real-time auction (sandbox bidders over HTTP, real stores)', () => {
  let app: RunningApp;
  let bidders: SandboxBidders;
  let operator: Http;
  let tenantId: string;
  let auction: AuctionService;
  let caps: TargetCapsRepository;
  /** Every bidder this suite pointed a target of `tenantId` at. */
  const placed: Placed[] = [];
  let seq = 0;

  beforeAll(async () => {
    bidders = new SandboxBidders();
    await bidders.start();
    app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true' });
    const t = await newTenant(app);
    operator = t.operator;
    tenantId = t.tenantId;
    auction = app.app.get(AuctionService);
    caps = app.app.get(TargetCapsRepository);
  });

  afterAll(async () => {
    await app?.close();
    await bidders?.stop();
  });

  async function market(
    opts: { campaign?: Record<string, unknown>; bidders?: BidderSpec[]; statics?: StaticSpec[] },
    http: Http = operator,
    record = true,
  ): Promise<Market> {
    const campaign = await http.post('/campaigns', { name: `auction ${++seq}`, ...opts.campaign });
    expect(campaign.status).toBe(201);
    const out: Market = { campaignId: campaign.body.id, t: {} };
    const place = async (key: string, body: Record<string, unknown>, bidder?: string) => {
      const buyer = await http.post('/buyers', { name: `${key} ${seq}` });
      expect(buyer.status).toBe(201);
      const target = await http.post(`/buyers/${buyer.body.id}/targets`, {
        name: key,
        campaignIds: [out.campaignId],
        ...body,
      });
      if (target.status !== 201) throw new Error(`target ${key}: ${JSON.stringify(target.body)}`);
      const p: Placed = {
        targetId: target.body.id,
        buyerId: buyer.body.id,
        bidder,
        destination: (body.destination as string) ?? '',
      };
      out.t[key] = p;
      if (record) placed.push(p);
    };
    for (const b of opts.bidders ?? []) {
      const name = `${b.key}-${seq}-${randomUUID().slice(0, 8)}`;
      const behaviour = bidders.set(name, { destination: uniqueNumber(), latencyMs: 5, ...b.behaviour });
      await place(
        b.key,
        { kind: 'ping_post', ping: { ...bidders.targetPing(name), ...b.ping }, ...b.target },
        name,
      );
      out.t[b.key].destination = behaviour.destination;
    }
    for (const s of opts.statics ?? []) {
      await place(s.key, { kind: 'static', destination: uniqueNumber(), revenue: s.revenue, ...s.target });
    }
    return out;
  }

  const request = (
    m: Market,
    caller = uniqueNumber(),
    tags: Record<string, string> = {},
  ): AuctionRequest => ({
    callId: randomUUID(),
    tenantId,
    campaignId: m.campaignId,
    caller,
    tags: { caller_number: caller, caller_state: 'IL', vertical: 'insurance', ...tags },
  });

  const keyOf = (m: Market, targetId: string) =>
    Object.entries(m.t).find(([, p]) => p.targetId === targetId)?.[0];
  const order = (m: Market, r: AuctionResult) => r.bids.map((b) => `${keyOf(m, b.targetId)}:${b.revenue}`);
  const reasons = (m: Market, r: AuctionResult) =>
    Object.fromEntries(r.rejected.map((x) => [keyOf(m, x.targetId), x.reason]));

  it('gives the call to the highest bid; static targets take part with their fixed revenue', async () => {
    const m = await market({
      bidders: [
        { key: 'low', behaviour: { bid: '10' } },
        { key: 'high', behaviour: { bid: '25.50', expireInSeconds: 45, requiredTalkSeconds: 120 } },
        { key: 'mid', behaviour: { bid: '17' } },
      ],
      statics: [{ key: 'static', revenue: '12' }],
    });
    const caller = uniqueNumber();
    const r = await auction.run(request(m, caller));
    expect(order(m, r)).toEqual(['high:25.50', 'mid:17.00', 'static:12.00', 'low:10.00']);
    expect(r.closedBy).toBe('all_answered');
    const top = r.bids[0];
    expect(top).toMatchObject({
      rank: 1,
      kind: 'ping_post',
      destination: m.t.high.destination,
      requiredTalkSeconds: 120,
      conversionSeconds: 120,
      httpStatus: 200,
      cached: false,
    });
    expect(top.bidId).toMatch(/^sbx-high-/);
    expect(top.expiresAt! - r.closedAt).toBeGreaterThan(40_000);
    expect(r.bids[2]).toMatchObject({ kind: 'static', destination: m.t.static.destination, httpStatus: 0 });

    // The ping carried the call's tags, with the caller's number masked (campaign default policy).
    const ping = bidders.requests(m.t.high.bidder!)[0];
    const body = JSON.parse(ping.body);
    expect(body).toMatchObject({ call_id: r.callId, state: 'IL', vertical: 'insurance' });
    expect(body.caller).toBe(`${caller.slice(0, -4)}XXXX`);
    expect(ping.body).not.toContain(caller);
    expect(ping.headers['x-sandbox-bidder']).toBe(m.t.high.bidder);

    const award = await auction.award(r);
    expect(award?.bid.targetId).toBe(m.t.high.targetId);
    expect(await caps.live(m.t.high.targetId)).toBe(1);
    // A 3-minute call meets the buyer's 120 s: the bid is the revenue, in exact decimal.
    expect(await auction.finish(award!, { connected: true, talkSeconds: 180 })).toBe('25.50');
    expect(await caps.live(m.t.high.targetId)).toBe(0);
  });

  it('shows the full caller number to buyers only when the campaign allows it', async () => {
    const m = await market({ campaign: { callerIdPolicy: 'full' }, bidders: [{ key: 'b' }] });
    const caller = uniqueNumber();
    await auction.run(request(m, caller));
    expect(JSON.parse(bidders.requests(m.t.b.bidder!)[0].body).caller).toBe(caller);
  });

  it('drops bids under the campaign floor (a bid equal to it stays)', async () => {
    const m = await market({
      campaign: { floorPrice: '15' },
      bidders: [
        { key: 'under', behaviour: { bid: '14.99' } },
        { key: 'at', behaviour: { bid: '15' } },
        { key: 'over', behaviour: { bid: '20' } },
      ],
      statics: [{ key: 'cheap', revenue: '5' }],
    });
    const r = await auction.run(request(m));
    expect(order(m, r)).toEqual(['over:20.00', 'at:15.00']);
    expect(reasons(m, r)).toEqual({ under: 'below_floor', cheap: 'below_floor' });
    expect(r.rejected.find((x) => x.targetId === m.t.under.targetId)?.revenue).toBe('14.99');
  });

  it('meets the hard deadline while some buyers hang, keeping the bids that came in time', async () => {
    const m = await market({
      campaign: { auctionDeadlineMs: 300 },
      bidders: [
        { key: 'fast', behaviour: { bid: '11', latencyMs: 20 } },
        { key: 'alsofast', behaviour: { bid: '13', latencyMs: 40 } },
        { key: 'hang1', behaviour: { mode: 'hang' } },
        { key: 'hang2', behaviour: { mode: 'hang' } },
        { key: 'late', behaviour: { bid: '99', latencyMs: 1000 } },
        // Its own timeout (100 ms) is shorter than the deadline: a timeout, not a deadline cut.
        { key: 'impatient', behaviour: { bid: '98', latencyMs: 200 }, ping: { timeoutMs: 100 } },
      ],
    });
    const r = await auction.run(request(m));
    expect(r.durationMs).toBeGreaterThanOrEqual(299);
    expect(r.durationMs).toBeLessThan(300 + 60);
    expect(r.closedBy).toBe('deadline');
    expect(order(m, r)).toEqual(['alsofast:13.00', 'fast:11.00']);
    expect(reasons(m, r)).toEqual({
      hang1: 'deadline',
      hang2: 'deadline',
      late: 'deadline',
      impatient: 'timeout',
    });
    const impatient = r.rejected.find((x) => x.targetId === m.t.impatient.targetId)!;
    expect(impatient.latencyMs).toBeGreaterThanOrEqual(99);
    expect(impatient.latencyMs).toBeLessThan(200);
  });

  it('closes as soon as every ping has answered, long before the deadline', async () => {
    const m = await market({
      campaign: { auctionDeadlineMs: 5000 },
      bidders: [
        { key: 'a', behaviour: { latencyMs: 30 } },
        { key: 'b', behaviour: { latencyMs: 60 } },
        { key: 'c', behaviour: { mode: 'error', latencyMs: 10 } },
      ],
    });
    const r = await auction.run(request(m));
    expect(r.closedBy).toBe('all_answered');
    expect(r.durationMs).toBeGreaterThanOrEqual(59);
    expect(r.durationMs).toBeLessThan(400);
  });

  it('turns hostile answers into rejections with reason codes, and sells to the one valid bid', async () => {
    const m = await market({
      bidders: [
        { key: 'ok', behaviour: { bid: '8' } },
        { key: 'error500', behaviour: { mode: 'error', bid: '50' } },
        { key: 'garbage', behaviour: { mode: 'garbage', bid: '50' } },
        { key: 'huge', behaviour: { mode: 'huge', bid: '50' } },
        { key: 'no', behaviour: { mode: 'no_bid' } },
        { key: 'baddest', behaviour: { mode: 'invalid_destination', bid: '50' } },
        // Its rules read the amount from a field the answers do not have: a bid-less answer.
        {
          key: 'bidless',
          behaviour: { bid: '50' },
          ping: { parse: { bid: { path: 'price' }, destination: { path: 'phoneNumber' } } },
        },
      ],
    });
    const r = await auction.run(request(m));
    expect(order(m, r)).toEqual(['ok:8.00']);
    expect(reasons(m, r)).toEqual({
      error500: 'http_error',
      garbage: 'invalid_json',
      huge: 'oversized',
      no: 'not_accepted',
      baddest: 'invalid_destination',
      bidless: 'no_bid',
    });
    expect(r.rejected.find((x) => x.targetId === m.t.error500.targetId)?.httpStatus).toBe(500);
    expect(r.durationMs).toBeLessThan(1000);
    expect((await auction.award(r))?.bid.targetId).toBe(m.t.ok.targetId);
  });

  it('moves to the next bid when the winner refuses (or fails) the confirmation', async () => {
    const m = await market({
      bidders: [
        { key: 'refuses', behaviour: { bid: '30', confirm: 'refuse' } },
        { key: 'broken', behaviour: { bid: '25', confirm: 'error' } },
        { key: 'accepts', behaviour: { bid: '20', confirm: 'accept' } },
        { key: 'plain', behaviour: { bid: '10' } },
      ],
    });
    const caller = uniqueNumber();
    const r = await auction.run(request(m, caller));
    expect(order(m, r)).toEqual(['refuses:30.00', 'broken:25.00', 'accepts:20.00', 'plain:10.00']);
    const award = await auction.award(r);
    expect(award?.bid.targetId).toBe(m.t.accepts.targetId);
    expect(award?.passed).toEqual([
      { targetId: m.t.refuses.targetId, reason: 'confirm_refused' },
      { targetId: m.t.broken.targetId, reason: 'confirm_failed' },
    ]);
    // The winner's confirmation carried its bid id and, now that it won, the real caller number.
    const confirm = bidders.requests(m.t.accepts.bidder!).find((q) => q.kind === 'confirm')!;
    expect(JSON.parse(confirm.body)).toEqual({ bid_id: award!.bid.bidId, call_id: r.callId, caller });
    expect(bidders.stats(m.t.refuses.bidder!)?.confirms).toBe(1);
    expect(bidders.stats(m.t.plain.bidder!)?.confirms).toBe(0);
    // Refused bids hold nothing; the winner holds its slot until the call ends.
    expect(await caps.live(m.t.refuses.targetId)).toBe(0);
    expect(await caps.live(m.t.broken.targetId)).toBe(0);
    expect(await caps.callsCounted(m.t.refuses.targetId, 'hour')).toBe(0);
    expect(await caps.live(m.t.accepts.targetId)).toBe(1);
    // Revenue recovery: the next bid after the winner, for a busy / no-answer fall-through.
    await auction.finish(award!, { connected: false, talkSeconds: 0 });
    const next = await auction.award(r, { from: award!.index + 1 });
    expect(next?.bid.targetId).toBe(m.t.plain.targetId);
    await auction.finish(next!, { connected: false, talkSeconds: 0 });
    expect(await caps.live(m.t.accepts.targetId)).toBe(0);
  });

  it('gives the call flow candidates it can keep as JSON and claim later, confirmation included', async () => {
    const m = await market({
      bidders: [
        { key: 'refuses', behaviour: { bid: '30', confirm: 'refuse' } },
        { key: 'accepts', behaviour: { bid: '20', confirm: 'accept' }, target: { concurrencyCap: 1 } },
      ],
    });
    const caller = uniqueNumber();
    const plan = routingPlan(await auction.run(request(m, caller)));
    // The call state machine keeps its plan in Redis as JSON; another instance may take the next step.
    const stored = JSON.parse(JSON.stringify(plan)) as typeof plan;
    expect(stored.candidates.map((c) => [keyOf(m, c.targetId), c.revenue])).toEqual([
      ['refuses', '30.00'],
      ['accepts', '20.00'],
    ]);
    const callId = stored.candidates[0].auction.ctx.callId;
    expect(await auction.claimCandidate(stored.candidates[0], `${callId}:1`, Date.now())).toBe(
      'confirm_refused',
    );
    expect(await auction.claimCandidate(stored.candidates[1], `${callId}:2`, Date.now())).toBe('ok');
    const confirm = bidders.requests(m.t.accepts.bidder!).find((q) => q.kind === 'confirm')!;
    expect(JSON.parse(confirm.body).caller).toBe(caller);
    expect(await caps.live(m.t.accepts.targetId)).toBe(1);
    // Its one slot is taken: the same bid cannot be claimed for another attempt until released.
    expect(await auction.claimCandidate(stored.candidates[1], `${callId}:3`, Date.now())).toBe('concurrency');
    await caps.release(m.t.accepts.targetId, `${callId}:2`, Date.now(), true);
    expect(await caps.live(m.t.accepts.targetId)).toBe(0);
  });

  it('never exceeds caps or concurrency under 200 simultaneous auctions, and frees every slot', async () => {
    const m = await market({
      bidders: [
        { key: 'conc', behaviour: { bid: '30' }, target: { concurrencyCap: 3 } },
        { key: 'hourly', behaviour: { bid: '20' }, target: { caps: { calls: { hour: 5 } } } },
        { key: 'open', behaviour: { bid: '10' } },
      ],
      statics: [{ key: 'static', revenue: '5', target: { concurrencyCap: 2 } }],
    });
    const results = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const r = await auction.run(request(m));
        return auction.award(r);
      }),
    );
    const byTarget: Record<string, number> = {};
    for (const a of results) {
      const key = a ? keyOf(m, a.bid.targetId)! : 'none';
      byTarget[key] = (byTarget[key] ?? 0) + 1;
    }
    expect(byTarget).toEqual({ conc: 3, hourly: 5, open: 192 });
    expect(await caps.live(m.t.conc.targetId)).toBe(3);
    expect(await caps.callsCounted(m.t.hourly.targetId, 'hour')).toBe(5);
    // A full target is no longer even pinged.
    const pingsBefore = bidders.stats(m.t.conc.bidder!)!.pings;
    const after = await auction.run(request(m));
    expect(bidders.stats(m.t.conc.bidder!)!.pings).toBe(pingsBefore);
    expect(after.skipped).toEqual(
      expect.arrayContaining([
        { targetId: m.t.conc.targetId, buyerId: m.t.conc.buyerId, reason: 'concurrency' },
        { targetId: m.t.hourly.targetId, buyerId: m.t.hourly.buyerId, reason: 'cap_calls_hour' },
      ]),
    );
    await Promise.all(results.map((a) => auction.finish(a!, { connected: false, talkSeconds: 0 })));
    for (const key of ['conc', 'hourly', 'open', 'static'])
      expect(await caps.live(m.t[key].targetId)).toBe(0);
    // Calls that never connected give their cap count back.
    expect(await caps.callsCounted(m.t.hourly.targetId, 'hour')).toBe(0);
  });

  it('does not route a repeat caller to the buyer it already reached', async () => {
    const m = await market({
      campaign: { dupRoutingWindowS: 3600 },
      bidders: [
        { key: 'first', behaviour: { bid: '40' } },
        { key: 'second', behaviour: { bid: '30' } },
      ],
    });
    const caller = uniqueNumber();
    const one = await auction.run(request(m, caller));
    const won = await auction.award(one);
    expect(won?.bid.targetId).toBe(m.t.first.targetId);
    await auction.finish(won!, { connected: true, talkSeconds: 300 });

    const pings = bidders.stats(m.t.first.bidder!)!.pings;
    const again = await auction.run(request(m, caller));
    expect(again.skipped).toEqual([
      { targetId: m.t.first.targetId, buyerId: m.t.first.buyerId, reason: 'duplicate_caller' },
    ]);
    expect(order(m, again)).toEqual(['second:30.00']);
    expect(bidders.stats(m.t.first.bidder!)!.pings).toBe(pings);
    // Another caller still reaches the first buyer.
    expect(order(m, await auction.run(request(m)))[0]).toBe('first:40.00');
  });

  it('runs on the reads prepare() started for the same call, and only for that call', async () => {
    const m = await market({
      campaign: { dupRoutingWindowS: 3600 },
      bidders: [
        { key: 'a', behaviour: { bid: '20' } },
        { key: 'b', behaviour: { bid: '10' } },
      ],
    });
    const caller = uniqueNumber();
    const req = request(m, caller);
    auction.prepare(req);
    await new Promise((r) => setTimeout(r, 50));
    // The caller reaches buyer a on another call after the reads were taken: this call's auction was
    // already prepared, so it still offers a; a call that was not prepared reads the new state.
    const earlier = await auction.run(request(m, caller));
    const won = await auction.award(earlier);
    await auction.finish(won!, { connected: true, talkSeconds: 10 });
    expect(order(m, await auction.run(req))).toEqual(['a:20.00', 'b:10.00']);
    expect(order(m, await auction.run(request(m, caller)))).toEqual(['b:10.00']);
    // Prepared reads serve one run only.
    expect(order(m, await auction.run(req))).toEqual(['b:10.00']);
  });

  it('reuses a buyer’s last bid for a repeat caller inside its cache window, marked cached', async () => {
    const m = await market({
      bidders: [
        { key: 'cached', behaviour: { bid: '12' }, target: { cacheWindowS: 60 } },
        { key: 'fresh', behaviour: { bid: '11' } },
      ],
    });
    const caller = uniqueNumber();
    const first = await auction.run(request(m, caller));
    await auction.settled();
    const second = await auction.run(request(m, caller));
    expect(first.bids[0]).toMatchObject({ targetId: m.t.cached.targetId, cached: false });
    expect(second.bids[0]).toMatchObject({
      targetId: m.t.cached.targetId,
      cached: true,
      revenue: '12.00',
      bidId: first.bids[0].bidId,
      latencyMs: 0,
    });
    expect(bidders.stats(m.t.cached.bidder!)!.pings).toBe(1);
    expect(bidders.stats(m.t.fresh.bidder!)!.pings).toBe(2);
    await auction.run(request(m));
    expect(bidders.stats(m.t.cached.bidder!)!.pings).toBe(2);
  });

  it('does not ping private addresses when the deployment does not allow them (SSRF guard)', async () => {
    const guarded = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'false' });
    try {
      const t = await newTenant(guarded);
      const m = await market(
        {
          bidders: [
            { key: 'loopback' },
            // Re-pointed below at a name that resolves to a loopback address: refused at connect time.
            { key: 'byname' },
          ],
          statics: [{ key: 'static', revenue: '3' }],
        },
        t.operator,
        false,
      );
      expect(m.t.loopback.targetId).toBeDefined();
      // Point the second target at the same bidder through the name "localhost".
      const byName = bidders.targetPing(m.t.byname.bidder!, {
        baseUrl: bidders.baseUrl.replace('127.0.0.1', 'localhost'),
      });
      expect((await t.operator.patch(`/targets/${m.t.byname.targetId}`, { ping: byName })).status).toBe(200);
      const service = guarded.app.get(AuctionService);
      const r = await service.run({ ...request(m), tenantId: t.tenantId });
      expect(reasons(m, r)).toEqual({ loopback: 'blocked_address', byname: 'blocked_address' });
      expect(order(m, r)).toEqual(['static:3.00']);
      expect(bidders.stats(m.t.loopback.bidder!)!.pings).toBe(0);
      expect(bidders.stats(m.t.byname.bidder!)!.pings).toBe(0);
    } finally {
      await guarded.close();
    }
  });

  it('logs every participant in bid_log and serves per-target figures, a buyer key seeing only its own', async () => {
    const m = await market({
      campaign: { auctionDeadlineMs: 800 },
      bidders: [
        { key: 'winner', behaviour: { bid: '30', latencyMs: 15 } },
        { key: 'loser', behaviour: { bid: '10', latencyMs: 25 } },
        { key: 'hangs', behaviour: { mode: 'hang' } },
        { key: 'errors', behaviour: { mode: 'error' } },
        { key: 'cache', behaviour: { bid: '20' }, target: { cacheWindowS: 60 } },
      ],
    });
    const caller = uniqueNumber();
    const first = await auction.run(request(m, caller));
    expect({ order: order(m, first), rejected: reasons(m, first) }).toEqual({
      order: ['winner:30.00', 'cache:20.00', 'loser:10.00'],
      rejected: { hangs: 'deadline', errors: 'http_error' },
    });
    const award = await auction.award(first);
    expect(award?.bid.targetId).toBe(m.t.winner.targetId);
    await auction.settled();
    const second = await auction.run(request(m, caller));
    expect(second.bids.find((b) => b.targetId === m.t.cache.targetId)?.cached).toBe(true);
    await auction.settled();
    await app.app.get(BidLogExportService).flush();

    const stats = async (key: string, http = operator) => http.get(`/targets/${m.t[key].targetId}/stats`);
    const winner = (await stats('winner')).body;
    expect(winner).toMatchObject({
      pings: 2,
      cachedBids: 0,
      bids: 2,
      rejected: 0,
      wins: 1,
      timeouts: 0,
      winRate: 0.5,
    });
    expect(winner.wonBids).toBe('30.00');
    expect(winner.latencyMs.p50).toBeGreaterThanOrEqual(14);
    expect(winner.latencyMs.p99).toBeLessThan(800);
    expect((await stats('loser')).body).toMatchObject({ pings: 2, bids: 2, wins: 0, winRate: 0 });
    expect((await stats('hangs')).body).toMatchObject({
      pings: 2,
      bids: 0,
      timeouts: 2,
      rejectReasons: { deadline: 2 },
    });
    expect((await stats('errors')).body).toMatchObject({
      pings: 2,
      rejected: 2,
      rejectReasons: { http_error: 2 },
    });
    expect((await stats('cache')).body).toMatchObject({ pings: 1, cachedBids: 1, bids: 2 });

    const log = await operator.get(`/targets/${m.t.winner.targetId}/bids`);
    expect(log.status).toBe(200);
    expect(log.body).toHaveLength(2);
    const won = log.body.find((row: any) => row.callId === first.callId);
    expect(won).toMatchObject({
      outcome: 'bid',
      reason: '',
      bid: '30.00',
      rank: 1,
      won: true,
      award: 'won',
      httpStatus: 200,
      cached: false,
      pingId: award!.bid.pingId,
      auctionId: first.auctionId,
    });
    expect(won.requestHash).toMatch(/^[0-9a-f]{32}$/);
    const hangRow = (await operator.get(`/targets/${m.t.hangs.targetId}/bids`)).body[0];
    expect(hangRow).toMatchObject({
      outcome: 'rejected',
      reason: 'deadline',
      httpStatus: 0,
      bid: null,
      won: false,
    });

    const buyerTotals = await operator.get(`/buyers/${m.t.winner.buyerId}/bid-stats`);
    expect(buyerTotals.body.totals).toMatchObject({ pings: 2, wins: 1 });
    expect(buyerTotals.body.targets).toHaveLength(1);

    // A buyer's key sees its own figures and nothing of other buyers.
    const key = await operator.post('/api-keys', {
      name: 'winner key',
      role: 'buyer',
      buyerId: m.t.winner.buyerId,
    });
    expect(key.status).toBe(201);
    const buyer = new Http(app.url).withKey(key.body.key);
    expect((await stats('winner', buyer)).body.wins).toBe(1);
    expect((await stats('loser', buyer)).status).toBe(404);
    expect((await buyer.get(`/targets/${m.t.loser.targetId}/bids`)).status).toBe(404);
    expect((await buyer.get(`/buyers/${m.t.loser.buyerId}/bid-stats`)).status).toBe(404);
    expect((await buyer.get(`/buyers/${m.t.winner.buyerId}/bid-stats`)).body.totals.pings).toBe(2);
    // Another tenant does not see them either.
    const other = await newTenant(app);
    expect((await stats('winner', other.operator)).status).toBe(404);
  });

  it('has every ping this suite sent in bid_log', async () => {
    await auction.settled();
    await app.app.get(BidLogExportService).flush();
    let sent = 0;
    let logged = 0;
    for (const p of placed) {
      if (!p.bidder) continue;
      sent += bidders.stats(p.bidder)!.pings;
      const s = await operator.get(`/targets/${p.targetId}/stats`);
      expect(s.status).toBe(200);
      expect({ target: p.bidder, pings: s.body.pings }).toEqual({
        target: p.bidder,
        pings: bidders.stats(p.bidder)!.pings,
      });
      logged += s.body.pings;
    }
    expect(sent).toBeGreaterThan(600);
    expect(logged).toBe(sent);
  });
});
