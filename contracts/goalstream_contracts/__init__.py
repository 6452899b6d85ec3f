"""goalstream's public event contract.

Payloads (`events`, `alerts`, `identity`, `measurements`) are frozen, versioned pydantic models;
the envelope (`envelope`) carries what every event has; `cloudevents` maps an envelope to a
Kafka record in CloudEvents 1.0 binary mode and back; `registry` finds a payload class by type
and version and upcasts old versions on read.
"""
