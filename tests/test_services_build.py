"""`bootstrap build` smoke-tests the services, and `docker-compose up` works without VS Code.

A postgres + mysql + s3 project (the light services) built in a real engine: build brings the stack
up under a compose project of its own, runs each service's checks in the app container and takes
the stack down; a service the app cannot use (the host's MYSQL_PASSWORD overriding the development
one) fails the build with the service named. Then plain `docker-compose -f
.devcontainer/compose.yaml up -d`, as someone without VS Code runs it, gives an app container that
reaches the services. A spark project's build smoke-tests the Spark cluster (master, two workers,
Spark Connect) the same way, slowly. The service images are the local stand-ins of
tests/support/service_standins (no registry is reachable here).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import need_engine, run

# about 5 minutes with the image built cold (3 of them the first build); the Spark test runs apart
pytestmark = [pytest.mark.docker, pytest.mark.network]

DOCKER = "/usr/bin/docker"
CA_BUNDLE = os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
COMPOSE = shutil.which("docker-compose")

need_engine(DOCKER, compose=True)

ENV = {"PATH": "/usr/bin:" + os.environ.get("PATH", ""), "DOCKER_BUILDKIT": "1"}


def _compose_projects(prefix: str) -> set[str]:
    label = '{{index .Config.Labels "com.docker.compose.project"}}'
    ids = subprocess.run(
        [DOCKER, "ps", "-aq", "--filter", "label=com.docker.compose.project"],
        capture_output=True, text=True, check=False,
    ).stdout.split()  # fmt: skip
    names = set()
    for cid in ids:
        inspect = [DOCKER, "inspect", "-f", label, cid]
        names.add(subprocess.run(inspect, capture_output=True, text=True, check=False).stdout)
    return {n.strip() for n in names if n.strip().startswith(prefix)}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Iterator[tuple[Path, dict]]:
    from support.service_standins import build

    out = tmp_path_factory.mktemp("svcbuild")
    out.chmod(0o755)  # compose mounts the project's parent; the remote user must enter it
    result = run(
        "new", "--no-input", "--name", "svcbuild", "--python", "3.11", "--service", "postgres",
        "--service", "mysql", "--service", "s3", "--ca-cert", CA_BUNDLE, "--output-dir", out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    build("postgres", "postgres:15.19-bookworm")
    build("mariadb", "mariadb:10.11.18")
    build("moto", "motoserver/moto:5.2.5", MOTO_VERSION="5.2.5")
    project = out / "svcbuild"
    result = run("build", project, "--json", env=ENV, timeout=2400)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    yield project, json.loads(result.stdout)


def test_build_smoke_tests_each_service_and_takes_the_stack_down(built) -> None:
    _, document = built
    services = {s["component"]: s for s in document["smoke"] if s["component"].endswith(" service")}
    assert set(services) == {"postgres service", "mysql service", "s3 service"}, document["smoke"]
    assert all(s["passed"] for s in services.values()), services
    assert "postgres app@app" in services["postgres service"]["output"]
    assert (
        "MariaDB" in services["mysql service"]["output"]
    )  # the server's version, over the network
    assert "bootstrap-smoke" in services["s3 service"]["output"]
    assert _compose_projects("svcbuild-smoke-") == set()  # down -v ran
    volumes = subprocess.run(
        [DOCKER, "volume", "ls", "-q"], capture_output=True, text=True, check=False
    ).stdout.split()
    assert not [v for v in volumes if v.startswith("svcbuild-smoke-")], volumes


def test_a_service_the_app_cannot_use_fails_the_build_naming_it(built) -> None:
    # the host's MYSQL_PASSWORD wins over the development one (as a Codespaces secret would), and
    # the server only knows the development one
    project, _ = built
    result = run("build", project, env={**ENV, "MYSQL_PASSWORD": "not-the-one"}, timeout=1800)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    assert re.fullmatch(
        r"error: 1 of \d+ smoke tests failed \(mysql service\): see the table above", last
    ), last
    assert "Access denied for user 'app'" in result.stderr  # the check's own output, underneath
    assert "Traceback" not in result.stderr
    assert _compose_projects("svcbuild-smoke-") == set()  # taken down all the same


REACH = """
import json, boto3, psycopg
with psycopg.connect(__import__("os").environ["DATABASE_URL"]) as conn:
    db = conn.execute("select current_database()").fetchone()[0]
s3 = boto3.client("s3")
s3.create_bucket(Bucket="plain-compose")
print(json.dumps({"db": db, "buckets": [b["Name"] for b in s3.list_buckets()["Buckets"]]}))
"""


def test_plain_docker_compose_up_reaches_both_services(built) -> None:
    project, _ = built
    compose = [str(COMPOSE), "-f", str(project / ".devcontainer/compose.yaml"), "-p", "svcplain"]
    env = {**os.environ, **ENV, "COMPOSE_DOCKER_CLI_BUILD": "1"}
    try:
        up = subprocess.run(
            [*compose, "up", "-d"], capture_output=True, text=True, env=env, timeout=1200
        )
        assert up.returncode == 0, up.stdout[-4000:] + up.stderr[-4000:]
        ran = subprocess.run(
            [*compose, "exec", "-T", "app", "python", "-c", REACH],
            capture_output=True, text=True, env=env, timeout=300,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-4000:]
        outcome = json.loads(ran.stdout.strip().splitlines()[-1])
        assert outcome == {"db": "app", "buckets": ["plain-compose"]}, outcome
    finally:
        subprocess.run([*compose, "down", "-v"], capture_output=True, env=env, timeout=300)


# the Spark cluster runs the project's own image (1.6 GB): 4.5 minutes with the image cached, 8.5
# built cold, on a busy 2-core machine (the JVMs starting, mostly), so it runs apart with the matrix
@pytest.mark.matrix
def test_build_smoke_tests_the_spark_cluster(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir(mode=0o755)
    tmp_path.chmod(0o755)  # compose mounts the project's parent; the remote user must enter it
    result = run(
        "new", "--no-input", "--name", "svcspark", "--python", "3.11", "--service", "spark",
        "--ca-cert", CA_BUNDLE, "--output-dir", out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    result = run("build", out / "svcspark", "--json", env=ENV, timeout=3600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    smoke = json.loads(result.stdout)["smoke"]
    cluster = [s for s in smoke if s["component"] == "spark service"]
    assert len(cluster) == 1 and cluster[0]["passed"], smoke
    # SPARK_REMOTE made it a Connect session on the cluster, not a local JVM, and the query ran
    assert "pyspark.sql.connect.session 10" in cluster[0]["output"]
    assert _compose_projects("svcspark-smoke-") == set()  # down -v ran
