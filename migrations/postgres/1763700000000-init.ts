import { MigrationInterface, QueryRunner } from 'typeorm';

// Accounts and the configuration objects: tenants, users, API keys, campaigns, publishers, buyers,
// targets, number pools and tracking numbers.
export class Init1763700000000 implements MigrationInterface {
  name = 'Init1763700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE publishers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'archived')),
        payout_type text NOT NULL CHECK (payout_type IN ('fixed', 'percent')),
        payout_amount numeric(14,4),
        payout_percent numeric(7,4),
        payout_min numeric(14,4),
        payout_max numeric(14,4),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX publishers_tenant ON publishers (tenant_id, created_at);

      CREATE TABLE buyers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'archived')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX buyers_tenant ON buyers (tenant_id, created_at);

      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        email text NOT NULL,
        password_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('operator', 'publisher', 'buyer')),
        publisher_id uuid REFERENCES publishers(id) ON DELETE CASCADE,
        buyer_id uuid REFERENCES buyers(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((role = 'publisher') = (publisher_id IS NOT NULL)),
        CHECK ((role = 'buyer') = (buyer_id IS NOT NULL))
      );
      CREATE UNIQUE INDEX users_email ON users (lower(email));

      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        prefix text NOT NULL UNIQUE,
        secret_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('operator', 'publisher', 'buyer')),
        publisher_id uuid REFERENCES publishers(id) ON DELETE CASCADE,
        buyer_id uuid REFERENCES buyers(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz,
        CHECK ((role = 'publisher') = (publisher_id IS NOT NULL)),
        CHECK ((role = 'buyer') = (buyer_id IS NOT NULL))
      );
      CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

      CREATE TABLE campaigns (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        vertical text NOT NULL DEFAULT '',
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'archived')),
        public_key text NOT NULL UNIQUE,
        attribution_window_s integer NOT NULL,
        conversion_seconds integer NOT NULL,
        dup_routing_window_s integer NOT NULL,
        dup_payout_window_s integer NOT NULL,
        auction_deadline_ms integer NOT NULL,
        floor_price numeric(14,4) NOT NULL,
        caller_id_policy text NOT NULL CHECK (caller_id_policy IN ('masked', 'full')),
        swap_numbers text[] NOT NULL DEFAULT '{}',
        param_tags jsonb NOT NULL DEFAULT '{}',
        unrouted_action text NOT NULL DEFAULT 'message' CHECK (unrouted_action IN ('reject', 'message')),
        unrouted_message text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX campaigns_tenant ON campaigns (tenant_id, created_at);

      CREATE TABLE targets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        buyer_id uuid NOT NULL REFERENCES buyers(id) ON DELETE CASCADE,
        name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('static', 'ping_post')),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'archived')),
        destination text,
        revenue numeric(14,4),
        conversion_seconds integer,
        ring_timeout_s integer NOT NULL DEFAULT 30,
        priority integer NOT NULL DEFAULT 1,
        weight integer NOT NULL DEFAULT 1,
        ping jsonb,
        caps jsonb NOT NULL DEFAULT '{}',
        concurrency_cap integer,
        schedule jsonb,
        filters jsonb NOT NULL DEFAULT '[]',
        cache_window_s integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (kind <> 'static' OR (destination IS NOT NULL AND revenue IS NOT NULL)),
        CHECK (kind <> 'ping_post' OR ping IS NOT NULL)
      );
      CREATE INDEX targets_tenant ON targets (tenant_id, created_at);
      CREATE INDEX targets_buyer ON targets (buyer_id);

      CREATE TABLE campaign_targets (
        campaign_id uuid NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        target_id uuid NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
        PRIMARY KEY (campaign_id, target_id)
      );
      CREATE INDEX campaign_targets_target ON campaign_targets (target_id);

      CREATE TABLE number_pools (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        campaign_id uuid NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        publisher_id uuid REFERENCES publishers(id) ON DELETE SET NULL,
        name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('session', 'static')),
        lease_idle_s integer NOT NULL,
        cooldown_s integer NOT NULL,
        overflow_number text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX number_pools_tenant ON number_pools (tenant_id, created_at);
      CREATE INDEX number_pools_campaign ON number_pools (campaign_id);

      CREATE TABLE tracking_numbers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        pool_id uuid NOT NULL REFERENCES number_pools(id) ON DELETE CASCADE,
        number text NOT NULL UNIQUE,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'provisioning', 'released')),
        carrier_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX tracking_numbers_pool ON tracking_numbers (pool_id);
      CREATE INDEX tracking_numbers_tenant ON tracking_numbers (tenant_id, created_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE tracking_numbers; DROP TABLE number_pools; DROP TABLE campaign_targets; DROP TABLE targets;
      DROP TABLE campaigns; DROP TABLE api_keys; DROP TABLE users; DROP TABLE buyers; DROP TABLE publishers;
      DROP TABLE tenants;
    `);
  }
}
