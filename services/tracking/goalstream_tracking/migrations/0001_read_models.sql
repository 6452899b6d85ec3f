CREATE TABLE api_keys (
    key_hash    text PRIMARY KEY,
    key_id      text NOT NULL UNIQUE,
    org_id      text NOT NULL,
    prefix      text NOT NULL,
    scopes      text[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE TABLE processed_events (
    event_id      uuid PRIMARY KEY,
    processed_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per goal: its latest numbers and where they came from.
CREATE TABLE goal_progress (
    goal_id            text PRIMARY KEY,
    org_id             text NOT NULL,
    kind               text NOT NULL,
    title              text NOT NULL,
    parent_id          text,
    weight             double precision NOT NULL DEFAULT 1,
    level              text,
    metric_key         text,
    unit               text,
    baseline           double precision,
    target             double precision,
    start_at           timestamptz,
    deadline           timestamptz,
    current_value      double precision,
    progress           double precision,
    expected_progress  double precision,
    status             text,
    achieved           boolean NOT NULL DEFAULT false,
    archived           boolean NOT NULL DEFAULT false,
    source             jsonb,
    stream_version     integer NOT NULL,
    event_time         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX goal_progress_org ON goal_progress (org_id);
