-- Secret rotation: POST /v1/subscriptions/{id}/rotate-secret moves the current secret here and
-- issues a new one. Until previous_secret_expires_at, deliveries are signed with both (two
-- space-delimited signatures in webhook-signature); afterwards only with the new one. A second
-- rotation replaces the previous secret, so at most two secrets ever sign.
ALTER TABLE subscriptions
    ADD COLUMN previous_secret             text,
    ADD COLUMN previous_secret_expires_at  timestamptz,
    ADD COLUMN secret_rotated_at           timestamptz;

-- The attempt log keeps what a 429 or 503 asked for in Retry-After (seconds from the attempt), so
-- that a delay longer than the schedule's can be explained. NULL: no (valid) header, or a status
-- that does not honour it.
ALTER TABLE delivery_attempts ADD COLUMN retry_after_seconds double precision;
