"""`make mutation`: mutation testing with cosmic-ray over the modules in ``targets.toml``.

Each group runs in its own copy of the working tree (so groups can run side by side): cosmic-ray
mutates the copy's files one mutant at a time and runs the group's tests there (`pytest -x`),
only those that execute the mutated code when coverage can name them (``select.py``).
Tutor's CLI, run by the Tutor tier in child processes, loads the copy's plugin too
(``ASPECTS_TEST_TUTOR_PLUGIN_FROM_TREE``). Prints, per group and overall, the share of mutants
killed, and every survivor (file, line, operator). Not part of CI: it takes a while.

    python -m tests.mutation.run [--jobs 2] [--group dump --group backend ...] [--keep]

Without ``--group``: the groups listed as ``default`` in targets.toml.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.mutation import select

REPO = Path(__file__).resolve().parents[2]
TARGETS = Path(__file__).with_name("targets.toml")
BIN = Path(sys.executable).parent


@dataclass
class GroupResult:
    """Outcome counts of one group, and its survivors."""

    name: str
    outcomes: dict[str, int] = field(default_factory=dict)
    survivors: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())

    @property
    def killed(self) -> int:
        """Killed, incompetent (the mutant cannot even run) and timed-out mutants."""
        return self.total - self.outcomes.get("survived", 0)


def copy_tree(destination: Path) -> None:
    """The working tree's tracked and untracked-but-not-ignored files, copied."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        source = REPO / raw.decode()
        if source.is_file():
            target = destination / raw.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def excluded_operators(operators: dict[str, list[str]]) -> list[str]:
    """cosmic-ray operator-name regexes to drop (all but the kept replacements)."""
    binary = "|".join(operators["binary"])
    comparison = "|".join(operators["comparison"])
    return [
        rf"core/ReplaceBinaryOperator_(?!({binary})$).*",
        rf"core/ReplaceComparisonOperator_(?!({comparison})$).*",
    ]


def group_tests(workdir: Path, group: dict) -> list[str]:
    """The test files guarding a group (its glob patterns, expanded in ``workdir``)."""
    return sorted(
        {path for pattern in group["tests"] for path in glob.glob(pattern, root_dir=workdir)}
    )


def write_config(workdir: Path, group: dict, operators: dict) -> Path:
    """The cosmic-ray configuration of one group (TOML, written as JSON-compatible values)."""
    tests = group_tests(workdir, group)
    # Each mutant runs only the tests that execute the mutated code (tests/mutation/select.py).
    command = [str(BIN / "python"), "-m", "tests.mutation.select", str(workdir), *tests]
    lines = [
        "[cosmic-ray]",
        f"module-path = {json.dumps([str(workdir / m) for m in group['modules']])}",
        "timeout = 600.0",
        "excluded-modules = []",
        f"test-command = {json.dumps(' '.join(command))}",
        "[cosmic-ray.distributor]",
        'name = "local"',
        "[cosmic-ray.filters.operators-filter]",
        f"exclude-operators = {json.dumps(excluded_operators(operators))}",
    ]
    config = workdir / "cosmic-ray.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def run_group(name: str, group: dict, operators: dict, base: Path) -> GroupResult:
    """Copy the tree, initialise, filter, check the baseline, execute; read the outcomes."""
    workdir = base / name
    copy_tree(workdir)
    config = write_config(workdir, group, operators)
    session = workdir / "session.sqlite"
    env = {
        **os.environ,
        "ASPECTS_TEST_TUTOR_PLUGIN_FROM_TREE": "1",
        "PATH": f"{BIN}:{os.environ['PATH']}",
    }
    log = (base / f"{name}.log").open("w", encoding="utf-8")
    steps = [
        [BIN / "cosmic-ray", "init", config, session],
        [BIN / "cr-filter-operators", session, config],
        [BIN / "cr-filter-pragma", session],
        [BIN / "python", "-m", "tests.mutation.annotations", session],
        [BIN / "cosmic-ray", "baseline", config],
        [BIN / "cosmic-ray", "exec", config, session],
    ]
    for step in steps:
        if step[1] == "exec":
            try:
                modules = [Path(m) for m in group["modules"]]
                select.record(workdir, modules, group_tests(workdir, group), env, log)
            except subprocess.CalledProcessError:
                return GroupResult(name, error=f"the coverage run failed: see {log.name}")
        done = subprocess.run(step, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            return GroupResult(
                name, error=f"`{Path(step[0]).name} {step[1]}` failed: see {log.name}"
            )
    return read_results(name, session, workdir)


def read_results(name: str, session: Path, workdir: Path) -> GroupResult:
    """Outcome counts and survivors from a cosmic-ray session database."""
    result = GroupResult(name)
    with sqlite3.connect(session) as db:
        rows = db.execute(
            "SELECT r.test_outcome, s.module_path, s.start_pos_row, s.operator_name "
            "FROM work_results r JOIN mutation_specs s USING (job_id) "
            # SKIPPED: removed by the operator, pragma and annotation filters (never run).
            "WHERE r.worker_outcome != 'SKIPPED'"
        ).fetchall()
    for outcome, module, row, operator in rows:
        outcome = (outcome or "none").lower()
        result.outcomes[outcome] = result.outcomes.get(outcome, 0) + 1
        if outcome == "survived":
            relative = Path(module).relative_to(workdir)
            result.survivors.append(f"{relative}:{row} {operator.removeprefix('core/')}")
    result.survivors.sort()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="groups run side by side (2)")
    parser.add_argument("--group", action="append", help="only these groups (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the copies and logs")
    args = parser.parse_args()
    targets = tomllib.loads(TARGETS.read_text(encoding="utf-8"))
    groups = targets["groups"]
    chosen = args.group or targets["default"]
    unknown = sorted(set(chosen) - set(groups))
    if unknown or args.jobs < 1:
        parser.error(f"unknown group(s) {unknown}; choose from {sorted(groups)}; --jobs >= 1")
    base = Path(tempfile.mkdtemp(prefix="aspects-mutation-"))
    print(f"Mutation testing {', '.join(chosen)} in {base} ({args.jobs} at a time)...", flush=True)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_group, n, groups[n], targets["operators"], base) for n in chosen]
        results = [future.result() for future in futures]
    killed = total = 0
    for result in results:
        if result.error:
            print(f"{result.name}: ERROR {result.error}")
            continue
        killed, total = killed + result.killed, total + result.total
        share = 100.0 * result.killed / result.total if result.total else 100.0
        print(
            f"{result.name}: {result.killed}/{result.total} killed ({share:.1f}%) {result.outcomes}"
        )
        for survivor in result.survivors:
            print(f"  survived: {survivor}")
    share = 100.0 * killed / total if total else 0.0
    print(f"TOTAL: {killed}/{total} mutants killed ({share:.1f}%)")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 1 if any(result.error for result in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
