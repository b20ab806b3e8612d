import { erlangB, recommendedPoolSize } from './erlang';

describe('Erlang B pool sizing', () => {
  it('matches published table values', () => {
    // 10 Erlangs on 18 lines blocks about 0.0071; on 15 about 0.0365.
    expect(erlangB(10, 18)).toBeCloseTo(0.0071, 3);
    expect(erlangB(10, 15)).toBeCloseTo(0.0365, 3);
  });
  it('recommends the smallest size meeting the target', () => {
    expect(recommendedPoolSize(10, 0.01)).toBe(18);
    expect(erlangB(10, 17)).toBeGreaterThan(0.01);
    expect(recommendedPoolSize(0)).toBe(1);
  });
});
