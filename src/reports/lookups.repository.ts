// Names of campaigns, publishers, buyers and targets for reports and dashboards: small PostgreSQL
// lookups by id, always within the tenant (ClickHouse holds only ids).
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Lookup } from './report-query';

const TABLES: Record<Lookup, string> = {
  campaign: 'campaigns',
  publisher: 'publishers',
  buyer: 'buyers',
  target: 'targets',
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class LookupsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** id → name for the ids that exist in the tenant. */
  async names(tenantId: string, kind: Lookup, ids: Iterable<string>): Promise<Map<string, string>> {
    const wanted = [...new Set([...ids].filter((id) => UUID.test(id)))];
    if (wanted.length === 0) return new Map();
    const rows: Array<{ id: string; name: string }> = await this.db.query(
      `SELECT id, name FROM ${TABLES[kind]} WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
      [tenantId, wanted],
    );
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /** Every id and name of a kind in the tenant (filter menus), at most `limit`. */
  async all(
    tenantId: string,
    kind: Lookup,
    limit = 500,
    buyerId?: string,
  ): Promise<Array<{ id: string; name: string }>> {
    const byBuyer = kind === 'target' && buyerId !== undefined;
    return this.db.query(
      `SELECT id, name FROM ${TABLES[kind]} WHERE tenant_id = $1 ${byBuyer ? 'AND buyer_id = $3' : ''}
       ORDER BY name, id LIMIT $2`,
      byBuyer ? [tenantId, limit, buyerId] : [tenantId, limit],
    );
  }
}
