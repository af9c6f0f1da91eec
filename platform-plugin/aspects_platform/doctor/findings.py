"""What a doctor check reports: one line per finding, with a status and what to do."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

OK = "ok"
WARNING = "warning"
ERROR = "error"
NOT_CONFIGURED = "not configured"
STATUSES = (OK, WARNING, ERROR, NOT_CONFIGURED)


@dataclass(frozen=True)
class Finding:
    """One line of the report: ``check`` name, ``status``, what was found, what to do."""

    check: str
    status: str
    message: str
    action: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}: choose one of {', '.join(STATUSES)}")

    def as_dict(self) -> dict[str, str]:
        """The finding as JSON-ready ``{check, status, message, action}``."""
        return asdict(self)


#: A check: reads the context, returns its findings (one or more lines).
Check = Callable[..., Iterable[Finding]]


def check(name: str) -> Callable[[Check], Check]:
    """Give a check function its report name (used when it cannot run)."""

    def mark(function: Check) -> Check:
        function.check_name = name  # type: ignore[attr-defined]
        return function

    return mark


def one_line(text: object, limit: int = 400) -> str:
    """``text`` on one line, at most ``limit`` characters (error texts can be long)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
