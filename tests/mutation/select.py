"""cosmic-ray's test command for one group: run only the tests that execute the mutated code.

Before the mutants run, ``record`` runs the group's tests once under coverage with one context
per test (pytest-cov ``--cov-context=test``) and keeps a pristine copy of each mutated module.
For each mutant, ``main`` compares the modules with their pristine copies, takes the statement
around each changed line (its header for a compound statement), and runs ``pytest -x`` on the
tests whose context executed one of those lines. When no single test can be named (a line run
at import time, a module only run in child processes, a line no test runs), every test of the
group runs, those that run code of the mutated module first: a selection never decides a
mutant's outcome by itself. Lines that run when their module is imported (module and class
level, decorators, default values, a helper a decorator calls) always count as "cannot be
named": a probe test imports each module under coverage to find them.

    python -m tests.mutation.select WORKDIR TEST_PATH...
"""

from __future__ import annotations

import ast
import difflib
import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

PRISTINE = ".mutation-pristine"
CONTEXTS = ".mutation-contexts.json"
COVERAGE_FILE = ".mutation-coverage"
#: Stands for "run while the tests were imported" among a line's test ids.
AT_IMPORT = "<import>"
#: Each test's duration in the coverage run (pytest's JUnit XML report, then {test id: s}).
JUNIT = ".mutation-junit.xml"
DURATIONS = ".mutation-durations.json"


def pytest_command(tests: list[str]) -> list[str]:
    """The group's pytest command line (stop at the first failure, no cache)."""
    return [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]


def coverage_command(covered: list[str], *arguments: str) -> list[str]:
    """pytest under coverage of ``covered`` folders, one context per test."""
    return [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        *(f"--cov={folder}" for folder in covered), "--cov-context=test", "--cov-report=",
        *arguments,
    ]  # fmt: skip


def dotted_name(source: Path) -> str:
    """The module name of ``source``: its path from the first folder that is not a package."""
    parts = [source.stem]
    folder = source.parent
    while (folder / "__init__.py").exists():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


def import_lines(workdir: Path, sources: list[Path], env: dict, log) -> dict[Path, set[int]]:
    """The lines of each source that run when it is imported (module and class bodies, and
    any function they call, such as a decorator's helper), from a probe test importing each
    module in a fresh pytest run under coverage."""
    probe = workdir / "tests" / "test_mutation_import_probe.py"
    probe.write_text(
        "import importlib\n\n\ndef test_import():\n"
        + "".join(f"    importlib.import_module({dotted_name(s)!r})\n" for s in sources),
        encoding="utf-8",
    )
    covered = sorted({str(source.parent) for source in sources})
    data_file = workdir / f"{COVERAGE_FILE}-imports"
    try:
        subprocess.run(
            coverage_command(covered, str(probe.relative_to(workdir))),
            cwd=workdir, env={**env, "COVERAGE_FILE": str(data_file)},
            stdout=log, stderr=subprocess.STDOUT, check=True,
        )  # fmt: skip
    finally:
        probe.unlink()
    from coverage import CoverageData

    data = CoverageData(basename=str(data_file))
    data.read()
    lines = {source: set(data.lines(str(source)) or []) for source in sources}
    if missed := [str(source) for source, found in lines.items() if not found]:
        # Another copy of the module was imported: nothing could be told apart.
        raise RuntimeError(f"the import probe ran none of {missed}")
    return lines


def record(workdir: Path, modules: list[Path], tests: list[str], env: dict, log) -> None:
    """Run the tests once under coverage; store {module: {line: [test ids]}} and the originals.

    A line that runs when its module is imported gets ``AT_IMPORT`` among its tests: coverage
    credits it to whichever test happened to import the module first.
    """
    sources = [path for module in modules for path in python_files(workdir / module)]
    for source in sources:
        copy = workdir / PRISTINE / source.relative_to(workdir)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(source.read_bytes())
    covered = sorted({str(source.parent) for source in sources})
    command = coverage_command(covered, f"--junitxml={workdir / JUNIT}", *tests)
    env = {**env, "COVERAGE_FILE": str(workdir / COVERAGE_FILE)}
    subprocess.run(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
    at_import = import_lines(workdir, sources, env, log)
    from coverage import CoverageData

    data = CoverageData(basename=str(workdir / COVERAGE_FILE))
    data.read()
    contexts: dict[str, dict[int, list[str]]] = {}
    for source in sources:
        by_line = data.contexts_by_lineno(str(source)) or {}
        contexts[str(source.relative_to(workdir))] = {
            # The empty context: run while pytest collected (imported) the tests.
            line: sorted(
                {c.split("|")[0] if c else AT_IMPORT for c in names}
                | ({AT_IMPORT} if line in at_import[source] else set())
            )
            for line, names in by_line.items()
        }
    (workdir / CONTEXTS).write_text(json.dumps(contexts), encoding="utf-8")
    durations = junit_durations((workdir / JUNIT).read_text(encoding="utf-8"))
    (workdir / DURATIONS).write_text(json.dumps(durations), encoding="utf-8")


def junit_durations(report: str) -> dict[str, float]:
    """{pytest node id: seconds} from pytest's JUnit XML (``classname`` is the module's dotted
    path, plus the class for tests in a class)."""
    durations = {}
    for case in ElementTree.fromstring(report).iter("testcase"):
        parts = case.get("classname", "").split(".")
        # The module path ends at the first ``test_*`` part; the rest names classes.
        end = next((i for i, part in enumerate(parts) if part.startswith("test_")), len(parts) - 1)
        node = "/".join(parts[: end + 1]) + ".py"
        node_id = "::".join([node, *parts[end + 1 :], case.get("name", "")])
        durations[node_id] = float(case.get("time") or 0.0)
    return durations


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


def likely_killers(by_line: dict[str, list[str]], durations: dict[str, float]) -> list[str]:
    """Tests that run code of this module, quickest first (an import-time mutant of the module
    most likely fails one of them: run them before the rest of the group)."""
    names = {name for names in by_line.values() for name in names if name != AT_IMPORT}
    return quickest_first(names, durations)


def quickest_first(names: set[str], durations: dict[str, float]) -> list[str]:
    """``names`` by their duration in the coverage run (``pytest -x`` stops at the first
    failure, so a killed mutant costs the tests before its killer): unknown ones last."""
    return sorted(names, key=lambda name: (durations.get(name, float("inf")), name))


def selected_tests(workdir: Path) -> tuple[list[str], bool]:
    """(test ids to run first, whether the rest of the group must run after them).

    The ids alone decide a mutant when coverage names every test that executes the mutated
    statements; otherwise they only come first (``pytest -x`` stops at the first failure, so a
    killed mutant dies sooner) and every other test of the group runs after them.
    """
    if not (workdir / CONTEXTS).exists():  # cosmic-ray's baseline runs before ``record``
        return [], True
    contexts = json.loads((workdir / CONTEXTS).read_text(encoding="utf-8"))
    durations_file = workdir / DURATIONS
    durations = (
        json.loads(durations_file.read_text(encoding="utf-8")) if durations_file.exists() else {}
    )
    chosen: set[str] = set()
    first: list[str] = []
    complete, mutated_any = True, False
    for relative, by_line in contexts.items():
        original = (workdir / PRISTINE / relative).read_text(encoding="utf-8")
        current = (workdir / relative).read_text(encoding="utf-8")
        if original == current:
            continue
        mutated_any = True
        for line in changed_lines(original, current):
            names = {
                name
                for number in statement_lines(original, line)
                for name in by_line.get(str(number), [])
            }
            # Import-time lines (coverage credits them to whichever test imported the module
            # first), lines only run in child processes, or lines no test runs: every test.
            if AT_IMPORT in names or not names:
                complete = False
                killers = likely_killers(by_line, durations)
                first += [name for name in killers if name not in first]
            chosen |= names - {AT_IMPORT}
    if not mutated_any:
        return [], True
    ordered = first + quickest_first(chosen - set(first), durations)
    return ordered, not complete


def pytest_commands(chosen: list[str], run_rest: bool, tests: list[str]) -> list[list[str]]:
    """The chosen ids, then (when needed) the group's other tests, each one ``pytest -x``."""
    commands = [pytest_command(chosen)] if chosen else []
    if run_rest:
        commands.append(pytest_command([*tests, *(f"--deselect={name}" for name in chosen)]))
    return commands


def main() -> int:
    workdir, tests = Path(sys.argv[1]), sys.argv[2:]
    chosen, run_rest = selected_tests(workdir)
    for command in pytest_commands(chosen, run_rest, tests):
        code = subprocess.run(command, cwd=workdir, check=False).returncode
        # 5: every test of the rest was deselected (all already ran): nothing failed.
        if code not in (0, 5):
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
