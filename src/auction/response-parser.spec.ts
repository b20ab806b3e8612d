import type { PingParseRules } from '../buyers/ping-spec';
import { parseMoney } from '../common/money';
import { parseAmount, parseBidResponse, type ParseContext } from './response-parser';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const ctx = (over: Partial<ParseContext> = {}): ParseContext => ({
  fallbackDestination: null,
  fixedRevenue: null,
  now: NOW,
  ...over,
});

const ringba: PingParseRules = {
  accepted: { path: 'accepted' },
  bid: { path: 'bidAmount' },
  destination: { path: 'phoneNumber' },
  bidId: { path: 'bidId' },
  expiry: { path: 'expireInSeconds', unit: 'seconds' },
  requiredTalkSeconds: { path: 'callLengthSeconds' },
};

const parse = (body: unknown, rules: PingParseRules = ringba, c = ctx()) =>
  parseBidResponse(rules, c, typeof body === 'string' ? body : JSON.stringify(body));

describe('parseBidResponse', () => {
  it('reads every field of a bid', () => {
    const r = parse({
      accepted: true,
      bidAmount: 12.5,
      phoneNumber: '(312) 555-0123',
      bidId: 'b-77',
      expireInSeconds: 30,
      callLengthSeconds: 90,
    });
    expect(r).toEqual({
      ok: true,
      bid: {
        revenue: parseMoney('12.5'),
        destination: '+13125550123',
        bidId: 'b-77',
        expiresAt: NOW + 30_000,
        requiredTalkSeconds: 90,
      },
    });
  });

  it('takes SIP destinations and nested paths with regexes', () => {
    const rules: PingParseRules = {
      accepted: { path: 'data.status', value: 'OK' },
      bid: { path: 'data.price', regex: '\\$?([0-9.]+)' },
      destination: { path: 'data["route to"]' },
    };
    const r = parse(
      { data: { status: 'ok', price: '$7.25 per call', 'route to': 'sip:rtb1@sip.buyer.example.com' } },
      rules,
    );
    expect(r).toEqual({
      ok: true,
      bid: {
        revenue: parseMoney('7.25'),
        destination: 'sip:rtb1@sip.buyer.example.com',
        bidId: null,
        expiresAt: null,
        requiredTalkSeconds: null,
      },
    });
  });

  it.each([
    ['not JSON', '<html>busy</html>', 'invalid_json'],
    ['empty body', '', 'invalid_json'],
    ['accepted false', { accepted: false, bidAmount: 10, phoneNumber: '+13125550123' }, 'not_accepted'],
    [
      'accepted "false" string',
      { accepted: 'false', bidAmount: 10, phoneNumber: '+13125550123' },
      'not_accepted',
    ],
    ['accepted missing', { bidAmount: 10, phoneNumber: '+13125550123' }, 'not_accepted'],
    ['zero bid (a no)', { accepted: true, bidAmount: 0, phoneNumber: '+13125550123' }, 'no_bid'],
    ['no bid field', { accepted: true, phoneNumber: '+13125550123' }, 'no_bid'],
    ['negative bid', { accepted: true, bidAmount: -5, phoneNumber: '+13125550123' }, 'invalid_bid'],
    ['bid not a number', { accepted: true, bidAmount: 'lots', phoneNumber: '+13125550123' }, 'invalid_bid'],
    ['absurd bid', { accepted: true, bidAmount: 1e9, phoneNumber: '+13125550123' }, 'invalid_bid'],
    ['exponent bid', { accepted: true, bidAmount: 1e21, phoneNumber: '+13125550123' }, 'invalid_bid'],
    ['bid is an object', { accepted: true, bidAmount: { v: 3 }, phoneNumber: '+13125550123' }, 'invalid_bid'],
    [
      'invalid destination',
      { accepted: true, bidAmount: 10, phoneNumber: 'call-me-maybe' },
      'invalid_destination',
    ],
    ['destination is a number', { accepted: true, bidAmount: 10, phoneNumber: 555 }, 'invalid_destination'],
    ['no destination, no fallback', { accepted: true, bidAmount: 10 }, 'no_destination'],
    [
      'expiry not a number',
      { accepted: true, bidAmount: 10, phoneNumber: '+13125550123', expireInSeconds: 'soon' },
      'invalid_expiry',
    ],
    [
      'already expired',
      { accepted: true, bidAmount: 10, phoneNumber: '+13125550123', expireInSeconds: 0 },
      'expired',
    ],
    [
      'talk time negative',
      { accepted: true, bidAmount: 10, phoneNumber: '+13125550123', callLengthSeconds: -1 },
      'invalid_talk_time',
    ],
    ['a JSON array', [1, 2, 3], 'not_accepted'],
  ])('%s → %s', (_label, body, reason) => {
    const r = parse(body);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toBe(reason);
  });

  it('keeps the amount and bid id of a rejected bid for the log', () => {
    const r = parse({ accepted: true, bidAmount: '15', bidId: 'x1', phoneNumber: 'nope' });
    expect(r).toEqual({ ok: false, reason: 'invalid_destination', revenue: parseMoney('15'), bidId: 'x1' });
  });

  it('falls back to the target destination only when the response names none', () => {
    const c = ctx({ fallbackDestination: '+13125550199' });
    const none = parse({ accepted: true, bidAmount: 3 }, ringba, c);
    expect(none.ok && none.bid.destination).toBe('+13125550199');
    const bad = parse({ accepted: true, bidAmount: 3, phoneNumber: '12' }, ringba, c);
    expect(!bad.ok && bad.reason).toBe('invalid_destination');
  });

  it('uses the target revenue as the bid of an accept/reject buyer', () => {
    const rules: PingParseRules = { accepted: { path: 'ok' } };
    const c = ctx({ fixedRevenue: parseMoney('22'), fallbackDestination: '+13125550100' });
    const yes = parse({ ok: 'yes' }, rules, c);
    expect(yes.ok && yes.bid.revenue).toBe(parseMoney('22'));
    const no = parse({ ok: 0 }, rules, c);
    expect(!no.ok && no.reason).toBe('not_accepted');
  });

  it('without an accepted rule, any bid is an acceptance', () => {
    const rules: PingParseRules = { bid: { path: 'bid' }, destination: { path: 'to' } };
    expect(parse({ bid: '4.10', to: '+13125550100' }, rules).ok).toBe(true);
    expect(parse({ bid: '0.00', to: '+13125550100' }, rules)).toMatchObject({ ok: false, reason: 'no_bid' });
  });

  it('reads timestamps in ISO 8601, epoch seconds and epoch milliseconds', () => {
    const rules: PingParseRules = { ...ringba, expiry: { path: 'exp', unit: 'timestamp' } };
    const base = { accepted: true, bidAmount: 1, phoneNumber: '+13125550123' };
    const at = (exp: unknown) => {
      const r = parse({ ...base, exp }, rules);
      return r.ok ? r.bid.expiresAt : r.reason;
    };
    expect(at('2026-05-01T12:01:00Z')).toBe(NOW + 60_000);
    expect(at('2026-05-01 12:01:00+00:00')).toBe(NOW + 60_000);
    expect(at(Math.floor((NOW + 90_000) / 1000))).toBe(NOW + 90_000);
    expect(at(String(NOW + 5_000))).toBe(NOW + 5_000);
    expect(at('2026-05-01T11:00:00Z')).toBe('expired');
    expect(at('next tuesday')).toBe('invalid_expiry');
  });

  it('cleans hostile bid ids', () => {
    const r = parse({
      accepted: true,
      bidAmount: 1,
      phoneNumber: '+13125550123',
      bidId: `a\r\nb${'z'.repeat(500)}`,
    });
    expect(r.ok && r.bid.bidId).toBe(`ab${'z'.repeat(126)}`);
  });

  it('does not read inherited properties through a path', () => {
    const rules: PingParseRules = { bid: { path: 'constructor' }, destination: { path: 'to' } };
    expect(parse({ to: '+13125550123' }, rules)).toMatchObject({ ok: false, reason: 'no_bid' });
  });
});

describe('parseAmount', () => {
  it('cuts extra decimals instead of rounding up, and never uses floats', () => {
    expect(parseAmount('12.34567')).toBe(123_456n);
    expect(parseAmount(0.1)).toBe(1_000n);
    expect(parseAmount('  7 ')).toBe(70_000n);
    expect(parseAmount('+3.5')).toBe(35_000n);
    expect(parseAmount('1,000')).toBeUndefined();
    expect(parseAmount(true)).toBeUndefined();
  });
});
