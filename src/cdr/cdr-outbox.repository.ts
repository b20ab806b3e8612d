// The CDR outbox in PostgreSQL. The call flow writes a `cdr_outbox` row with the final record (one
// transaction); the exporter claims pending rows into batches (batch_id, enqueued_at), loads a batch with
// its records and marks the rows exported once ClickHouse has them. Claims use SKIP LOCKED so any number
// of workers share the work without taking the same row twice.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { CallRecordRow } from './cdr-row';

const CH_TIMES = ['received_at', 'answered_at', 'routing_at', 'ringing_at', 'connected_at', 'ended_at'];
const CH_FORMAT = 'YYYY-MM-DD HH24:MI:SS.MS';

@Injectable()
export class CdrOutboxRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Puts up to `limit` unclaimed pending rows (oldest first) into batch `batchId`; rows claimed. */
  claim(batchId: string, limit: number): Promise<number> {
    return this.affected(
      `UPDATE cdr_outbox SET batch_id = $1, enqueued_at = now()
       WHERE call_id IN (
         SELECT call_id FROM cdr_outbox
         WHERE exported_at IS NULL AND batch_id IS NULL
         ORDER BY created_at
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       )`,
      [batchId, limit],
    );
  }

  /**
   * The records of a batch's rows that are not exported yet, with the timestamps already in ClickHouse's
   * text form and only the legs' ids (PostgreSQL does that far cheaper than parsing it all in JS).
   */
  loadBatch(batchId: string): Promise<CallRecordRow[]> {
    return this.db.query(
      `SELECT c.id, c.tenant_id, c.call_session_id, c.campaign_id, c.publisher_id, c.pool_id, c.buyer_id,
         c.target_id, c.tracking_number, c.caller, c.destination, c.state, c.reason, c.duplicate,
         c.attribution_method, c.attribution_confidence, c.dni_session_id, c.tags,
         ${CH_TIMES.map((t) => `to_char(c.${t} AT TIME ZONE 'UTC', '${CH_FORMAT}') AS ${t}`).join(', ')},
         c.ring_ms, c.talk_ms, c.total_ms, c.attempts, c.converted, c.conversion_seconds,
         c.revenue, c.payout, c.profit, c.hangup_cause, c.hangup_source, c.sip_hangup_cause, c.auction,
         jsonb_path_query_array(c.legs, '$[*] ? (@.callControlId.type() == "string" && @.callControlId != "").callControlId') AS leg_ids, NULL AS legs,
         CASE WHEN c.connected_at IS NULL THEN 0
              ELSE greatest(0, round(extract(epoch FROM c.connected_at - c.received_at) * 1000))::int
         END AS time_to_connect_ms
       FROM cdr_outbox o JOIN calls c ON c.id = o.call_id
       WHERE o.batch_id = $1 AND o.exported_at IS NULL`,
      [batchId],
    );
  }

  /**
   * Marks the batch's pending rows exported: exactly the rows loadBatch returned, since a batch never
   * gains rows after its claim (claims and re-batching always use a fresh batch id). Rows moved to
   * another batch meanwhile, or reset for a re-export, keep waiting.
   */
  markExported(batchId: string): Promise<number> {
    return this.affected(
      `UPDATE cdr_outbox SET exported_at = now() WHERE batch_id = $1 AND exported_at IS NULL`,
      [batchId],
    );
  }

  /** Batches with rows still pending that were claimed more than `olderThanMs` ago. */
  async staleBatches(olderThanMs: number, limit: number): Promise<string[]> {
    const rows: Array<{ batch_id: string }> = await this.db.query(
      `SELECT batch_id FROM cdr_outbox
       WHERE exported_at IS NULL AND batch_id IS NOT NULL
         AND enqueued_at < now() - make_interval(secs => $1::double precision / 1000)
       GROUP BY batch_id
       ORDER BY min(enqueued_at)
       LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map((r) => r.batch_id);
  }

  /** Moves a batch's pending rows into a new batch; rows moved. */
  rebatch(oldBatchId: string, newBatchId: string): Promise<number> {
    return this.affected(
      `UPDATE cdr_outbox SET batch_id = $2, enqueued_at = now()
       WHERE batch_id = $1 AND exported_at IS NULL`,
      [oldBatchId, newBatchId],
    );
  }

  /** Rows not exported yet (all tenants, or one). */
  async pending(tenantId?: string): Promise<number> {
    const rows: Array<{ n: string }> = tenantId
      ? await this.db.query(
          `SELECT count(*) AS n FROM cdr_outbox o JOIN calls c ON c.id = o.call_id
           WHERE o.exported_at IS NULL AND c.tenant_id = $1`,
          [tenantId],
        )
      : await this.db.query('SELECT count(*) AS n FROM cdr_outbox WHERE exported_at IS NULL');
    return Number(rows[0]?.n ?? 0);
  }

  /** Runs an UPDATE; TypeORM's postgres driver answers [rows, affected] for it. */
  private async affected(sql: string, params: unknown[]): Promise<number> {
    const [, n] = (await this.db.query(sql, params)) as [unknown, number];
    return n;
  }
}
