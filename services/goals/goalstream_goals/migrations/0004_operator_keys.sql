-- Platform operators' keys (`gso_…`) for the goals service's /v1/admin API. Not organisation keys:
-- they belong to no organisation, are never published, and no other service knows them. Stored as
-- SHA-256 hashes with a visible prefix, like `api_keys`; issued and revoked by `goalstream admin operator`.
CREATE TABLE operator_keys (
    key_hash    text PRIMARY KEY,
    key_id      text NOT NULL UNIQUE,
    prefix      text NOT NULL,
    label       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
