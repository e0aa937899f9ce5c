"""The Docker engine and a BuildKit-capable docker client, for `build` and `doctor`.

The Docker SDK talks to the engine; BuildKit builds go through a docker client, which may be the
buildx plugin (clients from 23.0 on) or the classic DOCKER_BUILDKIT=1 switch (18.09 to 22.x).
"""

from __future__ import annotations

import os
import re
import subprocess
from typing import Any

from bootstrap.errors import BootstrapError


def engine() -> Any:
    """The Docker engine through the SDK, or one line saying none is reachable."""
    import docker  # lazy: start-up stays light

    where = os.environ.get("DOCKER_HOST") or "the default socket (unix:///var/run/docker.sock)"
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except Exception:
        raise BootstrapError(
            f"no Docker engine reachable at {where}: start Docker (Docker Desktop, or "
            "`sudo systemctl start docker`) or set DOCKER_HOST, then retry"
        ) from None
    return client


def _docker_candidates() -> list[str]:
    """Every docker client this user could mean: BOOTSTRAP_DOCKER alone, else all on PATH."""
    explicit = os.environ.get("BOOTSTRAP_DOCKER")
    if explicit:
        return [explicit]
    found: list[str] = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        candidate = os.path.join(folder, "docker")
        if os.access(candidate, os.X_OK) and os.path.realpath(candidate) not in map(
            os.path.realpath, found
        ):
            found.append(candidate)
    return found


def _quiet(command: list[str]) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def buildkit_mode(cli: str) -> tuple[str | None, str]:
    """How ``cli`` builds with BuildKit — "buildx", "classic" (DOCKER_BUILDKIT=1), or None — and its version.

    Clients from 18.09 to 22.x have BuildKit built in behind DOCKER_BUILDKIT=1; from 23.0 on, only
    the buildx plugin gives BuildKit (DOCKER_BUILDKIT=1 then fails asking for buildx).
    """
    buildx = _quiet([cli, "buildx", "version"])
    if buildx is not None and buildx.returncode == 0:
        return "buildx", buildx.stdout.strip()
    result = _quiet([cli, "version", "--format", "{{.Client.Version}}"])
    version = result.stdout.strip() if result is not None else ""
    match = re.match(r"(\d+)\.(\d+)", version)
    if match and (18, 9) <= (int(match[1]), int(match[2])) < (23, 0):
        return "classic", version
    return None, version


def buildkit_cli() -> tuple[str, list[str]]:
    """A docker client that builds with BuildKit, and the build command to use with it."""
    candidates = _docker_candidates()
    if not candidates:
        raise BootstrapError(
            "no docker command found: install the Docker CLI with its buildx plugin, "
            "or set BOOTSTRAP_DOCKER to its path"
        )
    for cli in candidates:
        mode, _ = buildkit_mode(cli)
        if mode == "buildx":
            return cli, [cli, "buildx", "build", "--load"]
        if mode == "classic":
            return cli, [cli, "build"]
    raise BootstrapError(
        f"BuildKit is missing: {candidates[0]} has no buildx plugin and this Dockerfile needs "
        "BuildKit: install buildx (apt-get install docker-buildx, or Docker's "
        "docker-buildx-plugin), or set BOOTSTRAP_DOCKER to a docker client that has it"
    )
