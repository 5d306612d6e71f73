"""Operators' metrics: `/metrics` in Prometheus' text format (prometheus_client)."""
