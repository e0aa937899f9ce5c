"""The project itself and local paths: listed for the image, never built here."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.errors import UsageError
from bootstrap.lock import PROJECT_STEP, write_project_step


def test_local_paths_become_project_relative_and_vcs_is_flagged(tmp_path: Path) -> None:
    (tmp_path / "libs" / "inner").mkdir(parents=True)
    (tmp_path / "requirements.in").write_text(
        "flask==3.1.3  # catalog flask >=1.1.4\n"
        "-e .\n"
        "./libs/inner\n"
        f"inner @ file://{tmp_path}/libs/inner\n"
        "tool @ git+https://example.test/tool.git@v1\n"
    )
    warnings = write_project_step(tmp_path, tmp_path)
    lines = (tmp_path / PROJECT_STEP).read_text().splitlines()
    body = [line for line in lines if not line.startswith("#")]
    assert body == [
        "-e .",  # editable as written: the dev container installs it from the mounted source
        "./libs/inner",
        "inner @ file:./libs/inner",
        "tool @ git+https://example.test/tool.git@v1",
    ]
    assert any("NOT REPRODUCIBLE" in line for line in lines)
    assert (
        len(warnings) == 1
        and "requirements.in:5" in warnings[0]
        and "not reproducible" in warnings[0]
    )


def test_no_local_paths_no_file_and_a_stale_one_goes(tmp_path: Path) -> None:
    (tmp_path / "requirements.in").write_text("-e .\n")
    write_project_step(tmp_path, tmp_path)
    assert (tmp_path / PROJECT_STEP).is_file()
    (tmp_path / "requirements.in").write_text("six\n")
    assert write_project_step(tmp_path, tmp_path) == []
    assert not (tmp_path / PROJECT_STEP).exists()


def test_a_path_outside_the_project_is_refused_in_one_line(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "requirements.in").write_text(f"other @ file://{tmp_path}/elsewhere\n")
    with pytest.raises(UsageError) as caught:
        write_project_step(project, project)
    assert (
        "requirements.in:1" in caught.value.message
        and "outside the project" in caught.value.message
    )
    assert not (project / PROJECT_STEP).exists()
