// The tags a call carries into routing filters, reports and (next) bid requests: campaign attributes,
// the visitor's attribution (UTM, click ids, landing page, custom parameters), and caller geography.
import { GEO_TAGS, TAG_NAME } from '../common/tag-filter';
import type { CallAttribution } from '../dni/call-attribution.service';
import { callerGeo } from './nanp-geo';

export interface CallTagInput {
  caller: string;
  trackingNumber: string;
  campaign: { id: string; name: string; vertical: string };
  publisherId: string | null;
  poolId: string;
  attribution?: CallAttribution;
}

const MAX_VALUE = 512;
const MAX_CUSTOM = 40;

export function buildCallTags(input: CallTagInput): Record<string, string> {
  const tags: Record<string, string> = {};
  const put = (name: string, value: string | null | undefined) => {
    if (value !== undefined && value !== null && value !== '') tags[name] = value.slice(0, MAX_VALUE);
  };
  // Custom parameters first, so the system tags below win a name clash.
  const session = input.attribution?.session;
  if (session) {
    let n = 0;
    for (const [name, value] of Object.entries(session.tags ?? {})) {
      if (n >= MAX_CUSTOM) break;
      if (TAG_NAME.test(name) && typeof value === 'string') {
        put(name, value);
        n++;
      }
    }
  }
  put('campaign_id', input.campaign.id);
  put('campaign_name', input.campaign.name);
  put('vertical', input.campaign.vertical);
  put('publisher_id', input.publisherId);
  put('pool_id', input.poolId);
  put('tracking_number', input.trackingNumber);
  put('caller_number', input.caller);
  const geo = callerGeo(input.caller);
  put(GEO_TAGS.areaCode, geo.areaCode);
  put(GEO_TAGS.state, geo.state);
  put('caller_country', geo.country);
  const a = input.attribution;
  if (a) {
    put('attribution_method', a.method);
    put('attribution_confidence', a.confidence.toFixed(2));
  }
  if (session) {
    put('dni_session_id', session.sid);
    for (const [k, v] of Object.entries(session.utm ?? {})) put(`utm_${k}`, v);
    for (const [k, v] of Object.entries(session.clickIds ?? {})) put(k, v);
    put('landing_page', session.landingPage);
    put('referrer', session.referrer);
  }
  return tags;
}
