"""The one writer: every file bootstrap puts in a user's folder goes through here, all or none.

Each write is staged as a temporary file beside its target (written and fsynced), then renamed
into place, so a full disk or an interrupt never leaves half a file; if any step fails, every file
already renamed is put back and every replaced file is restored. Paths are checked first: none may
leave the folder, pass through a symbolic link, or (unless asked) replace one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bootstrap.errors import BootstrapError, UsageError
from bootstrap.safe_io import MAX_MANIFEST, read_bytes

MAX_RESTORED = 4 * MAX_MANIFEST  # requirements.in and .txt, put back after a failed add


@dataclass(frozen=True)
class Op:
    """One file to write (``data``) or delete (``data`` None), relative to the folder."""

    path: str
    data: bytes | None
    mode: int | None = None  # default: the replaced file's mode, else 0o644
    replace: bool = True  # False: the name must be free (init never replaces a user's file)
    replace_link: bool = False  # True: a symbolic link there is replaced itself (never followed)


_FIXES = {
    errno.ENOSPC: "free some disk space",
    errno.EDQUOT: "free some space within your quota",
    errno.EFBIG: "raise the file size limit (ulimit -f)",
    errno.EACCES: "check the folder's permissions",
    errno.EPERM: "check the folder's permissions",
    errno.EROFS: "the file system is read-only: copy the project somewhere writable",
    errno.ENAMETOOLONG: "use a shorter path",
}


_UNUSABLE = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENAMETOOLONG)


def fix_for(exc: OSError) -> str:
    return _FIXES.get(exc.errno or 0, "check the folder and try again")


def write_file(
    path: str | os.PathLike[str],
    data: bytes | str,
    *,
    mode: int | None = None,
    replace_link: bool = False,
) -> None:
    """Replace one file atomically (requirements.in, requirements.txt): never through a link;
    ``replace_link`` (--force) replaces a link itself, never the file it points to."""
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    apply(path.parent, [Op(path.name, data, mode, replace_link=replace_link)])


def restoring(path: Path) -> Callable[[], None]:
    """A function that puts ``path`` back as it is now (or removes it if it does not exist)."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        return lambda: None  # the writer never writes through a link or over a FIFO
    before = read_bytes(path, MAX_RESTORED, str(path)) if path.exists() else None

    def restore() -> None:
        if before is None:
            path.unlink(missing_ok=True)
        elif not path.is_file() or read_bytes(path, MAX_RESTORED, str(path)) != before:
            write_file(path, before)

    return restore


def apply(root: Path, ops: Sequence[Op]) -> list[str]:
    """Carry out ``ops`` under ``root``, all or none; returns the paths written or deleted."""
    for op in ops:
        _check(root, op)
    made: list[Path] = []
    staged: list[tuple[Op, Path | None]] = []
    done: list[tuple[Path, Path | None]] = []  # (target, backup of what it replaced)
    current: Path | None = None
    try:
        for op in ops:
            target = current = root / op.path
            if op.data is None:
                staged.append((op, None))
                continue
            _make_parents(root, target.parent, made)
            staged.append((op, _stage(target, op)))
        for op, temp in staged:
            target = current = root / op.path
            if temp is None:
                if target.exists() or target.is_symlink():
                    done.append((target, _set_aside(target)))
                continue
            if not op.replace:
                os.link(temp, target)  # fails if the name was taken meanwhile: nothing replaced
                temp.unlink()
                done.append((target, None))
                continue
            backup = _set_aside(target) if (target.exists() or target.is_symlink()) else None
            try:
                os.replace(temp, target)
            except BaseException:
                if backup is not None:
                    os.replace(backup, target)
                raise
            done.append((target, backup))
    except BaseException as exc:
        for target, backup in reversed(done):
            with contextlib.suppress(OSError):
                if backup is None:
                    target.unlink()
                else:
                    os.replace(backup, target)
        for _op, temp in staged:
            if temp is not None:
                with contextlib.suppress(OSError):
                    temp.unlink()
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(exc, FileExistsError):
            raise BootstrapError(
                f"{exc.filename}: appeared while bootstrap was writing: nothing was written; "
                "run the command again"
            ) from None
        if isinstance(exc, OSError):
            where = current or root  # the file meant, not the temporary one beside it
            # a folder the user may not change is their input (2); a full disk, the machine (1)
            kind = UsageError if exc.errno in _UNUSABLE else BootstrapError
            raise kind(
                f"writing {where} failed ({exc.strerror or exc}): {fix_for(exc)}; "
                "nothing was changed"
            ) from None
        raise
    for _target, backup in done:
        if backup is not None:
            with contextlib.suppress(OSError):
                backup.unlink()
    for folder in {target.parent for target, _backup in done}:
        _sync_folder(folder)
    return [op.path for op in ops]


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def _sync_folder(folder: Path) -> None:
    """Make the renames themselves durable (best effort: not every file system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.EROFS):
            raise
    finally:
        os.close(fd)


def _check(root: Path, op: Op) -> None:
    """Refuse a path that leaves ``root`` or goes through a link, before anything is written."""
    if not op.path or op.path.startswith(("/", "\\")) or ".." in Path(op.path).parts:
        raise UsageError(f"{op.path!r} leaves {root}: bootstrap writes only inside the project")
    folder = root
    parts = Path(op.path).parts
    for part in parts[:-1]:
        folder = folder / part
        if folder.is_symlink():
            raise UsageError(
                f"{folder} is a symbolic link: bootstrap does not write through links; "
                "replace it with a folder"
            )
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"{folder} is a file where bootstrap writes a folder: move it away")
    target = root / op.path
    if target.is_symlink() and op.data is not None and not op.replace_link:
        raise UsageError(
            f"{target} is a symbolic link: bootstrap does not write through links; "
            "replace it with a file"
        )
    if target.is_dir() and not target.is_symlink():
        raise UsageError(f"{target} is a folder where bootstrap writes a file: move it away")
    if target.exists() and not target.is_symlink() and not target.is_file():
        raise UsageError(
            f"{target} is not a regular file (a FIFO, socket or device): bootstrap replaces only "
            "regular files: move it away"
        )
    if not op.replace and (target.exists() or target.is_symlink()):
        raise UsageError(
            f"{target} exists and bootstrap never replaces it here: move it aside and try again"
        )


def _make_parents(root: Path, folder: Path, made: list[Path]) -> None:
    missing = []
    while not folder.exists() and folder != root:
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
        made.append(path)


def _stage(target: Path, op: Op) -> Path:
    handle, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".bootstrap", dir=target.parent
    )
    temp = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(op.data or b"")
            out.flush()
            os.fsync(out.fileno())
        mode = op.mode
        if mode is None:
            keep = target.is_file() and not target.is_symlink()
            mode = target.stat().st_mode & 0o777 if keep else 0o666 & ~_umask()
        os.chmod(temp, mode)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _set_aside(target: Path) -> Path:
    """Rename ``target`` to a free name beside it (a rename needs no space and can be undone)."""
    handle, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".replaced", dir=target.parent
    )
    os.close(handle)
    backup = Path(name)
    os.replace(target, backup)
    return backup
