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


def test_shipped_devcontainer_schemas_are_the_official_ones() -> None:
    """validate checks against the official schemas, unchanged (shared/schemas holds the copies)."""
    from helpers import SHARED_SCHEMAS

    from bootstrap.devcontainer_schema import FOLDER, PARTS

    if not SHARED_SCHEMAS.is_dir():
        pytest.skip(f"no reference copies at {SHARED_SCHEMAS}")
    for name in (*PARTS, "devContainer.schema.json"):
        assert (FOLDER / name).read_bytes() == (SHARED_SCHEMAS / name).read_bytes(), name


def test_a_users_own_edit_is_checked_against_the_official_schema(new_project) -> None:
    project = new_project()
    path = project / ".devcontainer/devcontainer.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("{", '{\n  "shutdownAction": "explode",', 1), encoding="utf-8")
    result = run("validate", project)
    assert result.returncode == 1
    assert re.search(r"\$\.shutdownAction: 'explode' is not one of", result.stderr), result.stderr


def test_from_with_a_platform_flag_and_an_arg_is_read_as_docker_reads_it(new_project) -> None:
    project = new_project()
    dockerfile = project / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8")
    assert "FROM ${BASE_IMAGE} AS base" in text
    dockerfile.write_text(
        text.replace(
            "FROM ${BASE_IMAGE} AS base", "FROM --platform=$BUILDPLATFORM ${BASE_IMAGE} AS base"
        ),
        encoding="utf-8",
    )
    result = run("validate", project)
    assert result.returncode == 0, result.stderr
    assert "not a catalog image" not in result.stderr


def test_a_from_that_resolves_to_nothing_is_a_problem(new_project) -> None:
    project = new_project()
    dockerfile = project / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8")
    dockerfile.write_text(text.replace("FROM ${BASE_IMAGE} AS base", "FROM ${NOPE} AS base"))
    result = run("validate", project)
    assert result.returncode == 1
    assert "resolves to nothing (rule: base image)" in result.stderr
