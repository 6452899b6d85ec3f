-- The read models of one generation, created in schema {schema}. A rebuild fills a fresh generation
-- from the topic while the live one keeps serving, then switches (see adapters/generations.py).
CREATE SCHEMA "{schema}";

-- Events applied to this generation (the marker commits with the rows it changed).
CREATE TABLE "{schema}".processed_events (
    event_id  uuid PRIMARY KEY
);

-- The goal events as received, in arrival order (one organisation's arrive in its order): the log
-- `as_of` answers are folded from.
CREATE TABLE "{schema}".event_log (
    seq             bigserial PRIMARY KEY,
    event_id        uuid NOT NULL UNIQUE,
    org_id          text NOT NULL,
    stream_id       text NOT NULL,
    stream_version  integer NOT NULL,
    event_type      text NOT NULL,
    schema_version  integer NOT NULL,
    occurred_at     timestamptz NOT NULL,
    payload         jsonb NOT NULL,
    trace_id        text  -- the W3C trace id of the record's `traceparent`; null when it carried none
);
CREATE INDEX ON "{schema}".event_log (org_id, seq);
-- A goal's series joins its history points to their events (migration 0004 adds this and trace_id to older ones).
CREATE INDEX ON "{schema}".event_log (stream_id, stream_version);
-- The event stream (`GET /v1/events`) filtered by type or by goal, newest first (migration 0005 adds these too).
CREATE INDEX event_log_org_type ON "{schema}".event_log (org_id, event_type, seq);
CREATE INDEX event_log_org_goal ON "{schema}".event_log (org_id, (payload->>'goal_id'), seq);

-- One row per goal: the node document (own numbers, rollup numbers, milestones, episodes), the
-- columns queries select by, what a parent's rollup reads of it (weight .. open_breaches: see
-- domain/child.py; a rollup never parses a child's document), and the API's view of it (`view_json`, JSON
-- without the two fields of the answer's time, and `plan_json`, the inputs of its expected progress).
-- Migration 0003 adds the later columns to generations made before it.
CREATE TABLE "{schema}".nodes (
    goal_id        text PRIMARY KEY,
    org_id         text NOT NULL,
    parent_id      text,
    level          text,
    kind           text NOT NULL,
    breach_target  text,
    breached       boolean NOT NULL,
    in_tree        boolean NOT NULL,
    doc            jsonb NOT NULL,
    weight         double precision NOT NULL DEFAULT 1,
    baseline       double precision NOT NULL DEFAULT 0,
    progress       double precision,
    current_value  double precision,
    status         text,
    counts         integer[] NOT NULL DEFAULT '{0,0,0,0,0}',
    open_breaches  integer NOT NULL DEFAULT 0,
    view_json      text,
    plan_json      text
) WITH (toast_tuple_target = 8160);  -- rows near 2 kB: kept whole, not compressed on every write
CREATE INDEX ON "{schema}".nodes (org_id, parent_id);
CREATE INDEX ON "{schema}".nodes (org_id, level, goal_id);
CREATE INDEX ON "{schema}".nodes (org_id, breach_target) WHERE kind = 'anti';

CREATE TABLE "{schema}".ladders (
    ladder_id  text PRIMARY KEY,
    org_id     text NOT NULL,
    doc        jsonb NOT NULL
);

-- Each goal's numbers over time: one point per event that moved them.
CREATE TABLE "{schema}".history (
    goal_id     text NOT NULL,
    version     integer NOT NULL,
    org_id      text NOT NULL,
    at          timestamptz NOT NULL,
    event_type  text NOT NULL,
    current     double precision,
    progress    double precision,
    status      text,
    PRIMARY KEY (goal_id, version)
);
