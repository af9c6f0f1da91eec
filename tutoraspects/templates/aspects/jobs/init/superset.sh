# Aspects: Superset metadata database, roles, users, then our asset bundle (overwritten).
# Re-run by `do import-superset-assets`. Every password comes from the superset-job
# environment and is handed to Superset inside this one Python process (never `superset fab
# … --password`), so no password ever appears in a process command line. Running the steps in
# one process also pays Superset's start-up once instead of once per `superset` command.
{%- if ASPECTS_RUN_SUPERSET %}
python - <<'PYTHON'
import json
import os
import re
import time
import uuid

GUEST_ROLE = {{ "aspects_guest"|aspects_py }}
GRANTER_ROLE = "aspects_guest_token_granter"
# What an embedded render needs, nothing more (no datasource_access: access follows from the
# chart being on the dashboard named in the guest token).
GUEST_PERMISSIONS = (
    ("can_read", "Dashboard"),
    ("can_read", "Chart"),
    ("can_read", "CurrentUserRestApi"),
    ("can_log", "Superset"),
)
# The LMS service user may mint guest tokens, and do nothing else.
GRANTER_PERMISSIONS = (("can_grant_guest_token", "SecurityRestApi"),)
# (environment prefix, first name, last name, role)
USERS = (
    ("SUPERSET_ADMIN", "Aspects", "Admin", "Admin"),
    ("SUPERSET_LMS", "LMS", "Service", GRANTER_ROLE),
)


def prepare_mysql():
    """Create the metadata database and its user on the LMS's MySQL (idempotent)."""
    if os.environ.get("ASPECTS_SUPERSET_METADATA_DB") != "mysql":
        return
    import pymysql

    database = os.environ["ASPECTS_SUPERSET_MYSQL_DATABASE"]
    if not re.fullmatch(r"[A-Za-z0-9_]+", database):
        raise SystemExit(f"ASPECTS_SUPERSET_MYSQL_DATABASE={database!r}: letters, digits, _ only")
    user = os.environ["ASPECTS_SUPERSET_MYSQL_USERNAME"]
    password = os.environ["ASPECTS_SUPERSET_MYSQL_PASSWORD"]
    for attempt in range(10):
        try:
            connection = pymysql.connect(
                host=os.environ["ASPECTS_MYSQL_HOST"],
                port=int(os.environ["ASPECTS_MYSQL_PORT"]),
                user=os.environ["ASPECTS_MYSQL_ROOT_USERNAME"],
                password=os.environ["ASPECTS_MYSQL_ROOT_PASSWORD"],
                connect_timeout=10,
            )
            break
        except pymysql.err.OperationalError as error:
            print(f"MySQL not ready ({error.args[0]}), retrying in 10 s")
            time.sleep(10)
    else:
        raise SystemExit("MySQL is unreachable: cannot create Superset's metadata database")
    with connection, connection.cursor() as cursor:
        cursor.execute(
            f"CREATE DATABASE IF NOT EXISTS `{database}` "
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
        cursor.execute("CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s", (user, password))
        cursor.execute("ALTER USER %s@'%%' IDENTIFIED BY %s", (user, password))
        cursor.execute(f"GRANT ALL ON `{database}`.* TO %s@'%%'", (user,))
    print("MySQL database", database, "ready for Superset")


def set_role(security, name, permissions):
    """The role ``name`` with exactly ``permissions`` (created if missing)."""
    role = security.find_role(name) or security.add_role(name)
    wanted = []
    for permission, view in permissions:
        found = security.find_permission_view_menu(permission, view)
        if found is None:
            raise SystemExit(f"Superset has no permission {permission} on {view}")
        wanted.append(found)
    role.permissions = wanted
    return role


def set_users(security):
    for prefix, first_name, last_name, role_name in USERS:
        username = os.environ[prefix + "_USER"]
        password = os.environ[prefix + "_PASSWORD"]
        role = security.find_role(role_name)
        user = security.find_user(username=username)
        if user is None:
            email = os.environ[prefix + "_EMAIL"]
            if not security.add_user(username, first_name, last_name, email, role, password):
                raise SystemExit("Could not create the Superset user " + username)
            print("Created the Superset user", username)
        else:
            user.roles = [role]
            security.reset_password(user.id, password)
            print("Updated the Superset user", username)


def import_bundle(bundle, admin):
    from superset.commands.importers.v1.assets import ImportAssetsCommand
    from superset.utils.core import override_user

    passwords = {bundle["database_file"]: os.environ["ASPECTS_CLICKHOUSE_SUPERSET_PASSWORD"]}
    with override_user(admin):
        ImportAssetsCommand(bundle["files"], passwords=passwords).run()
    print("Imported", len(bundle["files"]), "asset files")


def set_embedded(db, bundle):
    """One embedded entry per embedded dashboard, its uuid the dashboard's."""
    from superset.models.dashboard import Dashboard
    from superset.models.embedded_dashboard import EmbeddedDashboard

    for dashboard_uuid, domains in bundle["embedded"].items():
        key = uuid.UUID(dashboard_uuid)
        dashboard = db.session.query(Dashboard).filter_by(uuid=key).one()
        entry = db.session.query(EmbeddedDashboard).filter_by(uuid=key).one_or_none()
        if entry is None:
            entry = EmbeddedDashboard(uuid=key, dashboard_id=dashboard.id)
            db.session.add(entry)
        entry.dashboard_id = dashboard.id
        entry.allow_domain_list = ",".join(domains)
    print("Embedded dashboards:", len(bundle["embedded"]))


prepare_mysql()
with open(os.environ["ASPECTS_SUPERSET_ASSETS"], encoding="utf-8") as bundle_file:
    BUNDLE = json.load(bundle_file)

from flask_migrate import upgrade
from superset.app import create_app

app = create_app()
with app.app_context():
    from superset import appbuilder, db, security_manager

    upgrade()  # superset db upgrade
    appbuilder.add_permissions(update_perms=True)  # superset init
    security_manager.sync_role_definitions()
    set_role(security_manager, GUEST_ROLE, GUEST_PERMISSIONS)
    set_role(security_manager, GRANTER_ROLE, GRANTER_PERMISSIONS)
    db.session.commit()
    set_users(security_manager)
    db.session.commit()
    import_bundle(BUNDLE, security_manager.find_user(os.environ["SUPERSET_ADMIN_USER"]))
    set_embedded(db, BUNDLE)
    db.session.commit()
PYTHON
{%- else %}
echo "ASPECTS_RUN_SUPERSET is false: Superset is not managed by this plugin, nothing to do."
{%- endif %}
