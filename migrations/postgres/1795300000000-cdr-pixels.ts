import { MigrationInterface, QueryRunner } from 'typeorm';

// CDR export and conversion pixels: the auction summary of a call (written by the auction with the final
// record, exported with the CDR), the outbox's batch bookkeeping (which export job holds a row, since
// when), the pixels operators configure and the log of their deliveries.
export class CdrPixels1795300000000 implements MigrationInterface {
  name = 'CdrPixels1795300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE calls ADD COLUMN auction jsonb;

      ALTER TABLE cdr_outbox ADD COLUMN batch_id uuid, ADD COLUMN enqueued_at timestamptz;
      CREATE INDEX cdr_outbox_unclaimed ON cdr_outbox (created_at) WHERE exported_at IS NULL AND batch_id IS NULL;
      CREATE INDEX cdr_outbox_batch ON cdr_outbox (batch_id) WHERE exported_at IS NULL;

      CREATE TABLE pixels (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        campaign_id uuid REFERENCES campaigns(id) ON DELETE CASCADE,
        publisher_id uuid REFERENCES publishers(id) ON DELETE CASCADE,
        events text[] NOT NULL CHECK (
          cardinality(events) > 0 AND events <@ ARRAY['incoming', 'connected', 'converted', 'completed']::text[]
        ),
        method text NOT NULL CHECK (method IN ('GET', 'POST', 'PUT', 'PATCH')),
        url_template text NOT NULL,
        body_template text,
        content_type text,
        headers jsonb NOT NULL DEFAULT '{}',
        secret text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX pixels_tenant ON pixels (tenant_id, created_at);

      CREATE TABLE pixel_deliveries (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        pixel_id uuid NOT NULL REFERENCES pixels(id) ON DELETE CASCADE,
        call_id uuid NOT NULL,
        event text NOT NULL CHECK (event IN ('incoming', 'connected', 'converted', 'completed')),
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        method text NOT NULL,
        url text NOT NULL,
        body text,
        content_type text,
        attempts integer NOT NULL DEFAULT 0,
        response_status integer,
        response_ms integer,
        last_error text,
        history jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        UNIQUE (pixel_id, call_id, event)
      );
      CREATE INDEX pixel_deliveries_tenant ON pixel_deliveries (tenant_id, created_at DESC, id);
      CREATE INDEX pixel_deliveries_pending ON pixel_deliveries (updated_at) WHERE status = 'pending';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE pixel_deliveries;
      DROP TABLE pixels;
      DROP INDEX cdr_outbox_batch;
      DROP INDEX cdr_outbox_unclaimed;
      ALTER TABLE cdr_outbox DROP COLUMN enqueued_at, DROP COLUMN batch_id;
      ALTER TABLE calls DROP COLUMN auction;
    `);
  }
}
