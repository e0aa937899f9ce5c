"""Place: move a finished project into the user's folder, all at once or not at all."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bootstrap.errors import UsageError
from bootstrap.safe_io import inside


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
    if target.is_dir() and target.stat().st_dev != probe.stat().st_dev:
        probe = target  # a mount point: files are renamed into it from its own file system
    path = Path(tempfile.mkdtemp(prefix=".bootstrap-", dir=probe))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def move_into_place(project: Path, target: Path, *, force: bool) -> list[Path]:
    """Rename the rendered folder to ``target``; with --force, rename each file over the old one.

    Renames on one file system need no space, so a full disk cannot leave half a file; if any
    step fails, every file already moved goes back and every replaced file is restored.
    Returns the files written, relative to ``target``.
    """
    written = sorted(p.relative_to(project) for p in project.rglob("*") if p.is_file())
    created: list[Path] = []
    parent = target.parent
    missing = []
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    was_empty_dir = target.is_dir() and not any(target.iterdir())
    try:
        for folder in reversed(missing):
            folder.mkdir()
            created.append(folder)
        if not target.exists() or was_empty_dir:
            if was_empty_dir:
                target.rmdir()
            os.replace(project, target)
        else:
            check_target(target, force=force)
            _merge(project, target, written)
    except BaseException:
        if was_empty_dir and not target.exists():
            target.mkdir()
        for folder in reversed(created):
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return written


def _merge(project: Path, target: Path, files: list[Path]) -> None:
    """Rename ``files`` from ``project`` into the existing ``target``, all or none."""
    backup = project.parent / (project.name + ".replaced")
    moved: list[Path] = []
    saved: list[Path] = []
    made: list[Path] = []
    try:
        for rel in files:
            dest = target / rel
            inside(target, rel.as_posix(), str(target))  # no folder link leads the write out
            for folder in reversed(dest.parents):
                if folder in target.parents or folder == target or folder.is_dir():
                    continue
                if folder.exists() or folder.is_symlink():
                    raise UsageError(
                        f"{folder} is a file where bootstrap writes a folder: move it away"
                    )
                folder.mkdir()
                made.append(folder)
            if dest.is_dir() and not dest.is_symlink():
                raise UsageError(f"{dest} is a folder where bootstrap writes a file: move it away")
            if dest.exists() or dest.is_symlink():
                (backup / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(dest, backup / rel)
                saved.append(rel)
            os.replace(project / rel, dest)
            moved.append(rel)
    except BaseException:
        for rel in reversed(moved):
            with contextlib.suppress(OSError):
                os.replace(target / rel, project / rel)
        for rel in reversed(saved):
            with contextlib.suppress(OSError):
                os.replace(backup / rel, target / rel)
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


_FIXES = {
    errno.ENOSPC: "free some disk space or choose another --output-dir",
    errno.EDQUOT: "free some space within your quota or choose another --output-dir",
    errno.EFBIG: "raise the file size limit (ulimit -f) or choose another --output-dir",
    errno.EACCES: "choose a folder you can write to with --output-dir",
    errno.EPERM: "choose a folder you can write to with --output-dir",
    errno.EROFS: "choose a writable --output-dir",
    errno.ENAMETOOLONG: "choose a shorter project name or --output-dir",
}


@contextlib.contextmanager
def writing(target: Path) -> Iterator[None]:
    """Turn a failed write (full disk, no permission, ...) into one line; nothing stays behind.

    Everything is written to a scratch folder first and moved all at once, so by the time this
    reports, the scratch folder is gone and the user's folder is as it was.
    """
    try:
        yield
    except OSError as exc:
        reason = exc.strerror or str(exc)
        fix = _FIXES.get(exc.errno or 0, "check the output folder and try again")
        raise UsageError(
            f"writing {target} failed ({reason}): {fix}; nothing was written"
        ) from None
