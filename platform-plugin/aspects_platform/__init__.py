"""Aspects in-platform app: ClickHouse event sinks and Superset embedding for Open edX."""
