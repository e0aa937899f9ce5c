"""The Codespaces part of devcontainer.json: machine size from the stack, secrets, ports, the
README on open, and quick, repeatable lifecycle commands."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import json5
from helpers import official_errors, run

DEVCONTAINER = Path(".devcontainer/devcontainer.json")


def devcontainer(project: Path) -> dict:
    assert official_errors(project / DEVCONTAINER) == []
    return json5.loads((project / DEVCONTAINER).read_text())


def catalog() -> dict:
    result = run("catalog", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    return {r["id"]: r for kind in ("stacks", "drivers") for r in data[kind]}


def test_host_requirements_scale_with_the_stack(new_project) -> None:
    small = devcontainer(new_project("--stack", "pydata", name="small"))["hostRequirements"]
    assert small == {"cpus": 2, "memory": "4gb", "storage": "32gb"}
    spark = devcontainer(new_project("--stack", "pydata", "--driver", "spark", name="spark"))
    assert spark["hostRequirements"]["cpus"] >= 4
    assert spark["hostRequirements"]["memory"] == "8gb"
    assert "gpu" not in spark["hostRequirements"]
    gpu = devcontainer(new_project("--stack", "pytorch", "--option", "pytorch:gpu", name="gpu"))
    assert gpu["hostRequirements"]["gpu"] is True
    assert (
        "gpu" not in devcontainer(new_project("--stack", "pytorch", name="cpu"))["hostRequirements"]
    )


def test_storage_follows_the_largest_record(new_project, tmp_path: Path) -> None:
    org = tmp_path / "big.toml"
    org.write_text(
        'kind = "stack"\nid = "big-models"\nname = "Big models"\nsummary = "Large model files."\n'
        'sources = ["ACME"]\nhost_requirements = { storage = "64gb", memory = "16gb" }\n'
    )
    hosts = devcontainer(
        new_project("--stack", "big-models,pydata", "--driver", "spark", "--catalog", str(org))
    )["hostRequirements"]
    assert hosts == {"cpus": 4, "memory": "16gb", "storage": "64gb"}


def test_every_driver_credential_is_a_described_secret(new_project) -> None:
    records = catalog()
    drivers = ["aws", "oracle", "postgres", "mssql", "mysql"]
    config = devcontainer(new_project("--python", "3.12", "--driver", ",".join(drivers)))
    expected = {name for d in drivers for name in records[d].get("secrets", {})}
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "DATABASE_URL"} <= expected
    assert set(config["secrets"]) == expected
    for name, secret in config["secrets"].items():
        assert secret["description"].strip(), name


def test_no_driver_no_secrets(new_project) -> None:
    assert "secrets" not in devcontainer(new_project("--stack", "pydata"))


def test_ports_have_labels_and_the_readme_opens(new_project) -> None:
    config = devcontainer(new_project("--stack", "jupyter,flask", "--driver", "spark"))
    assert sorted(config["forwardPorts"]) == [4040, 8000, 8888]
    for port in config["forwardPorts"]:
        assert config["portsAttributes"][str(port)]["label"]
    assert config["customizations"]["codespaces"]["openFiles"] == ["README.md"]
    assert config["waitFor"] == "postCreateCommand"
    assert "pip check" in config["postCreateCommand"]
    assert config["postStartCommand"] == "python .devcontainer/check-lock.py"


def _check_lock(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, ".devcontainer/check-lock.py"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_post_start_check_is_read_only_repeatable_and_spots_a_stale_lock(new_project) -> None:
    project = new_project("--stack", "pydata")
    pytest_version = metadata.version("pytest")
    lock = project / "requirements.txt"
    lock.write_text(f"pytest=={pytest_version} \\\n    --hash=sha256:{'0' * 64}\n")
    before = sorted(p.name for p in project.rglob("*"))
    first, second = _check_lock(project), _check_lock(project)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout == "requirements.txt: installed\n"
    lock.write_text("pytest==0.0.1\nnot-installed-anywhere==1.0\n")
    stale = _check_lock(project)
    assert stale.returncode == 0
    assert "changed since this container was built" in stale.stdout
    assert "not-installed-anywhere==1.0 (installed: none)" in stale.stdout
    assert "Rebuild Container" in stale.stdout
    assert sorted(p.name for p in project.rglob("*")) == before
