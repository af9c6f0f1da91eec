# Aspects: Superset metadata database, roles and users.
# Passwords come from the superset-job environment, never from this script, and are handed to
# Flask-AppBuilder's security manager inside one Python process (not `superset fab … --password`),
# so no password ever appears in a process command line.
{%- if ASPECTS_RUN_SUPERSET %}
superset db upgrade
superset init
python - <<'PYTHON'
import os

from superset.app import create_app

# (environment prefix, first name, last name, role). The LMS service user mints guest tokens
# for the embedded dashboards.
USERS = (
    ("SUPERSET_ADMIN", "Aspects", "Admin", "Admin"),
    ("SUPERSET_LMS", "LMS", "Service", "Admin"),
)
app = create_app()
with app.app_context():
    security = app.appbuilder.sm
    for prefix, first_name, last_name, role in USERS:
        username = os.environ[prefix + "_USER"]
        password = os.environ[prefix + "_PASSWORD"]
        user = security.find_user(username=username)
        if user is None:
            email = os.environ[prefix + "_EMAIL"]
            role_object = security.find_role(role)
            if not security.add_user(username, first_name, last_name, email, role_object, password):
                raise SystemExit("Could not create the Superset user " + username)
            print("Created the Superset user", username)
        else:
            security.reset_password(user.id, password)
            print("Updated the password of the Superset user", username)
PYTHON
{%- else %}
echo "ASPECTS_RUN_SUPERSET is false: Superset is not managed by this plugin, nothing to do."
{%- endif %}
