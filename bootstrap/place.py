"""Place: move a finished project into the user's folder, all at once or not at all."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bootstrap import writer
from bootstrap.detect.imports import is_virtualenv
from bootstrap.errors import UsageError
from bootstrap.pipeline import Made, temporary_scratch


@dataclass
class NewFolder:
    """`bootstrap new`'s placement: the render becomes ``target``, a folder of its own."""

    target: Path
    force: bool

    @contextlib.contextmanager
    def scratch(self) -> Iterator[Path]:
        check_target(self.target, force=self.force)
        with writing(self.target), scratch_near(self.target) as path:
            yield path

    def prepare(self, rendered: Path) -> None:
        """Nothing to adjust: a new project is the render itself."""

    def place(self, made: Made) -> list[str]:
        return [p.as_posix() for p in move_into_place(made.project, self.target, force=self.force)]


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
    """Rename the rendered folder to ``target``; with --force, write each file over the old one.

    A rename on one file system needs no space, so a full disk cannot leave half a project; an
    existing folder gets every file through the one writer, all or none.
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
            writer.apply(
                target,
                [
                    writer.Op(
                        rel.as_posix(),
                        (project / rel).read_bytes(),  # own: the scratch render
                        _mode(project / rel),
                    )
                    for rel in written
                ],
            )
    except BaseException:
        if was_empty_dir and not target.exists():
            target.mkdir()
        for folder in reversed(created):
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return written


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


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


# --- bootstrap init: beside the user's files ----------------------------------------------------

#: Top-level folders bigger than this stay out of the build context (.dockerignore).
LARGE_FOLDER_BYTES = 50_000_000


@dataclass
class Beside:
    """`bootstrap init`'s placement: every file added next to the user's, none replaced."""

    project: Path
    dockerfile: str  # where the plan puts bootstrap's Dockerfile

    def scratch(self) -> contextlib.AbstractContextManager[Path]:
        return temporary_scratch("bootstrap-init-")

    def prepare(self, rendered: Path) -> None:
        extend_dockerignore(self.project, rendered, self.dockerfile)

    def place(self, made: Made) -> list[str]:
        files = sorted(p for p in made.project.rglob("*") if p.is_file())
        ops = [
            writer.Op(
                p.relative_to(made.project).as_posix(),
                p.read_bytes(),  # own: the scratch render
                _mode(p),
                replace=False,
            )
            for p in files
        ]
        return writer.apply(self.project, ops)


def extend_dockerignore(project: Path, rendered: Path, dockerfile: str) -> None:
    """Keep this project's virtualenvs and large data folders out of the build context too."""
    ignore = rendered / (dockerfile + ".dockerignore")
    if not ignore.is_file():
        ignore = rendered / ".dockerignore"
    if not ignore.is_file():
        return
    text = ignore.read_text(encoding="utf-8")  # own: the scratch render
    listed = {line.strip().strip("/") for line in text.splitlines()}
    extra: list[str] = []
    for entry in sorted(project.iterdir()):
        if not entry.is_dir() or entry.is_symlink() or entry.name in listed:
            continue
        if entry.name == ".devcontainer":
            continue
        if is_virtualenv(entry):
            extra.append(f"{entry.name}  # a virtualenv")
        elif _larger_than(entry, LARGE_FOLDER_BYTES):
            extra.append(f"{entry.name}  # over {LARGE_FOLDER_BYTES // 1_000_000} MB")
    if extra:
        lines = "".join(f"{e.split('  #')[0]}\n" for e in extra)
        notes = ", ".join(e.replace("  # ", " (") + ")" for e in extra)
        text += f"# This project's virtualenvs and large folders: {notes}\n" + lines
        ignore.write_text(text, encoding="utf-8")


def _larger_than(folder: Path, limit: int) -> bool:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
            if total > limit:
                return True
    return False
