import { normalisePing, targetShapeProblems, type TargetShape } from './target-rules';
import type { PingSpec } from './ping-spec';

const ping = (over: Partial<PingSpec> = {}): PingSpec => ({
  ...normalisePing({ url: 'https://b.example.com/ping', parse: { bid: { path: 'bid' } } })!,
  ...over,
});

const fields = (t: TargetShape) => targetShapeProblems(t).map((p) => p.field);

describe('target rules', () => {
  it('fills request defaults', () => {
    expect(ping()).toEqual({
      url: 'https://b.example.com/ping',
      method: 'POST',
      headers: {},
      bodyTemplate: null,
      contentType: 'application/json',
      timeoutMs: 2000,
      parse: { bid: { path: 'bid' } },
      confirm: null,
    });
  });

  it('requires destination and revenue, and no ping, on a static target', () => {
    expect(fields({ kind: 'static', destination: '+12125550123', revenue: '10.00', ping: null })).toEqual([]);
    expect(fields({ kind: 'static', destination: null, revenue: null, ping: ping() })).toEqual([
      'destination',
      'revenue',
      'ping',
    ]);
  });

  it('requires a ping, a way to find the destination, and exactly one source of the bid on ping/post', () => {
    expect(fields({ kind: 'ping_post', destination: null, revenue: null, ping: null })).toEqual(['ping']);
    expect(
      fields({ kind: 'ping_post', destination: 'sip:a@b.example.com', revenue: null, ping: ping() }),
    ).toEqual([]);
    expect(fields({ kind: 'ping_post', destination: null, revenue: null, ping: ping() })).toEqual([
      'destination',
    ]);
    const withDest = ping({ parse: { bid: { path: 'bid' }, destination: { path: 'phone' } } });
    expect(fields({ kind: 'ping_post', destination: null, revenue: null, ping: withDest })).toEqual([]);
    expect(fields({ kind: 'ping_post', destination: null, revenue: '5.00', ping: withDest })).toEqual([
      'revenue',
    ]);
    const acceptOnly = ping({ parse: { accepted: { path: 'ok' }, destination: { path: 'phone' } } });
    expect(fields({ kind: 'ping_post', destination: null, revenue: null, ping: acceptOnly })).toEqual([
      'revenue',
    ]);
    expect(fields({ kind: 'ping_post', destination: null, revenue: '5.00', ping: acceptOnly })).toEqual([]);
  });

  it('refuses a GET with a body, an ambiguous accept rule, and an accept value without a path', () => {
    const d = 'sip:a@b.example.com';
    expect(
      fields({
        kind: 'ping_post',
        destination: d,
        revenue: null,
        ping: ping({ method: 'GET', bodyTemplate: '{}' }),
      }),
    ).toEqual(['ping.bodyTemplate']);
    const both = ping({
      parse: { bid: { path: 'bid' }, accepted: { path: 'ok', value: 'yes', regex: '^y' } },
    });
    expect(fields({ kind: 'ping_post', destination: d, revenue: null, ping: both })).toEqual([
      'ping.parse.accepted',
    ]);
    const confirm = normalisePing({
      url: 'https://b.example.com/ping',
      parse: { bid: { path: 'bid' } },
      confirm: { url: 'https://b.example.com/c', method: 'GET', bodyTemplate: 'x', acceptValue: 'ok' },
    });
    expect(fields({ kind: 'ping_post', destination: d, revenue: null, ping: confirm })).toEqual([
      'ping.confirm.bodyTemplate',
      'ping.confirm.acceptValue',
    ]);
  });
});
