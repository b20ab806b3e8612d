-- One row per participant of an auction: each ping sent to a ping/post target (with its latency, HTTP
-- status, and the parsed bid or the reason it was rejected), each bid reused from the cache, and each
-- static target taking part with its fixed revenue. When the call is offered to a bid, the row is written
-- again with a higher version and `award` saying what happened (won, confirm_refused, concurrency, …);
-- ReplacingMergeTree keeps the latest.
CREATE TABLE IF NOT EXISTS {db}.bid_log
(
    ping_id UUID,
    auction_id UUID,
    call_id String,
    tenant_id UUID,
    campaign_id UUID,
    buyer_id UUID,
    target_id UUID,
    target_kind LowCardinality(String),
    request_hash String,
    latency_ms Float32,
    http_status UInt16,
    outcome LowCardinality(String),
    reason LowCardinality(String),
    bid Nullable(Decimal(18, 4)),
    bid_id String,
    destination String,
    expires_at Nullable(DateTime64(3, 'UTC')),
    required_talk_s Nullable(UInt32),
    rank UInt16,
    cached Bool,
    won Bool,
    award LowCardinality(String),
    at DateTime64(3, 'UTC'),
    version UInt32
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(at)
ORDER BY (tenant_id, buyer_id, target_id, at, ping_id);
