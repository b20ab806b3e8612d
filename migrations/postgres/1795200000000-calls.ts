import { MigrationInterface, QueryRunner } from 'typeorm';

// Telephony: the final record of each call (written once, on the last hangup), the CDR outbox the
// ClickHouse exporter drains (same transaction as the record), and the per-tenant caller block list.
export class Calls1795200000000 implements MigrationInterface {
  name = 'Calls1795200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE calls (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        call_session_id text NOT NULL UNIQUE,
        campaign_id uuid REFERENCES campaigns(id) ON DELETE SET NULL,
        publisher_id uuid REFERENCES publishers(id) ON DELETE SET NULL,
        pool_id uuid REFERENCES number_pools(id) ON DELETE SET NULL,
        buyer_id uuid REFERENCES buyers(id) ON DELETE SET NULL,
        target_id uuid REFERENCES targets(id) ON DELETE SET NULL,
        tracking_number text NOT NULL,
        caller text NOT NULL,
        destination text,
        state text NOT NULL CHECK (state IN ('completed', 'failed', 'abandoned', 'rejected')),
        reason text,
        duplicate boolean NOT NULL DEFAULT false,
        attribution_method text,
        attribution_confidence numeric(3,2),
        dni_session_id text,
        tags jsonb NOT NULL DEFAULT '{}',
        received_at timestamptz NOT NULL,
        answered_at timestamptz,
        routing_at timestamptz,
        ringing_at timestamptz,
        connected_at timestamptz,
        ended_at timestamptz NOT NULL,
        ring_ms integer NOT NULL DEFAULT 0,
        talk_ms integer NOT NULL DEFAULT 0,
        total_ms integer NOT NULL DEFAULT 0,
        attempts integer NOT NULL DEFAULT 0,
        converted boolean NOT NULL DEFAULT false,
        conversion_seconds integer,
        revenue numeric(14,4) NOT NULL DEFAULT 0,
        payout numeric(14,4) NOT NULL DEFAULT 0,
        profit numeric(14,4) NOT NULL DEFAULT 0,
        hangup_cause text,
        hangup_source text,
        sip_hangup_cause text,
        legs jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX calls_tenant_received ON calls (tenant_id, received_at DESC, id);
      CREATE INDEX calls_campaign_received ON calls (campaign_id, received_at);

      CREATE TABLE cdr_outbox (
        call_id uuid PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        exported_at timestamptz
      );
      CREATE INDEX cdr_outbox_pending ON cdr_outbox (created_at) WHERE exported_at IS NULL;

      CREATE TABLE blocked_numbers (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        number text NOT NULL,
        reason text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, number)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE blocked_numbers; DROP TABLE cdr_outbox; DROP TABLE calls;');
  }
}
