-- Receivers (HubSpot, Salesforce, Segment): a connection binds a platform account to an organisation, with what
-- verifies the sender. `secret` is the HubSpot client secret or the Segment shared secret, stored as given because
-- an HMAC is checked with the secret itself; no API answer ever returns it. `token_hash` is the SHA-256 of the
-- random token in a Salesforce receiver URL (Salesforce signs nothing): compared, never needed back.
CREATE TABLE inbound_connections (
    connection_id  text PRIMARY KEY,
    org_id         text NOT NULL,
    platform       text NOT NULL,
    account        text NOT NULL,
    secret         text,
    token_hash     text UNIQUE,
    receiver_url   text,
    created_at     timestamptz NOT NULL,
    UNIQUE (platform, account)
);
CREATE INDEX inbound_connections_by_org ON inbound_connections (org_id, connection_id);

-- Which records feed which metric. Paths are dotted paths into a record's fields.
CREATE TABLE inbound_mappings (
    mapping_id   text PRIMARY KEY,
    org_id       text NOT NULL,
    platform     text NOT NULL,
    object_type  text NOT NULL,
    value_path   text NOT NULL,
    metric_key   text NOT NULL,
    aggregation  text NOT NULL,
    time_path    text,
    id_path      text,
    created_at   timestamptz NOT NULL
);
CREATE INDEX inbound_mappings_by_org ON inbound_mappings (org_id, platform, object_type);

-- Records no mapping matched, per connection and object type: how many, and the last one, so an administrator
-- sees what arrives and which mapping is missing. Bounded: one row per object type a platform sends.
CREATE TABLE inbound_unmatched (
    connection_id  text NOT NULL REFERENCES inbound_connections ON DELETE CASCADE,
    object_type    text NOT NULL,
    count          bigint NOT NULL,
    last_event_id  text NOT NULL,
    last_reason    text NOT NULL,
    last_fields    jsonb NOT NULL,
    last_seen_at   timestamptz NOT NULL,
    PRIMARY KEY (connection_id, object_type)
);
