"""``populate_retirement_states``: make RetirementState mirror settings.RETIREMENT_STATES.

Stand-in for edx-platform's command of the same name (user_api/management/commands): PENDING
first, ERRORED, ABORTED, COMPLETE last; execution orders 1, 11, 21... (room for manual steps).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from openedx.core.djangoapps.user_api.models import RetirementState

START_STATE = "PENDING"
END_STATES = ["ERRORED", "ABORTED", "COMPLETE"]


class Command(BaseCommand):
    help = "Populates the RetirementState table with the states present in settings."

    def handle(self, *args, **options) -> None:
        states = list(getattr(settings, "RETIREMENT_STATES", []) or [])
        if not states or states[0] != START_STATE or states[-len(END_STATES) :] != END_STATES:
            raise CommandError(
                f"settings.RETIREMENT_STATES must start with {START_STATE} and end with "
                f"{', '.join(END_STATES)}; got {states}"
            )
        with transaction.atomic():
            RetirementState.objects.exclude(state_name__in=states).delete()
            existing = {s.state_name: s for s in RetirementState.objects.all()}
            for state in existing.values():  # out of the way of the new orders
                state.state_execution_order += 500
                state.save(update_fields=["state_execution_order"])
            for index, name in enumerate(states):
                RetirementState.objects.update_or_create(
                    state_name=name,
                    defaults={
                        "state_execution_order": 1 + 10 * index,
                        "is_dead_end_state": name in END_STATES,
                        "required": name in (START_STATE, *END_STATES),
                    },
                )
        self.stdout.write("States updated successfully. Current states:")
        for state in RetirementState.objects.all():
            self.stdout.write(str(state))
