-- The event stream (`GET /v1/events`) filtered by an event type or a goal reads these (adapters/read_models.sql
-- makes them in new generations); without them it read the organisation's whole log, newest first, to find a
-- rare type. Added to every generation made before.
DO $$
DECLARE
    g text;
BEGIN
    FOR g IN SELECT name FROM generations LOOP
        EXECUTE format($f$
            CREATE INDEX IF NOT EXISTS event_log_org_type ON %1$I.event_log (org_id, event_type, seq);
            CREATE INDEX IF NOT EXISTS event_log_org_goal ON %1$I.event_log (org_id, (payload->>'goal_id'), seq);
        $f$, g);
    END LOOP;
END
$$;
