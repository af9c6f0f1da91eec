#!/bin/sh
# Ralph LRS start-up (rendered by tutor-aspects). The auth file holds bcrypt hashes: it is
# built here, inside the container, from the passwords in the environment, so no hashing ever
# happens on the operator's host and no password is written to the Tutor environment.
set -eu
mkdir -p "$(dirname "$RALPH_AUTH_FILE")"
rm -f "$RALPH_AUTH_FILE"
ralph auth --write-to-disk --username "$RALPH_ADMIN_USER" --password "$RALPH_ADMIN_PASSWORD" \
    --scope all --agent-ifi-mbox "mailto:$RALPH_ADMIN_USER@aspects.invalid"
ralph auth --write-to-disk --username "$RALPH_LMS_USER" --password "$RALPH_LMS_PASSWORD" \
    --scope statements/write --scope statements/read/mine \
    --agent-ifi-mbox "mailto:$RALPH_LMS_USER@aspects.invalid"
exec uvicorn ralph.api:app --host 0.0.0.0 --port "$RALPH_PORT" --proxy-headers
