"""The reference Dev Containers CLI against the local engine, as VS Code drives it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

#: Debian's docker.io client: it builds with BuildKit when DOCKER_BUILDKIT=1 (the first docker on
#: PATH here is a newer client without buildx).
DOCKER = "/usr/bin/docker"
ENV = {"DOCKER_BUILDKIT": "1"}


def cli() -> str:
    found = os.environ.get("DEVCONTAINER_CLI") or shutil.which("devcontainer")
    default = Path.home() / ".cache/bootstrap-ci/devcontainers/node_modules/.bin/devcontainer"
    if not found and default.exists():
        found = str(default)
    assert found, "the Dev Containers CLI is missing: run .ci/docker.sh"
    return found


def _run(verb: str, project: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    command = [cli(), verb, "--workspace-folder", str(project), "--docker-path", DOCKER, *args]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        timeout=timeout,
        check=False,
    )


def up(project: Path) -> dict[str, Any]:
    """`devcontainer up`; fails the test unless it succeeds; returns the CLI's outcome JSON."""
    result = _run("up", project, timeout=2400)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert result.returncode == 0 and lines, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(lines[-1])


def exec_(project: Path, *command: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """`devcontainer exec`: runs as the remote user, like VS Code's terminal."""
    return _run("exec", project, *command, timeout=timeout)


def remove(project: Path) -> None:
    """Remove the containers `up` started for ``project``, and the images the CLI built for it
    (``vsc-<folder>-<hash of its path>`` and its ``-uid`` layer: gigabytes per project otherwise)."""
    ids = subprocess.run(
        [DOCKER, "ps", "-aq", "--filter", f"label=devcontainer.local_folder={project}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    if not ids:
        return
    images = subprocess.run(
        [DOCKER, "inspect", "--format", "{{.Config.Image}}", *ids],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    subprocess.run([DOCKER, "rm", "-f", *ids], capture_output=True, check=False)
    built = {i.split(":")[0] for i in images if i.startswith("vsc-")}  # the CLI's, this path's
    built |= {i.removesuffix("-uid") for i in built}
    if built:
        subprocess.run([DOCKER, "rmi", *sorted(built)], capture_output=True, check=False)
