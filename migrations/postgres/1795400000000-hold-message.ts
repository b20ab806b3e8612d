import { MigrationInterface, QueryRunner } from 'typeorm';

// The message a caller hears while the buyers bid for the call (empty: silence).
export class HoldMessage1795400000000 implements MigrationInterface {
  name = 'HoldMessage1795400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE campaigns ADD COLUMN hold_message text NOT NULL DEFAULT ''`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE campaigns DROP COLUMN hold_message`);
  }
}
