"""Project folder names every host can check out: Windows device names, case-only differences."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run

from bootstrap.names import windows_reserved


@pytest.mark.parametrize("name", ["CON", "prn", "Aux", "NUL", "com1", "COM9", "lpt1", "LPT9"])
def test_windows_device_names_are_refused_with_the_reason(tmp_path: Path, name: str) -> None:
    result = run("new", "--no-input", "--offline", "--name", name, "--output-dir", tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "reserved on Windows" in lines[0] and name.lower() in lines[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["con.txt", "NUL.tar.gz", "com1.py"])
def test_device_names_with_an_extension_are_reserved_too(name: str) -> None:
    assert windows_reserved(name)


@pytest.mark.parametrize("name", ["console", "con-tracts", "com10", "lpt", "auxiliary", "com0"])
def test_names_that_only_look_alike_are_allowed(name: str) -> None:
    assert windows_reserved(name) is None


def test_a_folder_differing_only_by_case_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Churn-Model").mkdir()
    (tmp_path / "Churn-Model" / "keep.txt").write_text("mine")
    result = run(
        "new", "--no-input", "--offline", "--name", "Churn Model", "--output-dir", tmp_path
    )
    assert result.returncode == 2
    assert "'churn-model' differs only by case from 'Churn-Model'" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Churn-Model"]
    assert (tmp_path / "Churn-Model" / "keep.txt").read_text() == "mine"
