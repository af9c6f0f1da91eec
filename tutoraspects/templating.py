"""Safe value rendering (Python literals, YAML scalars, shell words) and patch loading."""

from __future__ import annotations

import functools
import json
import math
import os
import shlex
import typing as t

_LITERAL_TYPES = (str, int, float, bool, type(None))


def python_literal(value: t.Any) -> str:
    """Render a config value as Python source that evaluates back to the same value.

    Used by the settings patches, so a quote or backslash in a password cannot break (or inject
    code into) the LMS/CMS settings files. Only plain data is accepted.
    """
    _check_plain(value)
    return repr(value)


def _check_plain(value: t.Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise TypeError(f"cannot render {value!r} as a Python literal: not a finite number")
    if isinstance(value, _LITERAL_TYPES):
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_plain(item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _check_plain(key)
            _check_plain(item)
        return
    raise TypeError(
        f"cannot render {type(value).__name__} as a Python literal: "
        "expected str, int, float, bool, None, list or dict"
    )


@functools.cache
def read_patches(folder: str) -> list[tuple[str, str]]:
    """Return ``(patch name, content)`` for every file in ``folder`` (read once per process)."""
    patches = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isfile(path) and not name.startswith("."):
            with open(path, encoding="utf-8") as patch_file:
                patches.append((name, patch_file.read()))
    return patches


def yaml_scalar(value: t.Any) -> str:
    """Render a value as a YAML flow scalar (JSON is YAML): quotes and colons stay data."""
    _check_plain(value)
    return json.dumps(value)


def compose_scalar(value: t.Any) -> str:
    """Like ``yaml_scalar``, with ``$`` doubled so docker compose does not interpolate it."""
    if isinstance(value, str):
        value = value.replace("$", "$$")
    return yaml_scalar(value)


# Jinja filters for the templates and patches.
FILTERS: list[tuple[str, t.Callable[..., t.Any]]] = [
    ("aspects_py", python_literal),
    ("aspects_shell_quote", shlex.quote),
]
