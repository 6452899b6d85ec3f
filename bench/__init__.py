"""`make bench`: goalstream's benchmark on the embedded stack (see docs/performance.md)."""
