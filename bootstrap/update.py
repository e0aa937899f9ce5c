"""`bootstrap update`: take today's template and catalog (and new answers) without losing edits.

How the three-way merge gets its base
-------------------------------------
The template ships inside the wheel and is not versioned on its own, so an old release's template
cannot be re-rendered later. Instead every generated project keeps its base: when the template
is rendered, the post-generation hook stores what bootstrap wrote, file by file, in
``.devcontainer/bootstrap-base.json`` (one JSON string per line, so git diffs stay readable;
about the size of the files themselves). This is the approach cruft and copier users know: the
base is "what the tool wrote last time", whatever the tool version was.

``update`` then re-renders the project from the recorded answers (plus the changes asked) with
today's template and catalog ("theirs"), and for every file compares the user's copy ("yours")
with the base:

- yours == base (never touched): replaced by theirs;
- theirs == base (the template did not change it): yours is kept;
- both changed: ``git merge-file`` merges them; overlapping changes are left with conflict
  markers, listed, and the command exits 1;
- a file the user deleted stays deleted and is reported; a file the template dropped is removed
  only when the user never edited it;
- ``requirements.txt`` is not merged but re-locked from the merged ``requirements.in``;
  ``.devcontainer/bootstrap.json`` and the base are rewritten from the new render.

A project without a stored base (made before bases were stored) gets one by re-rendering its
recorded answers with today's template: exact when the recorded tool version is today's; with
an older version, template changes since then look like user edits, so they are kept out of the
files the user changed (never the other way round) and the command says so.

Projects adopted by ``bootstrap init`` may place files elsewhere (a Dockerfile under
``.devcontainer/``): ``write_base`` records a ``paths`` map (rendered path → project path) that
``update`` applies to every new render, so locations come from the recorded data.

Nothing is written until everything has been rendered, merged and locked; files are then
replaced one by one with atomic renames, and restored if any write fails.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bootstrap import __version__
from bootstrap.errors import BootstrapError, UsageError
from bootstrap.safe_io import GIT_SAFE, read_project_file

BASE_PATH = Path(".devcontainer") / "bootstrap-base.json"
RECORD = ".devcontainer/bootstrap.json"
CERTS = ".devcontainer/certs/"
DERIVED = ("requirements.txt", ".devcontainer/requirements.txt")  # re-locked, never merged
NOT_IN_BASE = (RECORD, BASE_PATH.as_posix(), *DERIVED)
MARKER = "<<<<<<< "


# --- the stored base ---------------------------------------------------------------------------


def _snapshot(rendered: Path) -> dict[str, str]:
    """The text files a render wrote, by POSIX path; the record, lock, base and certs excluded."""
    files: dict[str, str] = {}
    for path in sorted(rendered.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(rendered).as_posix()
        if rel in NOT_IN_BASE or rel.startswith(CERTS):
            continue
        try:
            files[rel] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
    return files


def base_document(files: Mapping[str, str], paths: Mapping[str, str] | None = None) -> str:
    """The JSON text of a base: each file as a list of lines (git diffs stay line by line)."""
    data: dict[str, Any] = {
        "about": "What bootstrap wrote last; `bootstrap update` merges against it. Do not edit.",
        "bootstrap_version": __version__,
    }
    if paths:
        data["paths"] = dict(sorted(paths.items()))
    data["files"] = {
        (paths or {}).get(rel, rel): text.split("\n") for rel, text in sorted(files.items())
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def write_base(
    project: Path, rendered: Path | None = None, paths: Mapping[str, str] | None = None
) -> None:
    """Store the base in ``project``: what the render in ``rendered`` (default: project) wrote.

    ``paths`` maps rendered paths to where the project keeps them (``bootstrap init``).
    """
    files = _snapshot(rendered or project)
    target = project / BASE_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(base_document(files, paths), encoding="utf-8", newline="\n")


@dataclass
class Base:
    files: dict[str, str]
    paths: dict[str, str]
    version: str | None
    stored: bool


def read_base(project: Path) -> Base | None:
    from bootstrap.stored_base import read_base_document

    document = read_base_document(project, BASE_PATH)
    if document is None:
        return None
    files, paths, version = document
    return Base(files, paths, version, True)


# --- merging -----------------------------------------------------------------------------------


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


def _git() -> str:
    git = shutil.which("git")
    if git is None:
        raise BootstrapError("git is needed to merge your edits: install git and run again")
    return git


def merge_text(yours: str, base: str, theirs: str, labels: tuple[str, str, str]) -> tuple[str, int]:
    """Three-way merge with ``git merge-file``: the text and the number of conflicts."""
    with tempfile.TemporaryDirectory(prefix="bootstrap-merge-") as tmp:
        names = []
        for name, text in (("yours", yours), ("base", base), ("theirs", theirs)):
            path = Path(tmp) / name
            path.write_bytes(text.encode("utf-8"))
            names.append(str(path))
        command = [_git(), *GIT_SAFE, "merge-file", "-p"]
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
        exists = path.is_file() or path.is_symlink()
        if exists:
            try:
                yours: str | None = read_project_file(path, rel)
            except UnicodeDecodeError:
                result.notes.append(f"{rel}: not UTF-8 text: left as it is")
                continue
            except UsageError as exc:
                result.notes.append(f"{exc.message}: left as it is")
                continue
        else:
            yours = None
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


# --- the command -------------------------------------------------------------------------------


def _dirty(project: Path) -> list[str]:
    """Tracked files with uncommitted changes under ``project`` (empty outside a git work tree)."""
    git = shutil.which("git")
    if git is None:
        return []
    inside = subprocess.run(
        [git, *GIT_SAFE, "-C", str(project), "rev-parse", "--is-inside-work-tree"],
        capture_output=True,
        text=True,
        check=False,
    )
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return []
    status = subprocess.run(
        [
            git,
            *GIT_SAFE,
            "-C",
            str(project),
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            ".",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return [line[3:] for line in status.stdout.splitlines() if line.strip()]


def _new_answers(
    args: argparse.Namespace, recorded: Mapping[str, Any], catalog: Any
) -> dict[str, Any]:
    from bootstrap.answers import split_ids, validate

    answers = {k: v for k, v in recorded.items() if k not in ("bootstrap_version", "catalogs")}
    if args.python is not None:
        answers["python"] = args.python
    if args.stack is not None:
        answers["stacks"] = split_ids(args.stack)
    if args.driver is not None:
        answers["drivers"] = split_ids(args.driver)
    if getattr(args, "github_repo", None) is not None:
        answers["github_repo"] = args.github_repo
    chosen = set(answers.get("stacks", [])) | set(answers.get("drivers", []))
    # options of components that were dropped go with them
    answers["options"] = [o for o in answers.get("options", []) if o.split(":", 1)[0] in chosen]
    return validate(answers, catalog)


def _render(
    answers: Mapping[str, Any], scratch: Path, catalogs: list[str], certs: Mapping[str, bytes]
) -> Path:
    from bootstrap.render import render

    return render(answers, scratch, catalogs=catalogs, ca_certs=certs)


def _certs(project: Path, answers: Mapping[str, Any]) -> dict[str, bytes]:
    certs = {}
    for name in answers.get("network", {}).get("ca_certs", []):
        path = project / CERTS / name
        try:
            certs[name] = path.read_bytes()
        except OSError:
            raise UsageError(
                f"{path}: missing CA certificate the answers name: restore it from version control"
            ) from None
    return certs


def _mapped(files: Mapping[str, str], paths: Mapping[str, str]) -> dict[str, str]:
    return {paths.get(rel, rel): text for rel, text in files.items()}


def _summary_of(recorded: Mapping[str, Any], answers: Mapping[str, Any]) -> list[str]:
    lines = []
    for key in ("python", "stacks", "drivers", "options", "github_repo"):
        before, after = recorded.get(key), answers.get(key)
        if key != "python":
            before, after = (
                before or ([] if key != "github_repo" else None),
                after or ([] if key != "github_repo" else None),
            )
        if before != after:

            def show(value: Any) -> str:
                if isinstance(value, list):
                    return ", ".join(value) or "none"
                return str(value) if value else "none"

            lines.append(f"{key}: {show(before)} → {show(after)}")
    return lines


def update_command(args: argparse.Namespace) -> int:
    from bootstrap.answers import read_recorded
    from bootstrap.cli import existing_dir
    from bootstrap.commands import load_catalog
    from bootstrap.plan import make_plan

    project = existing_dir(args.project_dir)
    recorded = read_recorded(project)
    catalog = load_catalog(args, recorded)
    answers = _new_answers(args, recorded, catalog)
    plan = make_plan(answers, catalog)  # refuse incompatible answers before any work
    if not args.force and not args.dry_run:
        dirty = _dirty(project)
        if dirty:
            shown = ", ".join(dirty[:3]) + (" ..." if len(dirty) > 3 else "")
            raise UsageError(
                f"{project} has uncommitted changes ({shown}): commit or stash them, or pass --force"
            )
    catalogs = list(dict.fromkeys([*recorded.get("catalogs", []), *args.catalog]))
    old_answers = {k: v for k, v in recorded.items() if k not in ("bootstrap_version", "catalogs")}
    certs = _certs(project, answers)
    with tempfile.TemporaryDirectory(prefix="bootstrap-update-") as tmp:
        scratch = Path(tmp)
        base = read_base(project)
        if base is None:
            old = _render(
                _validated_old(old_answers, catalog),
                scratch / "base",
                catalogs,
                _certs(project, old_answers),
            )
            base = Base(_snapshot(old), {}, recorded.get("bootstrap_version"), False)
        rendered = _render(answers, scratch / "new", catalogs, certs)
        theirs = _mapped(_snapshot(rendered), base.paths)
        modes = {
            base.paths.get(rel, rel): (rendered / rel).stat().st_mode & 0o777
            for rel in _snapshot(rendered)
        }
        result = plan_changes(project, base, theirs, modes)
        if not base.stored and base.version != __version__:
            result.notes.append(
                f"no stored base and the project was made by bootstrap {base.version}: template "
                "changes since then were applied only to files you never edited"
            )
        new_base = base_document(_snapshot(rendered), base.paths)
        record = (rendered / RECORD).read_text(encoding="utf-8")
        _record_changes(project, result, record, new_base)
        _lock_change(project, rendered, result, recorded, answers, args, plan)
    changed = _summary_of(recorded, answers)
    print(f"Updating {project}" + (f": {'; '.join(changed)}" if changed else ""))
    if args.dry_run:
        return _show_dry_run(project, result)
    _write_all(project, result.changes)
    return _report(project, result)


def _validated_old(old_answers: Mapping[str, Any], catalog: Any) -> dict[str, Any]:
    from bootstrap.answers import validate

    try:
        return validate(dict(old_answers), catalog, origin=RECORD)
    except UsageError as exc:
        raise UsageError(
            f"{exc.message} (the recorded answers no longer fit today's catalog and no "
            f"{BASE_PATH} is stored; pass the new value as a flag)"
        ) from None


def _record_changes(project: Path, result: Result, record: str, base: str) -> None:
    for rel, text in ((RECORD, record), (BASE_PATH.as_posix(), base)):
        path = project / rel
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if _without_version(current) != _without_version(text) or current is None:
            result.changes.append(Change(rel, "updated", text.encode("utf-8")))


def _without_version(text: str | None) -> Any:
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if isinstance(data, dict):
        data.pop("bootstrap_version", None)
    return data


def _lock_change(
    project: Path,
    rendered: Path,
    result: Result,
    recorded: Mapping[str, Any],
    answers: Mapping[str, Any],
    args: argparse.Namespace,
    plan: Mapping[str, Any],
) -> None:
    """requirements.txt follows the merged requirements.in: re-locked, never merged."""
    from bootstrap.lock import lock_project

    # bootstrap init may keep them under .devcontainer/: follow the render
    folder = ".devcontainer/" if (rendered / ".devcontainer" / "requirements.in").is_file() else ""
    inp = project / f"{folder}requirements.in"
    change = next((c for c in result.changes if c.path == f"{folder}requirements.in"), None)
    current_in = inp.read_text(encoding="utf-8") if inp.is_file() else None
    merged_in = (
        change.new.decode("utf-8") if change is not None and change.new is not None else current_in
    )
    lock_path = project / f"{folder}requirements.txt"
    if (
        merged_in == current_in
        and recorded.get("python") == answers["python"]
        and lock_path.is_file()
    ):
        return
    if merged_in is None:
        result.notes.append("requirements.in: missing: requirements.txt left as it is")
        return
    if MARKER in merged_in:
        result.notes.append(
            "requirements.txt: not re-locked: resolve the conflict in requirements.in, then run bootstrap lock ."
        )
        return
    if args.dry_run:
        result.changes.append(Change(f"{folder}requirements.txt", "locked", None))
        return
    work = rendered.parent / "lock"
    work.mkdir()
    (work / "requirements.in").write_text(merged_in, encoding="utf-8")
    if lock_path.is_file() and recorded.get("python") == answers["python"]:
        shutil.copyfile(lock_path, work / "requirements.txt")  # keep today's pins where they fit
    print(f"Locking requirements for Python {answers['python']} ...", file=sys.stderr, flush=True)
    lock = lock_project(
        work,
        answers["python"],
        offline=args.offline,
        index=answers.get("network", {}).get("pip_index_url"),
    )
    if lock.full:
        text = (work / "requirements.txt").read_text(encoding="utf-8")
    else:
        text = (rendered / f"{folder}requirements.txt").read_text(encoding="utf-8")
        result.notes.append(
            f"requirements.txt: {lock.message}; packages you added to requirements.in are locked "
            "by bootstrap lock ."
        )
    current = lock_path.read_text(encoding="utf-8") if lock_path.is_file() else None
    if text != current:
        result.changes.append(Change(f"{folder}requirements.txt", "locked", text.encode("utf-8")))


def _show_dry_run(project: Path, result: Result) -> int:
    for change in result.changes:
        path = project / change.path
        if change.action in ("kept-deleted", "kept-edited") or change.path == BASE_PATH.as_posix():
            continue
        if change.new is None and change.action == "locked":
            print(f"{change.path} would be re-locked from requirements.in")
            continue
        before = (
            path.read_text(encoding="utf-8").splitlines(keepends=True) if path.is_file() else []
        )
        after = (
            change.new.decode("utf-8").splitlines(keepends=True) if change.new is not None else []
        )
        sys.stdout.writelines(
            difflib.unified_diff(before, after, f"a/{change.path}", f"b/{change.path}")
        )
        if after and not after[-1].endswith("\n"):
            print()
    for note in result.notes:
        print(f"note: {note}")
    for change in result.changes:
        print(f"would be {_verb(change)}: {change.path}")
    if not result.changes:
        print(f"{project}: already up to date")
    print("dry run: nothing was written")
    return 1 if result.conflicts else 0


def _verb(change: Change) -> str:
    return {
        "conflict": "merged WITH CONFLICTS",
        "kept-deleted": "kept deleted",
        "kept-edited": "kept (edited)",
        "locked": "re-locked",
    }.get(change.action, change.action)


def _write_all(project: Path, changes: list[Change]) -> None:
    """Every file or none: write temporaries first, then rename each; restore on any failure."""
    from bootstrap.safe_io import inside

    for change in changes:
        inside(project, change.path, str(project / BASE_PATH))  # never a write outside
        if (project / change.path).is_symlink():
            raise UsageError(
                f"{project / change.path} is a symbolic link: update writes only regular files; "
                "replace the link with a copy of the file and run again"
            )
    writes = [c for c in changes if c.new is not None]
    deletes = [c for c in changes if c.new is None and c.action == "removed"]
    staged: list[tuple[Path, Path, int | None]] = []
    backups: dict[Path, bytes | None] = {}
    try:
        for change in writes:
            target = project / change.path
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".bootstrap-", dir=target.parent)
            staged.append((Path(tmp), target, None))
            with os.fdopen(fd, "wb") as handle:
                handle.write(change.new or b"")
                handle.flush()
                os.fsync(handle.fileno())
            mode = (
                change.mode
                if change.mode is not None
                else (target.stat().st_mode & 0o777 if target.exists() else 0o644)
            )
            os.chmod(tmp, mode)
        for tmp, target, _mode in staged:
            backups[target] = target.read_bytes() if target.exists() else None
            os.replace(tmp, target)
        for change in deletes:
            target = project / change.path
            backups[target] = target.read_bytes()
            target.unlink()
    except BaseException:
        from bootstrap.safe_io import atomic_write

        for tmp, _target, _mode in staged:
            tmp.unlink(missing_ok=True)
        for target, data in backups.items():
            if data is None:
                target.unlink(missing_ok=True)
            else:
                atomic_write(target, data)
        raise


def _report(project: Path, result: Result) -> int:
    shown = [c for c in result.changes if c.action not in ("kept-deleted", "kept-edited")]
    if not shown:
        print(f"{project}: already up to date")
    for change in shown:
        print(f"  {_verb(change):<10} {change.path}")
    for note in result.notes:
        print(f"  note: {note}")
    conflicts = result.conflicts
    if conflicts:
        names = ", ".join(c.path for c in conflicts)
        raise BootstrapError(
            f"{len(conflicts)} file(s) have conflicts: {names}: resolve the <<<<<<< markers"
            + (
                ", then run bootstrap lock ."
                if any(c.path == "requirements.in" for c in conflicts)
                else ""
            )
        )
    if shown:
        print(
            f"Updated {project} to bootstrap {__version__}. Review with git diff, then rebuild the container."
        )
    return 0
