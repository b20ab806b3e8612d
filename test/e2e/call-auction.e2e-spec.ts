// Calls sold in the real-time auction, end to end: the sandbox carrier places a call to a tracking
// number, the app answers, pings the campaign's sandbox bidders over HTTP, bridges the caller to the
// highest valid bid, and falls through to the next bid when the winner is busy or refuses to confirm;
// static targets under the floor still catch the call as fallbacks; the hold message plays while the
// buyers bid; every ping lands in ClickHouse bid_log and the final record carries the auction summary.
import type { RunningApp } from '../../src/app.bootstrap';
import { AuctionService } from '../../src/auction/auction.service';
import { BidLogExportService } from '../../src/auction/bid-log-export.service';
import { ClickHouseService } from '../../src/infra/clickhouse/clickhouse.service';
import type { SandboxCarrier } from '../../src/sandbox/carrier';
import { type BidderBehaviour, SandboxBidders } from '../../src/sandbox/buyers';
import { startTestApp, uniqueNumber } from '../support/test-app';
import { callerNumber, recordApi, type Setup, setupCampaign, waitForRecord } from './telephony-support';

interface Bidder {
  key: string;
  name: string;
  targetId: string;
  destination: string;
}

describe('calls sold in the real-time auction (sandbox carrier and bidders, real stores)', () => {
  let app: RunningApp;
  let carrier: SandboxCarrier;
  let bidders: SandboxBidders;
  let seq = 0;

  beforeAll(async () => {
    bidders = new SandboxBidders();
    await bidders.start();
    app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true', DNI_RATE_LIMIT_PER_IP: '1000000' });
    carrier = app.sandbox!;
  });
  afterAll(async () => {
    await app?.close();
    await bidders?.stop();
  });

  /** A ping/post buyer of the campaign answered by a sandbox bidder; its calls are answered by the carrier. */
  async function addBidder(
    s: Setup,
    key: string,
    behaviour: Partial<BidderBehaviour>,
    target: Record<string, unknown> = {},
  ): Promise<Bidder> {
    const name = `${key}-${++seq}-${Date.now()}`;
    const b = bidders.set(name, { destination: uniqueNumber(), latencyMs: 10, ...behaviour });
    const buyer = await s.operator.post('/buyers', { name: `${key} ${seq}` });
    expect(buyer.status).toBe(201);
    const t = await s.operator.post(`/buyers/${buyer.body.id}/targets`, {
      name: key,
      kind: 'ping_post',
      ping: bidders.targetPing(name),
      campaignIds: [s.campaign.id],
      ...target,
    });
    if (t.status !== 201) throw new Error(`target ${key}: ${JSON.stringify(t.body)}`);
    carrier.setDestinationBehaviour(b.destination, { mode: 'answer', answerAfterMs: 100, talkMs: 1_500 });
    return { key, name, targetId: t.body.id, destination: b.destination };
  }

  /** Places a call to the campaign's first number and waits for its final record; `api` logged its commands. */
  async function call(s: Setup) {
    const api = recordApi(carrier);
    const placed = carrier.placeInboundCall({ from: callerNumber(), to: s.numbers[0] });
    try {
      await carrier.waitForCallEnd(placed.callControlId, 15_000);
      const record = await waitForRecord(s.operator, placed.callSessionId);
      const commands = (action: string) => api.commands(placed.callControlId, action);
      const sentTo = () => commands('transfer').map((e) => (e.requestBody as any).to as string);
      return { record, api, commands, sentTo };
    } finally {
      api.stop();
    }
  }

  async function bidLog(callId: string): Promise<Array<Record<string, unknown>>> {
    await app.app.get(AuctionService).settled();
    await app.app.get(BidLogExportService).flush();
    const ch = app.app.get(ClickHouseService);
    const rs = await ch.client.query({
      query: `SELECT target_id, target_kind, outcome, reason, toString(bid) AS bid, rank, won, award
              FROM ${ch.table('bid_log')} FINAL WHERE call_id = {callId:String} ORDER BY rank, target_id`,
      query_params: { callId },
      format: 'JSONEachRow',
    });
    return rs.json();
  }

  it('bridges the caller to the highest bid and logs every ping', async () => {
    const s = await setupCampaign(app, { targets: [], campaign: { auctionDeadlineMs: 1_000 } });
    const low = await addBidder(s, 'low', { bid: '20' });
    const high = await addBidder(s, 'high', { bid: '45', latencyMs: 40 });
    const mid = await addBidder(s, 'mid', { bid: '30' });
    const none = await addBidder(s, 'none', { mode: 'no_bid' });
    const { record, sentTo } = await call(s);
    expect(record).toMatchObject({
      state: 'completed',
      targetId: high.targetId,
      destination: high.destination,
      attempts: 1,
      converted: true,
      revenue: '45.00',
      auction: { pings: 4, bids: 3, winningBid: '45.00', runnerUpBid: '30.00' },
    });
    const transfers = sentTo();
    expect(transfers).toEqual([high.destination]);
    for (const b of [low, high, mid, none]) expect(bidders.stats(b.name)!.pings).toBe(1);
    // The ping carries the call's tags; the caller number is masked by default.
    const ping = JSON.parse(bidders.requests(high.name)[0].body);
    expect(ping.call_id).toBe(record.id);
    expect(ping.caller).not.toBe(record.caller);

    const log = await bidLog(record.id);
    const byTarget = new Map(log.map((r) => [r.target_id, r]));
    expect(log).toHaveLength(4);
    expect(byTarget.get(high.targetId)).toMatchObject({ outcome: 'bid', rank: 1, won: true, award: 'won' });
    expect(byTarget.get(mid.targetId)).toMatchObject({ outcome: 'bid', rank: 2, won: false });
    expect(byTarget.get(low.targetId)).toMatchObject({ outcome: 'bid', rank: 3, won: false });
    expect(byTarget.get(none.targetId)).toMatchObject({ outcome: 'rejected', reason: 'not_accepted' });
  });

  it('falls through to the next bid when the winner is busy', async () => {
    const s = await setupCampaign(app, { targets: [] });
    const top = await addBidder(s, 'top', { bid: '60' });
    const next = await addBidder(s, 'next', { bid: '35' });
    await addBidder(s, 'last', { bid: '15' });
    carrier.setDestinationBehaviour(top.destination, { mode: 'busy', answerAfterMs: 100 });
    const { record, sentTo } = await call(s);
    expect(record).toMatchObject({
      state: 'completed',
      targetId: next.targetId,
      attempts: 2,
      revenue: '35.00',
      auction: { pings: 3, bids: 3, winningBid: '35.00', runnerUpBid: '60.00' },
    });
    expect(record.legs.slice(1)).toEqual([
      expect.objectContaining({ attempt: 1, targetId: top.targetId, outcome: 'busy' }),
      expect.objectContaining({ attempt: 2, targetId: next.targetId, outcome: 'connected' }),
    ]);
    const transfers = sentTo();
    expect(transfers).toEqual([top.destination, next.destination]);
    // Both offers are in the bid log: the busy winner's award and the bid that took the call.
    const log = await bidLog(record.id);
    expect(log.filter((r) => r.won).map((r) => r.target_id)).toEqual([top.targetId, next.targetId]);
  });

  it('moves on when the winner refuses the confirmation, and the refusing buyer is not called', async () => {
    const s = await setupCampaign(app, { targets: [] });
    const refuses = await addBidder(s, 'refuses', { bid: '50', confirm: 'refuse' });
    const confirms = await addBidder(s, 'confirms', { bid: '40', confirm: 'accept' });
    const { record, sentTo } = await call(s);
    expect(record).toMatchObject({ state: 'completed', targetId: confirms.targetId, revenue: '40.00' });
    expect(record.attempts).toBe(1);
    const transfers = sentTo();
    expect(transfers).toEqual([confirms.destination]);
    // The confirmation (post) shows the winner the full caller number and its bid id.
    const confirm = bidders.requests(refuses.name).find((r) => r.kind === 'confirm')!;
    expect(JSON.parse(confirm.body).caller).toBe(record.caller);
    const log = await bidLog(record.id);
    expect(log.find((r) => r.target_id === refuses.targetId)).toMatchObject({ award: 'confirm_refused' });
    expect(log.find((r) => r.target_id === confirms.targetId)).toMatchObject({ award: 'won', won: true });
  });

  it('sends the call to a static target under the floor when no bid reaches it', async () => {
    const s = await setupCampaign(app, {
      campaign: { floorPrice: '25.00' },
      targets: [{ revenue: '5' }],
    });
    carrier.setDestinationBehaviour(s.targets[0].destination, {
      mode: 'answer',
      answerAfterMs: 100,
      talkMs: 1_500,
    });
    await addBidder(s, 'cheap', { bid: '12' });
    const { record } = await call(s);
    expect(record).toMatchObject({
      state: 'completed',
      targetId: s.targets[0].id,
      revenue: '5.00',
      auction: { pings: 1, bids: 0, winningBid: '5.00', runnerUpBid: null },
    });
    const log = await bidLog(record.id);
    expect(log.map((r) => r.reason).sort()).toEqual(['below_floor', 'below_floor']);
  });

  it('plays the hold message while the buyers bid, then bridges as usual', async () => {
    const s = await setupCampaign(app, {
      targets: [],
      campaign: { holdMessage: 'Please hold while we find an agent.', auctionDeadlineMs: 1_000 },
    });
    const slow = await addBidder(s, 'slow', { bid: '25', latencyMs: 400 });
    const { record, api, commands } = await call(s);
    expect(record).toMatchObject({ state: 'completed', targetId: slow.targetId, revenue: '25.00' });
    const speaks = commands('speak').map((e) => (e.requestBody as any).payload);
    expect(speaks).toEqual(['Please hold while we find an agent.']);
    expect(commands('hangup')).toHaveLength(0);
    const order = api.all
      .map((e) => /\/actions\/([a-z_]+)/.exec(e.url)?.[1])
      .filter((a) => a === 'speak' || a === 'transfer');
    expect(order).toEqual(['speak', 'transfer']);
  });

  it('refuses a hold message with markup', async () => {
    const s = await setupCampaign(app, { targets: [] });
    const r = await s.operator.patch(`/campaigns/${s.campaign.id}`, { holdMessage: '<speak>hi</speak>' });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('holdMessage');
  });
});
