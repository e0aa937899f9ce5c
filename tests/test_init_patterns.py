"""`bootstrap init --dry-run` on small trees that reproduce what public repositories do: a README
and nothing else, notebooks that write their own modules, imports whose distribution has another
name, namespace packages, generated modules, optional imports, Poetry ranges, version lists that
stop before the catalog begins, drivers named only by a requirement or a URL."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import run, snapshot, write_tree


def dry_run(project: Path, *args: str) -> str:
    result = run("init", project, "--dry-run", "--offline", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout + result.stderr


def notebook(*cells: str) -> str:
    return json.dumps(
        {
            "cells": [
                {"cell_type": "code", "metadata": {}, "outputs": [], "source": cell}
                for cell in cells
            ],
            "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


@pytest.mark.parametrize(
    "files",
    [
        {"README.md": "# notes\n", ".gitignore": "*.pyc\n"},
        {"README.md": "# a site\n", "index.html": "<p>hi</p>\n", "app.js": "console.log(1)\n"},
        {"analysis.ipynb": notebook("x = 1\n")},
    ],
    ids=["readme-only", "no-python", "notebook-only"],
)
def test_trees_without_a_dockerfile_or_requirements_are_adopted(
    tmp_path: Path, files: dict[str, str]
) -> None:
    project = write_tree(tmp_path / "repo", files)
    before = snapshot(project)
    out = dry_run(project)
    assert "README.bootstrap.md" in out if "README.md" in files else True
    assert "Next:" in out
    assert snapshot(project) == before
    result = run("init", project, "--no-input", "--offline")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / ".devcontainer" / "devcontainer.json").is_file()


def test_special_files_and_symlinks_do_not_stop_init(tmp_path: Path) -> None:
    import os

    project = write_tree(tmp_path / "repo", {"app.py": "import requests\n"})
    os.mkfifo(project / "pipe.py")
    (project / "loop").symlink_to(project, target_is_directory=True)
    (project / "gone.py").symlink_to(tmp_path / "missing.py")
    (project / "blob.py").write_bytes(b"\x00\xff" * 10)
    out = dry_run(project)
    assert "pipe.py" in out and "not a regular file" in out


def test_imports_map_to_their_distributions_and_own_modules_are_not_requirements(
    tmp_path: Path,
) -> None:
    project = write_tree(
        tmp_path / "bot",
        {
            "app.py": """\
                import fitz
                import telegram
                from rest_framework import views
                import person_pb2
                from helpers import tool
                from azure.storage.blob import BlobServiceClient
                from google.cloud import firestore
                try:
                    import ujson as json
                except ImportError:
                    import json
                """,
            "lib/helpers.py": "import os\n",
            "protos/person_pb2.py": "x = 1\n",
            "demo.ipynb": notebook(
                "%%file mprun_demo.py\ndef f():\n    pass\n", "import mprun_demo\n"
            ),
        },
    )
    out = dry_run(project)
    assert "Adds     PyMuPDF  — import fitz, app.py:1" in out
    assert "Adds     python-telegram-bot  — import telegram, app.py:2" in out
    assert "Adds     djangorestframework  — import rest_framework" in out
    for own in ("person_pb2", "helpers", "mprun_demo"):
        assert f"import {own}" not in out
    # namespace packages: guessed names, checked against the index (offline: reported, left out)
    assert "imports azure.storage.blob" in out and "azure-storage-blob" not in out.split("note")[0]
    assert "google.cloud.firestore" in out
    assert re.search(r"app\.py:9: imports ujson only where the code runs without it", out)


def test_python2_mysql_exceptions_make_valid_answers(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "scraper",
        {
            "config.py": "import MySQLdb\nimport _mysql_exceptions\nprint 'connecting'\n",
        },
    )
    out = dry_run(project)
    assert "Python   2.7  — print statement, config.py:3" in out
    assert "Driver   mysql" in out


def test_poetry_ranges_for_python_and_packages(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "shop",
        {
            "pyproject.toml": """\
                [tool.poetry]
                name = "shop"
                version = "1.0"
                description = "A shop"

                [tool.poetry.dependencies]
                python = "~3.9"
                numpy = "^1.21"
                geopetl = "*"
                petl = "1.7.11"
                """,
            "shop/__init__.py": "import numpy\nimport petl\n",
        },
    )
    out = dry_run(project)
    assert "Python   3.9  — python = '~3.9', pyproject.toml:7" in out
    assert "Keeps    numpy<2,>=1.21  — pyproject.toml:8" in out
    assert "Keeps    petl==1.7.11  — pyproject.toml:10" in out


@pytest.mark.parametrize(
    ("source", "python"),
    [("import tomllib\n", "3.11"), ("from zoneinfo import ZoneInfo\n", "3.9")],
)
def test_standard_library_raises_the_python(tmp_path: Path, source: str, python: str) -> None:
    project = write_tree(tmp_path / "tool", {"tool.py": source})
    out = dry_run(project)
    module = source.split()[1]
    assert f"import {module} needs Python {python}+, tool.py:1" in out
    chosen = re.search(r"Python   (\d+\.\d+)", out)
    assert chosen and tuple(map(int, chosen.group(1).split("."))) >= tuple(
        map(int, python.split("."))
    )


def test_version_list_ending_before_the_catalog_allows_the_nearest_newer(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "jobs",
        {
            "setup.py": """\
                from setuptools import setup
                setup(
                    name="jobs",
                    classifiers=[
                        "Programming Language :: Python :: 2.7",
                        "Programming Language :: Python :: 3.6",
                        "Programming Language :: Python :: 3.7",
                    ],
                )
                """,
            "jobs/run.py": "name = 'x'\nprint(f'{name}')\n",
        },
    )
    out = dry_run(project)
    assert "Python   3.8" in out
    assert "lists Python up to 3.7, which the catalog does not have" in out


def test_drivers_from_requirements_and_urls_and_no_hadoop_from_pyarrow_fs(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "etl",
        {
            "requirements.txt": "psycopg2==2.9.5\ngunicorn==20.1.0\n",
            "job.py": """\
                import pyarrow.fs
                SOURCE = "s3a://bucket/raw/"
                URL = "jdbc:oracle:thin:@db:1521/ORCL"
                """,
        },
    )
    out = dry_run(project)
    assert "Driver   postgres  — requires psycopg2==2.9.5, requirements.txt:1" in out
    assert "Driver   aws  — s3:// URL, job.py:2" in out
    assert "Driver   oracle  — jdbc:oracle: URL, job.py:3" in out
    assert "hadoop" not in out.lower()
    assert "Stack    flask" not in out  # a WSGI server alone is no Flask app


def test_a_notebook_installing_the_project_itself_is_not_a_requirement(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "wrangler",
        {
            "pyproject.toml": '[project]\nname = "wrangler"\nversion = "1"\ndependencies = []\n',
            "wrangler/__init__.py": "",
            "tutorials/intro.ipynb": notebook("%pip install wrangler\n", "import wrangler\n"),
        },
    )
    out = dry_run(project)
    assert "Keeps    wrangler" not in out


PIPFILE_LOCK = json.dumps(
    {
        "_meta": {"requires": {"python_version": "3.11"}},
        "default": {"six": {"version": "==1.16.0"}},
        "develop": {"toolz": {"version": "==0.12.1"}},
    }
)


def test_repo2docker_precedence_binder_folder_pipfile_lock_and_apt_txt(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "binderized",
        {
            "requirements.txt": "flask==3.0.0\n",  # ignored: binder/ takes precedence
            "runtime.txt": "python-3.9\n",
            "binder/requirements.txt": "requests==2.31.0\n",  # ignored: a Pipfile is there
            "binder/Pipfile": '[packages]\nsix = "*"\n[dev-packages]\ntoolz = "==0.12.1"\n',
            "binder/Pipfile.lock": PIPFILE_LOCK,
            "binder/runtime.txt": "python-3.11\n",
            "binder/apt.txt": "# tools\ngraphviz\nlibpq-dev\n$(rm -rf /)\n",
            "binder/postBuild": "#!/bin/bash\njupyter labextension list\n",
            "analysis.py": "import six\nimport toolz\n",
        },
    )
    out = dry_run(project)
    assert "Python   3.11  — python-3.11, binder/runtime.txt:1" in out
    assert "Keeps    six==1.16.0  — binder/Pipfile.lock:" in out
    assert "Keeps    toolz==0.12.1  — binder/Pipfile:4 [dev-packages]" in out  # as declared
    assert "flask" not in out.lower() and "requests" not in out
    assert "Debian   graphviz  — binder/apt.txt:2" in out
    assert "Debian   libpq-dev  — binder/apt.txt:3" in out
    assert "binder/apt.txt:4" in out and "not a Debian package name" in out
    assert "Runs     binder/postBuild  — in the image, as the user, after the packages" in out

    result = run("init", project, "--no-input", "--offline")
    assert result.returncode == 0, result.stdout + result.stderr
    answers = json.loads((project / ".devcontainer/bootstrap.json").read_text(encoding="utf-8"))
    assert answers["apt_packages"] == ["graphviz", "libpq-dev"]
    assert answers["post_build"] == "binder/postBuild" and "start" not in answers
    dockerfile = next(p for p in project.rglob("Dockerfile") if "bootstrap" not in p.name)
    assert "graphviz" in dockerfile.read_text() and "libpq-dev" in dockerfile.read_text()


def test_pipfile_dev_packages_are_read_over_requirements_txt(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "pipenv-app",
        {
            "Pipfile": '[packages]\nsix = "==1.16.0"\n[dev-packages]\ntoolz = "==0.12.1"\n'
            '[requires]\npython_version = "3.6"\n',
            "requirements.txt": "flask==3.0.0\n",
            "app.py": "import six\n",
        },
    )
    out = dry_run(project)
    assert "Keeps    six==1.16.0  — Pipfile:2" in out
    assert "Keeps    toolz==0.12.1  — Pipfile:4" in out
    assert "flask" not in out.lower()
    assert "Pipfile:6 says Python 3.6, which the catalog does not have: using 3.8" in out


def test_cx_oracle_brings_instant_client_with_its_build_argument(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "ora", {"db.py": "import cx_Oracle\n"})
    out = dry_run(project)
    assert "Options  oracle:instantclient" in out
    assert "Adds     cx_Oracle  — import cx_Oracle, db.py:1" in out
    assert "--build-arg ORACLE_INSTANTCLIENT_SHA256=" in out


def test_a_development_pin_defers_to_the_catalog_pin_of_a_chosen_driver(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "spark-job",
        {
            "Pipfile": '[packages]\n[dev-packages]\npyspark = "==2.4.0"\n'
            '[requires]\npython_version = "3.6"\n',
            "Pipfile.lock": json.dumps(
                {"default": {}, "develop": {"py4j": {"version": "==0.10.7"}}}
            ),
            "jobs/etl.py": "from pyspark.sql import SparkSession\n",
        },
    )
    out = dry_run(project)
    assert "Driver   spark  — import pyspark.sql, jobs/etl.py:1" in out
    assert "Keeps    pyspark  — Pipfile:3 [dev-packages]" in out
    assert "pyspark==2.4.0 is a development pin of a package a chosen component pins" in out
    assert "py4j" not in out  # the lock's [develop] pins a laptop's tool chain, not the project's


def test_a_python2_kernel_makes_a_notebook_python_2(tmp_path: Path) -> None:
    nb = json.loads(notebook("x = 1\n"))
    nb["metadata"]["kernelspec"] = {"language": "python", "name": "python2"}
    project = write_tree(tmp_path / "old-notebooks", {"analysis.ipynb": json.dumps(nb)})
    out = dry_run(project)
    assert "Python   2.7  — kernel python2, analysis.ipynb" in out


def test_a_git_requirement_is_kept_in_its_own_step_with_git_in_the_image(tmp_path: Path) -> None:
    """databridge-etl-tools: `geopetl @ git+https://github.com/...` in pyproject.toml and a pip
    `git+https://...#egg=` line: adopted, installed apart from the hashed lock, flagged."""
    project = write_tree(
        tmp_path / "etl",
        {
            "pyproject.toml": """\
                [project]
                name = "etl"
                requires-python = ">=3.9,<3.10"
                dependencies = ["geopetl @ git+https://github.com/acme/geopetl.git@master"]
                """,
            "requirements.txt": "requests==2.31.0\ngit+https://example.org/acme/tool.git@v1#egg=acmetool\n",
            "etl.py": "import geopetl\nimport acmetool\nimport requests\n",
        },
    )
    before = snapshot(project)
    out = dry_run(project)
    assert "Keeps    geopetl @ git+https://github.com/acme/geopetl.git@master" in out
    assert "Keeps    acmetool @ git+https://example.org/acme/tool.git@v1" in out
    assert "not on the package index" not in out and "not a requirement" not in out
    result = run("init", project, "--no-input", "--offline")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is not reproducible (no hash)" in result.stderr
    step = (project / ".devcontainer" / "requirements-project.txt").read_text(encoding="utf-8")
    assert "NOT REPRODUCIBLE" in step
    assert "geopetl @ git+https://github.com/acme/geopetl.git@master" in step
    assert "git+" not in (project / ".devcontainer" / "requirements.txt").read_text()
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    assert "install -y --no-install-recommends git" in dockerfile.split("FROM base AS dev")[0]
    assert {k: v for k, v in snapshot(project).items() if k in before} == before


def test_conda_only_packages_of_environment_yml_are_each_reported(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "condaproj",
        {
            "environment.yml": """\
                name: demo
                dependencies:
                  - python=3.11
                  - numpy=1.26
                  - graphviz
                  - r-base
                  - pip
                  - pip:
                    - requests==2.31.0
                """,
            "a.py": "import numpy\nimport requests\n",
        },
    )
    out = dry_run(project)
    assert "Keeps    numpy==1.26.*  — environment.yml:4" in out
    assert "Keeps    requests==2.31.0  — environment.yml:9" in out
    unplaced = out.split("Could not place")[1]
    for line, name in ((5, "graphviz"), (6, "r-base")):
        assert (
            f"environment.yml:{line}: conda package {name} is not a Python distribution" in unplaced
        )
    assert "conda package pip" not in out and "conda package python" not in out


@pytest.mark.network
def test_a_conda_name_the_index_does_not_have_is_reported_not_locked(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "condaproj",
        {
            "environment.yml": "dependencies:\n  - python=3.11\n  - bootstrap-no-such-conda-pkg-xyz\n",
            "a.py": "x = 1\n",
        },
    )
    result = run("init", project, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert (
        "environment.yml:3: conda package bootstrap-no-such-conda-pkg-xyz is not on the package index"
        in result.stdout
    )
    assert "Keeps    bootstrap-no-such" not in result.stdout


def test_wheels_tell_which_python_a_pinned_release_serves() -> None:
    from bootstrap.init import _wheel_pythons

    files = [
        {"filename": "numpy-1.11.1-cp27-cp27mu-manylinux1_x86_64.whl"},
        {"filename": "numpy-1.11.1-cp35-cp35m-manylinux1_x86_64.whl"},
        {"filename": "numpy-1.11.1-cp38-cp38-win_amd64.whl"},  # not Linux
        {"filename": "numpy-1.11.2-cp38-cp38-manylinux1_x86_64.whl"},  # another release
        {"filename": "numpy-1.11.1.tar.gz"},
    ]
    pythons = ["2.7", "3.8", "3.12"]
    assert _wheel_pythons(files, "numpy", "1.11.1", pythons) == {"2.7"}
    pure = [{"filename": "six-1.16.0-py2.py3-none-any.whl"}]
    assert _wheel_pythons(pure, "six", "1.16.0", pythons) == {"2.7", "3.8", "3.12"}
    abi3 = [{"filename": "cryptography-41.0.0-cp37-abi3-manylinux_2_28_x86_64.whl"}]
    assert _wheel_pythons(abi3, "cryptography", "41.0.0", pythons) == {"3.8", "3.12"}


def test_old_compiled_pins_move_to_their_first_release_with_a_wheel() -> None:
    """A Python 3 project declaring 3.5 with 2016 pins: the nearest catalog Python 3, each
    compiled pin moved to its first release with a wheel for it, a pure-Python sdist kept, and a
    pin no newer release can serve refused with the ways out."""
    from types import SimpleNamespace

    from bootstrap.errors import UsageError
    from bootstrap.init import _moved_forward

    catalog = SimpleNamespace(pythons=["2.7", "3.8", "3.12"])
    numpy = [
        {"filename": "numpy-1.11.1-cp27-cp27mu-manylinux1_x86_64.whl"},
        {"filename": "numpy-1.11.1.tar.gz"},
        {"filename": "numpy-1.17.0-cp37-cp37m-manylinux1_x86_64.whl"},  # not for 3.8
        {"filename": "numpy-1.17.3-cp38-cp38-win_amd64.whl"},  # not Linux
        {"filename": "numpy-1.17.4rc1-cp38-cp38-manylinux1_x86_64.whl"},  # a pre-release
        {"filename": "numpy-1.17.5-cp38-cp38-manylinux1_x86_64.whl", "yanked": True},
        {"filename": "numpy-1.18.0-cp38-cp38-manylinux1_x86_64.whl"},
        {"filename": "numpy-1.9.0-cp38-cp38-manylinux1_x86_64.whl"},  # older than the pin
    ]
    seaborn = [{"filename": "seaborn-0.7.0.tar.gz"}, {"filename": "seaborn-0.8-py3-none-any.whl"}]
    pins = [("numpy", "1.11.1", "requirements.txt:1"), ("seaborn", "0.7.0", "requirements.txt:2")]
    moved = _moved_forward(pins, [numpy, seaborn], [{"2.7"}, set()], catalog, "3.5", "env:2")
    assert moved.python == "3.8"
    assert moved.moved == {"numpy": ("1.11.1", "1.18.0")}
    assert "numpy 1.11.1 → 1.18.0" in moved.notes[0] and "seaborn" not in moved.notes[0]
    gone = [{"filename": "oldlib-1.0-cp27-cp27mu-manylinux1_x86_64.whl"}]
    with pytest.raises(UsageError) as refused:
        _moved_forward(
            [("oldlib", "1.0", "requirements.txt:3")], [gone], [{"2.7"}], catalog, "3.5", "env:2"
        )
    assert "no release of oldlib from 1.0 on has a wheel for Python 3.8" in refused.value.message
    assert "relax the pin (oldlib>=1.0 in requirements.txt)" in refused.value.message


@pytest.mark.network
def test_pins_of_2016_under_a_python_the_catalog_lacks_move_to_releases_that_install(
    tmp_path: Path,
) -> None:
    """PythonDataScienceHandbook: environment.yml says python=3.5 (not in the catalog) and
    requirements.txt pins numpy==1.11.1, pandas==0.18.1: wheels exist for 2.7, not 3.8, and a
    Python 3 project is not moved to 2.7. It is adopted on 3.8 with those pins moved to the first
    releases that have wheels for 3.8, said so; the user's files keep theirs."""
    project = write_tree(
        tmp_path / "handbook",
        {
            "environment.yml": "dependencies:\n  - python=3.5\n  - pip:\n    - -r requirements.txt\n",
            "requirements.txt": "numpy==1.11.1\npandas==0.18.1\nseaborn==0.7.0\n",
            "analysis.py": "import numpy as np\nimport pandas as pd\n",
        },
    )
    before = snapshot(project)
    moves = "numpy 1.11.1 → 1.17.3, pandas 0.18.1 → 0.25.2"
    looked = run("init", project, "--dry-run")
    assert looked.returncode == 0, looked.stderr
    assert "Python   3.8" in looked.stdout and moves in looked.stdout, looked.stdout
    made = run("init", project, "--no-input", timeout=900)
    assert made.returncode == 0, made.stderr
    assert moves in made.stdout
    written = (project / ".devcontainer" / "requirements.in").read_text()
    assert "numpy==1.17.3  # from requirements.txt:1, pinned 1.11.1 there" in written
    assert "seaborn==0.7.0  # from requirements.txt:3" in written  # pure Python: kept
    lock = (project / ".devcontainer" / "requirements.txt").read_text()
    assert "\npandas==0.25.2 \\" in lock and "\nseaborn==0.7.0 \\" in lock
    assert {k: v for k, v in snapshot(project).items() if k in before} == before
    as_2 = run("init", write_tree(tmp_path / "again", {
        "environment.yml": "dependencies:\n  - python=3.5\n",
        "requirements.txt": "pandas==0.18.1\n",
        "analysis.py": "import pandas\n",
    }), "--dry-run", "--python", "2.7")  # fmt: skip
    assert as_2.returncode == 0 and "Keeps    pandas==0.18.1" in as_2.stdout


def test_the_resolver_s_refusals_carry_what_init_acts_on() -> None:
    from bootstrap.errors import LockConflict, MissingRelease
    from bootstrap.requirements import parse
    from bootstrap.resolution import explain_failure

    parsed = parse(
        "boto3==1.26.8\nrsa==4.9\ncodecov==2.1.12\n"
        "awscli==1.46.3  # catalog aws >=1.19.112\nboto3==1.44.8  # catalog aws >=1.17.112\n"
    )
    conflict = explain_failure(
        "error: No solution found when resolving dependencies\n"
        "  cause: Because awscli>=1.19.112 depends on rsa>=3.1.2,<4.8 and you require rsa==4.9, "
        "we can conclude that your requirements are unsatisfiable.\n",
        parsed,
        "3.9",
    )
    assert isinstance(conflict, LockConflict) and conflict.records == ["aws"]
    assert "requirements.in:2 pins rsa==4.9 conflicts with" in conflict.message
    missing = explain_failure(
        "error: No solution found when resolving dependencies\n"
        "  cause: Because there is no version of codecov{python_full_version < '3.10'}==2.1.12 and "
        "you require codecov==2.1.12, we can conclude that your requirements are unsatisfiable.\n",
        parsed,
        "3.9",
    )
    assert isinstance(missing, MissingRelease)
    assert (missing.name, missing.version) == ("codecov", "2.1.12")


def test_a_conflict_through_a_chain_of_dependencies_names_the_record_from_the_conclusion() -> None:
    """A Pipfile.lock pinning python-dateutil==2.8.0 beside JupyterLab 4: uv's first steps name
    only packages between the two (jupyter-client, jupyter-server); its last names both lines."""
    from bootstrap.errors import LockConflict
    from bootstrap.requirements import parse
    from bootstrap.resolution import explain_failure

    parsed = parse(
        "python-dateutil==2.8.0  # from Pipfile.lock:134\n"
        "jupyterlab==4.3.8  # catalog jupyter >=4.3.8\nipykernel==6.29.5  # catalog jupyter\n"
    )
    steps = "".join(
        f"         And because jupyter-server>=2.{n}.0 depends on jupyter-client>=7.4.4, we "
        f"can conclude that jupyter-server>=2.{n}.0 depends on python-dateutil>=2.8.2. ({n})\n"
        for n in range(1, 6)
    )
    conflict = explain_failure(
        "error: No solution found when resolving dependencies\n"
        "  cause: Because jupyter-client>=7.4.4 depends on python-dateutil>=2.8.2 and "
        "jupyter-server>=2.4.0 depends on jupyter-client>=7.4.4, we can conclude that "
        "jupyter-server>=2.4.0 depends on python-dateutil>=2.8.2.\n"
        + steps
        + "         And because you require jupyterlab>=4.3.8 and python-dateutil==2.8.0, we can "
        "conclude that your requirements are unsatisfiable.\n\n"
        "hint: Wheels are required for `jupyter-client` because building from source is disabled\n",
        parsed,
        "3.8",
        command="init",
    )
    assert isinstance(conflict, LockConflict) and conflict.records == ["jupyter"]
    assert "Pipfile.lock:134 pins python-dateutil==2.8.0 conflicts with" in conflict.message
    assert conflict.cause.endswith(
        "because you require jupyterlab>=4.3.8 and python-dateutil==2.8.0, we can conclude that "
        "your requirements are unsatisfiable"
    )


@pytest.mark.network
def test_a_driver_whose_packages_cannot_live_beside_the_project_s_pins_is_left_out(
    tmp_path: Path,
) -> None:
    """saleor 3.9.0: boto3 imported (the aws driver, whose AWS CLI needs rsa<4.8 in every
    release) and rsa==4.9 pinned; codecov==2.1.12 pinned, a release PyPI no longer has."""
    project = write_tree(
        tmp_path / "shop",
        {
            "requirements.txt": "boto3==1.26.8\nrsa==4.9\ncodecov==2.1.12\n",
            "runtime.txt": "python-3.9\n",
            "shop.py": "import boto3\nimport rsa\nimport codecov\n",
        },
    )
    before = snapshot(project)
    result = run("init", project, "--no-input", timeout=1200)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert "aws left out:" in out and "rsa==4.9" in out
    assert "--driver aws" in out
    assert (
        "requirements.txt:3 pins codecov==2.1.12, a release the package index does not have" in out
    )
    recorded = json.loads((project / ".devcontainer/bootstrap.json").read_text(encoding="utf-8"))
    answers = recorded.get("answers", recorded)
    assert "aws" not in answers["drivers"]
    lock = (project / ".devcontainer" / "requirements.txt").read_text(encoding="utf-8")
    assert "rsa==4.9 " in lock and "boto3==1.26.8 " in lock and "codecov==" in lock
    assert "awscli" not in lock
    assert {k: v for k, v in snapshot(project).items() if k in before} == before


def test_a_python3_kernel_outweighs_a_python2_only_import_in_a_helper(tmp_path: Path) -> None:
    """WhirlwindTourOfPython: Python 3 notebooks, and a website fabfile importing SocketServer."""
    project = write_tree(
        tmp_path / "tour",
        {
            "01-Intro.ipynb": notebook("print('hello')\n"),
            "website/fabfile.py": "import SocketServer\n",
        },
    )
    out = dry_run(project)
    assert "Python   3.12  — kernel python3, 01-Intro.ipynb: Python 3, the catalog default" in out
    assert "website/fabfile.py:1: imports SocketServer, a Python 2 standard-library module" in out


def _stages(dockerfile: str) -> dict[str, str]:
    """The Dockerfile's text per stage name."""
    parts = re.split(r"^FROM \S+ AS (\S+)$", dockerfile, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_postbuild_runs_in_dev_and_runtime_as_the_user_and_start_wraps_the_runtime(
    tmp_path: Path,
) -> None:
    project = write_tree(
        tmp_path / "binder-scripts",
        {
            "postBuild": "echo root > ~/root\n",  # ignored: binder/ takes precedence
            "start": 'exec "$@"\n',
            "binder/postBuild": f"echo built > ~/.postbuild\ntouch {tmp_path}/ran\n",
            "binder/start": f'#!/bin/bash\ntouch {tmp_path}/started\nexec "$@"\n',
            "binder/requirements.txt": "six==1.16.0\n",
            "a.py": "import six\n",
        },
    )
    before = snapshot(project)
    out = dry_run(project)
    assert "Starts   binder/start  — the runtime image's entrypoint" in out
    result = run("init", project, "--no-input", "--offline")
    assert result.returncode == 0, result.stdout + result.stderr
    assert {k: v for k, v in snapshot(project).items() if k in before} == before
    assert not (tmp_path / "ran").exists() and not (tmp_path / "started").exists()  # not here
    answers = json.loads((project / ".devcontainer/bootstrap.json").read_text(encoding="utf-8"))
    assert answers["post_build"] == "binder/postBuild" and answers["start"] == "binder/start"
    stages = _stages((project / "Dockerfile").read_text(encoding="utf-8"))
    for name in (
        "dev",
        "runtime",
    ):  # as the user, after the packages (and, in runtime, the project)
        stage = stages[name]
        run_at = stage.index("./binder/postBuild")
        assert stage.rindex("USER app", 0, run_at) > stage.index("/opt/venv")
        assert "chmod +x binder/postBuild" in stage
    assert stages["runtime"].index("requirements-project.txt") < stages["runtime"].index(
        "./binder/postBuild"
    )
    assert "--chown=app:app /opt/venv" in stages["runtime"]  # postBuild may install into it
    assert "postBuild" not in stages["builder"] + stages["base"]
    assert "~/root" not in (project / "Dockerfile").read_text(encoding="utf-8")
    assert stages["runtime"].count("ENTRYPOINT") == 1
    assert (
        'ENTRYPOINT ["/bin/bash", "-c", "exec \\"$0\\" \\"$@\\"", "/app/binder/start"]'
        in (stages["runtime"])
    )
    assert "ENTRYPOINT" not in stages["dev"]
    devcontainer = (project / ".devcontainer/devcontainer.json").read_text(encoding="utf-8")
    assert "overrideCommand" not in devcontainer  # the dev container keeps its own command

    # update re-renders from the recorded answers: both scripts are kept
    updated = run("update", project, "--python", "3.12", "--offline")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    stages = _stages((project / "Dockerfile").read_text(encoding="utf-8"))
    assert "./binder/postBuild" in stages["dev"] and "./binder/postBuild" in stages["runtime"]
    assert "/app/binder/start" in stages["runtime"]


def test_root_scripts_are_read_without_binder_and_links_are_not(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "root-scripts",
        {".binder/postBuild": "echo hi\n", "app.py": "import six\n", "elsewhere": "x\n"},
    )
    (project / ".binder/start").symlink_to(project / "elsewhere")
    out = dry_run(project)
    assert "Runs     .binder/postBuild" in out and "Starts" not in out
    assert ".binder/start: a symbolic link: not run in the image" in out

    plain = write_tree(tmp_path / "plain", {"postBuild": "echo hi\n", "app.py": "import six\n"})
    result = run("init", plain, "--no-input", "--offline")
    assert result.returncode == 0, result.stdout + result.stderr
    stages = _stages((plain / "Dockerfile").read_text(encoding="utf-8"))
    assert "./postBuild" in stages["runtime"] and "ENTRYPOINT" not in stages["runtime"]

    none = write_tree(tmp_path / "none", {"app.py": "import six\n"})
    assert run("init", none, "--no-input", "--offline").returncode == 0
    dockerfile = (none / "Dockerfile").read_text(encoding="utf-8")
    assert "postBuild" not in dockerfile and "ENTRYPOINT" not in dockerfile
    assert "COPY --from=stack /opt/venv /opt/venv" in dockerfile  # root's: read-only


def test_a_recorded_script_path_outside_repo2dockers_places_is_refused(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "edited", {"postBuild": "echo hi\n", "app.py": "x = 1\n"})
    assert run("init", project, "--no-input", "--offline").returncode == 0
    record = project / ".devcontainer/bootstrap.json"
    answers = json.loads(record.read_text(encoding="utf-8"))
    record.write_text(json.dumps({**answers, "post_build": "postBuild; rm -rf /"}))
    before = snapshot(project)
    result = run("update", project, "--offline")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "post_build" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("files", "line"),
    [
        ({"install.R": "install.packages('ggplot2')\n", "runtime.txt": "r-4.5.1-2025-06-13\n"},
         "note: install.R belongs to an R project"),
        ({".binder/Project.toml": '[deps]\nExample = "7876af07"\n'},
         "note: .binder/Project.toml belongs to a Julia project"),
        ({"default.nix": "with import <nixpkgs> {}; mkShell {}\n"},
         "note: default.nix belongs to a Nix project"),
    ],
)  # fmt: skip
def test_another_language_s_project_is_named_in_the_report(
    tmp_path: Path, files: dict[str, str], line: str
) -> None:
    """repo2docker's R, Julia and Nix fixtures have no Python: the answers are the defaults, and
    the report says the other language is not installed rather than leave the user guessing."""
    project = write_tree(tmp_path / "other", files)
    out = dry_run(project)
    assert "note: no Python source or notebook in" in out
    assert line + ": bootstrap's containers carry Python" in out, out
    assert "belongs to" not in dry_run(write_tree(tmp_path / "py", {"a.py": "x = 1\n"}))


def test_pipfile_paths_git_extras_and_markers(tmp_path: Path) -> None:
    """repo2docker's pipfile/setup-py-explicit: `dummy = {path=".", editable=true}` is the
    project itself (installed in the image, not looked up on the index as 'dummy'); git, extras
    and markers entries become the requirements pipenv would install."""
    project = write_tree(
        tmp_path / "pipenv-project",
        {
            "Pipfile": (
                '[packages]\nsix = "==1.16.0"\ndummy = {path=".", editable=true}\n'
                'requests = {version = "==2.31.0", extras = ["socks"]}\n'
                'colorama = {version = "==0.4.6", markers = "sys_platform == \'win32\'"}\n'
                'tool = {git = "https://example.org/tool.git", ref = "v1"}\n'
                'outside = {path = "../elsewhere"}\n'
                'nul = {path = "a\\u0000b"}\nnumber = {path = 5}\nodd = {git = 7}\n'
            ),
            "setup.py": "from setuptools import setup\nsetup(name='dummy')\n",
            "dummy/__init__.py": "",
        },
    )
    out = dry_run(project)
    assert "Keeps    six==1.16.0  — Pipfile:2" in out
    assert "dummy" not in [line.split()[1] for line in out.splitlines() if "Keeps" in line]
    assert "Keeps    requests[socks]==2.31.0  — Pipfile:4" in out, out
    assert 'Keeps    colorama==0.4.6; sys_platform == "win32"  — Pipfile:5' in out, out
    assert "Keeps    tool @ git+https://example.org/tool.git@v1  — Pipfile:6" in out, out
    assert "Pipfile:7: outside's path '../elsewhere' is not a folder of this project" in out
    assert "Pipfile:8: nul's path 'a\\x00b' is not a folder of this project" in out
    result = run("init", project, "--no-input", "--offline")
    assert result.returncode == 0, result.stdout + result.stderr
    answers = json.loads((project / ".devcontainer/bootstrap.json").read_text(encoding="utf-8"))
    assert "-e ." in answers["local_requirements"]


def test_an_app_package_keeps_the_catalog_s_app_py_beside_it(tmp_path: Path) -> None:
    """A Flask app built by a factory in its app/ package (microblog's layout): an app.py beside
    the package would never be imported, so the catalog's goes beside it as app.bootstrap.py."""
    project = write_tree(
        tmp_path / "blog",
        {
            "app/__init__.py": "from flask import Flask\n\n\ndef create_app():\n"
            "    return Flask(__name__)\n",
            "app/views.py": "from flask import Blueprint\n",
            "blog.py": "from app import create_app\n\napp = create_app()\n",
            "requirements.txt": "flask==3.0.3\n",
        },
    )
    out = dry_run(project)
    assert "Stack    flask" in out
    assert "  app.bootstrap.py   (yours: app/, left as it is)" in out
    assert "\n  app.py\n" not in out
    (project / "app" / "__init__.py").unlink()  # a namespace folder: app.py would be imported
    assert "\n  app.py\n" in dry_run(project)
