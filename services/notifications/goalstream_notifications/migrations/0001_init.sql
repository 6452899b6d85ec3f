-- The notifications schema: subscriptions, one delivery per (subscription, event), the attempt log,
-- and the service's own copies of what it consumes (API keys, goal parent links).

-- Same shape as goalstream_runtime.auth.API_KEYS_TABLE_SQL; kept from the identity topic.
CREATE TABLE api_keys (
    key_hash    text PRIMARY KEY,
    key_id      text NOT NULL UNIQUE,
    org_id      text NOT NULL,
    prefix      text NOT NULL,
    scopes      text[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

-- Same shape as goalstream_runtime.consumers.PROCESSED_TABLE_SQL: one effect per consumed event.
CREATE TABLE processed_events (
    event_id      uuid PRIMARY KEY,
    processed_at  timestamptz NOT NULL DEFAULT now()
);

-- Same shape as goalstream_runtime.outbox.OUTBOX_TABLE_SQL: AlertDelivered / AlertDeliveryFailed records.
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

CREATE TABLE subscriptions (
    id               uuid PRIMARY KEY,
    org_id           text NOT NULL,
    channel          text NOT NULL CHECK (channel IN ('webhook', 'slack', 'email')),
    target           text NOT NULL,
    event_types      text[] NOT NULL DEFAULT '{}',  -- empty: every goal event type
    root_goal_id     text,
    min_severity     text CHECK (min_severity IN ('info', 'warning', 'critical')),
    -- The signing secret must be readable to sign with (HMAC), so it is stored as issued.
    secret           text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    disabled_at      timestamptz,
    disabled_reason  text
);
CREATE INDEX subscriptions_enabled ON subscriptions (org_id) WHERE disabled_at IS NULL;
CREATE INDEX subscriptions_org ON subscriptions (org_id, created_at DESC);

CREATE TABLE deliveries (
    id                uuid PRIMARY KEY,
    org_id            text NOT NULL,
    subscription_id   uuid NOT NULL REFERENCES subscriptions (id),
    event_id          uuid NOT NULL,
    event_type        text NOT NULL,
    correlation_id    uuid,
    -- The exact bytes sent on every attempt, so that retries carry an identical, signable body.
    body              bytea NOT NULL,
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts          integer NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    last_error        text,
    last_status_code  integer,
    created_at        timestamptz NOT NULL DEFAULT now(),
    delivered_at      timestamptz,
    UNIQUE (subscription_id, event_id)  -- at most one delivery per (subscription, event)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_org ON deliveries (org_id, status, created_at DESC);

CREATE TABLE delivery_attempts (
    delivery_id  uuid NOT NULL REFERENCES deliveries (id),
    attempt      integer NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    status_code  integer,
    error        text,
    PRIMARY KEY (delivery_id, attempt)
);

-- The goal tree as far as notifications needs it: root_goal_id subscriptions match a subtree.
CREATE TABLE goal_parents (
    org_id     text NOT NULL,
    goal_id    text NOT NULL,
    parent_id  text,
    PRIMARY KEY (org_id, goal_id)
);
