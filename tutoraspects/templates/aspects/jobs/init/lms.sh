# Aspects: the Open edX service user that Superset acts as (staff, no password: no login).
./manage.py lms manage_user {{ ASPECTS_LMS_SERVICE_USER|aspects_shell_quote }} {{ (ASPECTS_LMS_SERVICE_USER ~ "@" ~ LMS_HOST)|aspects_shell_quote }} --staff --unusable-password
{%- if ASPECTS_RUN_RALPH %}
# Route xAPI statements to Ralph (event-routing-backends). The LRS credentials come from the
# LMS settings (ASPECTS_XAPI_LRS), never from this script; a new router row is only added when
# something changed (router rows are versioned configuration).
./manage.py lms shell -c "
from django.conf import settings
from event_routing_backends.models import RouterConfiguration as Router

lrs = settings.ASPECTS_XAPI_LRS
wanted = dict(
    backend_name=Router.XAPI_BACKEND,
    auth_scheme=Router.AUTH_BASIC,
    username=lrs['username'],
    password=lrs['password'],
    enabled=True,
)
current = Router.current(lrs['route_url'])
if current.pk and all(getattr(current, key) == value for key, value in wanted.items()):
    print('xAPI statements already routed to', lrs['route_url'])
else:
    Router.objects.create(route_url=lrs['route_url'], configurations={}, **wanted)
    print('xAPI statements now routed to', lrs['route_url'])
"
{%- endif %}
