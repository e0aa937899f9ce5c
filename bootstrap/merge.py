"""The three-way merge `bootstrap update` makes, file by file: yours, the base, and today's render.

- yours == base (never touched): replaced by theirs;
- theirs == base (the template did not change it): yours is kept;
- both changed: ``git merge-file`` merges them; overlapping changes are left with conflict markers;
- a file the user deleted stays deleted; a file the template dropped is removed only when the
  user never edited it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bootstrap import __version__
from bootstrap.base import Base
from bootstrap.errors import BootstrapError, UsageError
from bootstrap.safe_io import GIT_SAFE, read_project_file

MARKER = "<<<<<<< "


@dataclass
class Change:
    path: str
    action: str  # replaced, merged, conflict, added, removed, kept-deleted, kept-edited, locked
    new: bytes | None  # None: delete (or nothing to write)
    mode: int | None = None
    conflicts: int = 0


@dataclass
class Result:
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def conflicts(self) -> list[Change]:
        return [c for c in self.changes if c.action == "conflict"]

    def change_for(self, path: str) -> Change | None:
        return next((c for c in self.changes if c.path == path), None)


def git() -> str:
    found = shutil.which("git")
    if found is None:
        raise BootstrapError("git is needed to merge your edits: install git and run again")
    return found


def merge_text(yours: str, base: str, theirs: str, labels: tuple[str, str, str]) -> tuple[str, int]:
    """Three-way merge with ``git merge-file``: the text and the number of conflicts."""
    with tempfile.TemporaryDirectory(prefix="bootstrap-merge-") as tmp:
        names = []
        for name, text in (("yours", yours), ("base", base), ("theirs", theirs)):
            path = Path(tmp) / name
            path.write_bytes(text.encode("utf-8"))
            names.append(str(path))
        command = [git(), *GIT_SAFE, "merge-file", "-p"]
        for label in labels:
            command += ["-L", label]
        result = subprocess.run(command + names, capture_output=True, check=False)
    if result.returncode < 0 or result.returncode > 127:
        detail = result.stderr.decode("utf-8", "replace").strip()
        raise BootstrapError(f"git merge-file failed ({detail}): check your git installation")
    return result.stdout.decode("utf-8"), result.returncode


def plan_changes(
    project: Path, base: Base, theirs: Mapping[str, str], modes: Mapping[str, int]
) -> Result:
    """Decide, file by file, what the update writes; pure apart from reading ``project``."""
    result = Result()
    labels = ("yours", f"bootstrap {base.version or 'base'}", f"bootstrap {__version__}")
    for rel in sorted(set(base.files) | set(theirs)):
        path = project / rel
        old = base.files.get(rel)
        new = theirs.get(rel)
        yours: str | None = None
        if path.is_symlink() or (path.exists() and not path.is_file()):
            result.notes.append(f"{rel}: not a regular file: left as it is")
            continue
        if path.is_file():
            try:
                yours = read_project_file(path, rel)
            except UnicodeDecodeError:
                result.notes.append(f"{rel}: not UTF-8 text: left as it is")
                continue
            except UsageError as exc:
                result.notes.append(f"{exc.message}: left as it is")
                continue
        if new is None:  # the template no longer writes it
            if yours is None:
                continue
            if yours == old:
                result.changes.append(Change(rel, "removed", None))
            else:
                result.changes.append(Change(rel, "kept-edited", None))
                result.notes.append(
                    f"{rel}: no longer part of the template, but you edited it: kept"
                )
            continue
        if yours is None:
            if old is None:
                result.changes.append(Change(rel, "added", new.encode("utf-8"), modes.get(rel)))
            else:
                result.changes.append(Change(rel, "kept-deleted", None))
                result.notes.append(
                    f"{rel}: you deleted it and the template still writes it: not restored"
                )
            continue
        if yours == new:
            continue
        if old is not None and yours == old:
            result.changes.append(Change(rel, "replaced", new.encode("utf-8")))
            continue
        if old is not None and new == old:
            continue  # only you changed it
        merged, conflicts = merge_text(yours, old if old is not None else "", new, labels)
        if merged == yours:
            continue
        action = "conflict" if conflicts else "merged"
        result.changes.append(Change(rel, action, merged.encode("utf-8"), conflicts=conflicts))
    return result
