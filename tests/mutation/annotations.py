"""A cosmic-ray filter: skip mutants inside type annotations of modules that never evaluate them.

With ``from __future__ import annotations`` an annotation is a string Python never runs, so
``BatchSender | None`` → ``BatchSender & None`` changes no behaviour: such a mutant cannot be
killed and only lowers the score. Mutants elsewhere on the same line still run.

    python -m tests.mutation.annotations SESSION.sqlite
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

from cosmic_ray.work_db import use_db
from cosmic_ray.work_item import WorkerOutcome, WorkResult

Span = tuple[tuple[int, int], tuple[int, int]]


@cache
def annotation_spans(path: Path) -> tuple[Span, ...]:
    """(start, end) positions of every annotation in ``path``; none without the future import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    postponed = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in tree.body
    )
    if not postponed:
        return ()
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            found.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            found.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            found.append(node.annotation)
    return tuple(
        ((n.lineno, n.col_offset), (n.end_lineno or n.lineno, n.end_col_offset or 0)) for n in found
    )


def inside_annotation(path: Path, start: tuple[int, int], end: tuple[int, int]) -> bool:
    """Whether the mutated span lies within one annotation of ``path``."""
    return any(
        first <= tuple(start) and tuple(end) <= last for first, last in annotation_spans(path)
    )


def main(session: str) -> int:
    skipped = 0
    with use_db(session) as db:
        for item in db.work_items:
            if all(
                inside_annotation(Path(m.module_path), m.start_pos, m.end_pos)
                for m in item.mutations
            ):
                db.set_result(
                    item.job_id,
                    WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output="in an annotation"),
                )
                skipped += 1
    print(f"skipped {skipped} mutants inside annotations")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
