"""Installing from a checkout as people do: `pipx install .` and `uv tool install .`, each into
its own folders, then the installed command runs; and the wheel builds without deprecation
warnings, carrying its SPDX licence."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import REPO

from bootstrap import __version__

pytestmark = pytest.mark.network

IGNORE = shutil.ignore_patterns(
    ".git", "__pycache__", "*.egg-info", "build", "dist", ".pytest_cache", ".ruff_cache"
)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout, so building writes nothing into the real one."""
    if not (REPO / "pyproject.toml").is_file():
        pytest.skip("needs the repository checkout")
    target = tmp_path_factory.mktemp("checkout") / "bootstrap"
    shutil.copytree(REPO, target, symlinks=True, ignore=IGNORE)
    return target


def _run(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    result = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def _works(bin_dir: Path, tmp_path: Path) -> None:
    """The installed command answers --version and makes a project from its packaged template."""
    command = bin_dir / "bootstrap"
    assert _run([str(command), "--version"]).strip() == f"bootstrap {__version__}"
    out = tmp_path / "made"
    _run(
        [
            str(command),
            "new",
            "--no-input",
            "--offline",
            "--name",
            "Smoke",
            "--output-dir",
            str(out),
        ]
    )
    assert (out / "smoke" / ".devcontainer" / "devcontainer.json").is_file()


def test_the_wheel_builds_without_deprecation_warnings(checkout: Path, tmp_path: Path) -> None:
    log = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(tmp_path), "."],
        cwd=checkout,
    )
    assert "SetuptoolsDeprecationWarning" not in log
    assert "DeprecationWarning" not in log
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
    text = metadata.decode()
    assert "License-Expression: MIT" in text.splitlines()
    assert "License-File: LICENSE" in text.splitlines()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert any(line.startswith("Classifier: ") for line in text.splitlines())


def test_uv_tool_install_from_a_checkout(checkout: Path, tmp_path: Path) -> None:
    from uv import find_uv_bin

    tools, bin_dir = tmp_path / "tools", tmp_path / "bin"
    env = {"UV_TOOL_DIR": str(tools), "UV_TOOL_BIN_DIR": str(bin_dir)}
    _run([find_uv_bin(), "tool", "install", "--python", sys.executable, str(checkout)], env=env)
    assert (tools / "bootstrap-devcontainer").is_dir()
    _works(bin_dir, tmp_path)


def test_pipx_install_from_a_checkout(checkout: Path, tmp_path: Path) -> None:
    pytest.importorskip("pipx")
    home, bin_dir = tmp_path / "pipx", tmp_path / "bin"
    env = {
        "PIPX_HOME": str(home),
        "PIPX_BIN_DIR": str(bin_dir),
        "PIPX_MAN_DIR": str(tmp_path / "man"),
    }
    _run(
        [sys.executable, "-m", "pipx", "install", "--python", sys.executable, str(checkout)],
        env=env,
    )
    assert (home / "venvs" / "bootstrap-devcontainer").is_dir()
    _works(bin_dir, tmp_path)
