"""The catalog: records valid and sourced, listed by `bootstrap catalog`, extended by organisations."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from helpers import hadolint_errors, official_errors, run

from bootstrap import catalog

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

RECORD_FILES = sorted(catalog.RECORDS_DIR.glob("*/*.toml"))


@pytest.mark.parametrize("path", RECORD_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_builtin_record_is_valid_and_sourced(path: Path) -> None:
    record = tomllib.loads(path.read_text(encoding="utf-8"))
    catalog.validate_record(record, str(path))
    assert path.stem == record["id"]
    assert record["sources"], "every record says where its facts come from"
    for combo in record.get("combos", []):
        assert combo.get("sources"), (
            f"combination with {combo['with']}: where do its facts come from?"
        )
    for artifact in record.get("artifacts", []) + [
        a
        for part in [*record.get("options", {}).values(), *record.get("combos", [])]
        for a in part.get("artifacts", [])
    ]:
        assert artifact.get("source"), f"{artifact['name']}: where does its checksum come from?"


def test_every_accepted_id_is_in_the_catalog() -> None:
    built = catalog.builtin()
    assert built.pythons == ["2.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14"]
    assert set(built.of("stack")) == {
        "jupyter",
        "pydata",
        "polars",
        "pytorch",
        "tensorflow",
        "flask",
    }
    assert set(built.of("driver")) == {
        "oracle",
        "spark",
        "hadoop",
        "aws",
        "postgres",
        "mssql",
        "mysql",
    }


def test_catalog_table_and_json() -> None:
    table = run("catalog")
    assert table.returncode == 0
    built = catalog.builtin()
    for kind in ("python", "stack", "driver"):
        for record_id in built.of(kind):
            assert f"{kind} " in table.stdout and f" {record_id} " in table.stdout
    assert "python:3.11-slim-bookworm" in table.stdout
    assert "2.7–3.13" in table.stdout, "tensorflow's Python range is shown"
    data = json.loads(run("catalog", "--json").stdout)
    assert [r["id"] for r in data["pythons"]] == built.pythons
    assert {r["id"] for r in data["drivers"]} == set(built.of("driver"))


ORG_DRIVER = """\
kind = "driver"
id = "acme-db"
name = "ACME warehouse"
summary = "ACME's internal JDBC driver and Python client."
sources = ["ACME internal artifact repository"]
detect = { imports = ["acmedb"] }
apt = ["default-jre-headless"]
env = { ACME_JDBC = "/opt/jars/acme-jdbc.jar" }
pip = ["six==1.17.0"]
smoke = ["test -s /opt/jars/acme-jdbc.jar"]
ports = [{ port = 9090, label = "ACME console" }]

[secrets.ACME_PASSWORD]
description = "password for the ACME warehouse"

[[artifacts]]
name = "acme-jdbc-1.0.jar"
base = "https://artifacts.acme.example/maven"
path = "com/acme/acme-jdbc/1.0/acme-jdbc-1.0.jar"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
dest = "/opt/jars/acme-jdbc.jar"
source = "ACME artifact repository"
"""


def test_organisation_catalog_adds_a_driver_end_to_end(tmp_path: Path) -> None:
    org = tmp_path / "acme.toml"
    org.write_text(ORG_DRIVER)
    listed = run("catalog", "--catalog", org)
    assert " acme-db " in listed.stdout
    out = tmp_path / "o"
    result = run(
        "new",
        "--no-input",
        "--offline",
        "--name",
        "warehouse",
        "--python",
        "3.12",
        "--driver",
        "acme-db,aws",
        "--catalog",
        org,
        "--output-dir",
        out,
    )
    assert result.returncode == 0, result.stderr
    project = out / "warehouse"
    dockerfile = (project / "Dockerfile").read_text()
    assert "acme-jdbc-1.0.jar" in dockerfile and 'ACME_JDBC="/opt/jars/acme-jdbc.jar"' in dockerfile
    assert "six==1.17.0" in (project / "requirements.txt").read_text()
    devcontainer = (project / ".devcontainer/devcontainer.json").read_text()
    assert "ACME_PASSWORD" in devcontainer and "9090" in devcontainer
    assert official_errors(project / ".devcontainer/devcontainer.json") == []
    assert hadolint_errors(project / "Dockerfile") == []
    recorded = json.loads((project / ".devcontainer/bootstrap.json").read_text())
    assert recorded["catalogs"] == [str(org.resolve())]
    assert run("validate", project).returncode == 0, "validate finds the recorded catalog"


def test_organisation_catalog_from_the_environment_overrides_a_base_image(tmp_path: Path) -> None:
    folder = tmp_path / "org"
    folder.mkdir()
    (folder / "python312.toml").write_text(
        'kind = "python"\nid = "3.12"\nname = "Python 3.12 (ACME)"\nsummary = "ACME hardened image"\n'
        'image = "registry.acme.example/python:3.12-slim-bookworm"\ndebian = "bookworm"\njava = 17\n'
        'sources = ["ACME platform team"]\n'
    )
    out = tmp_path / "o"
    result = run(
        "new",
        "--no-input",
        "--offline",
        "--name",
        "p",
        "--python",
        "3.12",
        "--output-dir",
        out,
        env={"BOOTSTRAP_CATALOG": str(folder)},
    )
    assert result.returncode == 0, result.stderr
    assert (
        "ARG BASE_IMAGE=registry.acme.example/python:3.12-slim-bookworm"
        in (out / "p/Dockerfile").read_text()
    )


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (
            'kind = "driver"\nid = "x"\nname = "X"\nsummary = "x"\n',
            "'sources' is a required property",
        ),
        (
            'kind = "driver"\nid = "x"\nname = "X"\nsummary = "x"\nsources = ["s"]\napt = "curl"\n',
            "/apt",
        ),
        (
            'kind = "driver"\nid = "x"\nname = "X"\nsummary = "x"\nsources = ["s"]\n'
            '[[artifacts]]\nname = "a"\nbase = "https://x"\npath = "a"\ndest = "/a"\n',
            "/artifacts/0",
        ),
        ("kind = \n", "not valid TOML"),
    ],
)
def test_bad_organisation_catalog_exits_2(tmp_path: Path, content: str, needle: str) -> None:
    org = tmp_path / "bad.toml"
    org.write_text(content)
    result = run(
        "new",
        "--no-input",
        "--offline",
        "--name",
        "p",
        "--catalog",
        org,
        "--output-dir",
        tmp_path / "o",
    )
    assert result.returncode == 2, result.stderr
    assert str(org) in result.stderr and needle in result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_missing_organisation_catalog_exits_2(tmp_path: Path) -> None:
    result = run("catalog", "--catalog", tmp_path / "nope.toml")
    assert result.returncode == 2 and "no such file" in result.stderr
