import { isoToMicros, isoToMs, parseWebhook } from './telnyx-event';

describe('parseWebhook', () => {
  const capture = {
    data: {
      event_type: 'call.hangup',
      id: '08464bf3-4e98-41f5-b526-09e9b04a66c7',
      occurred_at: '2026-05-19T23:30:23.738431Z',
      payload: {
        call_control_id: 'v3:CM8u1zCcmtZ3Jzb6vuXBSzCLS5p7ww8ypCUpyBJVrubAVjjLAAECYg',
        call_leg_id: 'b0457f28-53da-11f1-9961-02420aef271f',
        call_session_id: 'b04574f6-53da-11f1-8e4b-02420aef271f',
        connection_id: '2963572552552678752',
        end_time: '2026-05-19T23:30:23.738431Z',
        from: '+15129342627',
        hangup_cause: 'originator_cancel',
        hangup_source: 'caller',
        sip_hangup_cause: '487',
        start_time: '2026-05-19T23:30:15.038431Z',
        telnyx_error: null,
        to: '+15122548727',
        some_future_field: { nested: true },
      },
      record_type: 'event',
    },
    meta: { attempt: 2, delivered_to: 'https://example.com/webhooks' },
  };

  it('reads a real hangup capture, keeping what the state machine uses and dropping the rest', () => {
    const r = parseWebhook(capture, 1_000);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event).toEqual({
      id: '08464bf3-4e98-41f5-b526-09e9b04a66c7',
      type: 'call.hangup',
      occurredAt: '2026-05-19T23:30:23.738431Z',
      us: Date.parse('2026-05-19T23:30:23Z') * 1000 + 738431,
      attempt: 2,
      rx: 1_000,
      sessionId: 'b04574f6-53da-11f1-8e4b-02420aef271f',
      callControlId: 'v3:CM8u1zCcmtZ3Jzb6vuXBSzCLS5p7ww8ypCUpyBJVrubAVjjLAAECYg',
      callLegId: 'b0457f28-53da-11f1-9961-02420aef271f',
      from: '+15129342627',
      to: '+15122548727',
      startTime: '2026-05-19T23:30:15.038431Z',
      endTime: '2026-05-19T23:30:23.738431Z',
      hangupCause: 'originator_cancel',
      hangupSource: 'caller',
      sipHangupCause: '487',
    });
    // As stored in the call's inbox: only the fields the event has.
    expect(Object.keys(JSON.parse(JSON.stringify(r.event)) as object).sort()).toEqual(
      [
        'attempt',
        'callControlId',
        'callLegId',
        'endTime',
        'from',
        'hangupCause',
        'hangupSource',
        'id',
        'occurredAt',
        'rx',
        'sessionId',
        'sipHangupCause',
        'startTime',
        'to',
        'type',
        'us',
      ].sort(),
    );
  });

  it('keeps unknown hangup causes as strings', () => {
    const r = parseWebhook({
      data: { ...capture.data, payload: { ...capture.data.payload, hangup_cause: 'quantum_flux' } },
    });
    expect(r.ok && r.event.hangupCause).toBe('quantum_flux');
  });

  it('refuses envelopes without an id or type', () => {
    for (const bad of [
      null,
      [],
      'x',
      {},
      { data: 1 },
      { data: { id: 'x' } },
      { data: { event_type: 'call.answered' } },
    ]) {
      expect(parseWebhook(bad).ok).toBe(false);
    }
  });

  it('orders microsecond timestamps', () => {
    const a = isoToMicros('2026-05-19T23:30:15.038431Z')!;
    const b = isoToMicros('2026-05-19T23:30:15.038432Z')!;
    expect(b - a).toBe(1);
    expect(isoToMicros('2026-05-19T23:30:15Z')).toBe(Date.parse('2026-05-19T23:30:15Z') * 1000);
    expect(isoToMicros('2026-05-19T23:30:15.5+02:00')).toBe(Date.parse('2026-05-19T21:30:15.5Z') * 1000);
    expect(isoToMicros('yesterday')).toBeUndefined();
    expect(isoToMs('2026-05-19T23:30:15.038431Z')).toBe(Date.parse('2026-05-19T23:30:15.038Z'));
  });
});
