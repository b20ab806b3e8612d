// ClickHouse `cdr`: inserts exported rows and reads single CDRs back. Report queries live in
// src/reports. The client is taken from ClickHouseService on every call (never kept), so a replaced or
// reconnected client is picked up at once.
import { Injectable } from '@nestjs/common';
import { ClickHouseService } from '../infra/clickhouse/clickhouse.service';
import { CDR_COLUMNS, type CdrRow, cdrValues } from './cdr-row';

@Injectable()
export class CdrRepository {
  constructor(private readonly clickhouse: ClickHouseService) {}

  /** Inserts rows (as positional JSONCompactEachRow lines: about half the bytes of keyed JSON). */
  insert(rows: CdrRow[]): Promise<void> {
    return this.insertLines(rows.map((r) => JSON.stringify(cdrValues(r))));
  }

  /**
   * Inserts CDRs given as JSONCompactEachRow lines in CDR_COLUMNS order, as they are: the export's lines
   * come ready-made from PostgreSQL, so nothing is parsed or serialised here.
   */
  insertLines(lines: string[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    return this.insertBody(Buffer.from(`${lines.join('\n')}\n`));
  }

  /** Inserts CDRs given as one JSONCompactEachRow text (CDR_COLUMNS order, a newline after each row). */
  insertBody(body: Buffer): Promise<void> {
    return this.clickhouse.insertFormatted('cdr', CDR_COLUMNS, 'JSONCompactEachRow', body);
  }

  /** CDRs of a tenant after de-duplication (FINAL), and the rows physically stored before it. */
  async counts(tenantId: string): Promise<{ final: number; stored: number; distinct: number }> {
    const table = this.clickhouse.table('cdr');
    const r = await this.clickhouse.client.query({
      query: `SELECT
          (SELECT count() FROM ${table} FINAL WHERE tenant_id = {t:UUID}) AS final,
          (SELECT count() FROM ${table} WHERE tenant_id = {t:UUID}) AS stored,
          (SELECT uniqExact(call_id) FROM ${table} WHERE tenant_id = {t:UUID}) AS distinct_calls`,
      query_params: { t: tenantId },
      format: 'JSONEachRow',
    });
    const [row] = await r.json<{ final: string; stored: string; distinct_calls: string }>();
    return { final: Number(row.final), stored: Number(row.stored), distinct: Number(row.distinct_calls) };
  }

  /** The CDRs of a tenant by call id (latest version of each). */
  async byIds(tenantId: string, callIds: string[]): Promise<Array<Record<string, unknown>>> {
    if (callIds.length === 0) return [];
    const r = await this.clickhouse.client.query({
      query: `SELECT * EXCEPT (revenue, payout, profit, winning_bid, runner_up_bid, attribution_confidence),
          toString(revenue) AS revenue, toString(payout) AS payout, toString(profit) AS profit,
          if(isNull(winning_bid), NULL, toString(winning_bid)) AS winning_bid,
          if(isNull(runner_up_bid), NULL, toString(runner_up_bid)) AS runner_up_bid,
          if(isNull(attribution_confidence), NULL, toString(attribution_confidence)) AS attribution_confidence
        FROM ${this.clickhouse.table('cdr')} FINAL
        WHERE tenant_id = {t:UUID} AND call_id IN {ids:Array(UUID)}`,
      query_params: { t: tenantId, ids: callIds },
      format: 'JSONEachRow',
    });
    return r.json<Record<string, unknown>>();
  }
}
