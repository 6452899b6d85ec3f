-- What `GET /v1/goals` filters and pages on, one row per goal, written in the same transaction as the goal's
-- events when one of these fields changes (set, revised, archived; never on a measurement). `position` is the
-- goal's place in the organisation's creation order: pages are keyed on it, so a goal keeps its place for good and
-- a new one comes after every goal already there. A goal's status is read from its `goal_nodes` row.
CREATE TABLE goal_list (
    goal_id     text PRIMARY KEY,
    org_id      text NOT NULL,
    position    bigserial NOT NULL,
    level       text,
    owner       text,
    parent_id   text,
    metric_key  text,
    archived    boolean NOT NULL
);
CREATE UNIQUE INDEX goal_list_page ON goal_list (org_id, position);
-- The selective filters walk an index of their own in the same order; level, status and archived have a handful
-- of values each and filter the page index as it is read.
CREATE INDEX goal_list_by_parent ON goal_list (org_id, parent_id, position);
CREATE INDEX goal_list_by_owner ON goal_list (org_id, owner, position);
CREATE INDEX goal_list_by_metric ON goal_list (org_id, metric_key, position);

-- The goals set before this table existed, in the order they were set. A GoalRevised carries the fields it changed
-- (named in `changed`), so each field is the one of the goal's last event that set it.
CREATE FUNCTION pg_temp.last_set(stream text, name text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT e.payload->name FROM events e
    WHERE e.stream_id = stream
      AND (e.event_type = 'GoalSet' OR (e.event_type = 'GoalRevised' AND e.payload->'changed' ? name))
    ORDER BY e.stream_version DESC LIMIT 1
$$;
INSERT INTO goal_list (goal_id, org_id, level, owner, parent_id, metric_key, archived)
SELECT s.stream_id, s.org_id, pg_temp.last_set(s.stream_id, 'level') #>> '{}', pg_temp.last_set(s.stream_id, 'owner') #>> '{}',
       pg_temp.last_set(s.stream_id, 'parent_id') #>> '{}', pg_temp.last_set(s.stream_id, 'metric')->>'key',
       EXISTS (SELECT 1 FROM events a WHERE a.stream_id = s.stream_id AND a.event_type = 'GoalArchived')
FROM events s
WHERE s.event_type = 'GoalSet'
ORDER BY s.global_position;
DROP FUNCTION pg_temp.last_set(text, text);
