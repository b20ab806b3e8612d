import { formatMoney } from '../common/money';
import { type Attempt, type CallSetup, newCall, type LiveCall } from './call-machine';
import { auctionSummary, summarize } from './call-summary';

const T0 = Date.parse('2026-05-19T23:30:15Z');

function setup(over: Partial<CallSetup> = {}): CallSetup {
  return {
    enriched: true,
    tenantId: 't',
    campaignId: 'c',
    publisherId: 'p',
    poolId: 'pool',
    disposition: { kind: 'route' },
    tags: {},
    attribution: null,
    duplicate: false,
    conversionSeconds: 90,
    dupRoutingWindowS: 0,
    unroutedAction: 'message',
    unroutedMessage: '',
    holdMessage: '',
    payout: { type: 'percent', percent: '25', min: '5', max: '50' },
    ...over,
  };
}

function attempt(n: number, leg: Attempt['leg'], over: Partial<Attempt['target']> = {}): Attempt {
  return {
    n,
    target: {
      targetId: `t${n}`,
      buyerId: `b${n}`,
      destination: `+1312555000${n}`,
      ringTimeoutS: 30,
      conversionSeconds: null,
      revenue: '40',
      concurrencyCap: null,
      caps: {},
      ...over,
    },
    transfer: { s: 'ok', tries: 1, at: T0 + 100 },
    leg,
    reserved: true,
    reservedAt: T0 + 100,
  };
}

function call(over: (c: LiveCall) => void): LiveCall {
  const c = newCall('s', T0);
  c.from = '+15125550100';
  c.to = '+13125550100';
  c.a = {
    ccid: 'v3:a',
    startedAt: T0,
    answeredAt: T0 + 50,
    endedAt: T0 + 200_000,
    hangupCause: 'normal_clearing',
    hangupSource: 'callee',
  };
  c.answer = { s: 'ok', tries: 1, at: T0 + 40 };
  c.routing = { startedAt: T0 + 60, candidates: [], next: 0, skipped: [] };
  c.setup = setup();
  over(c);
  return c;
}

describe('summarize', () => {
  it('converts a call whose talk time reaches the buffer, with integer money', () => {
    const c = call((c) => {
      c.attempts = [
        attempt(1, { ccid: 'v3:b1', startedAt: T0 + 100, endedAt: T0 + 3_100, hangupCause: 'user_busy' }),
        attempt(
          2,
          {
            ccid: 'v3:b2',
            startedAt: T0 + 3_200,
            answeredAt: T0 + 8_200,
            endedAt: T0 + 198_200,
            hangupCause: 'normal_clearing',
          },
          { revenue: '33.3333' },
        ),
      ];
    });
    const s = summarize(c, T0 + 300_000);
    expect(s).toMatchObject({
      state: 'completed',
      reason: null,
      attempts: 2,
      converted: true,
      conversionSeconds: 90,
    });
    expect(s.connected?.target.targetId).toBe('t2');
    expect(s.ringMs).toBe(3_000 + 5_000);
    expect(s.talkMs).toBe(190_000);
    expect(s.totalMs).toBe(200_000);
    // 25 % of 33.3333 = 8.333325 → 8.3333 (half up at 4 decimals), inside min 5 / max 50.
    expect(formatMoney(s.revenue)).toBe('33.3333');
    expect(formatMoney(s.payout)).toBe('8.3333');
    expect(formatMoney(s.profit)).toBe('25.00');
    expect(s.legs.map((l) => [l.leg, l.attempt, l.outcome])).toEqual([
      ['A', null, null],
      ['B', 1, 'busy'],
      ['B', 2, 'connected'],
    ]);
  });

  it('uses the target’s own buffer and pays nothing below it or for a duplicate', () => {
    const short = summarize(
      call((c) => {
        c.attempts = [
          attempt(
            1,
            { startedAt: T0, answeredAt: T0 + 1_000, endedAt: T0 + 30_999 },
            { conversionSeconds: 30 },
          ),
        ];
      }),
      T0,
    );
    expect(short).toMatchObject({
      state: 'completed',
      converted: false,
      conversionSeconds: 30,
      talkMs: 29_999,
    });
    expect([short.revenue, short.payout, short.profit]).toEqual([0n, 0n, 0n]);

    const dup = summarize(
      call((c) => {
        c.setup = setup({ duplicate: true });
        c.attempts = [
          attempt(
            1,
            { startedAt: T0, answeredAt: T0 + 1_000, endedAt: T0 + 31_000 },
            { conversionSeconds: 30 },
          ),
        ];
      }),
      T0,
    );
    expect(dup.converted).toBe(true);
    expect(formatMoney(dup.revenue)).toBe('40.00');
    expect(dup.payout).toBe(0n);
    expect(formatMoney(dup.profit)).toBe('40.00');
  });

  it('names the final state: abandoned, rejected, failed', () => {
    const abandoned = summarize(
      call((c) => {
        c.a.hangupSource = 'caller';
        c.a.hangupCause = 'normal_clearing';
        c.attempts = [
          attempt(1, { startedAt: T0 + 100, endedAt: T0 + 5_000, hangupCause: 'originator_cancel' }),
        ];
      }),
      T0,
    );
    expect(abandoned).toMatchObject({ state: 'abandoned', reason: 'caller_hung_up_ringing' });

    const rejected = summarize(
      call((c) => {
        c.setup = setup({ disposition: { kind: 'reject', reason: 'blocked' } });
      }),
      T0,
    );
    expect(rejected).toMatchObject({ state: 'rejected', reason: 'blocked', attempts: 0 });

    const unrouted = summarize(
      call((c) => {
        c.endReason = 'unrouted';
        c.a.hangupSource = 'caller';
      }),
      T0,
    );
    expect(unrouted).toMatchObject({ state: 'failed', reason: 'unrouted' });

    const carrier = summarize(
      call((c) => {
        c.answer = { s: 'failed', tries: 3, retryable: true };
      }),
      T0,
    );
    expect(carrier).toMatchObject({ state: 'failed', reason: 'carrier_error' });
  });
});

describe('auctionSummary', () => {
  const bid = (rank: number, revenue: string) => ({
    auction: { ctx: {}, bid: { rank, revenue } },
  });
  const withAuction = (c: LiveCall, bids: string[]) => {
    c.routing = {
      startedAt: T0,
      candidates: [],
      next: 0,
      skipped: [],
      auction: { auctionId: 'a', pings: 4, bids },
    };
  };
  const answered = { startedAt: T0 + 200, answeredAt: T0 + 5_000, endedAt: T0 + 200_000 };

  it('is null when no auction ran', () => {
    expect(auctionSummary(call(() => undefined))).toBeNull();
  });

  it('names the bid that took the call and the best bid after it', () => {
    const c = call((x) => {
      withAuction(x, ['60.00', '35.00', '15.00']);
      x.attempts = [
        {
          ...attempt(
            1,
            { ...answered, answeredAt: undefined, hangupCause: 'user_busy' },
            bid(1, '60.00') as never,
          ),
          outcome: 'busy',
        },
        { ...attempt(2, answered, bid(2, '35.00') as never), outcome: 'connected' },
      ];
    });
    expect(auctionSummary(c)).toEqual({ pings: 4, bids: 3, winningBid: '35.00', runnerUpBid: '60.00' });
  });

  it('takes the top two bids when the winner connected, or when nobody did', () => {
    const won = call((x) => {
      withAuction(x, ['60.00', '35.00']);
      x.attempts = [{ ...attempt(1, answered, bid(1, '60.00') as never), outcome: 'connected' }];
    });
    expect(auctionSummary(won)).toMatchObject({ winningBid: '60.00', runnerUpBid: '35.00' });
    const lost = call((x) => withAuction(x, ['60.00']));
    expect(auctionSummary(lost)).toMatchObject({ bids: 1, winningBid: '60.00', runnerUpBid: null });
  });

  it('reports a static fallback by its fixed revenue', () => {
    const c = call((x) => {
      withAuction(x, []);
      x.attempts = [{ ...attempt(1, answered, { revenue: '5.0000' }), outcome: 'connected' }];
    });
    expect(auctionSummary(c)).toEqual({ pings: 4, bids: 0, winningBid: '5.00', runnerUpBid: null });
  });
});
