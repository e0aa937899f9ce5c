"""`bootstrap doctor`: is this machine ready to build and open dev containers? What to fix if not.

Each check says ✓ or ✗ with what it found; every ✗ comes with the fix. The Docker engine and
BuildKit are essential (nothing builds without them: the Dockerfile uses BuildKit cache mounts),
so their failure exits 1; VS Code, the Dev Containers CLI and disk space are reported but a
project can still be built without them (Codespaces needs none of them).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bootstrap import report_json
from bootstrap.engine import buildkit_mode

#: Engines before 18.09 (API 1.39) have no BuildKit; 20.10 is the oldest the Docker project
#: still documented when the Dev Containers CLI was written (unverified: minimum the CLI needs).
MIN_ENGINE = (18, 9)
MIN_FREE_GB = 15  # a data-science image with its build cache takes several GB


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    essential: bool = False


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _run(argv: list[str], timeout: float = 20) -> str | None:
    """First line of a command's output, or None when it fails or is missing."""
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0].strip() if lines else ""


def check_engine() -> tuple[Check, dict[str, str] | None]:
    """The engine the Docker SDK reaches (DOCKER_HOST, or the default socket), and its version."""
    host = os.environ.get("DOCKER_HOST") or "the default socket"
    try:
        import docker  # lazy: start-up stays light

        client = docker.from_env(timeout=10)
        try:
            version = client.version()
            info = client.info()
        finally:
            client.close()
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if len(reason) > 120:
            reason = reason[:117] + "..."
        return (
            Check(
                "Docker engine",
                False,
                f"not reachable at {host} ({reason})",
                "start Docker (Docker Desktop, or: sudo systemctl start docker), add your user to "
                "the docker group, or point DOCKER_HOST at a running engine",
                essential=True,
            ),
            None,
        )
    number = str(version.get("Version", "?"))
    api = str(version.get("ApiVersion", "?"))
    detail = f"{number} (API {api}) at {host}"
    if _version_tuple(number)[:2] < MIN_ENGINE:
        return (
            Check(
                "Docker engine",
                False,
                f"{detail}: older than 18.09, which has no BuildKit",
                "upgrade Docker Engine (https://docs.docker.com/engine/install/)",
                essential=True,
            ),
            None,
        )
    facts = {"version": number, "root": str(info.get("DockerRootDir") or "")}
    return Check("Docker engine", True, detail, essential=True), facts


def check_buildkit(engine: dict[str, str] | None) -> Check:
    """BuildKit from the first docker on PATH: the client VS Code and the Dev Containers CLI call."""

    docker_cli = shutil.which("docker")
    if docker_cli is None:
        return Check(
            "BuildKit",
            False,
            "no docker command on PATH",
            "install the Docker CLI with its buildx plugin (Docker Desktop, or the docker-ce, "
            "docker-ce-cli and docker-buildx-plugin packages)",
            essential=True,
        )
    mode, version = buildkit_mode(docker_cli)
    if mode == "buildx":
        return Check("BuildKit", True, f"docker buildx: {version}", essential=True)
    if engine is None:
        return Check(
            "BuildKit",
            False,
            "cannot tell without a reachable engine",
            "fix the Docker engine first",
            essential=True,
        )
    if mode == "classic" and os.environ.get("DOCKER_BUILDKIT") == "1":
        return Check(
            "BuildKit",
            True,
            f"DOCKER_BUILDKIT=1 with {docker_cli} {version} (BuildKit built in)",
            essential=True,
        )
    if mode == "classic":
        return Check(
            "BuildKit",
            False,
            f"{docker_cli} {version} has BuildKit built in, but DOCKER_BUILDKIT is not 1",
            "export DOCKER_BUILDKIT=1, or install the buildx plugin",
            essential=True,
        )
    return Check(
        "BuildKit",
        False,
        f"{docker_cli} {version or '(unknown version)'} has no buildx plugin, which clients from "
        "23.0 on need for BuildKit",
        "install the buildx plugin (docker-buildx-plugin, or Debian's docker-buildx)",
        essential=True,
    )


def check_code() -> Check:
    found = shutil.which("code")
    if found:
        return Check("VS Code `code`", True, found)
    return Check(
        "VS Code `code`",
        False,
        "not on PATH",
        "install VS Code with the Dev Containers extension, then run 'Shell Command: Install "
        "code command in PATH'; Codespaces and the Dev Containers CLI work without it",
    )


def check_devcontainer_cli() -> Check:
    found = shutil.which("devcontainer")
    if found:
        version = _run([found, "--version"])
        if version is not None:
            return Check("Dev Containers CLI", True, f"{version} ({found})")
        return Check(
            "Dev Containers CLI",
            False,
            f"{found} does not run",
            "reinstall it: npm install -g @devcontainers/cli",
        )
    if shutil.which("npx"):
        return Check(
            "Dev Containers CLI",
            True,
            "not installed; npx @devcontainers/cli runs it (downloaded on first use)",
        )
    return Check(
        "Dev Containers CLI",
        False,
        "no devcontainer or npx on PATH",
        "install Node.js, then: npm install -g @devcontainers/cli",
    )


def check_disk(engine: dict[str, str] | None) -> Check:
    """Free space where images go: the engine's data root when it is on this machine."""
    root = Path(engine["root"]) if engine and engine.get("root") else None
    where = root if root is not None and root.exists() else Path.cwd()
    try:
        free = shutil.disk_usage(where).free / 1e9
    except OSError as exc:
        return Check("Free disk", False, f"{where}: {exc.strerror}", "check the folder exists")
    detail = f"{free:.0f} GB free on {where}"
    if free < MIN_FREE_GB:
        return Check(
            "Free disk",
            False,
            detail,
            f"free at least {MIN_FREE_GB} GB (docker system prune removes unused images and "
            "build cache)",
        )
    return Check("Free disk", True, detail)


def run_checks() -> list[Check]:
    engine_check, engine = check_engine()
    return [
        engine_check,
        check_buildkit(engine),
        check_code(),
        check_devcontainer_cli(),
        check_disk(engine),
    ]


def _marks() -> tuple[str, str]:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "✓✗".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "ok", "X"
    return "✓", "✗"


def doctor_command(args: argparse.Namespace) -> int:
    checks = run_checks()
    good, bad = _marks()
    width = max(len(c.name) for c in checks)
    for check in checks:
        mark = good if check.ok else bad
        print(f"{mark} {check.name.ljust(width)}  {check.detail}")
    failed = [c for c in checks if not c.ok]
    if failed:
        print()
        print("To fix:")
        for check in failed:
            tag = "" if check.essential else " (optional)"
            print(f"  {check.name}{tag}: {check.fix}")
    if any(c.essential for c in failed):
        return 1
    print()
    print("Ready: bootstrap new, then open the project in VS Code or run: devcontainer up")
    return 0


#: doctor's checks by stable id (the names people read may change; these do not).
DOCTOR_IDS = {
    "Docker engine": "engine",
    "BuildKit": "buildkit",
    "VS Code `code`": "vscode",
    "Dev Containers CLI": "devcontainer_cli",
    "Free disk": "disk",
}


def doctor_json(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    """`doctor --json`: every check by its stable id as one document."""
    checks = run_checks()
    essential_failed = any(c.essential and not c.ok for c in checks)
    doc = report_json.document(
        "doctor",
        not essential_failed,
        checks=[
            {
                "id": DOCTOR_IDS.get(c.name, c.name.lower().replace(" ", "_")),
                "name": c.name,
                "ok": c.ok,
                "essential": c.essential,
                "detail": c.detail,
                "fix": c.fix or None,
            }
            for c in checks
        ],
    )
    return doc, 1 if essential_failed else 0
