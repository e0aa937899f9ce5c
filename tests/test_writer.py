"""The one writer: all files or none, never outside the folder, never through a link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import snapshot

from bootstrap import writer
from bootstrap.errors import BootstrapError, UsageError
from bootstrap.writer import Op


def test_writes_replaces_and_deletes(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("old")
    (tmp_path / "gone.txt").write_text("x")
    writer.apply(
        tmp_path,
        [Op("old.txt", b"new"), Op("a/b/c.txt", b"c", 0o755), Op("gone.txt", None)],
    )
    assert (tmp_path / "old.txt").read_text() == "new"
    assert (tmp_path / "a/b/c.txt").stat().st_mode & 0o777 == 0o755
    assert not (tmp_path / "gone.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "old.txt"]  # no temporaries


def test_a_failure_half_way_puts_everything_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "one.txt").write_text("1")
    (tmp_path / "two.txt").write_text("2")
    before = snapshot(tmp_path)
    real = os.replace
    calls = {"n": 0}

    def failing(src: object, dst: object) -> None:
        calls["n"] += 1
        if calls["n"] == 4:  # one.txt set aside and replaced; two.txt set aside; then full disk
            raise OSError(28, "No space left on device", str(dst))
        real(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(BootstrapError, match=r"No space left on device.*nothing was changed"):
        writer.apply(
            tmp_path, [Op("one.txt", b"A"), Op("two.txt", b"B"), Op("new/three.txt", b"C")]
        )
    monkeypatch.setattr(os, "replace", real)
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.txt", "two.txt"]


def test_an_interrupt_puts_everything_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "one.txt").write_text("1")
    before = snapshot(tmp_path)
    real = os.link

    def interrupted(src: object, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "link", interrupted)
    with pytest.raises(KeyboardInterrupt):
        writer.apply(tmp_path, [Op("one.txt", b"A"), Op("two.txt", b"B", replace=False)])
    monkeypatch.setattr(os, "link", real)
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.txt"]


@pytest.mark.parametrize("path", ["../victim.txt", "/tmp/victim.txt", "a/../../victim.txt", ""])
def test_a_path_that_leaves_the_folder_is_refused(tmp_path: Path, path: str) -> None:
    project = tmp_path / "project"
    project.mkdir()
    with pytest.raises(UsageError, match="bootstrap writes only inside the project"):
        writer.apply(project, [Op(path, b"x")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]


def test_links_are_never_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("keep")
    project = tmp_path / "project"
    project.mkdir()
    (project / "linked").symlink_to(outside)
    (project / "file.txt").symlink_to(outside / "secret.txt")
    with pytest.raises(UsageError, match="symbolic link"):
        writer.apply(project, [Op("linked/secret.txt", b"x")])
    with pytest.raises(UsageError, match="symbolic link"):
        writer.apply(project, [Op("file.txt", b"x")])
    assert (outside / "secret.txt").read_text() == "keep"


def test_a_name_that_must_be_free_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("yours")
    with pytest.raises(UsageError, match="never replaces it"):
        writer.apply(
            tmp_path, [Op("new.txt", b"x", replace=False), Op("README.md", b"x", replace=False)]
        )
    assert (tmp_path / "README.md").read_text() == "yours"
    assert not (tmp_path / "new.txt").exists()
