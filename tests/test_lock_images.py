"""Locks that hold sdists and the project itself build into working images (a real Docker engine).

Python 2 + MySQLdb: `init` adopts the project, the lock holds mysqlclient 1.4.6's sdist with its
hash, the image builds it with the record's build packages, and `import MySQLdb` works as the
non-root user. A project naming itself (`-e .`) is installed in the image, never on the host.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from helpers import run, write_tree

pytestmark = [pytest.mark.docker, pytest.mark.network]

DOCKER = "/usr/bin/docker"
CA_BUNDLE = os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")

if shutil.which(DOCKER) is None or os.environ.get("BOOTSTRAP_SKIP_DOCKER") == "1":
    pytest.skip("no Docker engine (run .ci/docker.sh)", allow_module_level=True)
if subprocess.run([DOCKER, "info"], capture_output=True, check=False).returncode != 0:
    pytest.skip("no Docker engine (run .ci/docker.sh)", allow_module_level=True)


def build(project: Path, dockerfile: str = "Dockerfile") -> str:
    tag = f"bootstrap-test-{uuid.uuid4().hex[:10]}"
    result = subprocess.run(
        [DOCKER, "build", "-q", "-f", str(project / dockerfile), "-t", tag, str(project)],
        capture_output=True,
        text=True,
        env={**os.environ, "DOCKER_BUILDKIT": "1"},
        check=False,
        timeout=1500,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return tag


def in_image(tag: str, command: str) -> str:
    result = subprocess.run(
        [DOCKER, "run", "--rm", tag, "bash", "-c", command],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("declared", ["mysqlclient==1.4.6", "MySQL-python==1.2.5"])
def test_python2_mysqldb_project_is_adopted_built_and_imports(
    tmp_path: Path, declared: str
) -> None:
    """mysqlclient 1.4.6 is locked as the sdist it is; MySQL-python 1.2.5, which no longer
    compiles against Debian's MariaDB Connector/C, is replaced by mysqlclient (the same MySQLdb),
    and init says so, naming the user's line."""
    project = write_tree(
        tmp_path / "legacy",
        {
            ".python-version": "2.7\n",
            "requirements.txt": f"{declared}\n",
            "app.py": "#!/usr/bin/env python2\nimport MySQLdb\nprint 'MySQLdb', MySQLdb.version_info\n",
        },
    )
    adopted = run("init", project, "--no-input", "--stack", "", "--ca-cert", CA_BUNDLE)
    assert adopted.returncode == 0, adopted.stderr
    lock = (project / ".devcontainer" / "requirements.txt").read_text()
    assert "mysqlclient==1.4.6 \\" in lock and "--hash=sha256:" in lock
    if declared.startswith("MySQL-python"):
        assert "MySQL-python" not in lock
        assert (
            "requirements.txt:1: MySQL-python==1.2.5: MySQL-python 1.2.5 does not compile"
            in adopted.stdout
        )
        assert "option mysql:mysqlclient installs mysqlclient==1.4.6 instead" in adopted.stdout
    tag = build(
        project,
        ".devcontainer/Dockerfile"
        if (project / ".devcontainer/Dockerfile").exists()
        else "Dockerfile",
    )
    try:
        out = in_image(
            tag,
            "id -un && python -c 'import MySQLdb; print(MySQLdb.version_info)'"
            " && python2 app.py && /usr/bin/env python2 --version 2>&1",
        )
        user, version, said, python2 = out.splitlines()[:4]
        assert user == "app"
        assert version.startswith("(1, 4, 6")
        assert said.startswith("MySQLdb (1, 4, 6")
        assert python2.startswith("Python 2.7")
    finally:
        subprocess.run([DOCKER, "rmi", "-f", tag], capture_output=True, check=False)


def test_the_project_itself_is_installed_in_the_image_and_never_built_on_the_host(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "setup-py-ran"
    made = run(
        "new", "--no-input", "--name", "selfish", "--output-dir", tmp_path, "--python", "3.11",
        "--stack", "", "--ca-cert", CA_BUNDLE, "--offline",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    project = tmp_path / "selfish"
    write_tree(
        project,
        {
            "setup.py": (
                "import os\n"
                f"open({str(marker)!r} if os.path.isdir({str(tmp_path)!r}) else '/tmp/ran', 'w')"
                ".write('ran')\n"
                "from setuptools import setup\n"
                "setup(name='selfish-app', version='1.0', py_modules=['selfish_app'])\n"
            ),
            "selfish_app.py": "GREETING = 'hello from the project'\n",
        },
    )
    path = project / "requirements.in"
    path.write_text(path.read_text() + "-e .\nsix\n")
    locked = run("lock", project)
    assert locked.returncode == 0, locked.stderr
    assert not marker.exists(), "setup.py ran on the host"
    assert (project / "requirements-project.txt").read_text().splitlines()[-1] == "-e ."
    tag = build(project)
    try:
        out = in_image(tag, "python -c 'import selfish_app, six; print(selfish_app.GREETING)'")
        assert out.strip() == "hello from the project"
    finally:
        subprocess.run([DOCKER, "rmi", "-f", tag], capture_output=True, check=False)
    assert not marker.exists()


def test_init_keeps_the_project_itself_and_the_dev_container_installs_it_editable(
    tmp_path: Path,
) -> None:
    """requirements.txt says `-e .`: init keeps it (requirements.in, then
    requirements-project.txt), the host never runs setup.py, the runtime image has the project,
    and the dev container's postCreate installs it editable from the mounted source."""
    from bootstrap.safe_io import read_jsonc

    marker = tmp_path / "setup-py-ran"
    project = write_tree(
        tmp_path / "editable",
        {
            "requirements.txt": "six==1.16.0\n-e .\n",
            "setup.py": (
                "import os\n"
                f"open({str(marker)!r} if os.path.isdir({str(tmp_path)!r}) else '/tmp/ran', 'w')"
                ".write('ran')\n"
                "from setuptools import setup\n"
                "setup(name='editable-app', version='1.0', py_modules=['editable_app'])\n"
            ),
            "editable_app.py": "GREETING = 'as built'\n",
            "main.py": "import six\nimport editable_app\n",
        },
    )
    from support.standins import ensure_image

    ensure_image("python:3.11-slim-bookworm")  # the base the 3.11 record builds FROM
    adopted = run(
        "init", project, "--no-input", "--python", "3.11", "--stack", "", "--ca-cert", CA_BUNDLE
    )
    assert adopted.returncode == 0, adopted.stderr
    assert not marker.exists(), "setup.py ran on the host"
    requirements_in = (project / ".devcontainer" / "requirements.in").read_text()
    assert "-e .  # from requirements.txt:2\n" in requirements_in
    step = project / ".devcontainer" / "requirements-project.txt"
    assert step.read_text().splitlines()[-1] == "-e ."
    assert "editable-app" not in (project / ".devcontainer" / "requirements.txt").read_text()
    dockerfile = "Dockerfile"
    runtime = build(project, dockerfile)
    try:
        out = in_image(
            runtime, "python -c 'import editable_app, six; print(editable_app.GREETING)'"
        )
        assert out.strip() == "as built"
    finally:
        subprocess.run([DOCKER, "rmi", "-f", runtime], capture_output=True, check=False)
    # the dev container: the source is mounted, postCreate installs the project from it
    tag = f"bootstrap-test-{uuid.uuid4().hex[:10]}"
    made = subprocess.run(
        [DOCKER, "build", "-q", "--target", "dev", "-f", str(project / dockerfile), "-t", tag,
         str(project)],
        capture_output=True, text=True, env={**os.environ, "DOCKER_BUILDKIT": "1"},
        check=False, timeout=1500,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr[-3000:]
    try:
        post_create = read_jsonc(project / ".devcontainer" / "devcontainer.json")[
            "postCreateCommand"
        ]
        (project / "editable_app.py").write_text("GREETING = 'edited'\n")
        # the Dev Containers CLI gives the container's user the owner's uid (updateRemoteUserUID);
        # the files here are root's, so let the container's user write the egg-info instead
        subprocess.run(["chmod", "-R", "a+rwX", str(project)], check=True)
        workspace = "/workspaces/editable"
        result = subprocess.run(
            [DOCKER, "run", "--rm", "-v", f"{project}:{workspace}", "-w", workspace,
             "-e", f"PIP_CERT={'/ca.pem'}", "-v", f"{CA_BUNDLE}:/ca.pem:ro", tag, "bash", "-c",
             f"{post_create} && cd / && python -c 'import editable_app; print(editable_app.GREETING)'"],
            capture_output=True, text=True, check=False, timeout=600,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip().splitlines()[-1] == "edited"  # editable: the mounted source
    finally:
        subprocess.run([DOCKER, "rmi", "-f", tag], capture_output=True, check=False)
    assert not marker.exists()
