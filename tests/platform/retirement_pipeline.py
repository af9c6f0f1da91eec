"""Drives the sandbox's retirement endpoints the way edx-platform's retirement driver does.

The learner calls ``deactivate_logout``; the driver (tubular) then moves the retirement from
state to state with ``update_retirement_status`` and calls each step's endpoint:
``retirement_unenroll`` (RETIRING_ENROLLMENTS), ``retire_misc`` (RETIRING_LMS_MISC, sends
USER_RETIRE_LMS_MISC), ``retire`` (RETIRING_LMS: profile scrub and rename), COMPLETE, and
``retirement_cleanup`` (deletes the status). Every call goes through Django's test client.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from openedx.core.djangoapps.user_api.models import RetirementState, UserRetirementStatus

ACCOUNTS = "/api/user/v1/accounts"
PASSWORD = "correct horse battery staple"

#: (state to move to, endpoint, state when done) of each step, in the driver's order.
STEPS = (
    ("RETIRING_ENROLLMENTS", "/api/enrollment/v1/unenroll/", "ENROLLMENTS_COMPLETE"),
    ("RETIRING_LMS_MISC", f"{ACCOUNTS}/retire_misc/", "LMS_MISC_COMPLETE"),
    ("RETIRING_LMS", f"{ACCOUNTS}/retire/", "LMS_COMPLETE"),
)


def ensure_states() -> None:
    """RetirementState rows from settings.RETIREMENT_STATES (once per database)."""
    if not RetirementState.objects.exists():
        call_command("populate_retirement_states", stdout=open("/dev/null", "w"))  # noqa: SIM115


def service_worker() -> Client:
    """A client logged in as the retirement service worker (its login creates its profile)."""
    worker, _ = User.objects.get_or_create(username=settings.RETIREMENT_SERVICE_WORKER_USERNAME)
    client = Client()
    client.force_login(worker)
    return client


@dataclass
class Retirement:
    """One user's trip through the pipeline; ``username`` is the original username."""

    username: str

    def __post_init__(self) -> None:
        self.driver = service_worker()

    def _json(self, method: str, path: str, body: dict) -> int:
        response = getattr(self.driver, method)(path, body, content_type="application/json")
        return response.status_code

    def move_to(self, state: str) -> None:
        status = self._json(
            "patch",
            f"{ACCOUNTS}/update_retirement_status/",
            {"username": self.username, "new_state": state, "response": f"moved to {state}"},
        )
        assert status == 204, (state, status)

    def step(self, name: str) -> int:
        """Run one step (by the state it starts in); the endpoint's status code."""
        start, path, done = next(s for s in STEPS if s[0] == name)
        self.move_to(start)
        status = self._json("post", path, {"username": self.username})
        assert status in (200, 204), (path, status)
        self.move_to(done)
        return status

    def unenroll(self) -> int:
        return self.step("RETIRING_ENROLLMENTS")

    def retire_misc(self) -> int:
        return self.step("RETIRING_LMS_MISC")

    def retire(self) -> int:
        return self.step("RETIRING_LMS")

    def complete_and_cleanup(self) -> None:
        self.move_to("COMPLETE")
        status = self._json(
            "post", f"{ACCOUNTS}/retirement_cleanup/", {"usernames": [self.username]}
        )
        assert status == 204, status


def request_deletion(user: User) -> Retirement:
    """The learner deletes their account (deactivate_logout with their password)."""
    ensure_states()
    user.set_password(PASSWORD)
    user.save()
    learner = Client()
    learner.force_login(user)
    response = learner.post(f"{ACCOUNTS}/deactivate_logout/", {"password": PASSWORD})
    assert response.status_code == 204, response.content
    assert UserRetirementStatus.objects.filter(user=user).exists()
    return Retirement(user.username)


def retire_fully(user: User) -> Retirement:
    """Every step, from the learner's request to the cleanup."""
    retirement = request_deletion(user)
    retirement.unenroll()
    retirement.retire_misc()
    retirement.retire()
    retirement.complete_and_cleanup()
    return retirement


def start_and_retire_misc(user: User) -> Retirement:
    """The request, then the LMS misc step (USER_RETIRE_LMS_MISC), as far as the app needs."""
    retirement = request_deletion(user)
    retirement.retire_misc()
    return retirement
