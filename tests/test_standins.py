"""The stand-in images' recipes: one whose source-built CPython is missing is unavailable, said why,
and warming all of them skips it instead of failing (CI machines may have no pyenv)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import standins


@pytest.fixture
def no_pyenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(standins, "PYENV_ROOT", tmp_path / "pyenv")
    return tmp_path / "pyenv"


def test_a_pyenv_recipe_without_its_cpython_is_unavailable_and_says_which(no_pyenv: Path) -> None:
    reason = standins.unavailable("python:3.9-slim-bookworm")
    assert reason is not None
    assert "3.9.18" in reason and str(no_pyenv / "versions" / "3.9.18") in reason


def test_debian_python_recipes_need_no_pyenv(no_pyenv: Path) -> None:
    assert standins.unavailable("python:3.11-slim-bookworm") is None
    assert standins.unavailable("debian:bullseye-slim") is None


def test_ensure_image_raises_unavailable_instead_of_building(no_pyenv: Path) -> None:
    # /bin/false: no image exists, and nothing may be built
    with pytest.raises(standins.Unavailable, match=r"3\.12\.1"):
        standins.ensure_image("python:3.12-slim-bookworm", docker="/bin/false")


def test_warming_all_skips_the_unavailable_but_a_named_one_fails(
    no_pyenv: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pyenv_only = {k: v for k, v in standins.STANDINS.items() if v.pyenv is not None}
    assert len(pyenv_only) == 3
    monkeypatch.setattr(standins, "STANDINS", pyenv_only)
    assert standins.main(["--docker", "/bin/false"]) == 0
    assert capsys.readouterr().err.count("skipped (unavailable)") == 3
    assert standins.main(["--docker", "/bin/false", "python:3.8-slim-bookworm"]) == 1
    assert "unavailable: python:3.8-slim-bookworm" in capsys.readouterr().err


def test_the_pyenv_trees_interpreter_and_extensions_are_what_ldd_reads(tmp_path: Path) -> None:
    root = tmp_path / "prefix"
    dynload = root / "lib" / "python3.9" / "lib-dynload"
    dynload.mkdir(parents=True)
    (root / "bin").mkdir()
    for name in ("bin/python3.9", "lib/libpython3.9.so.1.0"):
        (root / name).write_bytes(b"\x7fELF")
    (root / "lib" / "libpython3.9.so").symlink_to("libpython3.9.so.1.0")
    for name in ("_ssl.cpython-39-x86_64-linux-gnu.so", "_tkinter.cpython-39-x86_64-linux-gnu.so"):
        (dynload / name).write_bytes(b"\x7fELF")
    found = [p.relative_to(root).as_posix() for p in standins._linked_files(root, "3.9")]
    assert found == [
        "bin/python3.9",
        "lib/libpython3.9.so.1.0",
        "lib/python3.9/lib-dynload/_ssl.cpython-39-x86_64-linux-gnu.so",
    ]
