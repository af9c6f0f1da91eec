"""Superset configuration rendered by tutor-aspects (holds secrets: never print this file)."""

SECRET_KEY = {{ ASPECTS_SUPERSET_SECRET_KEY|aspects_py }}
SQLALCHEMY_DATABASE_URI = {{ ASPECTS_SUPERSET_DB_URI|aspects_py }}
SUPERSET_WEBSERVER_PORT = {{ ASPECTS_SUPERSET_PORT|aspects_py }}

# Dashboards are embedded in the Instructor Dashboard ("Reports" tab) with guest tokens.
FEATURE_FLAGS = {
    "EMBEDDED_SUPERSET": True,
    "DASHBOARD_RBAC": True,
    "ENABLE_TEMPLATE_PROCESSING": True,
}
GUEST_ROLE_NAME = "Gamma"
TALISMAN_ENABLED = False
ENABLE_PROXY_FIX = {{ ENABLE_WEB_PROXY|aspects_py }}
WTF_CSRF_EXEMPT_LIST = ["superset.security.api.guest_token"]
DASHBOARD_LOCALES = {{ ASPECTS_SUPERSET_DASHBOARD_LOCALES|aspects_py }}
{{ patch("aspects-superset-config") }}
