import { behaviourOf, bidderBid, bidderLatency } from './sandbox-bidders';

describe('sandbox bidder draws', () => {
  it('gives the same latency and bid for the same call, spread over the whole range', () => {
    const b = behaviourOf({ latencyMs: { min: 20, max: 80 }, bid: { min: '5', max: '40.50' } });
    const latencies = new Set<number>();
    const bids: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const callId = `call-${i}`;
      const l = bidderLatency('n01', b, callId);
      expect(bidderLatency('n01', b, callId)).toBe(l);
      expect(l).toBeGreaterThanOrEqual(20);
      expect(l).toBeLessThanOrEqual(80);
      latencies.add(l);
      const bid = bidderBid('n01', b, callId);
      expect(bid).toMatch(/^\d+\.\d{2}$/);
      expect(bidderBid('n01', b, callId)).toBe(bid);
      bids.push(Number(bid));
    }
    expect(latencies.size).toBe(61);
    expect(Math.min(...bids)).toBeLessThan(6);
    expect(Math.max(...bids)).toBeGreaterThan(39.5);
    expect(Math.max(...bids)).toBeLessThanOrEqual(40.5);
    // Two bidders do not move in lockstep.
    const other = Array.from({ length: 50 }, (_, i) => bidderLatency('n02', b, `call-${i}`));
    const same = Array.from({ length: 50 }, (_, i) => bidderLatency('n01', b, `call-${i}`));
    expect(other).not.toEqual(same);
  });

  it('refuses behaviours it cannot play, naming the field', () => {
    expect(() => behaviourOf({ latencyMs: { min: 50, max: 10 } })).toThrow(/latencyMs/);
    expect(() => behaviourOf({ bid: '1.005' })).toThrow(/amount/);
    expect(() => behaviourOf({ mode: 'explode' as never })).toThrow(/mode/);
    expect(() => behaviourOf({ failures: { bid: 0.5 } as never })).toThrow(/failures/);
    expect(() => behaviourOf({ confirm: 'maybe' as never })).toThrow(/confirm/);
  });
});
