-- The event store: append-only, one row per event, a global position, per-stream versions.
CREATE TABLE events (
    global_position  bigserial PRIMARY KEY,
    event_id         uuid NOT NULL UNIQUE,
    org_id           text NOT NULL,
    stream_id        text NOT NULL,
    stream_version   integer NOT NULL,
    event_type       text NOT NULL,
    schema_version   integer NOT NULL,
    occurred_at      timestamptz NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    correlation_id   uuid NOT NULL,
    causation_id     uuid,
    payload          jsonb NOT NULL,
    UNIQUE (stream_id, stream_version)
);
CREATE INDEX events_org ON events (org_id, global_position);

CREATE TABLE outbox (
    position      bigserial PRIMARY KEY,
    topic         text NOT NULL,
    message_key   bytea NOT NULL,
    value         bytea NOT NULL,
    headers       jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (position) WHERE published_at IS NULL;

-- Which active goals listen to which metric (kept in the same transaction as their events).
CREATE TABLE goal_metrics (
    goal_id     text PRIMARY KEY,
    org_id      text NOT NULL,
    metric_key  text NOT NULL,
    active      boolean NOT NULL DEFAULT true
);
CREATE INDEX goal_metrics_lookup ON goal_metrics (org_id, metric_key) WHERE active;

-- One effect per measurement id and organisation.
CREATE TABLE measurements_seen (
    org_id          text NOT NULL,
    measurement_id  text NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, measurement_id)
);

CREATE TABLE organisations (
    org_id      text PRIMARY KEY,
    name        text NOT NULL,
    tolerances  jsonb NOT NULL DEFAULT '{"on_track": 0.10, "at_risk": 0.25}',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    key_hash    text PRIMARY KEY,
    key_id      text NOT NULL UNIQUE,
    org_id      text NOT NULL REFERENCES organisations (org_id),
    prefix      text NOT NULL,
    scopes      text[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
