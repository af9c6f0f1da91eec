"""``modulestore()`` and the modulestore signals, at edx-platform's module path (sandbox only)."""

from __future__ import annotations

import logging

from django.dispatch import Signal

from xmodule.modulestore.sandbox_store import SandboxModuleStore

log = logging.getLogger(__name__)

_STORE: SandboxModuleStore | None = None


class SignalHandler:
    """The modulestore's signals; ``send`` logs receiver errors instead of raising them."""

    course_published = Signal()  # kwargs: course_key
    course_deleted = Signal()  # kwargs: course_key
    library_updated = Signal()  # kwargs: library_key

    @classmethod
    def send(cls, signal_name: str, **kwargs) -> None:
        """Send one of the signals with ``sender=SignalHandler``, as edx-platform does."""
        signal: Signal = getattr(cls, signal_name)
        for receiver, result in signal.send_robust(sender=cls, **kwargs):
            if isinstance(result, Exception):
                log.error(
                    "Receiver %r of %s failed",
                    receiver,
                    signal_name,
                    exc_info=(type(result), result, result.__traceback__),
                )


COURSE_PUBLISHED = SignalHandler.course_published
COURSE_DELETED = SignalHandler.course_deleted
LIBRARY_UPDATED = SignalHandler.library_updated


def modulestore() -> SandboxModuleStore:
    """The process-wide store."""
    global _STORE
    if _STORE is None:
        _STORE = SandboxModuleStore()
    return _STORE
