"""`bootstrap validate`: broken projects are reported with file, place and rule, never accepted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import run


def test_valid_project_passes(new_project) -> None:
    result = run("validate", new_project())
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda t: t.replace('"forwardPorts": [8888]', '"forwardPorts": "8888"'),
            r"devcontainer\.json: \$\.forwardPorts: .*rule: type",
        ),
        (
            lambda t: t.replace('"remoteUser": "app",', '"remoteUser": 7,'),
            r"devcontainer\.json: \$\.remoteUser: .*rule: type",
        ),
        (
            lambda t: t.replace('"memory": "4gb"', '"memory": "lots"'),
            r"devcontainer\.json: \$\.hostRequirements\.memory: .*rule: pattern",
        ),
        (
            lambda t: t.replace('"dockerfile": "../Dockerfile"', '"dockerfile": "../Missing"'),
            r"\$\.build\.dockerfile: \.\./Missing does not exist",
        ),
        (lambda t: t.replace("{", "{{", 1), r"devcontainer\.json: not valid JSONC"),
    ],
)
def test_broken_devcontainer_json_is_reported(new_project, edit, expected: str) -> None:
    project = new_project()
    path = project / ".devcontainer/devcontainer.json"
    path.write_text(edit(path.read_text()))
    result = run("validate", project)
    assert result.returncode == 1
    assert re.search(expected, result.stderr), result.stderr
    assert "Traceback" not in result.stderr


def test_jsonc_comments_and_trailing_commas_are_accepted(new_project) -> None:
    project = new_project()
    path = project / ".devcontainer/devcontainer.json"
    text = path.read_text().replace(
        '"waitFor": "postCreateCommand",', '"waitFor": "postCreateCommand", // why\n'
    )
    path.write_text(text.rstrip().rstrip("}").rstrip() + ",\n}\n")
    result = run("validate", project)
    assert result.returncode == 0, result.stderr


def test_unpinned_requirement_is_reported(new_project) -> None:
    project = new_project()
    with (project / "requirements.txt").open("a") as f:
        f.write("requests>=2\n")
    result = run("validate", project)
    assert result.returncode == 1
    assert (
        "requirements.txt: line" in result.stderr
        and "'requests>=2' is not pinned with ==" in result.stderr
    )


def test_dockerfile_problems_are_reported(new_project) -> None:
    project = new_project()
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(
        dockerfile.read_text().replace("FROM ${BASE_IMAGE} AS base", "FROM ${NOPE} AS base")
    )
    result = run("validate", project)
    assert result.returncode == 1
    assert "FROM ${NOPE} resolves to nothing" in result.stderr


def test_hadolint_errors_fail_validation(new_project) -> None:
    project = new_project()
    dockerfile = project / "Dockerfile"
    # DL3004 (error): do not use sudo
    dockerfile.write_text(dockerfile.read_text() + "\nRUN sudo true\n")
    result = run("validate", project)
    assert result.returncode == 1
    assert "DL3004" in result.stderr and "hadolint error" in result.stderr


def test_not_a_project(tmp_path: Path) -> None:
    result = run("validate", tmp_path / "missing")
    assert result.returncode == 2 and "does not exist" in result.stderr
    (tmp_path / "file").write_text("x")
    result = run("validate", tmp_path / "file")
    assert result.returncode == 2 and "is a file" in result.stderr
    result = run("validate", tmp_path)
    assert result.returncode == 1
    assert "devcontainer.json: missing" in result.stderr
