-- /metrics counts dead deliveries (goalstream_delivery_dead_letters) at every scrape: this partial
-- index keeps that count small and cheap however many delivered rows the table holds.
CREATE INDEX deliveries_dead ON deliveries (created_at) WHERE status = 'dead';
