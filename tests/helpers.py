"""Shared test helpers: run the installed CLI, check files against the official schemas."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_SCHEMAS = Path(
    os.environ.get("BOOTSTRAP_SHARED_SCHEMAS", REPO.parent / "shared" / "schemas")
)
BOOTSTRAP = [sys.executable, "-m", "bootstrap"]


def run(
    *args: str | os.PathLike[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: a separate process, no terminal."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [*BOOTSTRAP, *map(str, args)],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        input=input if input is not None else "",
        timeout=timeout,
        check=False,
    )


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """A project folder for a test: text is dedented (write it indented in the test), bytes kept."""
    import textwrap

    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes: compare before and after to prove nothing changed."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def official_errors(devcontainer_json: Path) -> list[str]:
    import json5

    from bootstrap import devcontainer_schema

    data = json5.loads(devcontainer_json.read_text(encoding="utf-8"))
    return [f"{list(e.absolute_path)}: {e.message}" for e in devcontainer_schema.errors(data)]


def hadolint_errors(dockerfile: Path, levels: tuple[str, ...] = ("error",)) -> list[str]:
    from bootstrap.validate import lint_dockerfile

    return [
        f"{f['line']}: {f['code']} {f['message']}"
        for f in lint_dockerfile(dockerfile)
        if f["level"] in levels
    ]


def all_pinned(requirements: Path) -> list[str]:
    """Lines of requirements.txt that are not pinned with ==; empty when all are."""
    from bootstrap.validate import Report, check_requirements

    report = Report()
    check_requirements(requirements.parent, report)
    return report.problems


def need_engine(docker: str, compose: bool = False) -> None:
    """Skip the calling test module without a Docker engine (or docker-compose); under .ci/run,
    which starts one, a missing engine is an error instead."""
    if os.environ.get("BOOTSTRAP_SKIP_DOCKER") == "1":
        pytest.skip("BOOTSTRAP_SKIP_DOCKER=1", allow_module_level=True)
    probe = (
        os.path.exists(docker)
        and subprocess.run([docker, "info"], capture_output=True, check=False).returncode == 0
    )
    if not probe:
        if os.environ.get("BOOTSTRAP_TEST_INSTALLED"):
            raise RuntimeError("no Docker engine: .ci/run starts one with .ci/docker.sh")
        pytest.skip("no Docker engine (run .ci/docker.sh)", allow_module_level=True)
    if compose and shutil.which("docker-compose") is None:
        pytest.skip(
            "docker-compose is missing (apt-get install docker-compose)", allow_module_level=True
        )
