"""`make mutation`: mutation testing with cosmic-ray over the modules in ``targets.toml``.

Each group runs in its own copy of the working tree (so groups can run side by side): cosmic-ray
mutates the copy's files one mutant at a time and runs the group's tests there (`pytest -x`),
only those that execute the mutated code when coverage can name them (``select.py``).
Tutor's CLI, run by the Tutor tier in child processes, loads the copy's plugin too
(``ASPECTS_TEST_TUTOR_PLUGIN_FROM_TREE``). Prints, per group and overall, the share of mutants
killed, and every survivor (file, line, operator). Not part of CI: it takes a while.

    python -m tests.mutation.run [--jobs 2] [--group dump --group backend ...] [--keep]
    python -m tests.mutation.run --resume /tmp/aspects-mutation-XXXX

Without ``--group``: the groups listed as ``default`` in targets.toml. A full run takes hours
on two cores: ``--resume DIR`` continues a run kept in DIR (stopped, or cut short by a
reboot-free restart of the session) with its own copies of the tree, so every mutant is
measured against the same code; mutants already run keep their outcome.
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


#: In a run's folder: the commit the copies were made from (and whether the tree was edited).
SOURCE = "source.txt"


def describe_tree() -> str:
    """``<commit> <date>``, plus ``with uncommitted changes`` when the tree differs from it."""
    head = subprocess.run(
        ["git", "log", "-1", "--format=%h %cI"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True).stdout
    return f"{head}{' with uncommitted changes' if dirty.strip() else ''}\n"


def copy_tree(destination: Path, only: str = ".") -> None:
    """The working tree's tracked and untracked-but-not-ignored files (under ``only``), copied."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z", "--", only],
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


def group_env() -> dict[str, str]:
    """The environment of cosmic-ray and the tests (the copy's own Tutor plugin, our venv)."""
    return {
        **os.environ,
        "ASPECTS_TEST_TUTOR_PLUGIN_FROM_TREE": "1",
        "PATH": f"{BIN}:{os.environ['PATH']}",
    }


def resumable(workdir: Path) -> bool:
    """Whether ``workdir`` holds a group whose mutants started running (session, coverage)."""
    return (workdir / "session.sqlite").exists() and (workdir / select.CONTEXTS).exists()


def record_coverage(name: str, workdir: Path, group: dict, env: dict, log) -> GroupResult | None:
    """``select.record`` for the group; its failure as a result (None when it worked)."""
    try:
        modules = [Path(m) for m in group["modules"]]
        select.record(workdir, modules, group_tests(workdir, group), env, log)
    except (subprocess.CalledProcessError, RuntimeError) as error:
        return GroupResult(name, error=f"the coverage run failed ({error}): see {name}.log")
    return None


def resume_group(name: str, group: dict, operators: dict, base: Path, recheck: bool) -> GroupResult:
    """Run the pending mutants of a kept group; first put back the pristine modules (a run
    killed mid-mutant leaves that mutant in its file). ``recheck``: the survivors run again,
    against the tests of the current tree (tests only ever add kills; the mutated modules must
    be the ones the run measured)."""
    workdir = base / name
    pristine = workdir / select.PRISTINE
    for original in pristine.rglob("*.py"):
        shutil.copy2(original, workdir / original.relative_to(pristine))
    with (base / f"{name}.log").open("a", encoding="utf-8") as log:
        if recheck:
            changed = [
                str(relative)
                for original in pristine.rglob("*.py")
                if (REPO / (relative := original.relative_to(pristine))).read_bytes()
                != original.read_bytes()
            ]
            if changed:
                return GroupResult(name, error=f"changed since the run: {changed}; start anew")
            shutil.rmtree(workdir / "tests")
            copy_tree(workdir, only="tests")
            write_config(workdir, group, operators)
            if failed := record_coverage(name, workdir, group, group_env(), log):
                return failed
            with sqlite3.connect(workdir / "session.sqlite") as db:
                db.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'")
        done = subprocess.run(
            [BIN / "cosmic-ray", "exec", workdir / "cosmic-ray.toml", workdir / "session.sqlite"],
            cwd=workdir, env=group_env(), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    if done.returncode != 0:
        return GroupResult(name, error=f"`cosmic-ray exec` failed: see {name}.log")
    return read_results(name, workdir / "session.sqlite", workdir)


def run_group(
    name: str, group: dict, operators: dict, base: Path, recheck: bool = False
) -> GroupResult:
    """Initialise the copy made for the group, filter, check the baseline, execute; read the
    outcomes. A group whose mutants started running in a kept run continues instead."""
    workdir = base / name
    if resumable(workdir):
        return resume_group(name, group, operators, base, recheck)
    config = write_config(workdir, group, operators)
    session = workdir / "session.sqlite"
    env = group_env()
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
        if step[1] == "exec" and (failed := record_coverage(name, workdir, group, env, log)):
            return failed
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
    parser.add_argument(
        "--resume", type=Path, metavar="DIR", help="continue the run kept in DIR (implies --keep)"
    )
    parser.add_argument(
        "--recheck",
        action="store_true",
        help="with --resume: run the survivors again with the current tree's tests",
    )
    args = parser.parse_args()
    targets = tomllib.loads(TARGETS.read_text(encoding="utf-8"))
    groups = targets["groups"]
    chosen = args.group or targets["default"]
    unknown = sorted(set(chosen) - set(groups))
    if unknown or args.jobs < 1:
        parser.error(f"unknown group(s) {unknown}; choose from {sorted(groups)}; --jobs >= 1")
    if args.recheck and args.resume is None:
        parser.error("--recheck needs --resume DIR (the kept run whose survivors run again)")
    if args.resume is not None and not (args.resume / SOURCE).is_file():
        parser.error(f"--resume {args.resume}: not a kept run of this tool (no {SOURCE} there)")
    base = args.resume or Path(tempfile.mkdtemp(prefix="aspects-mutation-"))
    if args.resume is None:
        (base / SOURCE).write_text(describe_tree(), encoding="utf-8")
    elif args.recheck:
        with (base / SOURCE).open("a", encoding="utf-8") as source:
            again = f"survivors of {', '.join(chosen)} run again with the tests of"
            source.write(f"{again} {describe_tree()}")
    action = "Resuming" if args.resume else "Mutation testing"
    print(
        f"{action} {', '.join(chosen)} in {base} ({args.jobs} at a time); the tree measured: "
        f"{(base / SOURCE).read_text(encoding='utf-8').strip()}",
        flush=True,
    )
    for name in chosen:  # every group measures the tree as it is now, whenever it starts
        if not resumable(base / name):
            shutil.rmtree(base / name, ignore_errors=True)  # a set-up that did not finish
            copy_tree(base / name)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [
            pool.submit(run_group, n, groups[n], targets["operators"], base, args.recheck)
            for n in chosen
        ]
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
    if not (args.keep or args.resume):
        shutil.rmtree(base, ignore_errors=True)
    return 1 if any(result.error for result in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
