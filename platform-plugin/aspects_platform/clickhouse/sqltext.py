"""Reading ClickHouse SQL text: commas and parentheses that are not inside quotes."""

from __future__ import annotations

from collections.abc import Iterator


def structure(text: str) -> Iterator[tuple[int, str, int]]:
    """(index, char, depth before it) of each char outside quotes and back-quotes."""
    depth, quote = 0, ""
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
            continue
        if char in "'`":
            quote = char
            continue
        yield index, char, depth
        depth += {"(": 1, ")": -1}.get(char, 0)


def split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses, quotes and back-quotes."""
    cuts = [i for i, char, depth in structure(text) if char == "," and depth == 0]
    bounds = zip([-1, *cuts], [*cuts, len(text)], strict=True)
    return [part for start, end in bounds if (part := text[start + 1 : end].strip())]


def parenthesised(text: str, start: int) -> str:
    """The text from ``start`` (just after an opening parenthesis) to its closing one."""
    for index, char, depth in structure(text[start:]):
        if char == ")" and depth == 0:
            return text[start : start + index]
    raise ValueError("unbalanced parentheses in a CREATE TABLE column list")
