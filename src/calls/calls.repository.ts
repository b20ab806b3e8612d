// Final call records in PostgreSQL. A record and its cdr_outbox row are written in one transaction,
// once per call session (a replayed finalize inserts nothing).
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { CallEntity } from './call.entity';

export type NewCallRecord = Omit<CallEntity, 'createdAt'>;

export interface CallFilter {
  state?: string;
  campaignId?: string;
}

const COLUMNS: Array<[keyof NewCallRecord, string, string?]> = [
  ['id', 'id'],
  ['tenantId', 'tenant_id'],
  ['callSessionId', 'call_session_id'],
  ['campaignId', 'campaign_id'],
  ['publisherId', 'publisher_id'],
  ['poolId', 'pool_id'],
  ['buyerId', 'buyer_id'],
  ['targetId', 'target_id'],
  ['trackingNumber', 'tracking_number'],
  ['caller', 'caller'],
  ['destination', 'destination'],
  ['state', 'state'],
  ['reason', 'reason'],
  ['duplicate', 'duplicate'],
  ['attributionMethod', 'attribution_method'],
  ['attributionConfidence', 'attribution_confidence'],
  ['dniSessionId', 'dni_session_id'],
  ['tags', 'tags', 'jsonb'],
  ['receivedAt', 'received_at'],
  ['answeredAt', 'answered_at'],
  ['routingAt', 'routing_at'],
  ['ringingAt', 'ringing_at'],
  ['connectedAt', 'connected_at'],
  ['endedAt', 'ended_at'],
  ['ringMs', 'ring_ms'],
  ['talkMs', 'talk_ms'],
  ['totalMs', 'total_ms'],
  ['attempts', 'attempts'],
  ['converted', 'converted'],
  ['conversionSeconds', 'conversion_seconds'],
  ['revenue', 'revenue'],
  ['payout', 'payout'],
  ['profit', 'profit'],
  ['hangupCause', 'hangup_cause'],
  ['hangupSource', 'hangup_source'],
  ['sipHangupCause', 'sip_hangup_cause'],
  ['legs', 'legs', 'jsonb'],
  ['auction', 'auction', 'jsonb'],
];

const FOREIGN_KEY_VIOLATION = '23503';

// One statement, so the record and its outbox row commit together (or, for a replay, neither is written).
const INSERT_SQL = `WITH c AS (
    INSERT INTO calls (${COLUMNS.map((c) => c[1]).join(', ')})
    VALUES (${COLUMNS.map((c, i) => `$${i + 1}${c[2] ? `::${c[2]}` : ''}`).join(', ')})
    ON CONFLICT (call_session_id) DO NOTHING RETURNING id
  )
  INSERT INTO cdr_outbox (call_id) SELECT id FROM c RETURNING call_id`;

@Injectable()
export class CallsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Writes the record and its outbox row atomically; false when the session was recorded before (or
   * its tenant no longer exists). A campaign, publisher, pool, buyer or target deleted while the call
   * was up is recorded as null rather than losing the call.
   */
  async insertFinal(record: NewCallRecord): Promise<boolean> {
    try {
      return await this.insert(record);
    } catch (e) {
      if ((e as { code?: string }).code !== FOREIGN_KEY_VIOLATION) throw e;
    }
    const orphan = {
      ...record,
      campaignId: null,
      publisherId: null,
      poolId: null,
      buyerId: null,
      targetId: null,
    };
    try {
      return await this.insert(orphan);
    } catch (e) {
      if ((e as { code?: string }).code === FOREIGN_KEY_VIOLATION) return false;
      throw e;
    }
  }

  private async insert(record: NewCallRecord): Promise<boolean> {
    const params = COLUMNS.map(([key, , cast]) =>
      cast === 'jsonb' && record[key] !== null ? JSON.stringify(record[key]) : record[key],
    );
    // Straight to the driver's pool: one statement per finished call, on the call path.
    const pool = (this.db.driver as PostgresDriver).master as Pool;
    const r = await pool.query<{ call_id: string }>({
      name: 'calls_insert_final',
      text: INSERT_SQL,
      values: params,
    });
    return r.rowCount === 1;
  }

  list(tenantId: string, f: CallFilter, skip: number, take: number): Promise<[CallEntity[], number]> {
    return this.db.getRepository(CallEntity).findAndCount({
      where: {
        tenantId,
        ...(f.state ? { state: f.state } : {}),
        ...(f.campaignId ? { campaignId: f.campaignId } : {}),
      },
      order: { receivedAt: 'DESC', id: 'ASC' },
      skip,
      take,
    });
  }

  findOne(tenantId: string, id: string): Promise<CallEntity | null> {
    return this.db.getRepository(CallEntity).findOneBy({ tenantId, id });
  }

  findBySession(callSessionId: string): Promise<CallEntity | null> {
    return this.db.getRepository(CallEntity).findOneBy({ callSessionId });
  }
}
