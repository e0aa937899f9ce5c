"""`bootstrap update`: new answers and today's template, merged three-way with the user's edits."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import json5
import pytest
from helpers import official_errors, run, snapshot

GIT = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid"]


def git(project: Path, *args: str) -> str:
    result = subprocess.run(
        [*GIT, "-C", str(project), *args], capture_output=True, text=True, check=True
    )
    return result.stdout


def commit(project: Path, message: str = "edit") -> None:
    git(project, "add", "-A")
    git(project, "commit", "-q", "--allow-empty", "-m", message)


@pytest.fixture
def project(new_project) -> Path:
    """A Python 3.11 pydata project, committed to git as a user would."""
    folder = new_project("--python", "3.11", "--stack", "pydata")
    git(folder, "init", "-q")
    commit(folder, "generated")
    return folder


def recorded(project: Path) -> dict:
    return json.loads((project / ".devcontainer/bootstrap.json").read_text())


def test_python_upgrade_keeps_edits_to_dockerfile_and_readme(project: Path) -> None:
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "\n# team: keep the image small\n")
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\n## Our notes\n\nAsk Kim before changing the lock.\n")
    commit(project)
    result = run("update", project, "--python", "3.12", "--offline")
    assert result.returncode == 0, result.stderr
    text = dockerfile.read_text()
    assert "python:3.12-slim-bookworm" in text and "python:3.11" not in text
    assert "# team: keep the image small" in text
    readme_text = readme.read_text()
    assert "Python 3.12" in readme_text and "Ask Kim before changing the lock." in readme_text
    assert "merged" in result.stdout and "Dockerfile" in result.stdout
    assert recorded(project)["python"] == "3.12"
    # a file the user never touched is replaced outright
    assert '"3.12"' in (project / "tests/test_environment.py").read_text()
    assert "Python 3.12" in (project / "requirements.txt").read_text()
    assert "<<<<<<<" not in text + readme_text
    assert run("validate", project).returncode == 0
    # the stored base is now today's render: a second update has nothing to do
    again = run("update", project, "--offline", "--force")
    assert again.returncode == 0, again.stderr
    assert "already up to date" in again.stdout


def test_adding_a_driver_adds_its_requirements_settings_and_secrets(project: Path) -> None:
    result = run("update", project, "--driver", "aws", "--offline")
    assert result.returncode == 0, result.stderr
    assert "drivers: none → aws" in result.stdout
    requirements = (project / "requirements.in").read_text()
    assert "boto3==" in requirements and "awscli==" in requirements
    assert "boto3==" in (project / "requirements.txt").read_text()
    devcontainer = json5.loads((project / ".devcontainer/devcontainer.json").read_text())
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"} <= set(
        devcontainer["secrets"]
    )
    assert all(s["description"] for s in devcontainer["secrets"].values())
    # no AWS_PROFILE forced in: a profile the mounted ~/.aws lacks would stop boto3
    assert "AWS_PROFILE" not in devcontainer.get("remoteEnv", {})
    assert (
        "amazonwebservices.aws-toolkit-vscode"
        in devcontainer["customizations"]["vscode"]["extensions"]
    )
    assert official_errors(project / ".devcontainer/devcontainer.json") == []
    assert recorded(project)["drivers"] == ["aws"]
    assert "aws --version" in (project / "tests/test_environment.py").read_text()
    assert run("validate", project).returncode == 0


def test_adding_an_option_takes_the_same_flag_as_new(new_project) -> None:
    folder = new_project("--python", "3.12", "--stack", "", "--driver", "oracle")
    result = run("update", folder, "--option", "oracle:jdbc", "--offline")
    assert result.returncode == 0, result.stderr
    assert recorded(folder)["options"] == ["oracle:jdbc"]
    assert "ojdbc11" in (folder / "Dockerfile").read_text()
    assert "JayDeBeApi==" in (folder / "requirements.in").read_text()
    assert run("validate", folder).returncode == 0


def test_conflicting_edit_leaves_markers_lists_the_file_and_exits_1(project: Path) -> None:
    dockerfile = project / "Dockerfile"
    text = dockerfile.read_text()
    assert "ARG BASE_IMAGE=python:3.11-slim-bookworm" in text
    dockerfile.write_text(
        text.replace(
            "ARG BASE_IMAGE=python:3.11-slim-bookworm",
            "ARG BASE_IMAGE=registry.acme.example/python:3.11-slim-bookworm",
        )
    )
    commit(project)
    result = run("update", project, "--python", "3.12", "--offline")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "conflict" in result.stderr and "Dockerfile" in result.stderr
    merged = dockerfile.read_text()
    assert "<<<<<<< yours" in merged and ">>>>>>> bootstrap" in merged
    assert "registry.acme.example/python:3.11-slim-bookworm" in merged  # the edit is not lost
    assert "ARG BASE_IMAGE=python:3.12-slim-bookworm" in merged
    assert recorded(project)["python"] == "3.12"


def test_dry_run_shows_the_diff_and_writes_nothing(project: Path) -> None:
    before = snapshot(project)
    result = run("update", project, "--python", "3.12", "--driver", "postgres", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "+ARG BASE_IMAGE=python:3.12-slim-bookworm" in result.stdout
    assert "-ARG BASE_IMAGE=python:3.11-slim-bookworm" in result.stdout
    assert "would be re-locked" in result.stdout and "nothing was written" in result.stdout
    assert snapshot(project) == before


def test_uncommitted_changes_are_refused_unless_forced(project: Path) -> None:
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nwork in progress\n")
    before = snapshot(project)
    result = run("update", project, "--python", "3.12", "--offline")
    assert result.returncode == 2
    assert "uncommitted changes" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(project) == before
    forced = run("update", project, "--python", "3.12", "--offline", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "work in progress" in readme.read_text()


def test_a_deleted_file_is_not_brought_back(project: Path) -> None:
    workflow = project / ".github/workflows/devcontainer.yml"
    workflow.unlink()
    commit(project)
    result = run("update", project, "--python", "3.12", "--offline")
    assert result.returncode == 0, result.stderr
    assert not workflow.exists()
    assert ".github/workflows/devcontainer.yml: you deleted it" in result.stdout


def test_dropping_a_driver_removes_only_untouched_lines(new_project) -> None:
    folder = new_project("--python", "3.12", "--stack", "pydata", "--driver", "aws")
    readme = folder / "README.md"
    readme.write_text("Intro by us.\n\n" + readme.read_text())
    result = run("update", folder, "--driver", "", "--offline")
    assert result.returncode == 0, result.stderr
    assert "boto3" not in (folder / "requirements.in").read_text()
    assert "secrets" not in json5.loads((folder / ".devcontainer/devcontainer.json").read_text())
    assert readme.read_text().startswith("Intro by us.")


def test_bad_input_exits_2_and_writes_nothing(project: Path) -> None:
    before = snapshot(project)
    for args in (
        ["--python", "9.9"],
        ["--driver", "nosuch"],
        ["--stack", "polars", "--python", "2.7"],
    ):
        result = run("update", project, *args, "--offline")
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
        assert snapshot(project) == before
    missing = run("update", project / "nope")
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_project_without_a_stored_base_still_keeps_edits(project: Path) -> None:
    (project / ".devcontainer/bootstrap-base.json").unlink()
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nOur own line.\n")
    commit(project)
    result = run("update", project, "--python", "3.12", "--offline")
    assert result.returncode == 0, result.stderr
    assert "Our own line." in readme.read_text() and "Python 3.12" in readme.read_text()
    assert (project / ".devcontainer/bootstrap-base.json").is_file()


def test_outside_git_update_needs_no_force(new_project) -> None:
    folder = new_project("--python", "3.11", "--stack", "pydata")
    result = run("update", folder, "--python", "3.12", "--offline")
    assert result.returncode == 0, result.stderr
    assert recorded(folder)["python"] == "3.12"


ORG_STACK = """
kind = "stack"
id = "acme"
name = "ACME tools"
summary = "An organisation's stack whose package metadata the catalog declares"
sources = ["the organisation's package review"]
pip = ["iniconfig==2.0.0"]

[[lock_metadata]]
name = "iniconfig"
version = "2.0.0"
requires_dist = ["six==1.16.0"]
source = "the organisation's package review"
"""


@pytest.mark.network
def test_update_locks_with_the_organisation_catalogs_metadata(new_project, tmp_path: Path) -> None:
    """The same lock as new: the record's lock_metadata (here, a dependency iniconfig does not
    really declare) decides what the lock holds, so six appears only if update used it."""
    org = tmp_path / "acme.toml"
    org.write_text(ORG_STACK)
    folder = new_project("--python", "3.12", "--stack", "", "--catalog", str(org))
    assert "six" not in (folder / "requirements.txt").read_text()
    result = run("update", folder, "--stack", "acme")
    assert result.returncode == 0, result.stderr
    lock = (folder / "requirements.txt").read_text()
    assert "iniconfig==2.0.0" in lock and "six==1.16.0" in lock
    assert "--hash=sha256:" in lock
