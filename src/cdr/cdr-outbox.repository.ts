// The CDR outbox in PostgreSQL. The call flow writes a `cdr_outbox` row with the final record (one
// statement); a row in the outbox means "this call's CDR is not in ClickHouse yet".
//
// An exporter takes a batch by deleting its rows inside a transaction that stays open while the rows go
// to ClickHouse: commit once ClickHouse has them, roll back if it does not. Until the commit the deleted
// rows are locked, so other exporters skip them (SKIP LOCKED) and every reader still counts them as
// pending; if the exporter dies its connection closes and PostgreSQL gives the rows back by itself.
// So no batch bookkeeping is written per row (claiming by UPDATE and marking exported cost more than the
// rest of the PostgreSQL side of an export), and exported rows leave the table at once.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { chTime } from './cdr-row';
import { CDR_LINE_SQL } from './cdr-row-sql';

/**
 * Takes up to $1 pending rows (oldest first) out of the outbox and renders their records as CDR lines
 * (cdr-row-sql.ts), as one text (a line per CDR, joined by newlines): the worker hands it to ClickHouse
 * as it comes, instead of decoding, collecting and joining ten thousand strings. Besides: how many CDRs
 * and their tenants. `exported_at` is only ever set by exporters older than this one; the filter keeps
 * their leftovers out and lets the partial index on pending rows serve the scan.
 */
const TAKE_SQL = `
  WITH taken AS (
    DELETE FROM cdr_outbox WHERE call_id IN (
      SELECT call_id FROM cdr_outbox
      WHERE exported_at IS NULL
      ORDER BY created_at
      LIMIT $1
      FOR UPDATE SKIP LOCKED
    )
    RETURNING call_id
  ), rendered AS (
    SELECT c.tenant_id, ${CDR_LINE_SQL} AS line
    FROM taken t JOIN calls c ON c.id = t.call_id
  )
  SELECT count(*)::int, coalesce(array_agg(DISTINCT tenant_id::text), '{}'), string_agg(line, E'\\n')
  FROM rendered`;

/**
 * A batch taken out of the outbox: its records, and the open transaction that removed them. Exactly one
 * of `commit` (ClickHouse has the rows) or `rollback` (it does not: the rows are pending again) must be
 * called; both release the connection.
 */
export interface OutboxBatch {
  /** How many CDRs. */
  readonly size: number;
  /** The CDRs as JSONCompactEachRow (CDR_COLUMNS order), a newline after each; empty for none. */
  readonly body: Buffer;
  /** The tenants the CDRs belong to. */
  readonly tenantIds: string[];
  /** The CDRs one line each (split from `body`: for the few readers that need rows). */
  lines(): string[];
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/** A batch's text as bytes with the last line's newline, written once into a buffer of the right size. */
function bodyOf(text: string | null): Buffer {
  if (!text) return Buffer.alloc(0);
  const size = Buffer.byteLength(text);
  const body = Buffer.allocUnsafe(size + 1);
  body.write(text, 0, size);
  body[size] = 0x0a;
  return body;
}

@Injectable()
export class CdrOutboxRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Takes up to `limit` pending rows into a new batch. `holdLimitMs` bounds how long the batch may sit
   * without the exporter talking to PostgreSQL: past it PostgreSQL ends the session and the rows are
   * pending again, so a hung exporter cannot keep calls out of ClickHouse.
   */
  async take(limit: number, holdLimitMs: number, exportedAt: number): Promise<OutboxBatch> {
    const client = await this.pool().connect();
    // While the batch waits on ClickHouse the connection is idle, and PostgreSQL may end it (the hold
    // limit, a restart): the client then reports the error as an event, which must not go unheard.
    let lost: Error | undefined;
    const onError = (e: Error) => (lost = e);
    client.on('error', onError);
    let done = false;
    const finish = async (sql: string) => {
      if (done) return;
      done = true;
      try {
        if (lost) throw lost;
        await client.query(sql);
        client.removeListener('error', onError);
        client.release();
      } catch (e) {
        // A connection whose transaction state is unknown is not handed out again (the listener stays
        // for whatever the closing connection still reports).
        client.release(e as Error);
        throw e;
      }
    };
    try {
      await client.query('BEGIN');
      await client.query(
        `SET LOCAL idle_in_transaction_session_timeout = ${Math.max(1, Math.round(holdLimitMs))}`,
      );
      const { rows } = await client.query<[number, string[], string | null]>({
        text: TAKE_SQL,
        values: [limit, chTime(exportedAt), exportedAt],
        rowMode: 'array',
      });
      const [size, tenantIds, text] = rows[0];
      const body = bodyOf(text);
      return {
        size,
        body,
        tenantIds,
        lines: () => (size === 0 ? [] : body.toString('utf8', 0, body.length - 1).split('\n')),
        commit: () => finish('COMMIT'),
        rollback: () => finish('ROLLBACK'),
      };
    } catch (e) {
      await finish('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /**
   * Calls `onRows` whenever a transaction that added outbox rows commits (the `cdr_outbox` notification
   * its trigger sends), on a connection of its own kept for this; a lost connection is replaced after
   * `retryMs`. A wake-up only says "there may be work", and rows added while no connection listened are
   * found by the exporter's periodic look. Returns a function that stops listening.
   */
  listen(onRows: () => void, retryMs = 1_000): () => Promise<void> {
    let stopped = false;
    let client: PoolClient | undefined;
    let retry: NodeJS.Timeout | undefined;
    const connect = async () => {
      retry = undefined;
      if (stopped) return;
      let c: PoolClient | undefined;
      try {
        c = await this.pool().connect();
        const mine = c;
        mine.on('notification', () => onRows());
        mine.on('error', () => {
          if (client !== mine) return;
          client = undefined;
          mine.release(true);
          if (!stopped) retry = setTimeout(() => void connect(), retryMs).unref();
        });
        await mine.query('LISTEN cdr_outbox');
        if (stopped) throw new Error('stopped');
        client = mine;
        // Rows may have come in while no connection listened.
        onRows();
      } catch {
        c?.release(true);
        if (!stopped) retry = setTimeout(() => void connect(), retryMs).unref();
      }
    };
    void connect();
    return async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = undefined;
      // The connection is closed rather than handed back still listening.
      c?.release(true);
    };
  }

  /** The CDR lines of the given calls as the export renders them, outbox untouched (checks, re-export tools). */
  async lines(callIds: string[], exportedAt: number): Promise<string[]> {
    const { rows } = await this.pool().query<[string]>({
      text: `SELECT ${CDR_LINE_SQL} FROM calls c WHERE c.id = ANY($1::uuid[]) ORDER BY c.id`,
      values: [callIds, chTime(exportedAt), exportedAt],
      rowMode: 'array',
    });
    return rows.map((r) => r[0]);
  }

  /**
   * Puts calls back into the outbox so their CDRs are written again (after a record changed). A call
   * whose row is in a batch being exported right now waits for that export to end, then is added anew.
   */
  async requeue(callIds: string[]): Promise<number> {
    const rows: Array<{ call_id: string }> = await this.db.query(
      `INSERT INTO cdr_outbox (call_id)
       SELECT c.id FROM calls c WHERE c.id = ANY($1::uuid[])
       ON CONFLICT (call_id) DO UPDATE SET exported_at = NULL, batch_id = NULL, created_at = now()
       RETURNING call_id`,
      [callIds],
    );
    return rows.length;
  }

  /** Rows not exported yet (all tenants, or one). Rows in a batch being exported still count. */
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

  /** Pending rows, counted up to `atMost` (cheap however long the outbox is). */
  async pendingUpTo(atMost: number, tenantId?: string): Promise<number> {
    const rows: Array<{ n: string }> = tenantId
      ? await this.db.query(
          `SELECT count(*) AS n FROM (
             SELECT 1 FROM cdr_outbox o JOIN calls c ON c.id = o.call_id
             WHERE o.exported_at IS NULL AND c.tenant_id = $1 LIMIT $2) x`,
          [tenantId, atMost],
        )
      : await this.db.query(
          `SELECT count(*) AS n FROM (SELECT 1 FROM cdr_outbox WHERE exported_at IS NULL LIMIT $1) x`,
          [atMost],
        );
    return Number(rows[0]?.n ?? 0);
  }

  private pool(): Pool {
    return (this.db.driver as PostgresDriver).master as Pool;
  }
}
