# Aspects: Superset metadata database, roles and users.
# Passwords come from the superset-job environment, never from this script.
{%- if ASPECTS_RUN_SUPERSET %}
superset db upgrade
superset init
superset fab create-admin --username "$SUPERSET_ADMIN_USER" --password "$SUPERSET_ADMIN_PASSWORD" \
    --firstname Aspects --lastname Admin --email "$SUPERSET_ADMIN_EMAIL"
superset fab reset-password --username "$SUPERSET_ADMIN_USER" --password "$SUPERSET_ADMIN_PASSWORD"
# The LMS service user mints guest tokens for the embedded dashboards.
superset fab create-user --role Admin --username "$SUPERSET_LMS_USER" \
    --password "$SUPERSET_LMS_PASSWORD" --firstname LMS --lastname Service \
    --email "$SUPERSET_LMS_EMAIL"
superset fab reset-password --username "$SUPERSET_LMS_USER" --password "$SUPERSET_LMS_PASSWORD"
{%- else %}
echo "ASPECTS_RUN_SUPERSET is false: Superset is not managed by this plugin, nothing to do."
{%- endif %}
