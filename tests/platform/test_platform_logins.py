"""Logins and logouts save the profile (``enforce_single_login``) but never reach ClickHouse.

edx-platform stores the Django session key in ``UserProfile.meta`` on every login and logout
(common/djangoapps/student/models/user.py). The sink strips it, and a save that changed nothing
the sink exports writes nothing.
"""

from __future__ import annotations

import io
import json

import pytest
from common.djangoapps.student.models import UserProfile
from django.core.management import call_command
from django.test import Client

from tests.platform.conftest import select, wait_for
from tests.platform.factories import make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("merges_stopped")]
PASSWORD = "pw-for-tests"


def learner(username: str, **profile_fields):
    user, profile = make_user(username, **profile_fields)
    user.set_password(PASSWORD)
    user.save()
    return user, profile


def log_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def profile_rows(ch, user_id: int) -> list[tuple[str, str]]:
    return select(
        ch,
        "SELECT name, meta FROM user_profile WHERE user_id = {uid:Int64} ORDER BY time_last_dumped",
        uid=user_id,
    )


def every_meta(ch) -> str:
    return "\n".join(row[0] for row in select(ch, "SELECT meta FROM user_profile"))


def test_logins_and_logouts_write_nothing(ch, worker):
    user, profile = learner("regular", name="Regular Learner")
    assert wait_for(lambda: len(profile_rows(ch, user.id)) == 1)

    sessions = []
    for _ in range(3):
        client = log_in(user)
        sessions.append(client.session.session_key)
        client.logout()
    client = log_in(user)
    sessions.append(client.session.session_key)
    profile.refresh_from_db()
    assert profile.get_meta() == {"session_id": sessions[-1]}  # the platform did save it

    # A real change after them: the worker handles tasks in order, so once its row is there,
    # anything the logins had enqueued would be there too.
    profile.name = "Renamed Learner"
    profile.save()
    assert wait_for(lambda: len(profile_rows(ch, user.id)) >= 2)
    assert profile_rows(ch, user.id) == [("Regular Learner", ""), ("Renamed Learner", "")]
    assert not any(key in every_meta(ch) for key in sessions)


def test_session_key_never_reaches_clickhouse_but_the_rest_of_meta_does(ch):
    user, profile = learner("extended", meta=json.dumps({"company": "Acme", "job": "Dev"}))
    client = log_in(user)
    key = client.session.session_key
    profile.refresh_from_db()
    profile.name = "Changed after login"  # exported: written, with the session still in meta
    profile.save()
    assert key in UserProfile.objects.get(pk=profile.pk).meta

    rows = profile_rows(ch, user.id)
    assert [name for name, _ in rows] == ["", "Changed after login"]
    assert [json.loads(meta) for _, meta in rows] == [{"company": "Acme", "job": "Dev"}] * 2

    call_command("dump_data_to_clickhouse", "--object", "user_profile", stdout=io.StringIO(),
                 stderr=io.StringIO())  # fmt: skip
    assert len(profile_rows(ch, user.id)) == 3
    assert key not in every_meta(ch)


def test_a_change_of_extended_profile_fields_in_meta_is_written(ch):
    user, profile = learner("meta_change")
    client = log_in(user)
    profile.refresh_from_db()
    meta = profile.get_meta()
    meta["company"] = "New Co"
    profile.set_meta(meta)
    profile.save()
    client.logout()
    assert [json.loads(m) if m else {} for _, m in profile_rows(ch, user.id)] == [
        {},
        {"company": "New Co"},
    ]


@pytest.mark.parametrize(
    ("meta", "exported"),
    [
        ('{"session_id": "k3y"}', ""),
        ('{"session_id": null}', ""),
        ('{"company": "Acme", "session_id": "k3y"}', '{"company": "Acme"}'),
        ('{"company":"session_id"}', '{"company":"session_id"}'),  # a value: kept as it is
        ('{"company": "Acme"}', '{"company": "Acme"}'),
        ('{"session_id": "k3y", broken', ""),  # unparsable and mentions it: dropped
        ('["session_id", "k3y"]', ""),
        ("plain text, no key", "plain text, no key"),  # not JSON, no session key: unchanged
        ("", ""),
        (None, None),
    ],
)
def test_meta_export_drops_only_the_session_key(meta, exported):
    from aspects_platform.sinks.user_profile import meta_without_session

    assert meta_without_session(meta) == exported
