-- The outbox relay's record of what the broker acknowledged (goalstream_runtime.watermarks): per
-- partition, the offset after the highest one acknowledged. A broker whose end offset falls below
-- it has lost records, and the relay republishes that topic from the outbox.
CREATE TABLE relay_watermarks (
    topic        text NOT NULL,
    partition    integer NOT NULL,
    next_offset  bigint NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition)
);
