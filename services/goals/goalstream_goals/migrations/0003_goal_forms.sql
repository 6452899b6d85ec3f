-- Aggregate snapshots: loading a long stream reads the snapshot and the events after it.
CREATE TABLE snapshots (
    stream_id   text PRIMARY KEY,
    org_id      text NOT NULL,
    version     integer NOT NULL,
    format      integer NOT NULL,
    state       jsonb NOT NULL
);

-- The goal tree as the command side needs it to decide parents' status (kept in the same
-- transaction as the goals' events). Tracking keeps its own, richer read model.
CREATE TABLE goal_nodes (
    goal_id     text PRIMARY KEY,
    org_id      text NOT NULL,
    parent_id   text,
    kind        text NOT NULL,
    weight      double precision NOT NULL,
    rollup      text,
    has_metric  boolean NOT NULL,
    active      boolean NOT NULL,
    baseline    double precision NOT NULL,
    current     double precision,
    progress    double precision,
    status      text
);
CREATE INDEX goal_nodes_children ON goal_nodes (org_id, parent_id) WHERE active;

-- When each goal next needs the scheduler (time-driven events); claimed with SKIP LOCKED.
CREATE TABLE schedule (
    goal_id     text PRIMARY KEY,
    org_id      text NOT NULL,
    due_at      timestamptz NOT NULL
);
CREATE INDEX schedule_due ON schedule (due_at);

-- The event store is append-only: history is never rewritten, not even by a stray UPDATE.
CREATE FUNCTION events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % refused', TG_OP;
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_append_only();
