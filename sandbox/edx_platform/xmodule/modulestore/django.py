"""``modulestore()`` and the modulestore signals, at edx-platform's module path (sandbox only).

Mirrors xmodule/modulestore/django.py: ``SwitchedSignal``, ``SignalHandler`` (sends with
``send_robust(sender=<store class>)``), the process branch from ``settings.MODULESTORE_BRANCH``
(``_get_modulestore_branch_setting``) and the store built with ``DEFAULT_REQUEST_CACHE``.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

import django.dispatch
from django.conf import settings
from edx_django_utils.cache import DEFAULT_REQUEST_CACHE

from xmodule.modulestore.sandbox_store import DraftVersioningModuleStore

log = logging.getLogger(__name__)

_STORE: DraftVersioningModuleStore | None = None


class SwitchedSignal(django.dispatch.Signal):
    """A Django signal that can be switched off (edx-platform uses it in tests and tools)."""

    def __init__(self, name: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.name = name
        self._allow_signals = True

    def disable(self) -> None:
        """Make send/send_robust no-ops."""
        self._allow_signals = False

    def enable(self) -> None:
        """Send normally again."""
        self._allow_signals = True

    @contextmanager
    def for_state(self, *, is_enabled: bool):
        """Switch the signal on or off for the duration of the block."""
        old_state = self._allow_signals
        self._allow_signals = is_enabled
        try:
            yield
        finally:
            self._allow_signals = old_state

    def send(self, *args, **kwargs):
        """Signal.send, unless disabled."""
        return super().send(*args, **kwargs) if self._allow_signals else []

    def send_robust(self, *args, **kwargs):
        """Signal.send_robust, unless disabled."""
        return super().send_robust(*args, **kwargs) if self._allow_signals else []

    def __repr__(self) -> str:
        return f"SwitchedSignal('{self.name}')"


class SignalHandler:
    """The modulestore's signals, sent by a store with ``sender=<store class>``."""

    pre_publish = SwitchedSignal("pre_publish")
    course_published = SwitchedSignal("course_published")  # kwargs: course_key
    course_deleted = SwitchedSignal("course_deleted")  # kwargs: course_key
    library_updated = SwitchedSignal("library_updated")  # kwargs: library_key
    item_deleted = SwitchedSignal("item_deleted")

    _mapping = {
        s.name: s for s in (pre_publish, course_published, course_deleted, library_updated,
                            item_deleted)
    }  # fmt: skip

    def __init__(self, modulestore_class) -> None:
        self.modulestore_class = modulestore_class

    @classmethod
    def all_signals(cls):
        """Every signal."""
        return cls._mapping.values()

    def send(self, signal_name: str, **kwargs) -> None:
        """``send_robust``: a failing receiver is logged, never raised into the store."""
        signal = self._mapping[signal_name]
        for receiver, response in signal.send_robust(sender=self.modulestore_class, **kwargs):
            if isinstance(response, Exception):
                log.error(
                    "Receiver %r of %s failed",
                    receiver,
                    signal_name,
                    exc_info=(type(response), response, response.__traceback__),
                )


PRE_PUBLISH = SignalHandler.pre_publish
COURSE_PUBLISHED = SignalHandler.course_published
COURSE_DELETED = SignalHandler.course_deleted
LIBRARY_UPDATED = SignalHandler.library_updated
ITEM_DELETED = SignalHandler.item_deleted


def _get_modulestore_branch_setting() -> str | None:
    """The process default branch: ``settings.MODULESTORE_BRANCH`` (the CMS: draft-preferred)."""
    return getattr(settings, "MODULESTORE_BRANCH", None)


def modulestore() -> DraftVersioningModuleStore:
    """The process-wide store; wrapped for CCX keys when FEATURES["CUSTOM_COURSES_EDX"] is on."""
    global _STORE
    if _STORE is None:
        _STORE = DraftVersioningModuleStore(
            branch_setting_func=_get_modulestore_branch_setting,
            request_cache=DEFAULT_REQUEST_CACHE,
            signal_handler=SignalHandler(DraftVersioningModuleStore),
        )
        if getattr(settings, "FEATURES", {}).get("CUSTOM_COURSES_EDX"):
            from lms.djangoapps.ccx.modulestore import CCXModulestoreWrapper

            _STORE = CCXModulestoreWrapper(_STORE)
    return _STORE


def clear_existing_modulestores() -> None:
    """Forget the store (it is created again on next use)."""
    global _STORE
    _STORE = None
