"""Shared runtime of the goalstream services: what every service process needs but no domain owns."""
