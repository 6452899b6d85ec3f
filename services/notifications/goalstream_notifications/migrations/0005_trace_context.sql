-- The trace context (W3C traceparent and tracestate) of the fan-out that created a delivery, so
-- the worker's send continues the trace of the request that caused the event. NULL: no trace.
ALTER TABLE deliveries ADD COLUMN trace_context jsonb;
