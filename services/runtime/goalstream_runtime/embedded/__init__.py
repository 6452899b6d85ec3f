"""Embedded infrastructure: real PostgreSQL and Kafka-protocol servers started from wheels."""
