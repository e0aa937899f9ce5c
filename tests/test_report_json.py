"""`--json` as scripts and CI use it: exactly one JSON document on stdout, valid against the
schema shipped for it, the same exit code as without --json, people's output on stderr."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import run, snapshot, write_tree
from jsonschema import Draft202012Validator

SCHEMAS = Path(__file__).resolve().parent.parent / "bootstrap" / "schemas"


def _schema(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"output.{name}.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _document(result: subprocess.CompletedProcess[str], schema: str) -> dict[str, Any]:
    """stdout is one JSON document (json.loads refuses anything after it) matching ``schema``."""
    doc = json.loads(result.stdout)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _schema(schema).iter_errors(doc)]
    assert errors == [], errors
    return doc


def _error(result: subprocess.CompletedProcess[str], code: int, command: str) -> str:
    doc = _document(result, "error")
    assert result.returncode == code == doc["error"]["exit_code"]
    assert doc["command"] == command and doc["ok"] is False
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == f"error: {doc['error']['message']}"  # the same one line for people
    return doc["error"]["message"]


def test_every_document_has_a_valid_schema() -> None:
    names = sorted(p.name for p in SCHEMAS.glob("output.*.schema.json"))
    assert names == [
        f"output.{n}.schema.json"
        for n in sorted(["build", "doctor", "error", "init", "lock", "validate"])
    ]
    for name in names:
        _schema(name.split(".")[1])


def test_validate(new_project: Callable[..., Path]) -> None:
    project = new_project("--driver", "aws")
    result = run("validate", project, "--json")
    assert result.returncode == 0, result.stderr
    doc = _document(result, "validate")
    assert doc["ok"] is True and doc["problems"] == [] and doc["project"] == str(project)


def test_validate_problems_exit_1_with_the_same_lines(new_project: Callable[..., Path]) -> None:
    project = new_project()
    (project / "requirements.txt").write_text("requests>=2\n")
    plain = run("validate", project)
    result = run("validate", project, "--json")
    assert result.returncode == plain.returncode == 1
    doc = _document(result, "validate")
    assert doc["ok"] is False
    assert any("'requests>=2' is not pinned" in p for p in doc["problems"])
    assert all(p in plain.stderr for p in doc["problems"])


def test_validate_warnings_are_listed(new_project: Callable[..., Path]) -> None:
    project = new_project()
    path = project / ".devcontainer/devcontainer.json"
    path.write_text(
        path.read_text().replace('"name":', '"initializeCommand": "touch .env",\n  "name":', 1)
    )
    result = run("validate", project, "--json")
    assert result.returncode == 0
    doc = _document(result, "validate")
    assert any("rule: host-neutral" in w for w in doc["warnings"])


def test_bad_input_is_the_error_document_and_exit_2(tmp_path: Path) -> None:
    message = _error(run("validate", tmp_path / "nope", "--json"), 2, "validate")
    assert "does not exist" in message
    message = _error(run("validate", "--json"), 2, "validate")  # argparse's own refusal
    assert "PROJECT_DIR" in message
    message = _error(run("lock", tmp_path, "--json"), 2, "lock")
    assert "requirements.in" in message
    _error(run("build", tmp_path, "--json"), 2, "build")


def test_lock_offline(new_project: Callable[..., Path]) -> None:
    project = new_project("--stack", "pydata")
    result = run("lock", project, "--offline", "--json")
    assert result.returncode == 0, result.stderr
    doc = _document(result, "lock")
    assert doc["full"] is False and "offline" in doc["message"]
    assert "warning: offline" in result.stderr  # people's line stays on stderr
    pins = {p["name"]: p["version"] for p in doc["packages"]}
    assert "pandas" in pins
    assert f"pandas=={pins['pandas']}" in (project / "requirements.txt").read_text()


@pytest.mark.network
def test_lock_against_the_index(new_project: Callable[..., Path]) -> None:
    project = new_project("--stack", "", "--driver", "")
    (project / "requirements.in").write_text("six\n")
    result = run("lock", project, "--json", timeout=600)
    assert result.returncode == 0, result.stderr
    doc = _document(result, "lock")
    assert doc["full"] is True
    assert [p["name"] for p in doc["packages"]] == ["six"]


def test_init_dry_run(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "legacy",
        {
            "app.py": "import pandas\nimport boto3\nprint 'hello'\n",
            "requirements.txt": "requests==2.27.1\n",
        },
    )
    before = snapshot(project)
    result = run("init", project, "--dry-run", "--offline", "--json")
    assert result.returncode == 0, result.stderr
    doc = _document(result, "init")
    assert snapshot(project) == before
    assert doc["answers"]["python"] == "2.7" and "print" in doc["evidence"]["python"]
    assert doc["answers"]["drivers"] == ["aws"] and "boto3" in doc["evidence"]["drivers:aws"]
    assert {"requirement": "requests==2.27.1", "source": "requirements.txt:1"} in doc[
        "requirements"
    ]["kept"]
    files = {f["path"]: f["instead_of"] for f in doc["files"]}
    assert ".devcontainer/devcontainer.json" in files


def test_init_json_needs_dry_run(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "p", {"app.py": "import json\n"})
    message = _error(run("init", project, "--json", "--no-input", "--offline"), 2, "init")
    assert "--dry-run" in message
    assert not (project / ".devcontainer").exists()


def test_doctor_exit_code_is_unchanged() -> None:
    plain = run("doctor")
    result = run("doctor", "--json")
    assert result.returncode == plain.returncode
    doc = _document(result, "doctor")
    assert [c["id"] for c in doc["checks"]] == [
        "engine",
        "buildkit",
        "vscode",
        "devcontainer_cli",
        "disk",
    ]
    assert doc["ok"] is (result.returncode == 0)


@pytest.mark.docker
def test_build_and_smoke(new_project: Callable[..., Path]) -> None:
    docker = "/usr/bin/docker"
    if os.environ.get("BOOTSTRAP_SKIP_DOCKER") == "1" or not shutil.which(docker):
        pytest.skip("needs a Docker engine")
    if subprocess.run([docker, "image", "inspect", "python:3.11-slim-bookworm"]).returncode:
        pytest.skip("python:3.11-slim-bookworm stand-in not built")
    # the build stage fetches uv from the index: behind a TLS-intercepting proxy it needs the CA
    ca = os.environ.get("SSL_CERT_FILE")
    certs = ["--ca-cert", ca] if ca and Path(ca).is_file() else []
    project = new_project("--python", "3.11", "--stack", "", "--driver", "", *certs, offline=False)
    tag = f"bootstrap-json-{uuid.uuid4().hex[:8]}:dev"
    try:
        result = run("build", project, "--tag", tag, "--json", env={"DOCKER_BUILDKIT": "1"})
        assert result.returncode == 0, result.stderr[-3000:]
        doc = _document(result, "build")
        assert doc["ok"] is True and doc["image"] == tag and doc["target"] == "dev"
        assert [s["component"] for s in doc["smoke"]] == ["python"]
        assert doc["smoke"][0]["passed"] and "Python 3.11." in doc["smoke"][0]["output"]
        assert "smoke tests passed" in result.stderr  # the table went to stderr
    finally:
        subprocess.run([docker, "rmi", "-f", tag], capture_output=True)


def test_init_json_lists_the_repo2docker_scripts_it_records(tmp_path: Path) -> None:
    """postBuild and start are answers init records (binder/ first): --json says so too."""
    project = write_tree(
        tmp_path / "binder-scripts",
        {"binder/postBuild": "echo hi\n", "binder/start": 'exec "$@"\n', "a.py": "x = 1\n"},
    )
    doc = _document(run("init", project, "--dry-run", "--json", "--offline"), "init")
    assert doc["answers"]["post_build"] == "binder/postBuild"
    assert doc["answers"]["start"] == "binder/start"
    plain = write_tree(tmp_path / "plain", {"a.py": "x = 1\n"})
    assert (
        "post_build" not in _document(run("init", plain, "--dry-run", "--json"), "init")["answers"]
    )
