"""Argument types of the management commands (argparse ``type=`` callables)."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not allowed: must be 1 or more")
    return value


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{value} is not allowed: must be 0 or more")
    return value


def positive_float(text: str) -> float:
    value = non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError("0 is not allowed: must be more than 0")
    return value


def object_name(text: str) -> str:
    """A ``--object`` name; an established app's name with no object of ours is refused,
    naming what replaces it (``established.DUMP_OBJECTS``)."""
    from aspects_platform.established import DUMP_OBJECTS

    if text in DUMP_OBJECTS:
        raise argparse.ArgumentTypeError(DUMP_OBJECTS[text])
    return text
