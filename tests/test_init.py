"""`bootstrap init` on projects shaped like real ones, built here: a legacy Python 2 folder, notebooks
beside a pyproject.toml, a Flask app with its own Dockerfile and README. Each is adopted through the
CLI as a user runs it, and checked: the answers and their evidence, the user's files byte for byte,
`bootstrap validate`, the official schemas, hadolint, and requirements that cover every import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import hadolint_errors, official_errors, run, snapshot, write_tree
from support import devcontainers

from bootstrap.detect.pypi_names import canonical, distribution, stdlib

LEGACY = {
    "etl/__init__.py": "",
    "etl/load.py": """\
        import os
        import sys
        import urllib2
        import cx_Oracle
        import boto3
        from ConfigParser import SafeConfigParser

        from etl import helpers


        def main():
            print "loading", sys.argv[1:]
            try:
                rows = urllib2.urlopen(os.environ["FEED_URL"]).read()
            except urllib2.URLError, e:
                print >>sys.stderr, "feed failed:", e
                return 1
            conn = cx_Oracle.connect(os.environ["ORACLE_DSN"])
            boto3.client("s3").put_object(Bucket="b", Key="k", Body=rows)
            os.chmod("/tmp/out", 0644)
            return 0
        """,
    "etl/helpers.py": "import cPickle\n\n\ndef dump(x):\n    return `x`\n",
    "requirements.txt": "boto3\ncx_Oracle\nrequests\n",
}

NOTEBOOK_META = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
}


def notebook(*cells: str) -> str:
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "metadata": {},
                    "outputs": [],
                    "source": cell.splitlines(True),
                }
                for cell in cells
            ],
            "metadata": NOTEBOOK_META,
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )


NOTEBOOKS = {
    "pyproject.toml": """\
        [project]
        name = "sales-analysis"
        description = "Sales notebooks"
        requires-python = ">=3.11"
        dependencies = ["pyarrow>=15"]
        """,
    "notebooks/explore.ipynb": notebook(
        "import pandas as pd\nimport polars as pl\n", "df = pd.read_parquet('sales.parquet')\n"
    ),
    "notebooks/spark.ipynb": notebook(
        "%pip install findspark==2.0.1\nfrom pyspark.sql import SparkSession\n",
        "spark = SparkSession.builder.getOrCreate()\n",
    ),
}

FLASK_APP = """\
    from flask import Flask, jsonify
    import yaml

    app = Flask(__name__)


    @app.route("/health")
    def health():
        return jsonify(status="ok")


    @app.route("/config")
    def config():
        return jsonify(yaml.safe_load(open("config.yml")) or {})
    """
FLASK = {
    "app.py": FLASK_APP,
    "Dockerfile": 'FROM python:3.12-slim\nCOPY . /srv\nCMD ["python", "/srv/app.py"]\n',
    "README.md": "# The config service\n\nRuns on Ana's laptop only.\n",
    "requirements.txt": "flask==3.0.3\nPyYAML>=6\n",
    ".dockerignore": "secrets/\n",
}


def adopt(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = run("init", project, "--no-input", *args, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def recorded(project: Path) -> dict:
    return json.loads((project / ".devcontainer/bootstrap.json").read_text(encoding="utf-8"))


def third_party_imports(project: Path, python: str) -> set[str]:
    """The distributions the code's imports need, from the detection's own reading of the code."""
    from bootstrap.detect import scan

    facts = scan(project)
    std = stdlib(python) | facts.code.own_modules | {"__future__"}
    return {
        canonical(distribution(name))
        for name in facts.code.imports
        if "." not in name and name not in std
    }


def requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip().rstrip("\\").strip()
        if line and not line.startswith("-"):
            names.add(canonical(line))
    return names


def check_adopted(project: Path, before: dict[str, bytes]) -> None:
    """Every file the user had is byte-identical, and the project passes every check."""
    after = snapshot(project)
    for name, content in before.items():
        assert after.get(name) == content, f"{name} was changed"
    result = run("validate", project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert official_errors(project / ".devcontainer/devcontainer.json") == []
    from bootstrap.layout import dockerfile_path, requirements_dir

    assert hadolint_errors(dockerfile_path(project)) == []
    folder = requirements_dir(project)
    locked = requirement_names(folder / "requirements.txt")
    asked = requirement_names(folder / "requirements.in")
    python = recorded(project)["python"]
    missing = third_party_imports(project, python) - locked
    assert not missing, f"imports no requirement covers: {missing}"
    assert asked <= locked


@pytest.mark.network
def test_legacy_python2_folder_becomes_27_with_oracle_and_aws(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "legacy-etl", LEGACY)
    before = snapshot(project)
    result = adopt(project)
    answers = recorded(project)
    assert answers["python"] == "2.7"
    assert set(answers["drivers"]) == {"oracle", "aws"}
    assert answers["stacks"] == []
    assert {"boto3", "cx_Oracle", "requests"} <= set(answers["requirements"])
    # the user's requirements.txt is left; bootstrap's lock lives under .devcontainer/
    assert answers["layout"] == {"requirements": ".devcontainer/requirements.in"}
    assert (project / ".devcontainer/requirements.txt").is_file()
    assert "urllib2" not in (project / ".devcontainer/requirements.in").read_text()
    assert "requirements.txt   (yours" not in result.stdout
    check_adopted(project, before)


@pytest.mark.network
def test_notebooks_beside_pyproject_get_jupyter_pydata_polars_spark(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "sales", NOTEBOOKS)
    before = snapshot(project)
    adopt(project)
    answers = recorded(project)
    assert answers["python"] in ("3.11", "3.12", "3.13", "3.14")
    assert answers["stacks"] == ["jupyter", "pydata", "polars"]
    assert answers["drivers"] == ["spark"]
    assert answers["name"] == "sales-analysis" and answers["description"] == "Sales notebooks"
    wanted = (project / "requirements.in").read_text()
    assert "pyarrow>=15" in wanted and "findspark==2.0.1" in wanted
    check_adopted(project, before)


@pytest.mark.network
def test_flask_app_keeps_its_dockerfile_and_readme_byte_identical(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "config-service", FLASK)
    before = snapshot(project)
    result = adopt(project)
    answers = recorded(project)
    assert answers["stacks"] == ["flask"]
    assert answers["layout"] == {
        "dockerfile": ".devcontainer/Dockerfile",
        "requirements": ".devcontainer/requirements.in",
        "siblings": ["README.md", "app.py"],
    }
    devcontainer = (project / ".devcontainer/devcontainer.json").read_text()
    assert '"dockerfile": "Dockerfile"' in devcontainer
    assert (project / ".devcontainer/Dockerfile.dockerignore").is_file()
    assert (project / "README.bootstrap.md").is_file()
    assert (project / "app.bootstrap.py").is_file(), "the catalog's app.py goes beside the user's"
    assert "README.bootstrap.md   (yours: README.md, left as it is)" in result.stdout
    assert "flask==3.0.3" in (project / ".devcontainer/requirements.in").read_text()
    check_adopted(project, before)


def test_dry_run_shows_evidence_and_files_and_writes_nothing(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "legacy-etl", LEGACY)
    before = snapshot(project)
    result = run("init", project, "--dry-run", "--offline")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Python   2.7  — print statement, etl/load.py:12" in out
    assert "Driver   oracle  — import cx_Oracle, etl/load.py:4" in out
    assert "Driver   aws  — import boto3, etl/load.py:5" in out
    assert "Keeps    requests  — requirements.txt:3" in out
    assert ".devcontainer/devcontainer.json" in out and ".devcontainer/requirements.in" in out
    assert "nothing written" in out
    assert snapshot(project) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["legacy-etl"]


def test_dry_run_flag_overrides_one_answer(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "legacy-etl", LEGACY)
    result = run("init", project, "--dry-run", "--driver", "aws")
    assert result.returncode == 0, result.stderr
    assert "Driver   aws" in result.stdout and "Driver   oracle" not in result.stdout
    assert "Python   2.7" in result.stdout


def test_conflicts_are_shown(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "mixed",
        {
            "runtime.txt": "python-2.7.18\n",
            "route.py": "match command:\n    case 'go':\n        pass\n",
            "fast.py": "import polars\n",
        },
    )
    result = run("init", project, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Python   2.7  — python-2.7.18, runtime.txt:1" in result.stdout
    assert "conflict: route.py:1 uses match statement, which needs Python 3.10+" in result.stdout
    assert "conflict: import polars, fast.py:1 points to polars" in result.stdout
    assert "choose Python 3.8" in result.stdout


def test_git_repository_gets_the_git_add_line(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "job", {"job.py": "import pymysql\nprint(f'{1}')\n"})
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    result = adopt(project, "--offline")
    line = next(x for x in result.stdout.splitlines() if x.strip().startswith("git add "))
    named = line.split()[2:]
    assert named[0].endswith(".devcontainer")
    for name in named:
        assert Path(name).exists() or (Path.cwd() / name).exists()
    ignore = (project / ".dockerignore").read_text()
    for entry in (".git", ".venv", "**/__pycache__", "data"):
        assert entry in ignore.splitlines()


def test_virtualenvs_and_large_folders_stay_out_of_the_build_context(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "job", {"job.py": "import pymysql\n", "myenv/pyvenv.cfg": "x\n"}
    )
    (project / "warehouse").mkdir()
    with open(project / "warehouse" / "dump.bin", "wb") as out:
        out.truncate(60_000_000)  # sparse: 60 MB by size, nothing on disk
    adopt(project, "--offline")
    ignore = (project / ".dockerignore").read_text().splitlines()
    assert "myenv" in ignore and "warehouse" in ignore


def test_unreadable_sources_are_skipped_with_a_warning_naming_them(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "messy",
        {
            "good.py": "import pymysql\nprint(f'{pymysql}')\n",
            "latin.py": b"s = '\xe9t\xe9'\n",
            "broken.py": "def (:\n",
            "nb/bad.ipynb": "{ not json",
        },
    )
    result = adopt(project, "--offline")
    for name in ("latin.py", "broken.py", "nb/bad.ipynb"):
        assert any(name in line for line in result.stderr.splitlines()), result.stderr
    assert "Traceback" not in result.stderr
    assert recorded(project)["drivers"] == ["mysql"]


def test_an_existing_devcontainer_folder_is_refused(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "app", {"main.py": "print('hi')\n", ".devcontainer/x.json": "{}"}
    )
    before = snapshot(project)
    result = run("init", project, "--no-input", "--offline")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and ".devcontainer already exists" in lines[0] and "mv " in lines[0]
    assert snapshot(project) == before


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_bad_project_folder(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "nope"
    if kind == "file":
        target.write_text("x")
    result = run("init", target, "--no-input")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and str(target) in result.stderr
    assert ("does not exist" if kind == "missing" else "is a file") in result.stderr


def test_without_a_terminal_init_asks_for_no_input(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "job", {"job.py": "import pymysql\n"})
    before = snapshot(project)
    result = run("init", project)
    assert result.returncode == 2 and "--no-input" in result.stderr
    assert snapshot(project) == before


def test_offline_with_a_loose_requirement_writes_nothing(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "job", {"job.py": "import pymysql\n", "requirements.txt": "six\n"}
    )
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    result = run("init", project, "--no-input", "--offline")
    # the user's loose requirement cannot be pinned without the index: said, nothing written
    assert result.returncode != 0 and "six" in result.stderr
    assert not (project / ".devcontainer").exists()


def test_wizard_shows_the_evidence_and_enter_takes_it(tmp_path: Path) -> None:
    import pexpect

    project = write_tree(
        tmp_path / "nightly",
        {"etl/job.py": "import pymysql\n\n\ndef run():\n    print 'nightly'\n"},
    )
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bootstrap", "init", str(project), "--offline"],
        env={**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"},
        encoding="utf-8",
        dimensions=(50, 160),
        timeout=60,
    )
    child.expect("Python   2.7  — print statement, etl/job.py:5")
    child.expect("Project name")
    child.send("\r")
    child.expect("description")
    child.send("\r")
    child.expect(r"Python version")
    child.expect(r"\[print statement, etl/job.py:5\]")
    child.send("\r")
    child.expect("Data-science stack")
    child.send("\r")
    child.expect(r"\[import pymysql, etl/job.py:1\]")
    child.send("\r")
    for prompt in ("Services beside", "Options", "corporate proxy", "Create it"):
        child.expect(prompt)
        child.send("\r")
    child.expect(pexpect.EOF, timeout=120)
    child.close()
    assert child.exitstatus == 0, child.before
    answers = recorded(project)
    assert answers["python"] == "2.7" and answers["drivers"] == ["mysql"]


# --- real containers ------------------------------------------------------------------------

DOCKER = "/usr/bin/docker"
CA_BUNDLE = os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
BASES = {"2.7": "debian:bullseye-slim", "3.11": "python:3.11-slim-bookworm"}

#: A legacy Python 2 sync job with its own Dockerfile: drivers that build here (aws, postgres).
LEGACY_SYNC = {
    "sync/__init__.py": "",
    "sync/run.py": """\
        import sys
        import urllib2
        import boto3
        import psycopg2


        def main():
            print "syncing", sys.argv[1:]
            conn = psycopg2.connect("dbname=x")
            boto3.client("s3")
        """,
    "requirements.txt": "boto3\n",
    "Dockerfile": "FROM python:2.7\nCOPY . /job\n",
}

#: A Python 3 service on a declared 3.11 with its own pinned requirement.
REPORTS = {
    ".python-version": "3.11\n",
    "reports/main.py": """\
        import requests
        import psycopg
        import yaml


        def fetch(url: str) -> str:
            return f"{requests.get(url).status_code}"
        """,
    "requirements.txt": "requests==2.32.3\n",
}


def _engine_up() -> bool:
    probe = subprocess.run([DOCKER, "info"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.fixture(scope="module")
def containers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The two adopted projects (made once, locked with hashes, the proxy's CA passed)."""
    if os.environ.get("BOOTSTRAP_SKIP_DOCKER") == "1" or not Path(DOCKER).exists():
        pytest.skip("no Docker engine")
    if not _engine_up():
        if os.environ.get("BOOTSTRAP_TEST_INSTALLED"):
            raise RuntimeError("no Docker engine: .ci/run starts one with .ci/docker.sh")
        pytest.skip("no Docker engine (run .ci/docker.sh)")
    from support.standins import ensure_image

    work = tmp_path_factory.mktemp("init-containers")
    made = {}
    for key, files, python in (("py27", LEGACY_SYNC, "2.7"), ("py311", REPORTS, "3.11")):
        ensure_image(BASES[python])
        project = write_tree(work / key, files)
        adopt(project, "--ca-cert", CA_BUNDLE)
        assert recorded(project)["python"] == python
        made[key] = project
    return made


@pytest.mark.docker
@pytest.mark.parametrize("key", ["py27", "py311"])
def test_adopted_project_builds_and_passes_its_smoke_tests(
    containers: dict[str, Path], key: str
) -> None:
    project = containers[key]
    before = snapshot(project)
    result = run("build", project, env={"DOCKER_BUILDKIT": "1"}, timeout=2400)
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    assert "FAIL" not in result.stdout
    answers = recorded(project)
    assert f"Python {answers['python']}." in result.stdout
    for component in ["python", *answers["stacks"], *answers["drivers"]]:
        assert any(
            line.startswith(component + " ") and " pass " in line
            for line in result.stdout.splitlines()
        ), (component, result.stdout)
    assert snapshot(project) == before, "building changes nothing in the project"


@pytest.mark.docker
def test_adopted_project_opens_with_devcontainer_up(containers: dict[str, Path]) -> None:
    project = containers["py311"]
    try:
        assert devcontainers.up(project)["outcome"] == "success"
        probe = devcontainers.exec_(
            project,
            "python",
            "-c",
            "import requests, psycopg, yaml; print(requests.__version__)",
            timeout=600,
        )
        assert probe.returncode == 0, probe.stderr
        assert "2.32.3" in probe.stdout, "the user's own pin is what the container has"
    finally:
        devcontainers.remove(project)


def _needs_the_39_image() -> None:
    """Skip without an engine, or where the 3.9 stand-in cannot be made (no source-built 3.9)."""
    if os.environ.get("BOOTSTRAP_SKIP_DOCKER") == "1" or not Path(DOCKER).exists():
        pytest.skip("no Docker engine")
    if not _engine_up():
        pytest.skip("no Docker engine (run .ci/docker.sh)")
    from support.standins import Unavailable, ensure_image

    try:
        ensure_image("python:3.9-slim-bookworm")
    except Unavailable as exc:
        pytest.skip(str(exc))


#: A script on a declared Python 3.9 (runtime.txt, as Heroku-style projects say it), one pure pin.
ON_39 = {
    "runtime.txt": "python-3.9\n",
    "report.py": "from tabulate import tabulate\n\nprint(tabulate([[1, 2]]))\n",
    "requirements.txt": "tabulate==0.9.0\n",
}


@pytest.mark.docker
def test_a_project_on_python_39_builds_on_the_39_image(tmp_path: Path) -> None:
    """3.9's base image has no Debian-built stand-in: it comes from a source-built CPython."""
    _needs_the_39_image()
    project = write_tree(tmp_path / "report39", ON_39)
    adopt(project, "--ca-cert", CA_BUNDLE)
    assert recorded(project)["python"] == "3.9"
    result = run("build", project, env={"DOCKER_BUILDKIT": "1"}, timeout=2400)
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    assert "Python 3.9." in result.stdout
    assert "1 of 1 smoke tests passed" in result.stdout, result.stdout
    try:
        probe = subprocess.run(
            [DOCKER, "run", "--rm", "-u", "1000", "report39:dev", "python", "-c", PROBE_39],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        subprocess.run([DOCKER, "rmi", "report39:dev"], capture_output=True, check=False)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["3.9", "0.9.0", "True"], probe.stdout


#: What the user's code meets in the image: the interpreter, the pin, and a working ssl module.
PROBE_39 = (
    "import ssl, sys, tabulate; print('%d.%d' % sys.version_info[:2], tabulate.__version__,"
    " ssl.OPENSSL_VERSION.startswith('OpenSSL'))"
)


#: A service pinning psycopg2 itself (not -binary): PyPI has no Linux wheel, so the image compiles it.
OWN_PSYCOPG2 = {
    ".python-version": "3.9\n",
    "orders/db.py": "import psycopg2\n\n\ndef connect(url):\n    return psycopg2.connect(url)\n",
    "requirements.txt": "psycopg2==2.9.10\n",
}


@pytest.mark.docker
def test_a_projects_own_psycopg2_compiles_in_the_image(tmp_path: Path) -> None:
    _needs_the_39_image()  # not 3.11: its stand-in lacks the headers the official image has
    project = write_tree(tmp_path / "orders", OWN_PSYCOPG2)
    adopt(project, "--ca-cert", CA_BUNDLE)
    result = run("build", project, env={"DOCKER_BUILDKIT": "1"}, timeout=2400)
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    try:
        probe = subprocess.run(
            [DOCKER, "run", "--rm", "-u", "1000", "orders:dev", "python", "-c", PROBE_PSYCOPG2],
            capture_output=True,
            text=True,
            check=False,
        )
        headers = subprocess.run(
            [DOCKER, "run", "--rm", "orders:dev", "sh", "-c", "command -v pg_config gcc || true"],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        subprocess.run([DOCKER, "rmi", "orders:dev"], capture_output=True, check=False)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.startswith("2.9.10 "), probe.stdout
    assert headers.stdout.strip() == "", "compiler and headers stay in the build stage"


#: psycopg2's version and the libpq it loads (libpq5 in the image).
PROBE_PSYCOPG2 = "import psycopg2; print(psycopg2.__version__, psycopg2.__libpq_version__)"


@pytest.mark.network
def test_lock_and_add_work_on_an_adopted_project(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "job", {"job.py": "import pymysql\n", "requirements.txt": "six\n"}
    )
    adopt(project)
    result = run("add", project, "tabulate==0.9.0")
    assert result.returncode == 0, result.stderr
    assert "tabulate==0.9.0" in (project / ".devcontainer/requirements.in").read_text()
    assert "tabulate==0.9.0" in (project / ".devcontainer/requirements.txt").read_text()
    assert (project / "requirements.txt").read_text() == "six\n"
    result = run("lock", project)
    assert result.returncode == 0, result.stderr
    assert run("validate", project).returncode == 0
