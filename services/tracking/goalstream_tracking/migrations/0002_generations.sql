-- Read models live in generation schemas (`tracking_rm_<n>`); exactly one is live. A rebuild
-- fills a new one and switches. The first read model table moves there too.
CREATE TABLE generations (
    name         text PRIMARY KEY,
    state        text NOT NULL CHECK (state IN ('building', 'live', 'retired')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    switched_at  timestamptz
);
CREATE UNIQUE INDEX generations_one_live ON generations ((true)) WHERE state = 'live';
DROP TABLE goal_progress;
