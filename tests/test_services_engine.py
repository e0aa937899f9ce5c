"""Services in a real engine, opened as VS Code opens them: the Dev Containers CLI's `up` on the
generated compose file, then `exec` in the dev container: PostgreSQL, S3 and a Spark cluster.

No registry is reachable here, so the service images the compose file names are local stand-ins
built from the same software (tests/support/service_standins): PostgreSQL 15 and MariaDB 10.11 from
Debian bookworm's packages, moto's S3 server from its PyPI release. The dev container itself is the project's own
Dockerfile (Python 3.11 with Spark, PostgreSQL and AWS), built by the CLI through docker-compose, and
the Spark cluster (master, two workers, Spark Connect server) runs that same image.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from helpers import need_engine, run

# one stack for every test here: 10 minutes on a busy 2-core machine with the image cached, 23 when
# it is built cold, so it runs apart with the matrix (bash .ci/run -m matrix)
pytestmark = [pytest.mark.docker, pytest.mark.network, pytest.mark.matrix]

DOCKER = "/usr/bin/docker"
CA_BUNDLE = os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
COMPOSE = shutil.which("docker-compose")

need_engine(DOCKER, compose=True)


def _env() -> dict[str, str]:
    # docker-compose builds through the docker client on PATH: Debian's, which has BuildKit
    return {
        **os.environ,
        "PATH": "/usr/bin:" + os.environ.get("PATH", ""),
        "DOCKER_BUILDKIT": "1",
        "COMPOSE_DOCKER_CLI_BUILD": "1",
    }


def devcontainer(verb: str, project: Path, *args: str, timeout: float = 2400):
    from support.devcontainers import cli

    command = [
        cli(), verb, "--workspace-folder", str(project), "--docker-path", DOCKER,
        "--docker-compose-path", str(COMPOSE), *args,
    ]  # fmt: skip
    return subprocess.run(
        command, capture_output=True, text=True, env=_env(), timeout=timeout, check=False
    )


def in_container(project: Path, script: str, timeout: float = 900) -> str:
    """A Python script in the dev container, as the remote user; its last line, as JSON."""
    result = devcontainer("exec", project, "python", "-c", script, timeout=timeout)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _down(project: Path) -> None:
    ids = subprocess.run(
        [DOCKER, "ps", "-aq", "--filter", f"label=devcontainer.local_folder={project}"],
        capture_output=True, text=True, check=False,
    ).stdout.split()  # fmt: skip
    names = set()
    label = '{{index .Config.Labels "com.docker.compose.project"}}'
    for cid in ids:
        inspect = [DOCKER, "inspect", "-f", label, cid]
        names.add(subprocess.run(inspect, capture_output=True, text=True, check=False).stdout)
    for name in filter(None, (n.strip() for n in names)):
        subprocess.run(
            [COMPOSE, "-p", name, "-f", str(project / ".devcontainer/compose.yaml"), "down", "-v"],
            capture_output=True, env=_env(), check=False, timeout=300,
        )  # fmt: skip


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Path]:
    """postgres, mysql, s3 and spark services beside a Spark dev container, up through the CLI."""
    from support.service_standins import build

    out = tmp_path_factory.mktemp("stack")
    # compose mounts the project's parent at /workspaces, as the official compose templates do:
    # the remote user must be able to enter it (pytest makes its folders for root alone)
    out.chmod(0o755)
    result = run(
        "new", "--no-input", "--name", "svcstack", "--python", "3.11", "--driver", "spark",
        "--service", "postgres", "--service", "mysql", "--service", "s3", "--service", "spark",
        "--ca-cert", CA_BUNDLE, "--output-dir", out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    project = out / "svcstack"
    images = {
        s["image"]
        for s in yaml.safe_load((project / ".devcontainer/compose.yaml").read_text())[
            "services"
        ].values()
        if "build" not in s
    }
    assert images == {"postgres:15.19-bookworm", "mariadb:10.11.18", "motoserver/moto:5.2.5"}
    build("postgres", "postgres:15.19-bookworm")
    build("mariadb", "mariadb:10.11.18")
    build("moto", "motoserver/moto:5.2.5", MOTO_VERSION="5.2.5")
    try:
        up = devcontainer("up", project)
        lines = [line for line in up.stdout.splitlines() if line.startswith("{")]
        assert up.returncode == 0 and lines, up.stdout[-4000:] + up.stderr[-4000:]
        assert json.loads(lines[-1])["outcome"] == "success"
        yield project
    finally:
        _down(project)


# local mode: the cluster's SPARK_REMOTE is set in the dev container
LOCAL = "import os; os.environ.pop('SPARK_REMOTE')\n"

JDBC = (
    LOCAL
    + """
import json, os
from pyspark.sql import SparkSession
url = os.environ["POSTGRES_JDBC_URL"]
props = {"user": os.environ["PGUSER"], "password": os.environ["PGPASSWORD"],
         "driver": "org.postgresql.Driver"}
import psycopg
with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
    conn.execute("create table people (id int, name text)")
    conn.execute("insert into people values (1, 'ada'), (2, 'grace')")
spark = SparkSession.builder.master("local[1]").getOrCreate()
people = spark.read.jdbc(url, "people", properties=props)
people.selectExpr("id * 10 AS id", "upper(name) AS name").write.jdbc(
    url, "people_out", mode="overwrite", properties=props)
spark.stop()
with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
    rows = conn.execute("select id, name from people_out order by id").fetchall()
print(json.dumps({"rows": rows}))
"""
)


def test_spark_reads_the_postgres_service_over_jdbc_and_writes_back(stack: Path) -> None:
    outcome = in_container(stack, JDBC)
    assert outcome == {"rows": [[10, "ADA"], [20, "GRACE"]]}, outcome


S3 = (
    LOCAL
    + """
import json, os, subprocess
import boto3
from pyspark.sql import SparkSession
s3 = boto3.client("s3")
s3.create_bucket(Bucket="lake")
spark = SparkSession.builder.master("local[1]").getOrCreate()
spark.range(100).selectExpr("id", "id * 2 AS twice").write.mode("overwrite").parquet("s3a://lake/t")
back = spark.read.parquet("s3a://lake/t")
result = {"count": back.count(), "sum": back.agg({"twice": "sum"}).first()[0]}
spark.stop()
keys = [o["Key"] for o in s3.list_objects_v2(Bucket="lake", Prefix="t/")["Contents"]]
result["boto3"] = sorted(k for k in keys if k.endswith(".parquet") or k.endswith("_SUCCESS"))
cli = subprocess.run(["aws", "s3", "ls", "s3://lake/t/"], capture_output=True, text=True)
result["cli"] = sorted(line.split()[-1] for line in cli.stdout.splitlines())
result["endpoint"] = os.environ["AWS_ENDPOINT_URL"]
print(json.dumps(result))
"""
)


def test_spark_s3a_on_the_s3_service_seen_by_boto3_and_the_aws_cli(stack: Path) -> None:
    outcome = in_container(stack, S3)
    assert outcome["endpoint"] == "http://s3:5000"
    assert (outcome["count"], outcome["sum"]) == (100, 9900), outcome
    assert "t/_SUCCESS" in outcome["boto3"], outcome
    assert any(k.endswith(".parquet") for k in outcome["boto3"]), outcome
    assert [k.rsplit("/", 1)[-1] for k in outcome["boto3"]] == [
        k for k in outcome["cli"] if k in {k2.rsplit("/", 1)[-1] for k2 in outcome["boto3"]}
    ], outcome


CLUSTER = """
import json, os, socket
from pyspark.sql import SparkSession
from pyspark.sql.functions import udf
spark = SparkSession.builder.getOrCreate()  # SPARK_REMOTE: a Connect session, no local JVM
host = udf(lambda _: socket.gethostname(), "string")
rows = spark.range(0, 40, 1, 8).select(host("id").alias("h")).distinct().collect()
print(json.dumps({"client": socket.gethostname(), "ran_on": sorted(r.h for r in rows),
                  "session": type(spark).__module__, "remote": os.environ["SPARK_REMOTE"]}))
"""

MASTER = """
import json, urllib.request
state = json.load(urllib.request.urlopen("http://spark-master:8080/json/", timeout=10))
print(json.dumps({"workers": [w["host"] for w in state["workers"] if w["state"] == "ALIVE"],
                  "used": sum(w["coresused"] for w in state["workers"]),
                  "apps": [a["name"] for a in state["activeapps"]]}))
"""


def _container(project: Path, service: str) -> dict:
    ids = subprocess.run(
        [DOCKER, "ps", "-q", "--filter", f"label=com.docker.compose.service={service}",
         "--filter", "label=com.docker.compose.project=svcstack_devcontainer"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert len(ids) == 1, (service, ids)
    inspect = subprocess.run(
        [DOCKER, "inspect", ids[0]], capture_output=True, text=True, check=True
    )
    return json.loads(inspect.stdout)[0]


def test_spark_remote_runs_tasks_on_the_two_worker_containers(stack: Path) -> None:
    outcome = in_container(stack, CLUSTER)
    assert outcome["session"] == "pyspark.sql.connect.session", outcome
    assert outcome["remote"] == "sc://spark-connect:15002"
    workers = {name: _container(stack, name) for name in ("spark-worker-1", "spark-worker-2")}
    hostnames = {c["Config"]["Hostname"] for c in workers.values()}
    # the tasks ran in both worker containers, not in the client
    assert set(outcome["ran_on"]) == hostnames, (outcome, hostnames)
    assert outcome["client"] not in outcome["ran_on"]
    master = in_container(stack, MASTER)
    addresses = {
        net["IPAddress"]
        for c in workers.values()
        for net in c["NetworkSettings"]["Networks"].values()
    }
    assert set(master["workers"]) == addresses, (master, addresses)
    assert master["used"] == 2 and master["apps"] == ["Spark Connect server"], master


MYSQL = (
    LOCAL
    + """
import json, os
import pymysql
from pyspark.sql import SparkSession
def connect():
    return pymysql.connect(host="mysql", user=os.environ["MYSQL_USER"],
                           password=os.environ["MYSQL_PASSWORD"], database="app", autocommit=True)
with connect() as conn, conn.cursor() as cur:
    cur.execute("create table people (id int, name varchar(20))")
    cur.execute("insert into people values (1, 'ada'), (2, 'grace')")
url = os.environ["MYSQL_JDBC_URL"]
props = {"user": os.environ["MYSQL_USER"], "password": os.environ["MYSQL_PASSWORD"],
         "driver": "com.mysql.cj.jdbc.Driver"}
spark = SparkSession.builder.master("local[1]").getOrCreate()
people = spark.read.jdbc(url, "people", properties=props)
people.selectExpr("id * 10 AS id", "upper(name) AS name").write.jdbc(
    url, "people_out", mode="overwrite", properties=props)
spark.stop()
with connect() as conn, conn.cursor() as cur:
    cur.execute("select id, name from people_out order by id")
    rows = [list(r) for r in cur.fetchall()]
print(json.dumps({"rows": rows}))
"""
)


def test_spark_reads_the_mysql_service_over_jdbc_and_writes_back(stack: Path) -> None:
    outcome = in_container(stack, MYSQL)
    assert outcome == {"rows": [[10, "ADA"], [20, "GRACE"]]}, outcome
