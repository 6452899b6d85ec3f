"""Test support: real infrastructure (testcontainers or embedded) and real service processes."""
