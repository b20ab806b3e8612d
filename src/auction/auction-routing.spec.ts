import type { AuctionResult, Bid } from './auction.types';
import { isAuctionCandidate, routingPlan } from './auction-routing';

const bid = (over: Partial<Bid>): Bid => ({
  pingId: 'p',
  at: 0,
  latencyMs: 30,
  httpStatus: 200,
  requestHash: 'h',
  cached: false,
  targetId: 't',
  buyerId: 'b',
  kind: 'ping_post',
  revenue: '25.50',
  destination: '+13125550100',
  bidId: 'x1',
  expiresAt: null,
  requiredTalkSeconds: 120,
  conversionSeconds: 120,
  ringTimeoutS: 20,
  priority: 1,
  weight: 1,
  confirm: false,
  caps: { calls: { hour: 3 } },
  concurrencyCap: 2,
  rank: 1,
  ...over,
});

const result = (bids: Bid[]): AuctionResult =>
  ({
    auctionId: 'a',
    callId: 'c',
    tenantId: 'tn',
    campaignId: 'cp',
    caller: '+13125550123',
    tags: { caller_state: 'IL' },
    bids,
    rejected: [{ targetId: 't9', reason: 'timeout' }],
    skipped: [{ targetId: 't8', buyerId: 'b8', reason: 'duplicate_caller' }],
  }) as unknown as AuctionResult;

describe('routingPlan', () => {
  it('turns ranked bids into call-flow candidates: the bid is the revenue, the buyer’s talk time the rule', () => {
    const plan = routingPlan(
      result([
        bid({}),
        bid({
          targetId: 't2',
          revenue: '10.00',
          requiredTalkSeconds: null,
          conversionSeconds: 60,
          confirm: true,
        }),
      ]),
    );
    expect(plan.candidates.map((c) => [c.targetId, c.revenue, c.conversionSeconds, c.destination])).toEqual([
      ['t', '25.50', 120, '+13125550100'],
      ['t2', '10.00', 60, '+13125550100'],
    ]);
    expect(plan.candidates[0]).toMatchObject({
      ringTimeoutS: 20,
      concurrencyCap: 2,
      caps: { calls: { hour: 3 } },
    });
    // Tags travel only with candidates whose confirmation needs them.
    expect(plan.candidates[0].auction.ctx.tags).toBeNull();
    expect(plan.candidates[1].auction.ctx).toEqual({
      auctionId: 'a',
      callId: 'c',
      tenantId: 'tn',
      campaignId: 'cp',
      caller: '+13125550123',
      tags: { caller_state: 'IL' },
    });
    expect(plan.skipped).toEqual([
      { targetId: 't8', reason: 'duplicate_caller' },
      { targetId: 't9', reason: 'bid_timeout' },
    ]);
    expect(isAuctionCandidate(plan.candidates[0])).toBe(true);
    expect(isAuctionCandidate({ targetId: 't' })).toBe(false);
  });
});
