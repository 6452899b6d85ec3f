-- A parent's rollup reads its children's numbers from columns, and the queries answer from the JSON
-- view kept per node (adapters/read_models.sql). New generations are made with these columns; this
-- adds them to every generation made before, filled from the documents. `view_json` and `plan_json` stay null
-- there until the node next changes: the queries build a null view from the document.
DO $$
DECLARE
    g text;
BEGIN
    FOR g IN SELECT name FROM generations LOOP
        EXECUTE format($f$
            ALTER TABLE %1$I.nodes
                ADD COLUMN IF NOT EXISTS weight double precision NOT NULL DEFAULT 1,
                ADD COLUMN IF NOT EXISTS baseline double precision NOT NULL DEFAULT 0,
                ADD COLUMN IF NOT EXISTS progress double precision,
                ADD COLUMN IF NOT EXISTS current_value double precision,
                ADD COLUMN IF NOT EXISTS status text,
                ADD COLUMN IF NOT EXISTS counts integer[] NOT NULL DEFAULT '{0,0,0,0,0}',
                ADD COLUMN IF NOT EXISTS open_breaches integer NOT NULL DEFAULT 0,
                ADD COLUMN IF NOT EXISTS view_json text,
                ADD COLUMN IF NOT EXISTS plan_json text;
            ALTER TABLE %1$I.nodes SET (toast_tuple_target = 8160);
            UPDATE %1$I.nodes SET
                weight = coalesce((doc->'definition'->>'weight')::float8, 1),
                baseline = coalesce((doc->'definition'->>'baseline')::float8, 0),
                progress = (doc->>'progress')::float8,
                current_value = coalesce((doc->>'rollup_current')::float8, (doc->>'current')::float8),
                status = doc->>'status',
                counts = ARRAY(SELECT coalesce((doc->'counts'->>s)::int, 0)
                               FROM unnest(ARRAY['on_track', 'at_risk', 'off_track', 'achieved', 'missed'])
                               WITH ORDINALITY AS t(s, i) ORDER BY i),
                open_breaches = coalesce((doc->>'open_breaches')::int, 0);
        $f$, g);
    END LOOP;
END
$$;
