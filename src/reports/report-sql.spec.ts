import { parseReportQuery } from './report-query';
import { buildReportSql } from './report-sql';

const TABLE = '`db`.`cdr`';
const TENANT = '11111111-1111-4111-8111-111111111111';

describe('report SQL', () => {
  it('binds every value and keeps identifiers to the catalog', () => {
    const evil = "x' OR 1=1) --";
    const spec = parseReportQuery(
      {
        groupBy: 'day,utm_source,tag.sub_id',
        metrics: 'calls,conversion_rate,revenue',
        tz: 'America/New_York',
        'filter.utm_source': [evil, 'google'],
        'filter.tag.sub_id': evil,
        'filter.campaign': '22222222-2222-4222-8222-222222222222',
        sort: '-conversion_rate',
      },
      'operator',
    );
    const q = buildReportSql(spec, { tenantId: TENANT }, TABLE);
    expect(q.sql).not.toContain(evil);
    expect(q.sql).not.toContain('America/New_York');
    expect(q.sql).not.toContain(TENANT);
    expect(q.sql).not.toContain('sub_id');
    expect(q.params).toMatchObject({
      tenant: TENANT,
      tz: 'America/New_York',
      f0: [evil, 'google'],
      f1k: 'sub_id',
      f1: [evil],
      f2: ['22222222-2222-4222-8222-222222222222'],
      g2: 'sub_id',
    });
    expect(q.sql).toContain('FROM `db`.`cdr` FINAL');
    expect(q.sql).toContain('tenant_id = {tenant:UUID}');
    expect(q.sql).toContain('utm_source IN {f0:Array(String)}');
    expect(q.sql).toContain('tags[{f1k:String}] IN {f1:Array(String)}');
    expect(q.sql).toContain('campaign_id IN {f2:Array(UUID)}');
    expect(q.sql).toContain('GROUP BY d0, d1, d2');
    expect(q.sql).toMatch(/ORDER BY countIf\(converted\) \/ count\(\) DESC, d0 ASC, d1 ASC, d2 ASC/);
    expect(q.params.limit).toBe(1001);
  });

  it('puts the publisher’s and the buyer’s scope in the WHERE clause', () => {
    const spec = parseReportQuery({ metrics: 'calls' }, 'publisher');
    const pub = buildReportSql(spec, { tenantId: TENANT, publisherId: 'p' }, TABLE);
    expect(pub.sql).toContain('publisher_id = {scope_publisher:UUID}');
    expect(pub.params.scope_publisher).toBe('p');
    const buy = buildReportSql(spec, { tenantId: TENANT, buyerId: 'b' }, TABLE);
    expect(buy.sql).toContain('buyer_id = {scope_buyer:UUID}');
    expect(buy.sql).not.toContain('publisher_id =');
  });

  it('adds the totals as a grouping set in the same query', () => {
    const spec = parseReportQuery({ groupBy: 'campaign', metrics: 'calls', totals: 'true' }, 'operator');
    const q = buildReportSql(spec, { tenantId: TENANT }, TABLE);
    expect(q.sql).toContain('GROUP BY GROUPING SETS ((d0), ())');
    expect(q.sql).toContain('ORDER BY _g DESC');
    expect(q.params.limit).toBe(1002);
  });
});
