"""`bootstrap new` driven by flags and answers files, as scripts and CI call it."""

from __future__ import annotations

import json
from pathlib import Path

import json5
import pytest
from helpers import all_pinned, hadolint_errors, official_errors, run, snapshot


def check_project(project: Path) -> None:
    """What every generated project must be: valid for the official schemas, pinned, lint-clean."""
    for name in (
        "Dockerfile",
        "requirements.in",
        "requirements.txt",
        ".dockerignore",
        ".gitattributes",
        "README.md",
        ".devcontainer/devcontainer.json",
        ".devcontainer/bootstrap.json",
    ):
        assert (project / name).is_file(), name
    assert official_errors(project / ".devcontainer" / "devcontainer.json") == []
    assert all_pinned(project / "requirements.txt") == []
    assert hadolint_errors(project / "Dockerfile", ("error", "warning")) == []
    result = run("validate", project)
    assert result.returncode == 0, result.stderr


def test_defaults_make_a_working_project(new_project) -> None:
    project = new_project()
    check_project(project)
    devcontainer = json5.loads((project / ".devcontainer/devcontainer.json").read_text())
    assert devcontainer["build"]["dockerfile"] == "../Dockerfile"
    assert devcontainer["build"]["target"] == "dev"
    assert 8888 in devcontainer["forwardPorts"]
    recorded = json.loads((project / ".devcontainer/bootstrap.json").read_text())
    assert recorded["python"] == "3.12" and recorded["stacks"] == ["jupyter", "pydata"]
    assert recorded["bootstrap_version"]
    gitattributes = (project / ".gitattributes").read_text()
    assert "Dockerfile text eol=lf" in gitattributes and "*.sh text eol=lf" in gitattributes
    readme = (project / "README.md").read_text()
    assert (
        "Reopen in Container" in readme and "docker build" in readme and "requirements.in" in readme
    )


def test_every_flag_reaches_the_project(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(
        "new",
        "--no-input",
        "--offline",
        "--name",
        "Sales Forecast",
        "--description",
        "Weekly sales",
        "--python",
        "3.11",
        "--stack",
        "pydata",
        "--stack",
        "jupyter,polars",
        "--driver",
        "spark,aws",
        "--driver",
        "postgres",
        "--option",
        "oracle:jdbc",
        "--driver",
        "oracle",
        "--output-dir",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    project = out / "sales-forecast"
    check_project(project)
    recorded = json.loads((project / ".devcontainer/bootstrap.json").read_text())
    assert recorded["name"] == "Sales Forecast"
    assert recorded["description"] == "Weekly sales"
    assert recorded["python"] == "3.11"
    assert recorded["stacks"] == ["jupyter", "pydata", "polars"]
    assert recorded["drivers"] == ["spark", "aws", "oracle", "postgres"]
    assert recorded["options"] == ["oracle:jdbc"]
    requirements = (project / "requirements.in").read_text()
    for pin in (
        "pyspark[connect]==4.2.1",
        "polars==2.1.0",
        "boto3==",
        "oracledb==",
        "JayDeBeApi==",
        "psycopg[binary]==",
    ):
        assert pin in requirements
    dockerfile = (project / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE=python:3.11-slim-bookworm" in dockerfile
    assert "default-jre-headless" in dockerfile and "JAVA_HOME" in dockerfile
    assert "ojdbc11-23.26.3.0.0.jar" in dockerfile
    assert "sha256:764cc3f88454d1be117e155d01ed617467b984c9c68f13090dd6083799d2bb8c" in dockerfile
    devcontainer = json5.loads((project / ".devcontainer/devcontainer.json").read_text())
    assert {"AWS_ACCESS_KEY_ID", "ORACLE_PASSWORD", "DATABASE_URL"} <= set(devcontainer["secrets"])
    assert devcontainer["hostRequirements"]["cpus"] >= 4
    assert 4040 in devcontainer["forwardPorts"]


def test_positional_output_dir(tmp_path: Path) -> None:
    result = run("new", str(tmp_path / "here"), "--no-input", "--offline", "--name", "p")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "here" / "p" / "Dockerfile").is_file()


def test_output_dir_defaults_to_the_current_folder(tmp_path: Path) -> None:
    result = run("new", "--no-input", "--offline", "--name", "here", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "here" / "Dockerfile").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["here"], "no scratch folder is left behind"


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_answers_file(tmp_path: Path, suffix: str) -> None:
    answers = {
        "name": "from-file",
        "python": "3.13",
        "stacks": ["pydata", "polars"],
        "drivers": ["aws"],
    }
    path = tmp_path / f"answers.{suffix}"
    if suffix == "json":
        path.write_text(json.dumps(answers))
    else:
        path.write_text(
            "name: from-file\npython: '3.13'\nstacks: [pydata, polars]\ndrivers:\n  - aws\n"
        )
    result = run(
        "new", "--no-input", "--offline", "--answers", path, "--output-dir", tmp_path / "o"
    )
    assert result.returncode == 0, result.stderr
    project = tmp_path / "o" / "from-file"
    check_project(project)
    recorded = json.loads((project / ".devcontainer/bootstrap.json").read_text())
    assert {k: recorded[k] for k in answers} == answers
    assert "python:3.13-slim-trixie" in (project / "Dockerfile").read_text()


def test_flags_override_the_answers_file(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("name: first\npython: '3.13'\n")
    result = run(
        "new",
        "--no-input",
        "--offline",
        "--answers",
        path,
        "--python",
        "3.11",
        "--output-dir",
        tmp_path / "o",
    )
    assert result.returncode == 0, result.stderr
    assert (
        json.loads((tmp_path / "o/first/.devcontainer/bootstrap.json").read_text())["python"]
        == "3.11"
    )


def test_recorded_answers_recreate_the_same_project(tmp_path: Path, new_project) -> None:
    first = new_project("--python", "3.10", "--driver", "mysql")
    result = run(
        "new",
        "--no-input",
        "--offline",
        "--answers",
        first / ".devcontainer/bootstrap.json",
        "--output-dir",
        tmp_path / "again",
    )
    assert result.returncode == 0, result.stderr
    assert snapshot(tmp_path / "again" / "demo") == snapshot(first)


def test_no_tty_without_no_input_is_refused(tmp_path: Path) -> None:
    result = run("new", "--output-dir", tmp_path / "o")
    assert result.returncode == 2
    assert "--no-input" in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--python", "3.7"], "python '3.7'"),
        (["--stack", "rstudio"], "'rstudio'"),
        (["--driver", "db2"], "'db2'"),
        (["--python", "2.7", "--stack", "polars"], "choose Python"),
        (["--python", "3.14", "--stack", "tensorflow"], "tensorflow"),
        (["--option", "pytorch:gpu"], "pytorch is not chosen"),
        (["--stack", "pytorch", "--option", "pytorch:tpu"], "no option 'tpu'"),
    ],
)
def test_unknown_ids_and_refused_combinations_exit_2(
    tmp_path: Path, flags: list[str], needle: str
) -> None:
    result = run(
        "new", "--no-input", "--offline", "--name", "x", "--output-dir", tmp_path / "o", *flags
    )
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()


def test_existing_project_is_not_overwritten_without_force(tmp_path: Path, new_project) -> None:
    project = new_project()
    (project / "notes.txt").write_text("mine")
    (project / "Dockerfile").write_text("FROM scratch\n")
    before = snapshot(project)
    result = run("new", "--no-input", "--offline", "--name", "demo", "--output-dir", project.parent)
    assert result.returncode == 2
    assert "--force" in result.stderr
    assert snapshot(project) == before

    result = run(
        "new",
        "--no-input",
        "--offline",
        "--name",
        "demo",
        "--output-dir",
        project.parent,
        "--force",
    )
    assert result.returncode == 0, result.stderr
    assert (project / "notes.txt").read_text() == "mine", "--force replaces bootstrap's files only"
    assert "FROM ${BASE_IMAGE}" in (project / "Dockerfile").read_text()


def _new_with_record(tmp_path: Path, record: str, stack: str):
    """`new` with one organisation record added and chosen; returns the result and the output folder."""
    catalog = tmp_path / f"{stack}.toml"
    catalog.write_text(
        f'kind = "stack"\nid = "{stack}"\nname = "{stack}"\nsummary = "test"\n'
        f'sources = ["test"]\n{record}\n'
    )
    out = tmp_path / "o"
    result = run(
        "new",
        "--no-input",
        "--offline",
        "--name",
        "x",
        "--stack",
        stack,
        "--catalog",
        catalog,
        "--output-dir",
        out,
    )
    return result, out


def test_failed_validation_leaves_nothing(tmp_path: Path) -> None:
    # an organisation record whose Dockerfile step the linter refuses (a record may not
    # replace bootstrap's own files, so validation is what catches it)
    result, out = _new_with_record(tmp_path, 'run = ["sudo true"]', "broken")
    assert result.returncode == 1, result.stderr
    assert "DL3004" in result.stderr and "rule: hadolint error" in result.stderr
    assert not out.exists() or list(out.iterdir()) == []


def test_offline_refuses_an_unpinned_catalog_requirement(tmp_path: Path) -> None:
    result, out = _new_with_record(tmp_path, 'pip = ["requests>=2"]', "loose")
    assert result.returncode == 2, result.stderr
    assert "requests" in result.stderr and result.stderr.count("\n") == 1
    assert not out.exists() or list(out.iterdir()) == []


def test_downloads_have_curl_and_a_trust_store_even_on_a_bare_debian_base(new_project) -> None:
    # the 2.7 base, debian:bullseye-slim, has neither; fetching pip from PyPI over HTTPS needs both
    dockerfile = (new_project("--python", "2.7", "--stack", "pydata") / "Dockerfile").read_text()
    apt_line = next(line for line in dockerfile.splitlines() if "apt-get install" in line)
    assert "ca-certificates" in apt_line.split() and "curl" in apt_line.split()
    assert dockerfile.index("apt-get install") < dockerfile.index("RUN fetch-artifact")
