"""`bootstrap doctor` on a machine with and without a reachable Docker engine."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from helpers import run


def fake_tool(folder: Path, name: str, output: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\necho '{output}'\n")
    path.chmod(0o755)


@pytest.mark.docker
def test_with_a_reachable_engine() -> None:
    import docker

    version = docker.from_env().version()["Version"]
    # Debian's docker.io client (20.10) first on PATH: BuildKit is built in behind DOCKER_BUILDKIT=1
    path = "/usr/bin" + os.pathsep + os.environ["PATH"]
    result = run("doctor", env={"DOCKER_BUILDKIT": "1", "PATH": path})
    assert result.returncode == 0, result.stdout + result.stderr
    engine = next(line for line in result.stdout.splitlines() if "Docker engine" in line)
    assert engine.startswith("✓") and version in engine
    assert next(line for line in result.stdout.splitlines() if "BuildKit" in line).startswith("✓")
    assert "Free disk" in result.stdout and "GB free" in result.stdout


def test_without_a_reachable_engine() -> None:
    result = run("doctor", env={"DOCKER_HOST": "unix:///nonexistent"})
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    engine = next(line for line in lines if "Docker engine" in line)
    assert engine.startswith("✗") and "unix:///nonexistent" in engine
    assert "To fix:" in result.stdout and "start Docker" in result.stdout
    assert "Traceback" not in result.stderr


def test_tools_on_path_are_found_and_missing_ones_get_a_fix(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_tool(bin_dir, "code", "1.99.0")
    fake_tool(bin_dir, "devcontainer", "0.80.0")
    env = {"PATH": str(bin_dir), "DOCKER_HOST": "unix:///nonexistent"}
    found = run("doctor", env=env)
    lines = found.stdout.splitlines()
    assert next(line for line in lines if "VS Code" in line).startswith("✓")
    cli = next(line for line in lines if "Dev Containers CLI" in line)
    assert cli.startswith("✓") and "0.80.0" in cli
    buildkit = next(line for line in lines if "BuildKit" in line)
    assert buildkit.startswith("✗") and "no docker command" in buildkit  # docker is not on PATH
    (bin_dir / "code").unlink()
    (bin_dir / "devcontainer").unlink()
    missing = run("doctor", env=env)
    assert next(line for line in missing.stdout.splitlines() if "VS Code" in line).startswith("✗")
    assert "npm install -g @devcontainers/cli" in missing.stdout


@pytest.mark.docker
def test_missing_buildkit_is_essential() -> None:
    docker_cli = shutil.which("docker")
    assert docker_cli
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_BUILDKIT"}
    result = run("doctor", env={**env, "DOCKER_BUILDKIT": "0"})
    buildkit = next(line for line in result.stdout.splitlines() if "BuildKit" in line)
    if "docker buildx:" in buildkit:
        pytest.skip("this docker CLI has the buildx plugin")
    assert buildkit.startswith("✗") and result.returncode == 1
    assert "DOCKER_BUILDKIT=1" in result.stdout or "buildx" in result.stdout


@pytest.mark.docker
def test_docker_buildkit_1_does_not_help_a_client_without_buildx(tmp_path: Path) -> None:
    """From 23.0 on, the docker CLI needs buildx for BuildKit: DOCKER_BUILDKIT=1 then fails."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text(
        "#!/bin/sh\n"
        'case "$1" in buildx) echo "docker: unknown command: docker buildx" >&2; exit 1;; '
        "version) echo 28.2.2;; esac\n"
    )
    (bin_dir / "docker").chmod(0o755)
    result = run(
        "doctor", env={"DOCKER_BUILDKIT": "1", "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    )
    buildkit = next(line for line in result.stdout.splitlines() if "BuildKit" in line)
    assert buildkit.startswith("✗") and "28.2.2 has no buildx plugin" in buildkit
    assert result.returncode == 1
