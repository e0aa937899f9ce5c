"""Services beside the dev container (`--service`): catalog records rendered into
.devcontainer/compose.yaml, which devcontainer.json opens, checked without a Docker engine.

The compose file is validated against the Compose Specification's own schema (vendored in
tests/support/compose_spec with its source) and, where Debian's docker-compose is installed, by
`docker-compose config`, which is how SQL Server and Oracle Free (no stand-in images here) are
checked at all.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import json5
import pytest
import yaml
from helpers import official_errors, run

from bootstrap import catalog

SPEC = Path(__file__).parent / "support" / "compose_spec" / "compose-spec.json"
ALL = ["postgres", "mysql", "mssql", "oracle", "s3", "spark"]


def compose_errors(compose_file: Path) -> list[str]:
    from jsonschema import Draft7Validator

    schema = json.loads(SPEC.read_text(encoding="utf-8"))
    document = yaml.safe_load(compose_file.read_text(encoding="utf-8"))
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in Draft7Validator(schema).iter_errors(document)
    ]


def compose_config(project: Path, env: dict[str, str] | None = None) -> dict:
    """`docker-compose config`: compose's own reading of the file, variables interpolated."""
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    result = subprocess.run(
        [tool, "-f", str(project / ".devcontainer/compose.yaml"), "config"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@pytest.fixture(scope="module")
def everything(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("services")
    flags = [f"--service={s}" for s in ALL]
    result = run(
        "new", "--no-input", "--name", "stack", "--python", "3.11", *flags,
        "--output-dir", out, "--offline",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out / "stack"


def test_every_service_is_a_record_with_pinned_sourced_images() -> None:
    services = catalog.builtin().of("service")
    assert list(services) == ALL
    for sid, record in services.items():
        for name, container in record["compose"]["containers"].items():
            if container.get("from_app"):
                continue
            image = container["image"]
            tag = image.rsplit(":", 1)[1]
            assert tag not in ("latest", "lts") and re.search(r"\d+\.\d+", tag), (sid, image)
            assert container["image_source"], f"{sid}/{name}: where does the tag come from?"
            assert container.get("healthcheck"), f"{sid}/{name}: compose waits for it healthy"
        for driver in record.get("drivers", []):
            assert catalog.builtin().get("driver", driver), (sid, driver)


def test_compose_file_validates_and_wires_every_service(everything: Path) -> None:
    compose_file = everything / ".devcontainer/compose.yaml"
    assert compose_errors(compose_file) == []
    document = yaml.safe_load(compose_file.read_text())
    services = document["services"]
    app = services["app"]
    assert app["build"] == {**app["build"], "context": "..", "dockerfile": "Dockerfile"}
    assert app["build"]["target"] == "dev"
    assert app["volumes"] == ["../..:/workspaces:cached"]
    # every service at a pinned official tag, its data in a named volume, healthy before the app
    assert services["postgres"]["image"] == "postgres:15.19-bookworm"
    assert services["mysql"]["image"] == "mariadb:10.11.18"
    assert services["s3"]["image"] == "motoserver/moto:5.2.5"
    assert services["mssql"]["image"].startswith("mcr.microsoft.com/mssql/server:2022-")
    assert services["oracle"]["image"].startswith("container-registry.oracle.com/database/free:")
    assert set(document["volumes"]) == {"postgres-data", "mysql-data", "mssql-data", "oracle-data"}
    for name, service in services.items():
        if name == "app":
            continue
        assert "healthcheck" in service, name
        assert app["depends_on"][name] == {"condition": "service_healthy"}, name
    # the Spark cluster runs the project's own image, built like the app
    for name in ("spark-master", "spark-worker-1", "spark-worker-2", "spark-connect"):
        assert services[name]["build"] == app["build"] and services[name]["image"] == app["image"]
    assert services["spark-connect"]["depends_on"]["spark-worker-2"] == {
        "condition": "service_healthy"
    }
    env = app["environment"]
    # the first database keeps DATABASE_URL; each keeps its own variables
    assert env["DATABASE_URL"] == "${DATABASE_URL:-postgresql://app:app@postgres:5432/app}"
    assert env["MYSQL_URL"] == "${MYSQL_URL:-mysql://app:app@mysql:3306/app}"
    assert env["ORACLE_DSN"] == "${ORACLE_DSN:-oracle:1521/FREEPDB1}"
    assert env["AWS_ENDPOINT_URL"] == "${AWS_ENDPOINT_URL:-http://s3:5000}"
    assert env["SPARK_REMOTE"] == "${SPARK_REMOTE:-sc://spark-connect:15002}"


def test_devcontainer_json_opens_the_app_service(everything: Path) -> None:
    path = everything / ".devcontainer/devcontainer.json"
    assert official_errors(path) == []
    data = json5.loads(path.read_text())
    assert "build" not in data
    assert data["dockerComposeFile"] == "compose.yaml"
    assert data["service"] == "app"
    assert data["runServices"][0] == "app"
    assert set(data["runServices"]) == set(
        yaml.safe_load((everything / ".devcontainer/compose.yaml").read_text())["services"]
    )
    assert data["workspaceFolder"] == "/workspaces/${localWorkspaceFolderBasename}"
    assert data["shutdownAction"] == "stopCompose"
    assert "spark-master:8080" in data["forwardPorts"]
    assert run("validate", everything).returncode == 0


def test_services_are_recorded_and_bring_their_drivers(everything: Path) -> None:
    recorded = json.loads((everything / ".devcontainer/bootstrap.json").read_text())
    assert recorded["services"] == ALL
    assert set(recorded["drivers"]) >= {"postgres", "mysql", "mssql", "oracle", "aws", "spark"}
    readme = (everything / "README.md").read_text()
    for heading in ("PostgreSQL service", "S3 service", "Spark cluster", "Oracle Database service"):
        assert f"### {heading}" in readme
    assert "development only" in readme and "SPARK_REMOTE" in readme
    assert "do not run this image" in readme  # SQL Server and Oracle: checked, not run


def test_docker_compose_config_reads_it_and_the_host_overrides(everything: Path) -> None:
    config = compose_config(everything, {"DATABASE_URL": "postgresql://me@db.example/prod"})
    env = config["services"]["app"]["environment"]
    assert env["DATABASE_URL"] == "postgresql://me@db.example/prod"  # the host's value wins
    assert env["PGHOST"] == "postgres" and env["AWS_ACCESS_KEY_ID"] == "dev-only-key"
    assert config["services"]["mssql"]["environment"]["ACCEPT_EULA"] == "Y"
    assert config["services"]["oracle"]["healthcheck"]["test"][0] == "CMD"


def test_no_service_no_compose_file(new_project) -> None:
    project = new_project("--python", "3.11")
    assert not (project / ".devcontainer/compose.yaml").exists()
    data = json5.loads((project / ".devcontainer/devcontainer.json").read_text())
    assert data["build"]["target"] == "dev" and "dockerComposeFile" not in data


def test_answers_file_and_bad_service(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("name: shop\npython: '3.12'\nservices: [s3]\n")
    result = run("new", "--no-input", "--answers", answers, "--output-dir", tmp_path, "--offline")
    assert result.returncode == 0, result.stderr
    recorded = json.loads((tmp_path / "shop/.devcontainer/bootstrap.json").read_text())
    assert recorded["services"] == ["s3"] and "aws" in recorded["drivers"]
    bad = run("new", "--no-input", "--service", "redis", "--output-dir", tmp_path, "--offline")
    assert bad.returncode == 2 and "redis" in bad.stderr and "postgres" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_spark_cluster_needs_pyspark_4(tmp_path: Path) -> None:
    result = run(
        "new", "--no-input", "--python", "3.8", "--service", "spark",
        "--output-dir", tmp_path, "--offline",
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "service spark" in result.stderr and "Python 3.8" in result.stderr


def test_update_adds_and_removes_one_service(new_project) -> None:
    project = new_project("--python", "3.11", "--service", "postgres")
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.invalid", "-C", str(project)]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "generated"], check=True)
    added = run("update", project, "--add-service", "s3", "--offline", "--force")
    assert added.returncode == 0, added.stderr
    services = yaml.safe_load((project / ".devcontainer/compose.yaml").read_text())["services"]
    assert set(services) == {"app", "postgres", "s3"}
    removed = run("update", project, "--remove-service", "postgres", "--offline", "--force")
    assert removed.returncode == 0, removed.stderr
    services = yaml.safe_load((project / ".devcontainer/compose.yaml").read_text())["services"]
    assert set(services) == {"app", "s3"}
    recorded = json.loads((project / ".devcontainer/bootstrap.json").read_text())
    assert recorded["services"] == ["s3"]
    gone = run("update", project, "--remove-service", "s3", "--offline", "--force")
    assert gone.returncode == 0, gone.stderr
    assert not (project / ".devcontainer/compose.yaml").exists()
    data = json5.loads((project / ".devcontainer/devcontainer.json").read_text())
    assert "build" in data and "dockerComposeFile" not in data
    missing = run("update", project, "--remove-service", "mysql", "--offline", "--force")
    assert missing.returncode == 2 and "no such service" in missing.stderr


def test_init_beside_an_own_dockerfile_builds_the_moved_one(tmp_path: Path) -> None:
    from bootstrap.layout import dockerfile_path

    project = tmp_path / "proj"
    project.mkdir()
    (project / "app.py").write_text("import psycopg\n")
    (project / "Dockerfile").write_text("FROM scratch\n")
    result = run("init", project, "--no-input", "--service", "postgres", "--offline")
    assert result.returncode == 0, result.stderr
    app = yaml.safe_load((project / ".devcontainer/compose.yaml").read_text())["services"]["app"]
    assert app["build"]["dockerfile"] == ".devcontainer/Dockerfile"  # relative to the context
    assert (project / "Dockerfile").read_text() == "FROM scratch\n"  # the user's, untouched
    assert dockerfile_path(project) == project / ".devcontainer/Dockerfile"
    assert run("validate", project).returncode == 0


def test_every_service_has_smoke_checks_build_runs_in_the_app_container() -> None:
    from bootstrap.plan import make_plan

    cat = catalog.builtin()
    for sid, record in cat.of("service").items():
        assert record.get("smoke"), f"{sid}: what does build check with the stack up?"
    answers = {"name": "p", "python": "3.11", "services": ["postgres", "s3"]}
    from bootstrap.answers import validate

    plan = make_plan(validate(answers, cat, origin="test"), cat)
    assert [s["component"] for s in plan["service_smoke"]] == ["postgres service", "s3 service"]
    assert all(s["command"] for s in plan["service_smoke"])


GPU_RESERVATION = {
    "resources": {
        "reservations": {"devices": [{"driver": "nvidia", "count": "all", "capabilities": ["gpu"]}]}
    }
}


def test_gpu_with_services_is_asked_for_the_compose_way(new_project) -> None:
    # without services devcontainer.json passes --gpus all; with them the CLI ignores runArgs, so
    # the app service of compose.yaml reserves the GPU itself
    plain = new_project("--python", "3.11", "--stack", "pytorch", "--option", "pytorch:gpu")
    data = json5.loads((plain / ".devcontainer/devcontainer.json").read_text())
    assert data["runArgs"] == ["--gpus", "all"]
    gpu = new_project(
        "--python", "3.11", "--stack", "pytorch", "--option", "pytorch:gpu",
        "--service", "postgres", name="gpusvc",
    )  # fmt: skip
    compose_file = gpu / ".devcontainer/compose.yaml"
    assert compose_errors(compose_file) == []
    services = yaml.safe_load(compose_file.read_text())["services"]
    assert services["app"]["deploy"] == GPU_RESERVATION
    assert "deploy" not in services["postgres"]  # the service containers need no GPU
    data = json5.loads((gpu / ".devcontainer/devcontainer.json").read_text())
    assert "runArgs" not in data and data["hostRequirements"]["gpu"] is True
    assert official_errors(gpu / ".devcontainer/devcontainer.json") == []
    config = compose_config(gpu)  # docker-compose reads the reservation as written
    assert config["services"]["app"]["deploy"] == GPU_RESERVATION
    cpu = new_project(
        "--python", "3.11", "--stack", "pytorch", "--service", "postgres", name="cpusvc"
    )
    cpu_compose = yaml.safe_load((cpu / ".devcontainer/compose.yaml").read_text())
    assert compose_errors(cpu / ".devcontainer/compose.yaml") == []
    assert "deploy" not in cpu_compose["services"]["app"]


def _as_the_cli_resolves(values: dict[str, str], host: dict[str, str]) -> dict[str, str]:
    """devcontainer.json's ``${localEnv:NAME[:default]}`` against the host's environment ``host``."""

    def one(match: re.Match[str]) -> str:
        name, _, default = match.group(1).partition(":")
        return host.get(name) or default

    return {key: re.sub(r"\$\{localEnv:([^}]+)\}", one, value) for key, value in values.items()}


WHO = """
import json, boto3
session = boto3.Session()
session.client("s3")
print(json.dumps({"profile": session.profile_name, "key": session.get_credentials().access_key}))
"""


def _boto3_in(env: dict[str, str], home: Path) -> subprocess.CompletedProcess[str]:
    """boto3 (this test environment's) with the container's variables and a mounted ~/.aws."""
    (home / ".aws").mkdir(parents=True, exist_ok=True)  # what host_folders creates when missing
    return subprocess.run(
        [sys.executable, "-c", WHO],
        env={"PATH": "/usr/bin:/bin", "HOME": str(home), **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_aws_credentials_work_without_a_host_profile(new_project, tmp_path: Path) -> None:
    # a host with no AWS profile at all: keys from the environment (a Codespaces secret) must work
    host = {"AWS_ACCESS_KEY_ID": "from-a-secret", "AWS_SECRET_ACCESS_KEY": "s"}
    project = new_project("--python", "3.11", "--driver", "aws")
    data = json5.loads((project / ".devcontainer/devcontainer.json").read_text())
    assert "/home/app/.aws" in " ".join(data["mounts"])  # the host's ~/.aws, read-only
    env = _as_the_cli_resolves({**data["containerEnv"], **data.get("remoteEnv", {})}, host)
    assert "AWS_PROFILE" not in env  # boto3 reads the profile `default` by itself when it exists
    ran = _boto3_in({**env, **host, "AWS_DEFAULT_REGION": "eu-west-1"}, tmp_path / "plain")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout) == {"profile": "default", "key": "from-a-secret"}
    # a host profile named `default` in the mounted ~/.aws is still read
    home = tmp_path / "profiled"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws/credentials").write_text(
        "[default]\naws_access_key_id = from-aws-folder\naws_secret_access_key = s\n"
    )
    ran = _boto3_in({**env, "AWS_DEFAULT_REGION": "eu-west-1"}, home)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["key"] == "from-aws-folder"


def test_aws_with_the_s3_service_uses_the_development_keys(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(
        "new", "--no-input", "--name", "s3p", "--service", "s3", "--output-dir", out, "--offline"
    )
    assert result.returncode == 0, result.stderr
    project = out / "s3p"
    data = json5.loads((project / ".devcontainer/devcontainer.json").read_text())
    env = _as_the_cli_resolves({**data["containerEnv"], **data.get("remoteEnv", {})}, {})
    app = compose_config(project)["services"]["app"]["environment"]  # the host sets nothing
    assert "AWS_PROFILE" not in env and "AWS_PROFILE" not in app
    ran = _boto3_in({**app, **env}, tmp_path / "home")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["key"] == "dev-only-key"
