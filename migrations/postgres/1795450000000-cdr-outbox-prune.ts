import { MigrationInterface, QueryRunner } from 'typeorm';

// The CDR exporter now deletes outbox rows in the transaction that hands them to ClickHouse, instead of
// claiming them into batches and marking them exported. This drops what the earlier exporter left: the
// rows it had marked exported (they were never pruned) and the indexes only its batch bookkeeping used,
// which every outbox insert on the call path still paid for. The batch_id, enqueued_at and exported_at
// columns stay (an instance still on the earlier exporter during a rolling deploy writes them).
export class CdrOutboxPrune1795450000000 implements MigrationInterface {
  name = 'CdrOutboxPrune1795450000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM cdr_outbox WHERE exported_at IS NOT NULL;
      DROP INDEX IF EXISTS cdr_outbox_unclaimed;
      DROP INDEX IF EXISTS cdr_outbox_batch;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX cdr_outbox_unclaimed ON cdr_outbox (created_at) WHERE exported_at IS NULL AND batch_id IS NULL;
      CREATE INDEX cdr_outbox_batch ON cdr_outbox (batch_id) WHERE exported_at IS NULL;
    `);
  }
}
