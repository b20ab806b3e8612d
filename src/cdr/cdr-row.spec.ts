import {
  type CallRecordRow,
  CDR_COLUMNS,
  cdrRowFromLine,
  cdrValues,
  fullTags,
  NIL_UUID,
  toCdrRow,
} from './cdr-row';

const base: CallRecordRow = {
  id: 'c0000000-0000-4000-8000-000000000001',
  tenant_id: 't0000000-0000-4000-8000-000000000001',
  call_session_id: 'v3:abc',
  campaign_id: 'a0000000-0000-4000-8000-000000000001',
  publisher_id: null,
  pool_id: null,
  buyer_id: 'b0000000-0000-4000-8000-000000000001',
  target_id: 'd0000000-0000-4000-8000-000000000001',
  tracking_number: '+13125550100',
  caller: '+15125550123',
  destination: '+13125550111',
  state: 'completed',
  reason: null,
  duplicate: false,
  attribution_method: 'current_holder',
  attribution_confidence: '0.95',
  dni_session_id: 'sid1',
  tags: { utm_source: 'google', caller_state: 'TX', landing_page: 'https://lp/', gclid: 'G1', sub_id: '7' },
  received_at: new Date('2026-05-19T10:00:00.000Z'),
  answered_at: new Date('2026-05-19T10:00:00.150Z'),
  routing_at: new Date('2026-05-19T10:00:00.300Z'),
  ringing_at: new Date('2026-05-19T10:00:00.400Z'),
  connected_at: new Date('2026-05-19T10:00:03.250Z'),
  ended_at: new Date('2026-05-19T10:01:33.000Z'),
  ring_ms: 2850,
  talk_ms: 89750,
  total_ms: 93000,
  attempts: 1,
  converted: true,
  conversion_seconds: 60,
  revenue: '40.0000',
  payout: '10.5000',
  profit: '29.5000',
  hangup_cause: 'normal_clearing',
  hangup_source: 'caller',
  sip_hangup_cause: null,
  legs: [{ callControlId: 'v3:a' }, { callControlId: 'v3:b' }, { callControlId: null }],
  auction: { pings: 4, bids: 3, winningBid: '40.00', runnerUpBid: '35.5' },
};

describe('toCdrRow', () => {
  it('maps a final record to a CDR row', () => {
    const row = toCdrRow(base, Date.parse('2026-05-19T10:02:00.000Z'));
    expect(row).toMatchObject({
      call_id: base.id,
      publisher_id: NIL_UUID,
      buyer_id: base.buyer_id,
      leg_ids: ['v3:a', 'v3:b'],
      utm_source: 'google',
      caller_state: 'TX',
      gclid: 'G1',
      tags: { sub_id: '7' },
      connected: true,
      converted: true,
      blocked: false,
      no_target: false,
      started_at: '2026-05-19 10:00:00.000',
      connected_at: '2026-05-19 10:00:03.250',
      time_to_connect_ms: 3250,
      revenue: '40.0000',
      payout: '10.5000',
      profit: '29.5000',
      auction_pings: 4,
      auction_bids: 3,
      winning_bid: '40.00',
      runner_up_bid: '35.5',
      exported_at: '2026-05-19 10:02:00.000',
      version: Date.parse('2026-05-19T10:02:00.000Z'),
    });
  });

  it('keeps tags that have a column only in the column, and gives them back whole', () => {
    const tags = {
      ...base.tags,
      campaign_id: base.campaign_id!,
      caller_number: base.caller,
      publisher_id: 'other',
    };
    const row = toCdrRow({ ...base, tags }, 1);
    expect(row.tags).toEqual({ sub_id: '7', publisher_id: 'other' });
    // Back whole, plus what the record's columns say (tracking number, attribution…).
    expect(fullTags(row)).toEqual({
      ...tags,
      tracking_number: '+13125550100',
      attribution_method: 'current_holder',
      dni_session_id: 'sid1',
    });
  });

  it('takes timestamps already formatted by PostgreSQL as they are', () => {
    const row = toCdrRow(
      {
        ...base,
        received_at: '2026-05-19 10:00:00.000',
        connected_at: '2026-05-19 10:00:03.250',
        ended_at: '2026-05-19 10:01:33.000',
        answered_at: null,
      },
      1,
    );
    expect(row).toMatchObject({
      started_at: '2026-05-19 10:00:00.000',
      connected_at: '2026-05-19 10:00:03.250',
      answered_at: null,
      time_to_connect_ms: 3250,
    });
    expect(toCdrRow({ ...base, time_to_connect_ms: 42 }, 1).time_to_connect_ms).toBe(42);
  });

  it('flags outcomes and leaves what did not happen empty', () => {
    const row = toCdrRow(
      {
        ...base,
        state: 'rejected',
        reason: 'blocked',
        connected_at: null,
        buyer_id: null,
        auction: null,
        tags: null,
      },
      1,
    );
    expect(row).toMatchObject({
      connected: false,
      blocked: true,
      buyer_id: NIL_UUID,
      time_to_connect_ms: 0,
      auction_pings: 0,
      winning_bid: null,
      utm_source: '',
      tags: {},
    });
    expect(toCdrRow({ ...base, state: 'failed', reason: 'unrouted' }, 1).no_target).toBe(true);
    expect(toCdrRow({ ...base, state: 'abandoned' }, 1).abandoned).toBe(true);
  });

  it('reads tags as text, and keeps a tag out of the Map only where its column holds it', () => {
    const row = toCdrRow(
      {
        ...base,
        tags: {
          utm_source: 7,
          gclid: null,
          tracking_number: '+10000000000',
          attribution_method: 'current_holder',
        },
      } as unknown as CallRecordRow,
      1,
    );
    expect([row.utm_source, row.gclid]).toEqual(['7', '']);
    expect(row.tags).toEqual({ tracking_number: '+10000000000' });
  });
});

describe('cdrRowFromLine', () => {
  it('reads back a positional line, with epoch-millisecond times as ClickHouse text', () => {
    const row = toCdrRow(base, Date.parse('2026-05-19T10:02:00.000Z'));
    const values = cdrValues(row);
    const line = JSON.stringify(
      values.map((v, i) => (CDR_COLUMNS[i] === 'started_at' ? Date.parse('2026-05-19T10:00:00.000Z') : v)),
    );
    expect(cdrRowFromLine(line)).toEqual(row);
    expect(() => cdrRowFromLine(JSON.stringify(values.slice(1)))).toThrow(/values/);
  });
});
