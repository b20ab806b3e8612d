import { AppError } from '../common/errors';
import { parseReportQuery, parseRange } from './report-query';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof AppError ? `${e.status} ${e.code}` : String(e);
  }
  return undefined;
};

describe('report query', () => {
  const now = new Date('2026-05-19T15:00:00Z');

  it('defaults to the last 7 days including today in the viewer’s zone, role metrics, sorted by calls', () => {
    const s = parseReportQuery({ tz: 'America/New_York' }, 'publisher', { now });
    expect(s.from.toISOString()).toBe('2026-05-13T04:00:00.000Z');
    expect(s.to.toISOString()).toBe('2026-05-20T04:00:00.000Z');
    expect(s.metrics.map((m) => m.key)).toEqual([
      'calls',
      'unique_callers',
      'connected',
      'converted',
      'conversion_rate',
      'payout',
    ]);
    expect(s.sort).toEqual({ key: 'calls', desc: true });
    expect(s.limit).toBe(1000);
    expect(s.totals).toBe(false);
  });

  it('reads days in the zone with an inclusive end, and ISO instants as given', () => {
    expect(parseRange({ from: '2026-01-15', to: '2026-01-15' }, 'America/Chicago')).toEqual({
      from: new Date('2026-01-15T06:00:00Z'),
      to: new Date('2026-01-16T06:00:00Z'),
    });
    expect(parseRange({ from: '2026-01-15T10:00:00Z', to: '2026-01-15T12:00:00+01:00' }, 'UTC')).toEqual({
      from: new Date('2026-01-15T10:00:00Z'),
      to: new Date('2026-01-15T11:00:00Z'),
    });
    expect(code(() => parseRange({ from: '2026-01-16', to: '2026-01-15' }, 'UTC'))).toBe('400 INVALID_RANGE');
    expect(code(() => parseRange({ from: '2024-01-01', to: '2026-01-15' }, 'UTC'))).toBe('400 INVALID_RANGE');
  });

  it('groups by dimensions and tags, sorts by a date dimension first', () => {
    const s = parseReportQuery({ groupBy: 'day,campaign,tag.sub_id', metrics: 'calls,revenue' }, 'operator', {
      now,
    });
    expect(s.dimensions.map((d) => d.key)).toEqual(['day', 'campaign', 'tag.sub_id']);
    expect(s.dimensions[2].tag).toBe('sub_id');
    expect(s.sort).toEqual({ key: 'day', desc: false });
    expect(
      parseReportQuery({ groupBy: 'campaign', sort: '-revenue', metrics: 'revenue' }, 'operator').sort,
    ).toEqual({
      key: 'revenue',
      desc: true,
    });
  });

  it('refuses what does not exist with 400 and what the role may not see with 403', () => {
    expect(code(() => parseReportQuery({ groupBy: 'password_hash' }, 'operator'))).toBe(
      '400 UNKNOWN_DIMENSION',
    );
    expect(code(() => parseReportQuery({ metrics: 'calls,1;DROP' }, 'operator'))).toBe('400 UNKNOWN_METRIC');
    expect(code(() => parseReportQuery({ groupBy: "tag.x'y" }, 'operator'))).toBe('400 UNKNOWN_DIMENSION');
    expect(code(() => parseReportQuery({ metrics: 'revenue' }, 'publisher'))).toBe('403 METRIC_NOT_ALLOWED');
    expect(code(() => parseReportQuery({ metrics: 'profit' }, 'buyer'))).toBe('403 METRIC_NOT_ALLOWED');
    expect(code(() => parseReportQuery({ groupBy: 'buyer' }, 'publisher'))).toBe('403 DIMENSION_NOT_ALLOWED');
    expect(code(() => parseReportQuery({ groupBy: 'publisher' }, 'buyer'))).toBe('403 DIMENSION_NOT_ALLOWED');
    expect(code(() => parseReportQuery({ groupBy: 'tag.caller_number' }, 'publisher'))).toBe(
      '403 DIMENSION_NOT_ALLOWED',
    );
    expect(code(() => parseReportQuery({ 'filter.publisher': 'x' }, 'publisher'))).toBe(
      '403 DIMENSION_NOT_ALLOWED',
    );
    expect(code(() => parseReportQuery({ tz: 'Nowhere/Land' }, 'operator'))).toBe('400 INVALID_TIMEZONE');
    expect(code(() => parseReportQuery({ groupBy: 'a,b,c,d,e' }, 'operator'))).toBe(
      '400 TOO_MANY_DIMENSIONS',
    );
    expect(code(() => parseReportQuery({ limit: '0' }, 'operator'))).toBe('400 INVALID_PARAMETER');
    expect(code(() => parseReportQuery({ sort: 'campaign' }, 'operator'))).toBe('400 INVALID_SORT');
    expect(code(() => parseReportQuery({ other: '1' }, 'operator'))).toBe('400 UNKNOWN_PARAMETER');
  });

  it('reads filters: repeated values OR together, ids are checked, "none" stands for no id', () => {
    const s = parseReportQuery(
      {
        'filter.utm_source': ['google', 'bing'],
        'filter.landing_page': 'https://x.example/?a=1,2',
        'filter.buyer': 'none',
        'filter.tag.sub_id': '7',
      },
      'operator',
    );
    expect(s.filters.map((f) => [f.dimension.key, f.values])).toEqual([
      ['utm_source', ['google', 'bing']],
      ['landing_page', ['https://x.example/?a=1,2']],
      ['buyer', ['none']],
      ['tag.sub_id', ['7']],
    ]);
    expect(code(() => parseReportQuery({ 'filter.campaign': "1' OR '1'='1" }, 'operator'))).toBe(
      '400 INVALID_FILTER',
    );
    expect(code(() => parseReportQuery({ 'filter.day': '2026-01-01' }, 'operator'))).toBe(
      '400 INVALID_FILTER',
    );
  });
});
