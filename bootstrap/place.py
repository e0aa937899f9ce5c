"""Place: move a finished project into the user's folder, all at once or not at all."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bootstrap.errors import UsageError


def check_target(target: Path, *, force: bool) -> None:
    """Refuse early, before any work, a target that would lose the user's files."""
    parent = target.parent
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"output folder {probe} is a file: pass a folder with --output-dir")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"output folder {probe} is not writable: choose another --output-dir")
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} is a file: choose another name or --output-dir")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise UsageError(f"{target} exists and is not empty: choose another name, or pass --force")


@contextlib.contextmanager
def scratch_near(target: Path) -> Iterator[Path]:
    """A scratch folder on the target's file system (so the final move is a rename), always removed."""
    probe = target.parent
    while not probe.exists():
        probe = probe.parent
    path = Path(tempfile.mkdtemp(prefix=".bootstrap-", dir=probe))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def move_into_place(project: Path, target: Path, *, force: bool) -> list[Path]:
    """Rename the rendered folder to ``target``; with --force, copy over an existing folder.

    Returns the files written, relative to ``target``.
    """
    written = sorted(p.relative_to(project) for p in project.rglob("*") if p.is_file())
    created: list[Path] = []
    parent = target.parent
    missing = []
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    try:
        for folder in reversed(missing):
            folder.mkdir()
            created.append(folder)
        if not target.exists() or (target.is_dir() and not any(target.iterdir())):
            if target.exists():
                target.rmdir()
            os.replace(project, target)
        else:
            check_target(target, force=force)
            shutil.copytree(project, target, dirs_exist_ok=True)
    except BaseException:
        for folder in reversed(created):
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return written
