#!/bin/sh
# Ralph LRS start-up (rendered by tutor-aspects). The auth file holds bcrypt hashes: it is
# built here, inside the container, from the passwords in the environment, so no hashing ever
# happens on the operator's host and no password is written to the Tutor environment.
# Ralph's own `auth` command runs inside one Python process (not as `ralph auth --password …`),
# so no password ever appears in a process command line. Agents get an address under
# example.com: Ralph validates it as an e-mail address and refuses reserved names (.invalid).
set -eu
mkdir -p "$(dirname "$RALPH_AUTH_FILE")"
rm -f "$RALPH_AUTH_FILE"
python - <<'PYTHON'
import os

from ralph.cli import cli

USERS = (
    ("RALPH_ADMIN", ["all"]),
    ("RALPH_LMS", ["statements/write", "statements/read/mine"]),
)
for prefix, scopes in USERS:
    username = os.environ[prefix + "_USER"]
    arguments = ["auth", "--write-to-disk", "--username", username]
    arguments += ["--password", os.environ[prefix + "_PASSWORD"]]
    arguments += ["--agent-ifi-mbox", "mailto:" + username + "@aspects.example.com"]
    for scope in scopes:
        arguments += ["--scope", scope]
    cli.main(args=arguments, prog_name="ralph", standalone_mode=False)
PYTHON
exec uvicorn ralph.api:app --host "${RALPH_HOST:-0.0.0.0}" --port "$RALPH_PORT" --proxy-headers
