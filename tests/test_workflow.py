"""The generated GitHub Actions workflow: valid for GitHub's schema, builds the dev container and
runs the project's tests inside it; the generated tests themselves run."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import run

WORKFLOW = Path(".github/workflows/devcontainer.yml")
ANSWER_SETS = [
    (),
    ("--python", "3.11", "--stack", "pydata,flask", "--driver", "spark,aws,postgres"),
    ("--python", "3.12", "--stack", "pytorch", "--option", "pytorch:gpu"),
    ("--python", "2.7", "--stack", "pydata", "--driver", "oracle"),
    ("--python", "3.13", "--stack", "polars", "--github-repo", "acme/sales"),
]


def check_jsonschema() -> str:
    found = shutil.which("check-jsonschema") or str(
        Path(sys.executable).parent / "check-jsonschema"
    )
    if not Path(found).exists():
        pytest.fail("check-jsonschema is missing: pip install -e '.[test]'")
    return found


@pytest.mark.parametrize("flags", ANSWER_SETS, ids=lambda f: " ".join(f) or "defaults")
def test_workflow_validates_against_githubs_schema(new_project, flags) -> None:
    project = new_project(*flags)
    workflow = project / WORKFLOW
    result = subprocess.run(
        [check_jsonschema(), "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = yaml.safe_load(workflow.read_text())
    steps = data["jobs"]["test"]["steps"]
    ci = next(s for s in steps if s.get("uses", "").startswith("devcontainers/ci@"))
    assert "unittest discover -s tests" in ci["with"]["runCmd"]
    assert ci["with"]["push"].startswith("${{")  # publishing is opt-in
    tests = (project / "tests/test_environment.py").read_text()
    ast.parse(tests)  # Python 2/3 compatible source
    gpu = "pytorch:gpu" in flags
    assert ("GPU_RUNNER" in data["jobs"]["test"]["runs-on"]) is gpu


def test_a_broken_workflow_is_caught_by_the_schema(tmp_path: Path) -> None:
    broken = tmp_path / "ci.yml"
    broken.write_text("name: x\non: push\njobs:\n  test:\n    steps: []\n")  # no runs-on
    result = subprocess.run(
        [check_jsonschema(), "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0


def test_generated_tests_run_and_fail_when_a_component_is_broken(new_project) -> None:
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    project = new_project("--python", python, "--stack", "", "--driver", "")
    ok = subprocess.run(
        [sys.executable, "-m", "unittest", "discover", "-s", "tests", "-v"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "test_components" in ok.stderr and "test_python_version" in ok.stderr
    tests = project / "tests/test_environment.py"
    tests.write_text(tests.read_text().replace("SMOKE = [\n]", "SMOKE = [('broken', 'exit 3')]"))
    failed = subprocess.run(
        [sys.executable, "-m", "unittest", "discover", "-s", "tests"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode != 0 and "broken: exit 3 failed" in failed.stderr


def test_readme_badge_needs_the_repository(new_project) -> None:
    with_repo = new_project("--github-repo", "acme/sales", name="with-repo")
    readme = (with_repo / "README.md").read_text()
    assert (
        "[![Open in GitHub Codespaces](https://github.com/codespaces/badge.svg)]"
        "(https://codespaces.new/acme/sales?quickstart=1)" in readme
    )
    without = (new_project(name="without").joinpath("README.md")).read_text()
    assert "codespaces.new/OWNER/REPO" in without and "--github-repo OWNER/REPO" in without
    bad = run("new", "--no-input", "--offline", "--name", "x", "--github-repo", "not a repo")
    assert bad.returncode == 2 and "github_repo" in bad.stderr
