"""Start-up: the commands people run many times a day import only what they use.

Each command runs in a fresh interpreter under ``python -X importtime``, which lists every module
the process imported; heavy libraries must be absent from that list.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = {"cookiecutter", "docker", "questionary", "prompt_toolkit", "jinja2"}


def imported(*args: str | Path, cwd: Path | None = None) -> tuple[set[str], str]:
    """Top-level packages a CLI run imported, and its output."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bootstrap", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    modules = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name and name != "imported package":
                modules.add(name.split(".")[0])
    assert "bootstrap" in modules, "importtime output not recognised"
    return modules, result.stdout


def test_help_imports_no_heavy_library_and_no_jsonschema() -> None:
    modules, out = imported("--help")
    assert "COMMAND" in out
    assert not modules & (HEAVY | {"jsonschema", "yaml", "packaging", "json5", "dockerfile_parse"})


@pytest.mark.parametrize("command", ["new", "init", "validate", "lock", "build", "update"])
def test_subcommand_help_imports_nothing_heavy(command: str) -> None:
    modules, out = imported(command, "--help")
    assert "usage:" in out
    assert not modules & (HEAVY | {"jsonschema"})


def test_version_is_as_light_as_help() -> None:
    modules, out = imported("--version")
    assert out.startswith("bootstrap ")
    assert not modules & (HEAVY | {"jsonschema"})


@pytest.mark.parametrize("flags", [[], ["--json"]])
def test_catalog_imports_no_heavy_library(flags: list[str]) -> None:
    modules, out = imported("catalog", *flags)
    assert "pytorch" in out
    assert not modules & HEAVY


def test_validate_imports_no_template_engine(new_project) -> None:
    project = new_project()
    modules, out = imported("validate", project)
    assert "valid" in out
    assert not modules & HEAVY
    assert {"json5", "dockerfile_parse"} <= modules  # it did read the files it checks


def test_init_dry_run_imports_no_template_engine(tmp_path: Path) -> None:
    """A dry run renders nothing: the template engine and the lock stay unimported."""
    (tmp_path / "app.py").write_text("import json\n", encoding="utf-8")
    modules, out = imported("init", tmp_path, "--dry-run", "--offline")
    assert "Would add" in out
    assert not modules & HEAVY
