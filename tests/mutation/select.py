"""cosmic-ray's test command for one group: run only the tests that execute the mutated code.

Before the mutants run, ``record`` runs the group's tests once under coverage with one context
per test (pytest-cov ``--cov-context=test``) and keeps a pristine copy of each mutated module.
For each mutant, ``main`` compares the modules with their pristine copies, takes the statement
around each changed line (its header for a compound statement), and runs ``pytest -x`` on the
tests whose context executed one of those lines. When no single test can be named (a line run
at import time, a module only run in child processes, a line no test runs), every test of the
group runs: a selection never decides a mutant's outcome by itself. Lines outside function
bodies (module and class level, decorators, default values) run at import, so they always count
as "cannot be named".

    python -m tests.mutation.select WORKDIR TEST_PATH...
"""

from __future__ import annotations

import ast
import difflib
import json
import subprocess
import sys
from pathlib import Path

PRISTINE = ".mutation-pristine"
CONTEXTS = ".mutation-contexts.json"
COVERAGE_FILE = ".mutation-coverage"


def pytest_command(tests: list[str]) -> list[str]:
    """The group's pytest command line (stop at the first failure, no cache)."""
    return [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]


def record(workdir: Path, modules: list[Path], tests: list[str], env: dict, log) -> None:
    """Run the tests once under coverage; store {module: {line: [test ids]}} and the originals."""
    sources = [path for module in modules for path in python_files(workdir / module)]
    for source in sources:
        copy = workdir / PRISTINE / source.relative_to(workdir)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(source.read_bytes())
    covered = sorted({str(source.parent) for source in sources})
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        *(f"--cov={folder}" for folder in covered),
        "--cov-context=test",
        "--cov-report=",
        *tests,
    ]
    env = {**env, "COVERAGE_FILE": str(workdir / COVERAGE_FILE)}
    subprocess.run(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
    from coverage import CoverageData

    data = CoverageData(basename=str(workdir / COVERAGE_FILE))
    data.read()
    contexts: dict[str, dict[int, list[str]]] = {}
    for source in sources:
        by_line = data.contexts_by_lineno(str(source)) or {}
        contexts[str(source.relative_to(workdir))] = {
            line: sorted({c.split("|")[0] for c in names if c}) for line, names in by_line.items()
        }
    (workdir / CONTEXTS).write_text(json.dumps(contexts), encoding="utf-8")


def python_files(path: Path) -> list[Path]:
    """``path`` itself, or the ``.py`` files under it."""
    return [path] if path.is_file() else sorted(path.rglob("*.py"))


def changed_lines(original: str, mutated: str) -> set[int]:
    """Line numbers (in ``original``) that the mutant changed."""
    lines: set[int] = set()
    matcher = difflib.SequenceMatcher(a=original.splitlines(), b=mutated.splitlines())
    for tag, start, end, _, _ in matcher.get_opcodes():
        if tag != "equal":
            lines.update(range(start + 1, max(end, start + 1) + 1))
    return lines


def statement_lines(source: str, line: int) -> range:
    """The lines of the innermost statement holding ``line`` (a compound one: its header)."""
    best: ast.stmt | None = None
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.stmt) and node.lineno <= line <= (node.end_lineno or node.lineno):
            if best is None or node.lineno >= best.lineno and node.end_lineno <= best.end_lineno:
                best = node
    if best is None:
        return range(line, line + 1)
    body = getattr(best, "body", None)
    if body and isinstance(body, list) and body[0].lineno > line:
        return range(best.lineno, body[0].lineno)
    if body and isinstance(body, list):
        return range(line, line + 1)
    return range(best.lineno, (best.end_lineno or best.lineno) + 1)


def runs_at_import(source: str, line: int) -> bool:
    """Whether ``line`` runs when the module is imported: outside every function body (module
    and class level, a function's decorators and default values). Coverage credits such a
    line to whichever test happened to import the module first, not to the tests using it."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            body = node.body if isinstance(node.body, list) else [node.body]
            if body[0].lineno <= line <= (node.end_lineno or node.lineno):
                return False
    return True


def selected_tests(workdir: Path) -> list[str] | None:
    """Test ids executing the mutated statements, or None when every test must run."""
    if not (workdir / CONTEXTS).exists():  # cosmic-ray's baseline runs before ``record``
        return None
    contexts = json.loads((workdir / CONTEXTS).read_text(encoding="utf-8"))
    chosen: set[str] = set()
    mutated_any = False
    for relative, by_line in contexts.items():
        original = (workdir / PRISTINE / relative).read_text(encoding="utf-8")
        current = (workdir / relative).read_text(encoding="utf-8")
        if original == current:
            continue
        mutated_any = True
        for line in changed_lines(original, current):
            if runs_at_import(original, line):
                return None
            names = {
                name
                for number in statement_lines(original, line)
                for name in by_line.get(str(number), [])
            }
            if not names:  # import time only, child processes only, or no test runs it
                return None
            chosen |= names
    return sorted(chosen) if mutated_any else None


def main() -> int:
    workdir, tests = Path(sys.argv[1]), sys.argv[2:]
    chosen = selected_tests(workdir)
    return subprocess.run(pytest_command(chosen or tests), cwd=workdir, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
