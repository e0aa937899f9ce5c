"""The repository root is itself a cookiecutter template, usable with cookiecutter's own CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, all_pinned, hadolint_errors, official_errors

COOKIECUTTER = [sys.executable, "-m", "cookiecutter"]


def cookiecutter(
    *args: str, cwd: Path, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """cookiecutter's own CLI, with its replay and clone folders kept inside the test's folder."""
    env = {**os.environ, "COOKIECUTTER_CONFIG": str(cwd / "cc.yaml")}
    (cwd / "cc.yaml").write_text(f"replay_dir: {cwd / 'replay'}\ncookiecutters_dir: {cwd / 'cc'}\n")
    return subprocess.run(
        [*COOKIECUTTER, *args],
        cwd=cwd,
        env=env,
        input=input,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The template as it is in a checkout (the wheel carries the same files)."""
    if not (REPO / "cookiecutter.json").exists():
        pytest.skip("needs the repository checkout")
    return REPO


def test_raw_cookiecutter_no_input(checkout: Path, tmp_path: Path) -> None:
    result = cookiecutter(str(checkout), "--no-input", "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    project = tmp_path / "out" / "my-project"
    assert official_errors(project / ".devcontainer/devcontainer.json") == []
    assert all_pinned(project / "requirements.txt") == []
    assert hadolint_errors(project / "Dockerfile") == []
    assert (project / "notebooks/README.md").is_file(), "post-generation hook wrote component files"


def test_raw_cookiecutter_with_its_own_prompts(checkout: Path, tmp_path: Path) -> None:
    # cookiecutter's prompts read stdin: name, project, description, python, stacks, drivers,
    # services, options
    answers = "Risk Model\n\nScores risk\n3.11\npydata\nspark,aws\ns3\n\n"
    result = cookiecutter(str(checkout), "-o", str(tmp_path / "out"), cwd=tmp_path, input=answers)
    assert result.returncode == 0, result.stdout + result.stderr
    project = tmp_path / "out" / "risk-model"
    assert "pyspark[connect]==" in (project / "requirements.txt").read_text()
    assert "motoserver/moto:" in (project / ".devcontainer/compose.yaml").read_text()
    assert official_errors(project / ".devcontainer/devcontainer.json") == []


def test_pre_generation_hook_refuses_bad_answers(checkout: Path, tmp_path: Path) -> None:
    result = cookiecutter(
        str(checkout),
        "--no-input",
        "-o",
        str(tmp_path / "out"),
        "python=2.7",
        "stacks=polars",
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "polars" in result.stderr + result.stdout
    assert not (tmp_path / "out" / "my-project").exists()
