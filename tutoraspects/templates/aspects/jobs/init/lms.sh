# Aspects: the Open edX service user that Superset acts as (staff, no password: no login).
./manage.py lms manage_user {{ ASPECTS_LMS_SERVICE_USER|aspects_shell_quote }} {{ ASPECTS_LMS_SERVICE_EMAIL|aspects_shell_quote }} --staff --unusable-password
