-- Every accepted measurement, per organisation and metric, whether or not a goal uses it yet: a goal
-- set, revised or unlocked later folds the values already here (docs/decisions.md, "Every accepted
-- measurement is kept"). Written with the batch that accepted it, in the same transaction.
CREATE TABLE measurement_series (
    org_id          text NOT NULL,
    metric_key      text NOT NULL,
    measurement_id  text NOT NULL,
    value           double precision NOT NULL,
    observed_at     timestamptz NOT NULL,  -- event time: when the value was true
    recorded_at     timestamptz NOT NULL,  -- when goals accepted it
    source          text,
    comment         text,
    confidence      double precision,
    goal_id         text,                  -- a check-in aimed at this goal only: no other goal folds it
    position        bigserial NOT NULL,    -- arrival order: of two values observed at once, the later wins
    PRIMARY KEY (org_id, measurement_id)
);
-- "This organisation's metric, observed at or after t", newest first; also the listing's last value.
CREATE INDEX measurement_series_by_time ON measurement_series (org_id, metric_key, observed_at DESC, position DESC);

-- The values accepted before this table existed that reached a goal are in the event store: keep them
-- too (once per measurement id, untargeted: the events do not say whether a check-in named its goal).
INSERT INTO measurement_series
    (org_id, metric_key, measurement_id, value, observed_at, recorded_at, source, comment, confidence)
SELECT org_id, metric_key, measurement_id, value, observed_at, recorded_at, source, comment, confidence
FROM (
    SELECT DISTINCT ON (org_id, payload->>'measurement_id')
        global_position,
        org_id,
        payload->>'metric' AS metric_key,
        payload->>'measurement_id' AS measurement_id,
        (payload->>'value')::double precision AS value,
        (payload->>'observed_at')::timestamptz AS observed_at,
        (payload->>'recorded_at')::timestamptz AS recorded_at,
        payload->>'source' AS source,
        payload->>'comment' AS comment,
        (payload->>'confidence')::double precision AS confidence
    FROM events
    WHERE event_type = 'MeasurementRecorded'
    ORDER BY org_id, payload->>'measurement_id', global_position
) AS first_recorded
ORDER BY global_position
ON CONFLICT DO NOTHING;
