import type { CallAttribution } from '../dni/call-attribution.service';
import { buildCallTags } from './call-tags';
import { callerGeo } from './nanp-geo';
import { periodBuckets } from './target-caps.repository';

describe('caller geography', () => {
  it('maps NANP area codes to their state or province and country', () => {
    expect(callerGeo('+15125550100')).toEqual({ areaCode: '512', state: 'TX', country: 'US' });
    expect(callerGeo('+12125550100')).toMatchObject({ areaCode: '212', state: 'NY' });
    expect(callerGeo('+14165550100')).toMatchObject({ areaCode: '416', state: 'ON', country: 'CA' });
    expect(callerGeo('+442071234567')).toEqual({ country: 'GB' });
    expect(callerGeo('anonymous')).toEqual({});
  });
});

describe('buildCallTags', () => {
  const attribution = {
    tenantId: 't',
    campaignId: 'c1',
    publisherId: 'p1',
    poolId: 'pool1',
    trackingNumber: '+13125550100',
    overflow: false,
    method: 'current_holder',
    confidence: 0.85,
    session: {
      sid: 'sid-123',
      landingPage: 'https://landing.example.com/?utm_source=google',
      referrer: 'https://www.google.com/',
      utm: { source: 'google', medium: 'cpc', campaign: 'spring', term: '', content: '' },
      clickIds: { gclid: 'G1', gbraid: '', wbraid: '', msclkid: '', fbclid: '', ttclid: '' },
      tags: { keyword: 'cheap insurance', campaign_id: 'spoofed', 'bad name!': 'x' },
    },
  } as unknown as CallAttribution;

  it('tags a call with the campaign, the visitor’s attribution and the caller’s geography', () => {
    const tags = buildCallTags({
      caller: '+15125550100',
      trackingNumber: '+13125550100',
      campaign: { id: 'c1', name: 'Auto', vertical: 'insurance' },
      publisherId: 'p1',
      poolId: 'pool1',
      attribution,
    });
    expect(tags).toEqual({
      keyword: 'cheap insurance',
      campaign_id: 'c1',
      campaign_name: 'Auto',
      vertical: 'insurance',
      publisher_id: 'p1',
      pool_id: 'pool1',
      tracking_number: '+13125550100',
      caller_number: '+15125550100',
      caller_area_code: '512',
      caller_state: 'TX',
      caller_country: 'US',
      attribution_method: 'current_holder',
      attribution_confidence: '0.85',
      dni_session_id: 'sid-123',
      utm_source: 'google',
      utm_medium: 'cpc',
      utm_campaign: 'spring',
      gclid: 'G1',
      landing_page: 'https://landing.example.com/?utm_source=google',
      referrer: 'https://www.google.com/',
    });
  });
});

describe('periodBuckets', () => {
  it('cuts UTC hours, days and months', () => {
    expect(periodBuckets(Date.parse('2026-01-02T03:04:05Z'))).toEqual({
      hour: '2026010203',
      day: '20260102',
      month: '202601',
      total: 'all',
    });
  });
});
