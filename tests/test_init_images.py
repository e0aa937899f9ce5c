"""repo2docker-style projects adopted by `bootstrap init` and built by `bootstrap build` in a real
engine: what each convention file asks for is in the image.

The trees are small and our own, reproducing what Binder repositories do: a binder/ folder taking
precedence over the root, apt.txt, Pipfile.lock over Pipfile over requirements.txt, runtime.txt,
postBuild (run in the image as the user), start (the runtime image's entrypoint) and environment.yml
with its pip section.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from helpers import run, snapshot, write_tree

pytestmark = [pytest.mark.docker, pytest.mark.network]

DOCKER = "/usr/bin/docker"
CA_BUNDLE = os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
BUILD_ENV = {"DOCKER_BUILDKIT": "1"}


def _engine_up() -> bool:
    probe = subprocess.run([DOCKER, "info"], capture_output=True, check=False)
    return probe.returncode == 0


if os.environ.get("BOOTSTRAP_SKIP_DOCKER") == "1" or not os.path.exists(DOCKER):
    pytest.skip("no Docker engine", allow_module_level=True)
if not _engine_up():
    if os.environ.get("BOOTSTRAP_TEST_INSTALLED"):
        raise RuntimeError("no Docker engine: .ci/run starts one with .ci/docker.sh")
    pytest.skip("no Docker engine (run .ci/docker.sh)", allow_module_level=True)

PIPFILE_LOCK = json.dumps(
    {
        "_meta": {"requires": {"python_version": "3.11"}},
        "default": {"six": {"version": "==1.16.0"}},
        "develop": {},
    }
)


def _in_image(tag: str, command: str) -> str:
    result = subprocess.run(
        [DOCKER, "run", "--rm", "--entrypoint", "sh", tag, "-c", command],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_binder_project_is_adopted_and_built_with_what_its_files_ask_for(
    tmp_path: Path,
) -> None:
    from support.standins import ensure_image

    ensure_image("python:3.11-slim-bookworm")
    project = write_tree(
        tmp_path / "binderized",
        {
            "requirements.txt": "flask==3.0.0\n",  # ignored: binder/ takes precedence
            "binder/runtime.txt": "python-3.11\n",
            "binder/requirements.txt": "requests==2.31.0\n",  # ignored: a Pipfile is there
            "binder/Pipfile": '[packages]\nsix = "*"\n[dev-packages]\ntoolz = "==0.12.1"\n',
            "binder/Pipfile.lock": PIPFILE_LOCK,
            "binder/apt.txt": "# tools\ntree\n",
            # no #! line: bash runs it (`[[` is not sh); it can write the project folder too
            "binder/postBuild": "[[ -d binder ]] && echo built > ~/.postbuild && touch made-here\n",
            "binder/start": '#!/bin/bash\nexport GREETING="hello from start"\nexec "$@"\n',
            "postBuild": "echo root > ~/.root-postbuild\n",  # ignored: binder/ takes precedence
            "analysis.py": "import six\nimport toolz\n",
        },
    )
    before = snapshot(project)
    adopted = run("init", project, "--no-input", "--ca-cert", CA_BUNDLE, timeout=900)
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    assert "Runs     binder/postBuild" in adopted.stdout
    assert "Starts   binder/start" in adopted.stdout
    assert {k: v for k, v in snapshot(project).items() if k in before} == before
    tag = "bootstrap-test/binderized:runtime"
    built = run("build", project, "--target", "runtime", "--tag", tag, env=BUILD_ENV, timeout=2400)
    assert built.returncode == 0, built.stdout + built.stderr[-4000:]
    try:
        assert "FAIL" not in built.stdout and "smoke tests passed" in built.stdout
        versions = _in_image(
            tag,
            "python -c 'import six, toolz, sys; print(sys.version_info[:2], six.__version__,"
            " toolz.__version__)'; tree --version; python -c 'import flask' 2>&1 || true;"
            " python -c 'import requests' 2>&1 || true; stat -c '%U %n' ~/.postbuild /app/made-here;"
            " ls ~/.root-postbuild 2>&1 || true",
        )
        assert "(3, 11) 1.16.0 0.12.1" in versions  # Pipfile.lock's pin, [dev-packages] too
        assert "tree v" in versions  # apt.txt
        assert "No module named 'flask'" in versions  # the root's requirements.txt: not read
        assert "No module named 'requests'" in versions  # binder/requirements.txt: Pipfile wins
        assert "app /home/app/.postbuild" in versions  # binder/postBuild ran, as the user
        assert "app /app/made-here" in versions  # in the project's folder
        assert "No such file" in versions  # the root's postBuild: not run
        started = subprocess.run(
            [
                DOCKER,
                "run",
                "--rm",
                tag,
                "python",
                "-c",
                "import os; print(os.environ['GREETING'])",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert started.stdout.strip() == "hello from start", started.stdout + started.stderr
    finally:
        subprocess.run([DOCKER, "rmi", "-f", tag], capture_output=True, check=False)


def test_an_environment_yml_project_is_adopted_and_built_with_its_pip_section(
    tmp_path: Path,
) -> None:
    from support.standins import ensure_image

    ensure_image("python:3.11-slim-bookworm")
    project = write_tree(
        tmp_path / "condaenv",
        {
            "environment.yml": (
                "name: demo\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n"
                "  - toolz=0.12\n  - graphviz\n  - pip\n  - pip:\n    - six==1.16.0\n"
            ),
            "a.py": "import six\nimport toolz\n",
        },
    )
    adopted = run("init", project, "--no-input", "--ca-cert", CA_BUNDLE, timeout=900)
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    assert "environment.yml:6: conda package graphviz is not a Python distribution" in (
        adopted.stdout
    )
    tag = "bootstrap-test/condaenv:runtime"
    built = run("build", project, "--target", "runtime", "--tag", tag, env=BUILD_ENV, timeout=2400)
    assert built.returncode == 0, built.stdout + built.stderr[-4000:]
    try:
        out = _in_image(
            tag, "python -c 'import six, toolz; print(six.__version__, toolz.__version__)'"
        )
        six_version, toolz_version = out.split()
        assert six_version == "1.16.0" and toolz_version.startswith("0.12.")
    finally:
        subprocess.run([DOCKER, "rmi", "-f", tag], capture_output=True, check=False)
