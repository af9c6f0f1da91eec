# Aspects: ClickHouse databases, users, grants and schema migrations.
# Connection settings and passwords come from the aspects-job environment, never from here.
python -m aspects_platform.clickhouse.migrate --wait 120{% if aspects_adopt_established is defined %} --adopt-established{% endif %}
