-- One row per DNI lease/visit. Re-written on renewals; ReplacingMergeTree keeps the latest version.
CREATE TABLE IF NOT EXISTS {db}.dni_session
(
    session_id String,
    tenant_id UUID,
    campaign_id UUID,
    publisher_id Nullable(UUID),
    pool_id Nullable(UUID),
    tracking_number String,
    overflow Bool,
    landing_page String,
    referrer String,
    utm_source String,
    utm_medium String,
    utm_campaign String,
    utm_term String,
    utm_content String,
    gclid String,
    gbraid String,
    wbraid String,
    msclkid String,
    fbclid String,
    ttclid String,
    tags Map(String, String),
    user_agent String,
    leased_at DateTime64(3, 'UTC'),
    last_seen_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(leased_at)
ORDER BY (tenant_id, campaign_id, session_id);
