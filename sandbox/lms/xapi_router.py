"""The LMS's xAPI route to Ralph: ERB's ``RouterConfiguration``, written idempotently.

As Aspects' LMS init job does in production: one enabled xAPI route with Basic auth; an
unchanged route is left alone, a changed one gets a new row (ConfigurationModel history), and
routes to other URLs are disabled. The password is stored fernet-encrypted by ERB.
"""

from __future__ import annotations


def configure_router(route_url: str, username: str, password: str) -> bool:
    """Make ``route_url`` the only enabled xAPI route; True when something was written."""
    from edx_django_utils.cache.utils import TieredCache, get_cache_key
    from event_routing_backends.models import RouterConfiguration

    xapi = RouterConfiguration.XAPI_BACKEND
    changed = False
    for other in RouterConfiguration.objects.current_set().filter(backend_name=xapi, enabled=True):
        if other.route_url != route_url:
            RouterConfiguration.objects.create(
                backend_name=xapi, route_url=other.route_url, enabled=False
            )
            changed = True
    current = RouterConfiguration.current(route_url)
    wanted = {"auth_scheme": RouterConfiguration.AUTH_BASIC, "username": username}
    same = current.enabled and current.backend_name == xapi and current.password == password
    if not (same and all(getattr(current, key) == value for key, value in wanted.items())):
        RouterConfiguration.objects.create(
            backend_name=xapi, route_url=route_url, enabled=True, password=password, **wanted
        )
        changed = True
    # ERB caches the routes for 10 minutes: drop the cached answer so the change applies now.
    TieredCache.delete_all_tiers(get_cache_key(namespace="event_routing_backends", resource=xapi))
    return changed
