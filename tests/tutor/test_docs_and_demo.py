"""docs/operations.md documents every config key; the render demo shows what the plugin adds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox import tutor_render_demo
from tutoraspects import config

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def documented_keys() -> set[str]:
    """Keys named in the first cell of the config tables (`KEY_USER` / `_PASSWORD` expands)."""
    keys = set()
    for line in OPERATIONS.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `ASPECTS_"):
            continue
        names = re.findall(r"`([A-Z0-9_]+)`", line.split("|")[1])
        base = names[0]
        keys.add(base)
        for suffix in names[1:]:
            keys.add(base.rsplit("_", 1)[0] + suffix)
    return keys


def test_every_config_key_is_documented() -> None:
    keys = {key for key, _ in config.prefixed({**config.DEFAULTS, **config.UNIQUE})}
    documented = documented_keys()
    assert keys - documented == set(), "undocumented"
    assert documented - keys == set(), "documented but absent"


def test_render_demo_names_what_the_plugin_adds(capsys: pytest.CaptureFixture[str]) -> None:
    tutor_render_demo.main()
    out = capsys.readouterr().out
    assert re.search(r"local services\s+clickhouse, ralph, superset\n", out)
    assert re.search(r"job services\s+aspects-job, superset-job\n", out)
    assert "EVENT_SINK_CLICKHOUSE_BACKEND_CONFIG" in out
    assert "OPEN_EDX_FILTERS_CONFIG" in out
    for command in ("dump-data-to-clickhouse", "load-test", "init-clickhouse"):
        assert command in out
    assert "password" not in out.lower().replace("passwords", "")
