"""Planning: records that contribute only in combination (Spark with a database, Spark with AWS)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import run

from bootstrap import catalog
from bootstrap.plan import make_plan, why_not

DATABASES = {
    "postgres": ("postgresql.jar", "org/postgresql/postgresql/"),
    "mysql": ("mysql-connector-j.jar", "com/mysql/mysql-connector-j/"),
    "mssql": ("mssql-jdbc.jar", "com/microsoft/sqlserver/mssql-jdbc/"),
    "oracle": ("ojdbc11.jar", "com/oracle/database/jdbc/ojdbc11/"),
}
# the Hadoop each pinned pyspark bundles (deps/jars/hadoop-client-*.jar of its sdist on PyPI)
BUNDLED_HADOOP = {"4.2.1": "3.5.0", "4.0.5": "3.4.1", "3.5.9": "3.3.4", "3.0.3": "3.2.0"}


def _plan(python: str, *drivers: str, stacks: tuple[str, ...] = (), options=()) -> dict:
    answers = {
        "name": "p",
        "project": "p",
        "python": python,
        "stacks": list(stacks),
        "drivers": list(drivers),
        "options": list(options),
    }
    return make_plan(answers, catalog.builtin())


def _jars(plan: dict) -> dict[str, dict]:
    return {a["dest"].removeprefix("/opt/jars/"): a for a in plan["artifacts"]}


@pytest.mark.parametrize("python", catalog.builtin().pythons)
@pytest.mark.parametrize("database", list(DATABASES))
def test_spark_with_a_database_brings_its_jdbc_jar(python: str, database: str) -> None:
    jar, maven_path = DATABASES[database]
    alone = _plan(python, database)
    assert jar not in _jars(alone), "no jar without Spark (oracle: without its jdbc option)"
    plan = _plan(python, "spark", database)
    artifact = _jars(plan)[jar]
    assert artifact["base"] == "https://repo1.maven.org/maven2"
    assert artifact["path"].startswith(maven_path) and artifact["path"].endswith(artifact["name"])
    assert re.fullmatch(r"[0-9a-f]{64}", artifact["sha256"])
    assert "matched Maven Central's published .sha1" in artifact["source"]
    assert any(s["component"] == database and jar in s["command"] for s in plan["smoke"])
    # on Spark's classpath: every jar in /opt/jars, through spark-defaults.conf
    assert any("extraClassPath /opt/jars/*" in step for step in plan["run"])


def test_oracle_jdbc_option_and_spark_give_one_jar() -> None:
    plan = _plan("3.12", "spark", "oracle", options=["oracle:jdbc"])
    assert [a["name"] for a in plan["artifacts"]].count("ojdbc11-23.26.3.0.0.jar") == 1


@pytest.mark.parametrize("python", catalog.builtin().pythons)
def test_spark_with_aws_brings_hadoop_aws_matching_the_bundled_hadoop(python: str) -> None:
    plan = _plan(python, "spark", "aws")
    pyspark = next(line for line in plan["pip"] if line.startswith("pyspark"))
    version = pyspark.split("==")[1]
    jars = _jars(plan)
    assert jars["hadoop-aws.jar"]["name"] == f"hadoop-aws-{BUNDLED_HADOOP[version]}.jar"
    assert "aws-sdk-bundle.jar" in jars
    assert all(a["sha256"] for a in jars.values())
    conf = "\n".join(plan["run"])
    assert "fs.s3a.aws.credentials.provider" in conf and "AWS_ENDPOINT_URL" in conf
    assert "fs.s3a.path.style.access=true" in conf
    assert not any(key.startswith("AWS_") for key in plan["env"]), "no credential in the image"
    assert "hadoop-aws.jar" not in _jars(_plan(python, "spark"))
    assert "hadoop-aws.jar" not in _jars(_plan(python, "aws"))


@pytest.mark.parametrize("python", [p for p in catalog.builtin().pythons if p != "2.7"])
def test_spark_brings_the_connect_client_and_keeps_pandas_below_3(python: str) -> None:
    plan = _plan(python, "spark", stacks=("pydata",))
    pyspark = next(line for line in plan["pip"] if line.startswith("pyspark"))
    assert pyspark.startswith("pyspark[connect]==")
    pandas = [line for line in plan["pip"] if line.startswith("pandas")]
    assert len(pandas) == 1 and int(pandas[0].split("==")[1].split(".")[0]) < 3, pandas
    record = catalog.builtin().get("driver", "spark")
    metadata = {m["version"]: m for m in record["lock_metadata"]}
    version = pyspark.split("==")[1]
    assert any("extra == 'connect'" in r for r in metadata[version]["requires_dist"])


def test_pydata_alone_keeps_its_own_pandas() -> None:
    assert "pandas==3.1.1" in _plan("3.12", stacks=("pydata",))["pip"]


def test_readme_shows_each_job(tmp_path: Path) -> None:
    result = run(
        "new",
        "--no-input",
        "--offline",
        "--name",
        "jobs",
        "--python",
        "3.12",
        "--driver",
        "spark,aws,postgres,mysql",
        "--output-dir",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    readme = (tmp_path / "jobs/README.md").read_text()
    for needle in (
        'spark.read.jdbc(url, "public.orders"',
        "jdbc:mysql://",
        'spark.read.parquet("s3a://',
        "AWS_ENDPOINT_URL",
        "SPARK_REMOTE=sc://",
    ):
        assert needle in readme, needle


COMBO_RECORDS = """\
[[record]]
kind = "driver"
id = "engine"
name = "Engine"
summary = "x"
sources = ["test"]

[[record.combos]]
with = ["store"]
python = "<3.12"
refuse = "the engine's store connector needs a newer engine"

[[record.combos]]
with = ["store"]
env = { ENGINE_STORE = "on" }

[[record]]
kind = "driver"
id = "store"
name = "Store"
summary = "x"
sources = ["test"]
"""


def test_a_refusing_combination_is_refused_with_its_reason_and_way_out(tmp_path: Path) -> None:
    org = tmp_path / "org.toml"
    org.write_text(COMBO_RECORDS)
    base = ["new", "--no-input", "--offline", "--name", "c", "--catalog", org]
    refused = run(*base, "--python", "3.11", "--driver", "engine,store", "--output-dir", tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert "engine and store cannot be combined on Python 3.11" in refused.stderr
    assert "the engine's store connector needs a newer engine" in refused.stderr
    assert "choose Python 3.12–3.14, or drop" in refused.stderr, refused.stderr
    assert not (tmp_path / "c").exists()

    made = run(*base, "--python", "3.12", "--driver", "engine,store", "--output-dir", tmp_path)
    assert made.returncode == 0, made.stderr
    assert 'ENGINE_STORE="on"' in (tmp_path / "c/Dockerfile").read_text()

    # the wizard shows the second choice disabled, whichever record declares the combination
    org_catalog = catalog.load([org], use_env=False)
    answers = {"python": "3.11", "drivers": ["store"]}
    assert why_not(org_catalog, answers, "engine") == (
        "the engine's store connector needs a newer engine"
    )
    assert why_not(org_catalog, {"python": "3.11", "drivers": ["engine"]}, "store") is not None
    assert why_not(org_catalog, {"python": "3.12", "drivers": ["engine"]}, "store") is None
