"""ClickHouse for Aspects: connection helper, versioned schema migrations, users and grants.

Imports neither Django nor chdb: it runs in the openedx image (the init job), inside the LMS/CMS
and in the sandbox. Its only third-party dependency is clickhouse-connect.
"""
