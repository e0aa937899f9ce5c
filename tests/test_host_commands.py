"""devcontainer.json's host commands work on Windows, macOS and Linux hosts alike, and `validate`
flags the ones that do not (for users' own edits too)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import run

from bootstrap.host_commands import check, check_mounts
from bootstrap.safe_io import read_jsonc

DEVCONTAINER = ".devcontainer/devcontainer.json"


@pytest.fixture
def aws_project(new_project) -> Path:
    return new_project("--driver", "aws,spark", name="cloud")


def _host_folders(config: dict) -> list[str]:
    return config["initializeCommand"]["host-folders"]


def test_generated_host_commands_are_host_neutral(aws_project: Path) -> None:
    config = read_jsonc(aws_project / DEVCONTAINER)
    assert check(config["initializeCommand"], aws_project) == []
    command = _host_folders(config)
    assert command[0] == ".devcontainer/host-folders"
    script = aws_project / command[0]
    assert script.stat().st_mode & 0o111, "macOS and Linux run the script by path"
    windows = (aws_project / ".devcontainer/host-folders.cmd").read_bytes()
    lines = windows.split(b"\r\n")
    assert b"\n" not in b"".join(lines), "cmd.exe scripts need CRLF line endings"
    # cmd.exe's goto may miss a label past a 512-byte boundary in a file without CRLF endings
    assert len(windows) < 512
    gitattributes = (aws_project / ".gitattributes").read_text()
    assert "*.cmd text eol=crlf" in gitattributes
    result = run("validate", aws_project)
    assert result.returncode == 0, result.stderr
    assert "host-neutral" not in result.stderr


def test_every_bind_mount_from_the_host_is_created_first(aws_project: Path) -> None:
    """Docker refuses a bind mount whose source is missing; each one is in host-folders' list."""
    config = read_jsonc(aws_project / DEVCONTAINER)
    sources = [
        dict(part.partition("=")[::2] for part in mount.split(","))["source"]
        for mount in config["mounts"]
        if "type=bind" in mount and "${localEnv:" in mount
    ]
    assert sources
    assert set(sources) <= set(_host_folders(config)[1:])


def test_projects_without_host_mounts_have_no_host_command(new_project) -> None:
    project = new_project(name="plain")
    assert "initializeCommand" not in read_jsonc(project / DEVCONTAINER)
    assert not (project / ".devcontainer/host-folders").exists()
    assert not (project / ".devcontainer/host-folders.cmd").exists()


def test_the_posix_script_makes_missing_folders_and_keeps_existing_ones(
    aws_project: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home with space"
    home.mkdir()
    argv = [
        arg.replace("${localEnv:HOME}", str(home)).replace("${localEnv:USERPROFILE}", "")
        for arg in _host_folders(read_jsonc(aws_project / DEVCONTAINER))
    ]
    for _ in range(2):  # the second run finds the folder there and succeeds
        result = subprocess.run(argv, cwd=aws_project, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert (home / ".aws").is_dir()


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("mkdir -p ${localEnv:HOME}${localEnv:USERPROFILE}/.aws", "mkdir -p"),
        ({"aws": ["mkdir", "-p", "${localEnv:HOME}/.aws"]}, "Windows hosts have no such program"),
        ("touch ${localWorkspaceFolder}/.env", "touch"),
        ("cp .env.example .env 2>/dev/null || true", "Windows"),
        ("test -f .env || echo missing", "Windows"),
        ("echo $HOME", "$VARIABLE"),
        ("./scripts/init.sh", "shell script"),
        (["bash", "-c", "echo hi"], "Windows hosts have no such program"),
        ("copy .env.example .env", "macOS and Linux"),
        ("if not exist .env copy .env.example .env >nul", "macOS and Linux"),
        ("echo %USERPROFILE%", "%VARIABLE%"),
        (["powershell", "-File", "init.ps1"], "macOS and Linux"),
        ("scripts\\init.cmd", "Windows script"),
        (".devcontainer/setup --quiet", "reads as an option"),
    ],
)
def test_one_platform_commands_are_flagged(tmp_path: Path, command: object, words: str) -> None:
    found = check(command, tmp_path)
    assert len(found) == 1 and words in found[0] and "rule: host-neutral" in found[0], found


@pytest.mark.parametrize(
    "command",
    [
        "docker pull python:3.12-slim",
        "git submodule update --init",
        ["docker", "volume", "create", "cache"],
        'mkdir "${localEnv:HOME}${localEnv:USERPROFILE}/.cache" || echo ok',
        {"a": "docker network create dev || echo exists", "b": ["git", "fetch"]},
    ],
)
def test_commands_every_host_runs_pass(tmp_path: Path, command: object) -> None:
    assert check(command, tmp_path) == []


def test_a_script_pair_passes_only_when_both_halves_are_there(tmp_path: Path) -> None:
    command = [".devcontainer/setup", "arg"]
    (tmp_path / ".devcontainer").mkdir()
    assert "no setup.cmd" in check(command, tmp_path)[0]
    (tmp_path / ".devcontainer/setup.cmd").write_text("@echo off\r\n")
    assert "no setup beside" in check(command, tmp_path)[0]
    script = tmp_path / ".devcontainer/setup"
    script.write_text("#!/bin/sh\n")
    assert "not executable" in check(command, tmp_path)[0]
    script.chmod(0o755)
    assert check(command, tmp_path) == []


def test_validate_flags_a_users_own_posix_only_host_command(aws_project: Path) -> None:
    path = aws_project / DEVCONTAINER
    config = read_jsonc(path)
    config["initializeCommand"] = "mkdir -p ${localEnv:HOME}${localEnv:USERPROFILE}/.aws"
    path.write_text(json.dumps(config, indent=2))
    result = run("validate", aws_project)
    assert result.returncode == 0  # a warning: the project still builds and opens on Linux
    flagged = [line for line in result.stderr.splitlines() if "host-neutral" in line]
    assert len(flagged) == 1
    assert flagged[0].startswith(f"warning: {DEVCONTAINER}: $.initializeCommand: ")
    assert "'mkdir -p ${localEnv:HOME}${localEnv:USERPROFILE}/.aws'" in flagged[0]
    assert "cmd.exe" in flagged[0]


@pytest.mark.docker
def test_the_dev_containers_cli_creates_the_folder_and_mounts_it(
    aws_project: Path, tmp_path: Path
) -> None:
    """The reference CLI runs host-folders from the workspace folder before `docker run --mount`,
    which would refuse a missing ~/.aws. A bare image keeps this quick: only the host side matters."""
    from support import devcontainers

    if os.environ.get("BOOTSTRAP_SKIP_DOCKER") == "1" or not shutil.which(devcontainers.DOCKER):
        pytest.skip("needs a Docker engine and the Dev Containers CLI")
    image = "python:3.11-slim-bookworm"
    probe = subprocess.run([devcontainers.DOCKER, "image", "inspect", image], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"{image} stand-in not built (python -m tests.support.standins)")
    generated = read_jsonc(aws_project / DEVCONTAINER)
    workspace = tmp_path / "ws"
    (workspace / ".devcontainer").mkdir(parents=True)
    for name in ("host-folders", "host-folders.cmd"):
        shutil.copy2(aws_project / ".devcontainer" / name, workspace / ".devcontainer" / name)
    config = {
        "image": image,
        "initializeCommand": generated["initializeCommand"],
        "mounts": [m.replace("/home/app/", "/root/") for m in generated["mounts"]],
        "overrideCommand": True,
    }
    (workspace / DEVCONTAINER).write_text(json.dumps(config))
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, **devcontainers.ENV, "HOME": str(home)}
    env.pop("USERPROFILE", None)
    command = [devcontainers.cli(), "up", "--workspace-folder", str(workspace)]
    command += ["--docker-path", devcontainers.DOCKER]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=600, check=False
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert (home / ".aws").is_dir()
        inside = subprocess.run(
            [*command[:1], "exec", *command[2:], "sh", "-c", "test -d /root/.aws && echo ok"],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )
        assert inside.stdout.strip().endswith("ok"), inside.stdout + inside.stderr
    finally:
        devcontainers.remove(workspace)


def test_mounts_from_home_alone_are_flagged() -> None:
    mounts = [
        "source=${localEnv:HOME}/.ssh,target=/home/app/.ssh,type=bind",
        "source=${localEnv:HOME}${localEnv:USERPROFILE}/.aws,target=/home/app/.aws,type=bind",
        {"source": "${localEnv:HOME}/.m2", "target": "/home/app/.m2", "type": "bind"},
        "source=cache,target=/cache,type=volume",
    ]
    found = check_mounts(mounts)
    assert [line.split(":", 1)[0] for line in found] == ["$.mounts[0]", "$.mounts[2]"]


def test_no_catalog_record_brings_a_one_platform_host_command(tmp_path: Path) -> None:
    from bootstrap.catalog import load

    catalog = load([])
    for kind in ("python", "stack", "driver"):
        for record_id, record in catalog.of(kind).items():
            sources = [record, *record.get("variants", []), *record.get("options", {}).values()]
            for source in sources:
                if source.get("initialize"):
                    assert check(source["initialize"], tmp_path) == [], record_id
                assert check_mounts(source.get("mounts", [])) == [], record_id
