import { isSipUri, nanpAreaCode, normaliseDestination, toE164 } from './phone';

describe('phone', () => {
  it('normalises common US formats to E.164', () => {
    for (const f of ['(212) 555-0123', '212-555-0123', '1 212 555 0123', '+1 212.555.0123', '2125550123']) {
      expect(toE164(f)).toBe('+12125550123');
    }
  });
  it('rejects non-numbers', () => {
    for (const f of ['123', 'abc', '+1 000 000 0000', '9'.repeat(40)]) expect(toE164(f)).toBeUndefined();
  });
  it('accepts SIP URIs as destinations', () => {
    expect(isSipUri('sip:buyer@sip.example.com')).toBe(true);
    expect(normaliseDestination('sip:agent1@pbx.example.com:5060')).toBe('sip:agent1@pbx.example.com:5060');
    expect(normaliseDestination('sip:nohost')).toBeUndefined();
  });
  it('extracts the area code', () => {
    expect(nanpAreaCode('+12125550123')).toBe('212');
    expect(nanpAreaCode('+442071234567')).toBeUndefined();
  });
});
