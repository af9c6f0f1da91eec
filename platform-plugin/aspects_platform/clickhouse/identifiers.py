"""Validation and quoting of SQL identifiers (database, table, user and cluster names).

Values never go through here: they are always bound parameters.
"""

import re

IDENTIFIER_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # used with fullmatch: no "\n"


class InvalidIdentifierError(ValueError):
    """A database/table/user/cluster name that is not a plain SQL identifier."""


def validate_identifier(name: str, what: str = "identifier") -> str:
    """Return ``name`` unchanged if it matches ``^[A-Za-z_][A-Za-z0-9_]*$``, else raise."""
    if not isinstance(name, str) or not IDENTIFIER_PATTERN.fullmatch(name):
        raise InvalidIdentifierError(
            f"invalid ClickHouse {what} {name!r}: use letters, digits and underscores, "
            "not starting with a digit (pattern ^[A-Za-z_][A-Za-z0-9_]*$)"
        )
    return name


def quote_identifier(name: str, what: str = "identifier") -> str:
    """Validate ``name`` and return it back-quoted, ready to splice into SQL."""
    return f"`{validate_identifier(name, what)}`"
