"""Embedded ClickHouse: the chdb engine (ClickHouse 26.9, in-process) served over ClickHouse's
HTTP interface on 127.0.0.1, for the sandbox and the tests. Never used in production.
"""
