"""Spark's real jobs in a real image: JDBC to PostgreSQL and MariaDB, s3a:// to an S3 server,
Spark Connect to a separate server, and a tampered jar refused by the build.

One project (Python 3.11: pydata, spark, postgres, mysql, aws) is generated with a hashed lock and
built once by `bootstrap build`; every job runs in that image on the host network, against servers
the test starts: PostgreSQL and MariaDB from Debian's packages in a container, moto's S3 server from
PyPI on loopback, and a Spark Connect server from pyspark's own jars in a second container.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import run

pytestmark = pytest.mark.docker

DOCKER = "/usr/bin/docker"
CA_BUNDLE = os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
BUILD_ENV = {"DOCKER_BUILDKIT": "1"}
BASE = "python:3.11-slim-bookworm"
SERVERS_IMAGE = "bootstrap-test/dbservers:bookworm"
MAVEN = "https://repo1.maven.org/maven2"
# credentials present in the environment of the build: none may reach the image
BUILD_KEY = "AKIABUILDTIME" + secrets.token_hex(4).upper()
BUILD_SECRET = "build-time-secret-" + secrets.token_hex(8)


def _engine_up() -> bool:
    if not shutil.which(DOCKER):
        return False
    return subprocess.run([DOCKER, "info"], capture_output=True, check=False).returncode == 0


if os.environ.get("BOOTSTRAP_SKIP_DOCKER") == "1":
    pytest.skip("BOOTSTRAP_SKIP_DOCKER=1", allow_module_level=True)
if not _engine_up():
    if os.environ.get("BOOTSTRAP_TEST_INSTALLED"):
        raise RuntimeError("no Docker engine: .ci/run starts one with .ci/docker.sh")
    pytest.skip("no Docker engine (run .ci/docker.sh)", allow_module_level=True)


def docker(
    *args: str, check: bool = True, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [DOCKER, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check:
        assert result.returncode == 0, (args[:3], result.stdout[-3000:], result.stderr[-3000:])
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(probe, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(1)
    raise AssertionError(f"{what} did not start within {seconds:.0f} s")


def _new(where: Path, name: str, *args: str) -> Path:
    result = run(
        "new", "--no-input", "--name", name, "--python", "3.11", "--output-dir", where, *args,
        timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return where / name


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from support.standins import ensure_image

    ensure_image(BASE)
    return _new(
        tmp_path_factory.mktemp("spark-jobs"),
        "projspark",
        "--ca-cert",
        CA_BUNDLE,
        "--stack",
        "pydata",
        "--driver",
        "spark,postgres,mysql,aws",
    )


@pytest.fixture(scope="module")
def image(project: Path) -> str:
    """`bootstrap build` once, with AWS credentials in the build's environment, smoke table and all."""
    env = {**BUILD_ENV, "AWS_ACCESS_KEY_ID": BUILD_KEY, "AWS_SECRET_ACCESS_KEY": BUILD_SECRET}
    result = run("build", project, env=env, timeout=3600)
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    assert "FAIL" not in result.stdout, result.stdout
    return f"{project.name}:dev"


def in_image(image: str, *command: str, env: dict[str, str] | None = None, check: bool = True):
    flags = [flag for key, value in (env or {}).items() for flag in ("-e", f"{key}={value}")]
    return docker("run", "--rm", "--network", "host", *flags, image, *command, check=check)


# ---------------------------------------------------------------- the lock


def test_lock_has_the_connect_client_and_pandas_below_3(project: Path) -> None:
    text = (project / "requirements.txt").read_text()
    pins = {}
    for line in text.splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, _, version = line.split(" ")[0].partition("==")
            pins[name.lower()] = version
    assert pins["pyspark"] == "4.2.1"
    for package in ("pyarrow", "grpcio", "grpcio-status", "googleapis-common-protos", "zstandard"):
        assert package in pins, package
    assert int(pins["pandas"].split(".")[0]) < 3, pins["pandas"]


# ---------------------------------------------------------------- JDBC

JDBC_JOB = """
import json, os, sys
from pyspark.sql import SparkSession
url, table_in, table_out = sys.argv[1:4]
props = {"user": os.environ["DB_USER"], "password": os.environ["DB_PASSWORD"]}
spark = SparkSession.builder.master("local[1]").getOrCreate()
rows = sorted((r[0], r[1]) for r in spark.read.jdbc(url, table_in, properties=props).collect())
out = spark.createDataFrame([(10, "ten"), (11, "eleven")], "id INT, name STRING")
out.write.jdbc(url, table_out, mode="overwrite", properties=props)
again = spark.read.jdbc(url, table_out, properties=props).count()
print(json.dumps({"read": rows, "written": again}))
spark.stop()
"""


@pytest.fixture(scope="module")
def servers_image() -> str:
    """PostgreSQL and MariaDB from Debian bookworm's packages."""
    from support.standins import ensure_image

    ensure_image(BASE)
    context = Path(__file__).parent / "support" / "dbservers"
    result = subprocess.run(
        [DOCKER, "build", "--network", "host", "-t", SERVERS_IMAGE, str(context)],
        capture_output=True,
        text=True,
        env={**os.environ, **BUILD_ENV},
        timeout=1800,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return SERVERS_IMAGE


@contextlib.contextmanager
def container(*args: str) -> Iterator[str]:
    cid = docker("run", "-d", "--network", "host", *args).stdout.strip()
    try:
        yield cid
    finally:
        docker("rm", "-f", cid, check=False)


def _jdbc_job(image: str, url: str, user: str, password: str) -> dict:
    result = in_image(
        image,
        "python",
        "-c",
        JDBC_JOB,
        url,
        "people",
        "people_out",
        env={"DB_USER": user, "DB_PASSWORD": password},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_spark_reads_and_writes_postgresql_over_jdbc(image: str, servers_image: str) -> None:
    port, password = _free_port(), secrets.token_hex(8)
    start = (
        f"echo {password} > /tmp/pw && /usr/lib/postgresql/15/bin/initdb -D /tmp/pg -U spark"
        " --pwfile=/tmp/pw --auth-host=scram-sha-256 --auth-local=trust >/dev/null"
        f" && exec /usr/lib/postgresql/15/bin/postgres -D /tmp/pg -p {port} -k /tmp"
        " -c listen_addresses=127.0.0.1"
    )
    with container("--user", "postgres", servers_image, "sh", "-c", start) as pg:
        psql = ["exec", pg, "psql", "-h", "/tmp", "-p", str(port), "-U", "spark", "-d", "postgres"]
        _wait(lambda: docker(*psql, "-c", "select 1", check=False).returncode == 0, "PostgreSQL")
        docker(*psql, "-c", "create table people (id int, name text);")
        docker(*psql, "-c", "insert into people values (1, 'ada'), (2, 'grace');")
        outcome = _jdbc_job(
            image, f"jdbc:postgresql://127.0.0.1:{port}/postgres", "spark", password
        )
        assert outcome == {"read": [[1, "ada"], [2, "grace"]], "written": 2}, outcome
        written = docker(*psql, "-tAc", "select id, name from people_out order by id").stdout
        assert written.split() == ["10|ten", "11|eleven"], written


def test_spark_reads_and_writes_mariadb_over_jdbc(image: str, servers_image: str) -> None:
    port, password = _free_port(), secrets.token_hex(8)
    start = (
        "mariadb-install-db --user=mysql --datadir=/tmp/mdb >/dev/null"
        f" && exec mariadbd --user=mysql --datadir=/tmp/mdb --port={port}"
        " --bind-address=127.0.0.1 --socket=/tmp/mdb.sock --pid-file=/tmp/mdb.pid"
    )
    with container(servers_image, "sh", "-c", start) as db:
        client = ["exec", db, "mariadb", "-S", "/tmp/mdb.sock", "-u", "root"]
        _wait(lambda: docker(*client, "-e", "select 1", check=False).returncode == 0, "MariaDB")
        docker(
            *client,
            "-e",
            # 'localhost' too: the anonymous ''@'localhost' would otherwise win over 'spark'@'%'
            f"create database shop; create user 'spark'@'%' identified by '{password}';"
            f" create user 'spark'@'localhost' identified by '{password}';"
            " grant all on shop.* to 'spark'@'%'; grant all on shop.* to 'spark'@'localhost';"
            " create table shop.people (id int, name varchar(20));"
            " insert into shop.people values (1, 'ada'), (2, 'grace');",
        )
        url = f"jdbc:mysql://127.0.0.1:{port}/shop"
        outcome = _jdbc_job(image, url, "spark", password)
        assert outcome == {"read": [[1, "ada"], [2, "grace"]], "written": 2}, outcome
        written = docker(*client, "-N", "-e", "select id, name from shop.people_out order by id")
        assert written.stdout.split() == ["10", "ten", "11", "eleven"], written.stdout


# ---------------------------------------------------------------- s3a

S3_JOB = """
import json, sys
from pyspark.sql import SparkSession
where = sys.argv[1]
spark = SparkSession.builder.master("local[1]").getOrCreate()
spark.range(100).selectExpr("id", "id * 2 AS twice").write.mode("overwrite").parquet(where)
back = spark.read.parquet(where)
print(json.dumps({"count": back.count(), "sum": back.agg({"twice": "sum"}).first()[0]}))
spark.stop()
"""

LIST_BOTO3 = """
import boto3, json, sys
listing = boto3.client("s3").list_objects_v2(Bucket=sys.argv[1], Prefix=sys.argv[2])
print(json.dumps(sorted(o["Key"] for o in listing.get("Contents", []))))
"""


@pytest.fixture(scope="module")
def s3() -> Iterator[dict[str, str]]:
    """moto's S3 server on loopback, with a bucket; the environment a job needs to reach it."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {
        "AWS_ACCESS_KEY_ID": "AKIA" + secrets.token_hex(8).upper(),
        "AWS_SECRET_ACCESS_KEY": secrets.token_hex(20),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
    }
    try:
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name="us-east-1",
        )

        def up() -> bool:
            try:
                client.list_buckets()
                return True
            except Exception:
                return False

        _wait(up, "moto's S3 server", 60)
        client.create_bucket(Bucket="jobs")
        yield {**env, "_bucket": "jobs"}
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_spark_writes_and_reads_parquet_on_s3a_and_the_clis_agree(
    image: str, s3: dict[str, str]
) -> None:
    env = {k: v for k, v in s3.items() if not k.startswith("_")}
    bucket = s3["_bucket"]
    job = in_image(image, "python", "-c", S3_JOB, f"s3a://{bucket}/numbers", env=env, check=False)
    assert job.returncode == 0, job.stderr[-4000:]
    assert json.loads(job.stdout.strip().splitlines()[-1]) == {"count": 100, "sum": 9900}

    keys = json.loads(
        in_image(image, "python", "-c", LIST_BOTO3, bucket, "numbers/", env=env).stdout
    )
    assert any(k.endswith(".parquet") for k in keys), keys
    cli = in_image(
        image, "aws", "s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "numbers/",
        "--query", "Contents[].Key", "--output", "json", env=env,
    )  # fmt: skip
    assert sorted(json.loads(cli.stdout)) == keys


def test_no_credential_in_any_image_layer(image: str) -> None:
    """The build ran with AWS credentials in its environment: none is in the config, the history
    or any file of any layer."""
    markers = [BUILD_KEY.encode(), BUILD_SECRET.encode()]
    inspect = docker("image", "inspect", image).stdout
    history = docker("history", "--no-trunc", image).stdout
    for marker in markers:
        assert marker.decode() not in inspect and marker.decode() not in history
    config = json.loads(inspect)[0]["Config"]
    assert not [e for e in config.get("Env") or [] if e.startswith("AWS_")], config["Env"]
    saved = subprocess.Popen([DOCKER, "save", image], stdout=subprocess.PIPE)
    assert saved.stdout is not None
    scanned = found = 0
    with tarfile.open(fileobj=saved.stdout, mode="r|") as outer:
        for member in outer:
            if not member.isfile():
                continue
            data = outer.extractfile(member)
            assert data is not None
            if member.name.endswith("layer.tar"):
                with tarfile.open(fileobj=data, mode="r|") as layer:
                    for entry in layer:
                        if entry.isfile():
                            content = layer.extractfile(entry)
                            assert content is not None
                            scanned += 1
                            found += _contains(content, markers)
            else:
                found += _contains(data, markers)
    assert saved.wait() == 0
    assert scanned > 1000, "the layers were read"
    assert found == 0


def _contains(stream, markers: list[bytes], chunk: int = 1 << 20) -> int:
    tail = b""
    longest = max(map(len, markers))
    while block := stream.read(chunk):
        window = tail + block
        if any(m in window for m in markers):
            return 1
        tail = window[-longest:]
    return 0


# ---------------------------------------------------------------- Spark Connect

CONNECT_CLIENT = """
import json, os
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
row = spark.sql("SELECT count(*) AS n, sum(id) AS total FROM range(1000)").first()
print(json.dumps({"session": type(spark).__module__, "n": row.n, "total": row.total,
                  "remote": os.environ["SPARK_REMOTE"]}))
"""


def test_pyspark_with_spark_remote_runs_on_a_separate_connect_server(image: str) -> None:
    port = _free_port()
    server = [
        "spark-submit",
        "--class",
        "org.apache.spark.sql.connect.service.SparkConnectServer",
        "--master",
        "local[1]",
        "--conf",
        f"spark.connect.grpc.binding.port={port}",
    ]
    with container(image, *server) as connect:

        def listening() -> bool:
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", port)) == 0

        _wait(listening, "the Spark Connect server", 180)
        remote = f"sc://127.0.0.1:{port}"
        result = in_image(
            image, "python", "-c", CONNECT_CLIENT, env={"SPARK_REMOTE": remote}, check=False
        )
        assert result.returncode == 0, result.stderr[-4000:]
        outcome = json.loads(result.stdout.strip().splitlines()[-1])
        assert outcome == {
            "session": "pyspark.sql.connect.session",
            "n": 1000,
            "total": 499500,
            "remote": remote,
        }
        assert "does not yet fully support pandas" not in result.stderr
        logs = docker("logs", connect).stdout + docker("logs", connect).stderr
        assert "SparkConnectServer" in logs or "Spark Connect" in logs, logs[-2000:]


# ---------------------------------------------------------------- a tampered jar


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """A static HTTP server on loopback: the organisation's artifact mirror."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_tampered_jdbc_jar_fails_the_build_with_its_name(tmp_path: Path) -> None:
    """The real pgJDBC record, through a mirror serving Maven Central's jar with one byte changed."""
    from support.standins import ensure_image

    from bootstrap.index import ssl_context

    ensure_image(BASE)
    path = "org/postgresql/postgresql/42.7.14/postgresql-42.7.14.jar"
    with urllib.request.urlopen(f"{MAVEN}/{path}", timeout=120, context=ssl_context()) as answer:
        real = bytearray(answer.read())
    real[len(real) // 2] ^= 0x01
    mirror = tmp_path / "mirror"
    jar = mirror / path
    jar.parent.mkdir(parents=True)
    jar.write_bytes(bytes(real))
    with serve(mirror) as url:
        project = _new(
            tmp_path, "tampered", "--driver", "spark,postgres", "--ca-cert", CA_BUNDLE,
            "--artifact-mirror", url, "--offline",
        )  # fmt: skip
        result = run("build", project, "--no-smoke", env=BUILD_ENV, timeout=1800)
    assert result.returncode == 1, result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert "checksum mismatch for postgresql-42.7.14.jar" in last, last
