// Final call records in PostgreSQL. A record and its cdr_outbox row are written in one transaction,
// once per call session (a replayed finalize inserts nothing). Records finished while an insert is
// running wait for it and then go out together in one statement (one round trip, one commit), so the
// number of statements stays small when many calls end at once and a lone record goes out at once.
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
/** Records per statement (38 parameters each, far below PostgreSQL's 65 535). */
const MAX_BATCH = 64;

/**
 * One statement for `n` records, so each record and its outbox row commit together (or, for a replay,
 * neither is written). Returns the ids of the records written.
 */
function insertSql(n: number): string {
  const known = statements.get(n);
  if (known) return known;
  const rows = Array.from(
    { length: n },
    (_, r) =>
      `(${COLUMNS.map((c, i) => `$${r * COLUMNS.length + i + 1}${c[2] ? `::${c[2]}` : ''}`).join(', ')})`,
  );
  const sql = `WITH c AS (
    INSERT INTO calls (${COLUMNS.map((c) => c[1]).join(', ')})
    VALUES ${rows.join(', ')}
    ON CONFLICT (call_session_id) DO NOTHING RETURNING id
  )
  INSERT INTO cdr_outbox (call_id) SELECT id FROM c RETURNING call_id`;
  statements.set(n, sql);
  return sql;
}
const statements = new Map<number, string>();

interface Pending {
  record: NewCallRecord;
  done: (written: boolean) => void;
  fail: (e: unknown) => void;
}

@Injectable()
export class CallsRepository {
  private queue: Pending[] = [];
  private writing = false;

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Writes the record and its outbox row atomically; false when the session was recorded before (or
   * its tenant no longer exists). A campaign, publisher, pool, buyer or target deleted while the call
   * was up is recorded as null rather than losing the call.
   */
  insertFinal(record: NewCallRecord): Promise<boolean> {
    return new Promise((done, fail) => {
      this.queue.push({ record, done, fail });
      if (!this.writing) void this.writeQueued();
    });
  }

  /** Writes what is queued, batch after batch, until nothing waits. */
  private async writeQueued(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        // Whatever goes wrong, no finish is left waiting (settling a settled promise does nothing).
        await this.writeBatch(batch).catch((e: unknown) => {
          for (const p of batch) p.fail(e);
        });
      }
    } finally {
      this.writing = false;
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    // Two finishes of one session in one batch (cannot happen under the call's lock, but cheap to
    // rule out): the later one goes on its own and finds the record written.
    const seen = new Set<string>();
    const first: Pending[] = [];
    const again: Pending[] = [];
    for (const p of batch) {
      if (seen.has(p.record.callSessionId)) again.push(p);
      else {
        seen.add(p.record.callSessionId);
        first.push(p);
      }
    }
    try {
      const written = await this.insert(first.map((p) => p.record));
      for (const p of first) p.done(written.has(p.record.id));
    } catch (e) {
      // A record that names a row deleted meanwhile fails the whole statement: each goes on its own.
      if ((e as { code?: string }).code === FOREIGN_KEY_VIOLATION) again.push(...first);
      else for (const p of first) p.fail(e);
    }
    for (const p of again) {
      await this.insertOne(p.record).then(p.done, p.fail);
    }
  }

  /** One record alone; on a foreign-key failure, again without the references that went away. */
  private async insertOne(record: NewCallRecord): Promise<boolean> {
    try {
      return (await this.insert([record])).has(record.id);
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
      return (await this.insert([orphan])).has(orphan.id);
    } catch (e) {
      if ((e as { code?: string }).code === FOREIGN_KEY_VIOLATION) return false;
      throw e;
    }
  }

  /** The ids of the records written (the others were recorded before). */
  private async insert(records: NewCallRecord[]): Promise<Set<string>> {
    const params: unknown[] = [];
    for (const record of records) {
      for (const [key, , cast] of COLUMNS) {
        params.push(cast === 'jsonb' && record[key] !== null ? JSON.stringify(record[key]) : record[key]);
      }
    }
    // Straight to the driver's pool, prepared once per batch size and connection: on the call path.
    const pool = (this.db.driver as PostgresDriver).master as Pool;
    // Rows as arrays: an object row per result kept deoptimising this function's row access (V8's
    // "wrong map", ~200 times in a webhook bench run of the call runner).
    const r = await pool.query<[string]>({
      name: `calls_insert_final_${records.length}`,
      text: insertSql(records.length),
      values: params,
      rowMode: 'array',
    });
    return new Set(r.rows.map((row) => row[0]));
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
