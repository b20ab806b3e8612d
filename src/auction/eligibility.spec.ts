import type { TargetEntity } from '../buyers/target.entity';
import type { PingSpec } from '../buyers/ping-spec';
import { type CapSnapshot, capBlock, hasCaps, ruleBlock, scheduleOpen } from './eligibility';

const zero = (): CapSnapshot => ({
  live: 0,
  calls: { hour: 0, day: 0, month: 0, total: 0 },
  conversions: { hour: 0, day: 0, month: 0, total: 0 },
  revenue: { hour: 0n, day: 0n, month: 0n, total: 0n },
});

const ping = (over: Partial<PingSpec['parse']> = {}): PingSpec => ({
  url: 'https://buyer.example.com/ping',
  method: 'POST',
  headers: {},
  bodyTemplate: null,
  contentType: 'application/json',
  timeoutMs: 500,
  parse: { bid: { path: 'bid' }, destination: { path: 'phone' }, ...over },
  confirm: null,
});

type RuleTarget = Parameters<typeof ruleBlock>[0];
const target = (over: Partial<TargetEntity> = {}): RuleTarget => ({
  kind: 'ping_post',
  ping: ping(),
  destination: null,
  revenue: null,
  schedule: null,
  filters: [],
  ...over,
});

describe('capBlock (cap arithmetic)', () => {
  it('lets a target under every cap through', () => {
    const s = zero();
    s.live = 2;
    s.calls.hour = 4;
    s.revenue.day = 999_999n;
    expect(capBlock({ calls: { hour: 5 }, revenue: { day: '100' } }, 3, s)).toBeUndefined();
  });

  it('treats a count equal to its cap as full, like the reservation script', () => {
    const s = zero();
    s.calls.hour = 5;
    expect(capBlock({ calls: { hour: 5 } }, null, s)).toBe('cap_calls_hour');
    s.calls.hour = 4;
    s.conversions.total = 10;
    expect(capBlock({ calls: { hour: 5 }, conversions: { total: 10 } }, null, s)).toBe(
      'cap_conversions_total',
    );
  });

  it('compares revenue caps in ten-thousandths of money, exactly', () => {
    const s = zero();
    s.revenue.month = 1_000_000n; // 100.0000
    expect(capBlock({ revenue: { month: '100.0001' } }, null, s)).toBeUndefined();
    expect(capBlock({ revenue: { month: '100' } }, null, s)).toBe('cap_revenue_month');
  });

  it('checks concurrency first: live attempts at the limit block', () => {
    const s = zero();
    s.live = 3;
    s.calls.day = 100;
    expect(capBlock({ calls: { day: 100 } }, 3, s)).toBe('concurrency');
    expect(capBlock({}, 0, zero())).toBe('concurrency');
  });

  it('knows which targets need their counters read at all', () => {
    expect(hasCaps({ caps: {}, concurrencyCap: null })).toBe(false);
    expect(hasCaps({ caps: { calls: {} }, concurrencyCap: null })).toBe(false);
    expect(hasCaps({ caps: {}, concurrencyCap: 2 })).toBe(true);
    expect(hasCaps({ caps: { revenue: { total: '5' } }, concurrencyCap: null })).toBe(true);
  });
});

describe('ruleBlock (eligibility before any ping)', () => {
  const at = new Date('2026-03-10T15:00:00Z'); // Tuesday 11:00 in New York (EDT)

  it('accepts a well-formed ping/post target and a static one', () => {
    expect(ruleBlock(target(), at, {})).toBeUndefined();
    expect(
      ruleBlock(target({ kind: 'static', ping: null, destination: '+13125550100', revenue: '10' }), at, {}),
    ).toBeUndefined();
  });

  it('leaves out misconfigured targets instead of failing the auction', () => {
    expect(ruleBlock(target({ kind: 'static', ping: null, destination: null, revenue: '10' }), at, {})).toBe(
      'misconfigured',
    );
    expect(ruleBlock(target({ ping: null }), at, {})).toBe('misconfigured');
    // No destination in the response rules and no fallback destination.
    expect(ruleBlock(target({ ping: ping({ destination: undefined }) }), at, {})).toBe('misconfigured');
    // No bid path and no fixed revenue: nothing to bid.
    expect(ruleBlock(target({ ping: ping({ bid: undefined }) }), at, {})).toBe('misconfigured');
    expect(ruleBlock(target({ ping: ping({ bid: undefined }), revenue: '7.5' }), at, {})).toBeUndefined();
  });

  it('applies the schedule in the target time zone, overnight windows included', () => {
    const overnight = {
      timezone: 'America/New_York',
      windows: [{ days: [1, 2, 3, 4, 5], start: '22:00', end: '06:00' }],
    };
    expect(ruleBlock(target({ schedule: overnight }), at, {})).toBe('closed');
    // 03:00 New York on Wednesday: inside Tuesday's overnight window.
    expect(ruleBlock(target({ schedule: overnight }), new Date('2026-03-11T07:00:00Z'), {})).toBeUndefined();
  });

  it('follows daylight saving changes of the zone', () => {
    const nineToFive = {
      timezone: 'America/New_York',
      windows: [{ days: [1, 2, 3, 4, 5, 6, 7], start: '09:00', end: '17:00' }],
    };
    // 13:30 UTC is 08:30 EST on 6 March 2026 (closed) and 09:30 EDT on 9 March 2026, after the change (open).
    expect(scheduleOpen(nineToFive, new Date('2026-03-06T13:30:00Z'))).toBe(false);
    expect(scheduleOpen(nineToFive, new Date('2026-03-09T13:30:00Z'))).toBe(true);
    // Same schedule object, later minute: not served from the memo of the earlier one.
    expect(scheduleOpen(nineToFive, new Date('2026-03-09T21:30:00Z'))).toBe(false);
  });

  it('applies tag and geo filters to the call', () => {
    const t = target({
      filters: [
        { tag: 'caller_state', op: 'in', values: ['CA', 'NY'] },
        { tag: 'loan_amount', op: 'gte', value: '10000' },
      ],
    });
    expect(ruleBlock(t, at, { caller_state: 'NY', loan_amount: '25000' })).toBeUndefined();
    expect(ruleBlock(t, at, { caller_state: 'TX', loan_amount: '25000' })).toBe('filters');
    expect(ruleBlock(t, at, { caller_state: 'CA', loan_amount: '9999.99' })).toBe('filters');
    expect(ruleBlock(t, at, { caller_state: 'CA' })).toBe('filters');
  });
});
