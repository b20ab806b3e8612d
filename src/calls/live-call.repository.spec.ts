import { routingPlan } from '../auction/auction-routing';
import type { AuctionResult, Bid } from '../auction/auction.types';
import { type Candidate, type LiveCall, newCall } from './call-machine';
import { decodeCall, encodeCall } from './live-call.repository';

const candidate = (id: string): Candidate => ({
  targetId: id,
  buyerId: `buyer-${id}`,
  destination: '+13125550177',
  ringTimeoutS: 30,
  conversionSeconds: null,
  revenue: '30.00',
  concurrencyCap: null,
  caps: {},
});

function routedCall(): LiveCall {
  const call = newCall('session-1', 1_000);
  const candidates = [candidate('t1'), candidate('t2')];
  call.routing = { startedAt: 1_000, candidates, next: 2, skipped: [] };
  call.attempts = twoAttempts(candidates);
  return call;
}

/** Attempts 1 and 2, sent to the first two candidates. */
function twoAttempts(candidates: Candidate[]): LiveCall['attempts'] {
  return [1, 2].map((n) => ({
    n,
    target: candidates[n - 1],
    transfer: { s: 'ok' as const, tries: 1 },
    leg: {},
    reserved: true,
    reservedAt: 1_000 + n,
  }));
}

describe('live call stored form', () => {
  it('stores each attempt target once, as its candidate index, and reads back the same call', () => {
    const call = routedCall();
    const json = encodeCall(call);
    expect(json.split('"buyerId":"buyer-t1"').length - 1).toBe(1);
    const back = decodeCall(json);
    expect(back).toEqual(call);
    expect(back.attempts[0].target).toBe(back.routing!.candidates[0]);
    expect(back.attempts[1].target).toBe(back.routing!.candidates[1]);
  });

  it('reads states written with the full target in each attempt', () => {
    const call = routedCall();
    expect(decodeCall(JSON.stringify(call))).toEqual(call);
  });

  it('keeps a target that is not one of the candidates as it is', () => {
    const call = routedCall();
    call.attempts[1].target = candidate('elsewhere');
    expect(decodeCall(encodeCall(call))).toEqual(call);
  });

  it('refuses a stored attempt that names a missing candidate', () => {
    const json = encodeCall(routedCall()).replace('"ti":1', '"ti":7');
    expect(() => decodeCall(json)).toThrow(/names a candidate it does not have/);
  });

  describe('auction candidates', () => {
    const bid = (n: number, confirm: boolean): Bid => ({
      pingId: `ping-${n}`,
      at: 1_000 + n,
      latencyMs: 12,
      httpStatus: 200,
      requestHash: 'abc',
      cached: false,
      targetId: `t${n}`,
      buyerId: `buyer-${n}`,
      kind: 'ping_post',
      revenue: `${40 - n}.00`,
      destination: `+1312555010${n}`,
      bidId: n === 2 ? null : `bid-${n}`,
      expiresAt: null,
      requiredTalkSeconds: n === 1 ? 90 : null,
      conversionSeconds: n === 1 ? 90 : null,
      ringTimeoutS: 30,
      priority: 1,
      weight: 1,
      confirm,
      caps: { calls: { day: 10 } },
      concurrencyCap: n === 3 ? 2 : null,
      rank: n,
    });
    const result = (): AuctionResult => ({
      auctionId: 'auction-1',
      callId: 'call-1',
      tenantId: 'tenant-1',
      campaignId: 'campaign-1',
      caller: '+15125550100',
      tags: { utm_source: 'google', caller_state: 'TX' },
      startedAt: 1_000,
      closedAt: 1_050,
      durationMs: 50,
      timing: { eligibilityMs: 1, answeredMs: 40 },
      deadlineMs: 1_500,
      floor: '0.00',
      campaignConversionSeconds: 60,
      dupRoutingWindowS: 0,
      closedBy: 'all_answered',
      bids: [bid(1, true), bid(2, false), bid(3, true)],
      rejected: [],
      skipped: [],
    });
    function auctionCall(): LiveCall {
      const call = newCall('session-2', 1_000);
      const { candidates, skipped } = routingPlan(result());
      call.routing = { startedAt: 1_000, candidates, next: 2, skipped };
      call.attempts = twoAttempts(candidates);
      return call;
    }

    it('stores each bid once and the auction identity and tags once, and reads back the same call', () => {
      const call = auctionCall();
      const json = encodeCall(call);
      expect(json.split('"auction-1"').length - 1).toBe(1);
      expect(json.split('"utm_source"').length - 1).toBe(1);
      expect(json.split('"buyer-1"').length - 1).toBe(1);
      expect(json.length).toBeLessThan(JSON.stringify(call).length * 0.6);
      const back = decodeCall(json);
      expect(back).toEqual(call);
      expect(back.attempts[1].target).toBe(back.routing!.candidates[1]);
      // Encoded again from what was read, it is the same stored form.
      expect(encodeCall(back)).toBe(json);
    });

    it('stores in full a candidate that differs from its bid, and reads it back the same', () => {
      const call = auctionCall();
      call.routing!.candidates[2] = { ...call.routing!.candidates[2], revenue: '99.00' };
      const json = encodeCall(call);
      expect(json).toContain('"99.00"');
      expect(decodeCall(json)).toEqual(call);
    });

    it('reads states written with full auction candidates, and stores them compactly again', () => {
      const call = auctionCall();
      // The form written before: attempts name their candidate by index, candidates in full.
      const attempts = call.attempts.map(({ target: _t, ...rest }) => ({ ...rest, ti: rest.n - 1 }));
      const back = decodeCall(JSON.stringify({ ...call, attempts }));
      expect(back).toEqual(call);
      expect(encodeCall(back)).toBe(encodeCall(call));
      expect(decodeCall(JSON.stringify(call))).toEqual(call);
    });
  });
});
