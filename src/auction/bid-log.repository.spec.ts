import { bidLogLine, type BidLogRow } from './bid-log.repository';

const row = (over: Partial<BidLogRow> = {}): BidLogRow => ({
  pingId: '5d1f3a3e-8a9b-4c5d-9e0f-112233445566',
  auctionId: '0b8f6a1c-2d3e-4f50-8a61-778899aabbcc',
  callId: 'call-1',
  tenantId: '11111111-2222-4333-8444-555555555555',
  campaignId: '66666666-7777-4888-9999-aaaaaaaaaaaa',
  buyerId: 'bbbbbbbb-cccc-4ddd-8eee-ffffffffffff',
  targetId: '12345678-9abc-4def-8123-456789abcdef',
  kind: 'ping_post',
  requestHash: '0123456789abcdef0123456789abcdef',
  latencyMs: 41.23456,
  httpStatus: 200,
  outcome: 'bid',
  reason: '',
  bid: '12.5000',
  bidId: 'b-1',
  destination: '+13125550100',
  expiresAt: Date.UTC(2024, 4, 1, 12, 0, 30, 5),
  requiredTalkSeconds: 90,
  rank: 1,
  cached: false,
  won: false,
  award: '',
  at: Date.UTC(2024, 4, 1, 12, 0, 0, 123),
  version: 1,
  ...over,
});

describe('bidLogLine', () => {
  it('writes every bid_log column as JSONEachRow expects it', () => {
    expect(JSON.parse(bidLogLine(row()))).toEqual({
      ping_id: '5d1f3a3e-8a9b-4c5d-9e0f-112233445566',
      auction_id: '0b8f6a1c-2d3e-4f50-8a61-778899aabbcc',
      call_id: 'call-1',
      tenant_id: '11111111-2222-4333-8444-555555555555',
      campaign_id: '66666666-7777-4888-9999-aaaaaaaaaaaa',
      buyer_id: 'bbbbbbbb-cccc-4ddd-8eee-ffffffffffff',
      target_id: '12345678-9abc-4def-8123-456789abcdef',
      target_kind: 'ping_post',
      request_hash: '0123456789abcdef0123456789abcdef',
      latency_ms: 41.23,
      http_status: 200,
      outcome: 'bid',
      reason: '',
      bid: '12.5000',
      bid_id: 'b-1',
      destination: '+13125550100',
      expires_at: '2024-05-01 12:00:30.005',
      required_talk_s: 90,
      rank: 1,
      cached: false,
      won: false,
      award: '',
      at: '2024-05-01 12:00:00.123',
      version: 1,
    });
  });

  it('writes absent values as null or empty text, as the columns take them', () => {
    const parsed = JSON.parse(
      bidLogLine(
        row({
          outcome: 'rejected',
          reason: 'timeout',
          bid: null,
          bidId: null,
          destination: null,
          expiresAt: null,
          requiredTalkSeconds: null,
          rank: 0,
          httpStatus: 0,
        }),
      ),
    ) as Record<string, unknown>;
    expect(parsed).toMatchObject({
      bid: null,
      bid_id: '',
      destination: '',
      expires_at: null,
      required_talk_s: null,
      rank: 0,
      http_status: 0,
    });
  });

  it('keeps text from buyers inside its field and on one line (a queue entry is split on newlines)', () => {
    const hostile = 'x","won":true,\n"y\u2028\\';
    const line = bidLogLine(row({ bidId: hostile, destination: hostile, callId: hostile }));
    expect(line).not.toContain('\n');
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed.bid_id).toBe(hostile);
    expect(parsed.destination).toBe(hostile);
    expect(parsed.call_id).toBe(hostile);
    expect(parsed.won).toBe(false);
  });

  it('gives each row its own times when rows alternate between instants', () => {
    const a = JSON.parse(bidLogLine(row({ at: Date.UTC(2024, 0, 1, 0, 0, 0, 1) }))) as { at: string };
    const b = JSON.parse(bidLogLine(row({ at: Date.UTC(2024, 0, 1, 0, 0, 0, 2) }))) as { at: string };
    const c = JSON.parse(bidLogLine(row({ at: Date.UTC(2024, 0, 1, 0, 0, 0, 1) }))) as { at: string };
    expect([a.at, b.at, c.at]).toEqual([
      '2024-01-01 00:00:00.001',
      '2024-01-01 00:00:00.002',
      '2024-01-01 00:00:00.001',
    ]);
  });
});
