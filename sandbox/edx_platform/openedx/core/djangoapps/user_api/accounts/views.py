"""The retirement endpoints of edx-platform's ``user_api/accounts/views.py`` (sandbox only).

Same view names, URLs, JSON bodies, status codes and steps as the platform; plain Django
views instead of DRF. The retirement driver (tubular) calls them in this order:
``deactivate_logout`` (the learner), then per state ``retirement_unenroll``
(enrollments/views.py), ``retire_misc`` (sends USER_RETIRE_LMS_MISC), ``retire`` (profile
scrub, rename), ``update_retirement_status`` between steps, and ``retirement_cleanup``.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from common.djangoapps.student.models import (
    get_retired_email_by_email,
    get_retired_username_by_username,
)
from django.conf import settings
from django.contrib.auth import authenticate, logout
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from openedx.core.djangoapps.user_api.accounts.signals import (
    USER_RETIRE_LMS_CRITICAL,
    USER_RETIRE_LMS_MISC,
)
from openedx.core.djangoapps.user_api.accounts.utils import (
    create_retirement_request_and_deactivate_account,
)
from openedx.core.djangoapps.user_api.models import (
    RetirementState,
    RetirementStateError,
    UserRetirementStatus,
)

#: Profile fields the LMS step blanks (edx-platform's USER_PROFILE_PII).
USER_PROFILE_PII = {
    "name": "",
    "meta": "",
    "location": "",
    "year_of_birth": None,
    "gender": None,
    "mailing_address": None,
    "city": None,
    "country": None,
    "bio": None,
    "phone_number": None,
}


def request_data(request: HttpRequest) -> dict:
    """The JSON body (DRF's ``request.data``), or the form fields."""
    if request.content_type == "application/json":
        return json.loads(request.body or b"{}")
    return request.POST.dict()


def can_retire_user(request: HttpRequest) -> bool:
    """edx-platform's CanRetireUser: the retirement service worker or a superuser."""
    user = request.user
    worker = getattr(settings, "RETIREMENT_SERVICE_WORKER_USERNAME", "RETIREMENT_SERVICE_USER")
    return user.is_authenticated and (user.is_superuser or user.username == worker)


@method_decorator(csrf_exempt, name="dispatch")
class RetirementView(View):
    """Base: only the retirement worker; ``request.data`` parsed from JSON."""

    def dispatch(self, request, *args, **kwargs):
        if not can_retire_user(request):
            return HttpResponse(status=403)
        request.data = request_data(request)
        return super().dispatch(request, *args, **kwargs)


def with_retirement(username: str, action: Callable[[UserRetirementStatus], None]) -> HttpResponse:
    """Run ``action`` on the user's retirement; 204, or the platform's 404/400/500."""
    if not username:
        return JsonResponse({"message": "The user was not specified."}, status=404)
    try:
        action(UserRetirementStatus.get_retirement_for_retirement_action(username))
    except UserRetirementStatus.DoesNotExist:
        return HttpResponse(status=404)
    except RetirementStateError as exc:
        return HttpResponse(str(exc), status=400)
    except Exception as exc:  # noqa: BLE001 - as edx-platform: any other failure is a 500
        return HttpResponse(str(exc), status=500)
    return HttpResponse(status=204)


@method_decorator(csrf_exempt, name="dispatch")
class DeactivateLogoutView(View):
    """POST /api/user/v1/accounts/deactivate_logout/ {password}: the learner asks to be deleted."""

    def post(self, request):
        if not request.user.is_authenticated:
            return HttpResponse(status=401)
        password = request_data(request).get("password", "")
        if authenticate(request, username=request.user.username, password=password) is None:
            return HttpResponse("Email or password is incorrect.", status=403)
        with transaction.atomic():
            create_retirement_request_and_deactivate_account(request.user)
            logout(request)
        return HttpResponse(status=204)


class AccountRetirementStatusView(RetirementView):
    """PATCH update_retirement_status/ and POST retirement_cleanup/."""

    def patch(self, request):
        """Move ``username``'s retirement to ``new_state``."""
        data = request.data
        username = data.get("username")
        if not username:
            return JsonResponse({"message": "The user was not specified."}, status=404)
        retirement = next(
            (
                r
                for r in UserRetirementStatus.objects.filter(original_username=username)
                if r.original_username == username
            ),
            None,
        )
        if retirement is None:
            return HttpResponse(status=404)
        try:
            retirement.update_state(data)
        except RetirementStateError as exc:
            return HttpResponse(str(exc), status=400)
        return HttpResponse(status=204)

    def post(self, request):
        """Cleanup: redact, then delete the COMPLETE retirements of ``usernames``."""
        data = request.data
        usernames = data.get("usernames")
        if not isinstance(usernames, list):
            return HttpResponse("Usernames should be an array.", status=400)
        complete = RetirementState.objects.get(state_name="COMPLETE")
        retirements = UserRetirementStatus.objects.filter(
            original_username__in=usernames, current_state=complete
        )
        if len(usernames) != len(retirements):
            return HttpResponse("Not all usernames exist in the COMPLETE state.", status=400)
        ids = list(retirements.values_list("id", flat=True))
        UserRetirementStatus.objects.filter(id__in=ids).update(
            original_username=data.get("redacted_username", "redacted"),
            original_email=data.get("redacted_email", "redacted"),
            original_name=data.get("redacted_name", "redacted"),
        )
        UserRetirementStatus.objects.filter(id__in=ids, current_state=complete).delete()
        return HttpResponse(status=204)


class LMSAccountRetirementView(RetirementView):
    """POST /api/user/v1/accounts/retire_misc/ {username}: sends USER_RETIRE_LMS_MISC."""

    def post(self, request):
        def retire_misc(retirement: UserRetirementStatus) -> None:
            USER_RETIRE_LMS_MISC.send(sender=self.__class__, user=retirement.user)

        return with_retirement(request.data.get("username"), retire_misc)


class AccountRetirementView(RetirementView):
    """POST /api/user/v1/accounts/retire/ {username}: scrub the profile, rename the user."""

    def post(self, request):
        username = request.data.get("username")

        def retire(retirement: UserRetirementStatus) -> None:
            user = retirement.user
            retired_username = retirement.retired_username or get_retired_username_by_username(
                username
            )
            retired_email = retirement.retired_email or get_retired_email_by_email(user.email)
            self.clear_pii_from_userprofile(user)
            USER_RETIRE_LMS_CRITICAL.send(
                sender=self.__class__,
                user=user,
                retired_username=retired_username,
                retired_email=retired_email,
            )
            user.first_name = ""
            user.last_name = ""
            user.is_active = False
            user.username = retired_username
            user.email = retired_email
            user.save()

        return with_retirement(username, retire)

    @staticmethod
    def clear_pii_from_userprofile(user) -> None:
        """Blank the profile's PII fields and save it (post_save fires, as in the platform)."""
        for field, value in USER_PROFILE_PII.items():
            setattr(user.profile, field, value)
        user.profile.save()
