"""Users of the embedded server: salted sha256 hashes in a JSON file, never the passwords."""

import base64
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from .errors import AUTHENTICATION_FAILED, ClickHouseError


def hash_password(password: str, salt: str) -> str:
    return hashlib.sha256((salt + password).encode("utf-8")).hexdigest()


def write_users_file(path: Path, users: dict[str, str]) -> None:
    """Store ``{username: password}`` as salted hashes in ``path`` (mode 0600)."""
    entries = {}
    for name, password in users.items():
        salt = secrets.token_hex(16)
        entries[name] = {"salt": salt, "sha256": hash_password(password, salt)}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(entries, handle)
    os.replace(partial, path)  # a running server never reads a half-written file


class Users:
    """Checks credentials against the hashed users file (re-read when the file changes)."""

    def __init__(self, entries: dict[str, dict[str, str]], path: Path | None = None):
        self._entries = entries
        self._path = path
        self._stamp = _stamp(path) if path else None

    @classmethod
    def load(cls, path: Path) -> "Users":
        return cls(json.loads(Path(path).read_text()), Path(path))

    def _refresh(self) -> None:
        if self._path is None or _stamp(self._path) == self._stamp:
            return
        self._stamp = _stamp(self._path)
        self._entries = json.loads(self._path.read_text())

    def authenticate(self, username: str, password: str) -> None:
        """Raise ClickHouse's 516 error unless ``username``/``password`` match a user."""
        self._refresh()
        entry = self._entries.get(username)
        expected = entry["sha256"] if entry else "0" * 64
        given = hash_password(password, entry["salt"] if entry else "")
        if not (hmac.compare_digest(expected, given) and entry):
            raise ClickHouseError(
                AUTHENTICATION_FAILED,
                f"{username}: Authentication failed: password is incorrect, "
                "or there is no user with such name.",
            )


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_mtime_ns, status.st_size


def credentials(headers, params: dict[str, str]) -> tuple[str, str]:
    """(user, password) from X-ClickHouse-User/Key, Basic auth or user/password URL params."""
    if headers.get("X-ClickHouse-User") is not None:
        return headers["X-ClickHouse-User"], headers.get("X-ClickHouse-Key", "")
    authorization = headers.get("Authorization", "")
    if authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip()).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            decoded = ""
        user, _, password = decoded.partition(":")
        return user, password
    return params.get("user", "default"), params.get("password", "")
