-- The dashboard API (issue 20). New generations are made with these (adapters/read_models.sql); this adds them
-- to every generation made before:
-- * event_log.trace_id (the trace id of the record's `traceparent`): null for the events logged before, until a
--   rebuild reads them again from the topic, headers and all;
-- * an index joining a goal's history points to their events (its series);
-- * the stored views gained fields (owner, start_at, deadline, ladder_id, rung): every stored view is cleared,
--   so an answer builds it from the node's document (as after 0003), and tracking's start-up writes the
--   cleared views of the live generation again (adapters/view_refresh.py).
DO $$
DECLARE
    g text;
BEGIN
    FOR g IN SELECT name FROM generations LOOP
        EXECUTE format($f$
            ALTER TABLE %1$I.event_log ADD COLUMN IF NOT EXISTS trace_id text;
            CREATE INDEX IF NOT EXISTS event_log_stream_version ON %1$I.event_log (stream_id, stream_version);
            UPDATE %1$I.nodes SET view_json = NULL WHERE view_json IS NOT NULL;
        $f$, g);
    END LOOP;
END
$$;
