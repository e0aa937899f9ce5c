"""The installed wheel carries the template, the catalog and the schemas."""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

import pytest
from helpers import REPO, run

import bootstrap
from bootstrap.render import TEMPLATE_DIR


@pytest.mark.skipif(
    os.environ.get("BOOTSTRAP_TEST_INSTALLED") != "1",
    reason="runs against the installed wheel in CI",
)
def test_tests_run_against_the_installed_wheel() -> None:
    site = Path(sysconfig.get_path("purelib")).resolve()
    assert Path(bootstrap.__file__).resolve().is_relative_to(site), bootstrap.__file__
    for path in [
        TEMPLATE_DIR / "cookiecutter.json",
        TEMPLATE_DIR / "hooks",
        TEMPLATE_DIR / "{{cookiecutter.project}}",
    ]:
        assert path.exists() and not path.is_symlink(), path


def _files(root: Path) -> set[str]:
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.mark.skipif(
    os.environ.get("BOOTSTRAP_TEST_INSTALLED") != "1",
    reason="runs against the installed wheel in CI",
)
def test_the_wheel_carries_every_template_file() -> None:
    checkout = REPO / "bootstrap" / "template"
    if not checkout.is_dir():
        pytest.skip("needs the repository checkout to compare with")
    expected = set()
    for entry in checkout.iterdir():
        target = entry.resolve()
        if target.is_dir():
            expected |= {f"{entry.name}/{f}" for f in _files(target)}
        else:
            expected.add(entry.name)
    assert _files(TEMPLATE_DIR) == expected


def test_package_data_is_present() -> None:
    root = Path(bootstrap.__file__).parent
    assert (root / "schemas/answers.schema.json").is_file()
    assert (root / "schemas/catalog.schema.json").is_file()
    assert (root / "schemas/devcontainer/devContainer.schema.json").is_file()
    assert len(list((root / "catalog/records").glob("*/*.toml"))) >= 21
    template = TEMPLATE_DIR / "{{cookiecutter.project}}"
    for name in (
        "Dockerfile",
        "README.md",
        "requirements.in",
        "requirements.txt",
        ".dockerignore",
        ".gitattributes",
        ".devcontainer/devcontainer.json",
        ".devcontainer/fetch-artifact",
    ):
        assert (template / name).is_file(), name


def test_console_script_and_module_entry_point() -> None:
    assert run("--version").stdout.startswith("bootstrap ")
    assert "new" in run("--help").stdout
