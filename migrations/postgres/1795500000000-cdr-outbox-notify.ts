import { MigrationInterface, QueryRunner } from 'typeorm';

// Wakes CDR exporters when calls enter the outbox, instead of leaving the rows until the exporter's next
// periodic look: a statement that adds outbox rows sends one notification on channel `cdr_outbox` when
// its transaction commits (none for a rolled-back one; identical notifications of one transaction are
// folded into one by PostgreSQL). The payload is empty: listeners only learn "there is work".
export class CdrOutboxNotify1795500000000 implements MigrationInterface {
  name = 'CdrOutboxNotify1795500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION cdr_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('cdr_outbox', '');
        RETURN NULL;
      END $$;
      CREATE TRIGGER cdr_outbox_notify AFTER INSERT ON cdr_outbox
        FOR EACH STATEMENT EXECUTE FUNCTION cdr_outbox_notify();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER IF EXISTS cdr_outbox_notify ON cdr_outbox;
      DROP FUNCTION IF EXISTS cdr_outbox_notify();
    `);
  }
}
