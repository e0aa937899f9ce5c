"""`bootstrap update`: take today's template and catalog (and new answers) without losing edits.

The project is re-rendered through the same pipeline as `new` from the recorded answers (plus the
changes asked) with today's template and catalog ("theirs"), and merged three-way with your files
("yours") against what bootstrap wrote last (the stored base, :mod:`bootstrap.base`), file by file
(:mod:`bootstrap.merge`). ``requirements.txt`` is not merged but re-locked from the merged
``requirements.in``; ``.devcontainer/bootstrap.json`` and the base are rewritten from the new render.

A project without a stored base (made before bases were stored) gets one by re-rendering its
recorded answers with today's template: exact when the recorded tool version is today's; with an
older version, template changes since then look like user edits, so they are kept out of the files
the user changed (never the other way round) and the command says so.

Nothing is written until everything has been rendered, merged, locked and validated; then every
change goes through the one writer, all or none.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bootstrap import __version__, pipeline, writer
from bootstrap.answers import Answers, layered, read_recorded, split_ids, validate
from bootstrap.base import BASE_PATH, CERTS, RECORD, Base, read_base, snapshot
from bootstrap.catalog import Catalog
from bootstrap.errors import BootstrapError, UsageError
from bootstrap.inputs import existing_dir, flag_answers, load_catalog
from bootstrap.layout import requirements_dir
from bootstrap.lock import PROJECT_STEP, LockResult
from bootstrap.merge import GIT_SAFE, MARKER, Change, Result, plan_changes
from bootstrap.plan import make_plan
from bootstrap.render import render
from bootstrap.safe_io import (
    MAX_CERT,
    MAX_MANIFEST,
    MAX_RECORDED,
    current_bytes,
    inside,
    read_in_project,
)

# --- the command -------------------------------------------------------------------------------


def _dirty(project: Path) -> list[str]:
    """Tracked files with uncommitted changes under ``project`` (empty outside a git work tree)."""
    found = shutil.which("git")
    if found is None:
        return []
    git = [found, *GIT_SAFE, "-C", str(project)]
    inside = subprocess.run(
        [*git, "rev-parse", "--is-inside-work-tree"], capture_output=True, text=True, check=False
    )
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return []
    status = subprocess.run(
        [*git, "status", "--porcelain", "--untracked-files=no", "--", "."],
        capture_output=True,
        text=True,
        check=False,
    )
    return [line[3:] for line in status.stdout.splitlines() if line.strip()]


def _recorded_answers(recorded: Mapping[str, Any]) -> Answers:
    return {k: v for k, v in recorded.items() if k not in ("bootstrap_version", "catalogs")}


def _new_answers(
    args: argparse.Namespace, recorded: Mapping[str, Any], catalog: Catalog
) -> Answers:
    """The recorded answers under the flags; options of components that were dropped go too."""
    flags = flag_answers(args)
    answers = layered(_recorded_answers(recorded), flags)
    services = split_ids(answers.get("services") or [])
    added = split_ids(getattr(args, "add_service", None))
    removed = split_ids(getattr(args, "remove_service", None))
    for sid in removed:
        if sid not in services:
            shown = ", ".join(services) or "none"
            raise UsageError(
                f"--remove-service {sid}: the project has no such service (it has {shown})"
            )
    services = [s for s in services + added if s not in removed]
    answers["services"] = list(dict.fromkeys(services))
    chosen = set(answers.get("stacks", [])) | set(answers.get("drivers", []))
    answers["options"] = [o for o in answers.get("options", []) if o.split(":", 1)[0] in chosen]
    origin = f"{RECORD} with the flags" if flags else RECORD
    return validate(answers, catalog, origin=origin)


def _certs(project: Path, answers: Mapping[str, Any]) -> dict[str, bytes]:
    certs = {}
    for name in answers.get("network", {}).get("ca_certs", []):
        path = inside(project, f"{CERTS}{name}", RECORD)
        try:
            certs[name] = read_in_project(project, path, MAX_CERT, f"{CERTS}{name}")
        except OSError:
            raise UsageError(
                f"{path}: missing CA certificate the answers name: restore it from version control"
            ) from None
    return certs


def _summary_of(recorded: Mapping[str, Any], answers: Mapping[str, Any]) -> list[str]:
    lines = []
    for key in ("python", "stacks", "drivers", "services", "options", "github_repo"):
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
    project = existing_dir(args.project_dir)
    recorded = read_recorded(project)
    catalog = load_catalog(args, recorded)
    answers = _new_answers(args, recorded, catalog)
    plan = make_plan(answers, catalog)  # refuses incompatible answers before any work
    if not args.force and not args.dry_run:
        dirty = _dirty(project)
        if dirty:
            shown = ", ".join(dirty[:3]) + (" ..." if len(dirty) > 3 else "")
            raise UsageError(
                f"{project} has uncommitted changes ({shown}): commit or stash them, or pass --force"
            )
    catalogs = list(dict.fromkeys([*recorded.get("catalogs", []), *args.catalog]))
    settings = pipeline.Settings(
        catalogs=catalogs,
        ca_certs=_certs(project, answers),
        offline=args.offline,
        index_url=answers.get("network", {}).get("pip_index_url"),
        command="update",
    )
    merged = Merged(project, recorded, catalog, settings, write=not args.dry_run)
    changed = _summary_of(recorded, answers)
    print(f"Updating {project}" + (f": {'; '.join(changed)}" if changed else ""))
    pipeline.run(answers, plan, catalog, merged, settings)
    if args.dry_run:
        return _show_dry_run(project, merged.result)
    return _report(project, merged.result)


@dataclass
class Merged:
    """`bootstrap update`'s placement: today's render merged with the user's edits."""

    project: Path
    recorded: Mapping[str, Any]
    catalog: Catalog
    settings: pipeline.Settings
    write: bool
    result: Result = field(default_factory=Result)
    _scratch: Path | None = None
    _relock: bool = True

    @contextlib.contextmanager
    def scratch(self) -> Iterator[Path]:
        with pipeline.temporary_scratch("bootstrap-update-") as path:
            self._scratch = path / "new"
            yield self._scratch

    def prepare(self, rendered: Path) -> None:
        """Merge every file; the merged requirements.in is what the pipeline then locks."""
        base = read_base(self.project) or self._rendered_base()
        files = snapshot(rendered)
        theirs = {base.paths.get(rel, rel): text for rel, text in files.items()}
        modes = {base.paths.get(rel, rel): (rendered / rel).stat().st_mode & 0o777 for rel in files}
        self.result = plan_changes(self.project, base, theirs, modes)
        if not base.stored and base.version != __version__:
            self.result.notes.append(
                f"no stored base and the project was made by bootstrap {base.version}: template "
                "changes since then were applied only to files you never edited"
            )
        self._merge_requirements(rendered, base.paths)

    def _rendered_base(self) -> Base:
        """No stored base: today's template rendered from the recorded answers stands in."""
        old = _recorded_answers(self.recorded)
        try:
            old = validate(dict(old), self.catalog, origin=RECORD)
            old_plan = make_plan(old, self.catalog)
        except UsageError as exc:
            raise UsageError(
                f"{exc.message} (the recorded answers no longer fit today's catalog and no "
                f"{BASE_PATH} is stored; pass the new value as a flag)"
            ) from None
        assert self._scratch is not None
        folder = render(
            old,
            old_plan,
            self._scratch.parent / "base",
            catalogs=self.settings.catalogs,
            ca_certs=_certs(self.project, old),
        )
        return Base(snapshot(folder), {}, self.recorded.get("bootstrap_version"), False)

    def _merge_requirements(self, rendered: Path, paths: Mapping[str, str]) -> None:
        """Put the merged requirements.in (and today's lock, to keep its pins) into the render."""
        folder = requirements_dir(rendered).relative_to(rendered).as_posix()
        name = "requirements.in" if folder == "." else f"{folder}/requirements.in"
        ours = self.project / paths.get(name, name)
        change = self.result.change_for(paths.get(name, name))
        if change is not None and change.new is not None:
            merged: str | None = change.new.decode("utf-8")
        elif ours.is_file() and not ours.is_symlink():
            merged = _text(self.project, paths.get(name, name), MAX_MANIFEST)
        else:
            self.result.notes.append("requirements.in: missing: requirements.txt left as it is")
            self._relock = False
            return
        if MARKER in merged:
            self.result.notes.append(
                "requirements.txt: not re-locked: resolve the conflict in requirements.in, "
                "then run bootstrap lock ."
            )
            self._relock = False
            return
        (rendered / name).write_text(merged, encoding="utf-8")
        lock = ours.with_name("requirements.txt")
        same_python = self.recorded.get("python") == read_python(rendered)
        if same_python and lock.is_file() and not lock.is_symlink():
            kept = read_in_project(self.project, lock, MAX_MANIFEST, "requirements.txt")
            (rendered / name.replace(".in", ".txt")).write_bytes(kept)  # into the scratch render

    def place(self, made: pipeline.Made) -> list[str]:
        rendered = made.project
        base = read_base(rendered)
        assert base is not None  # every render stores one
        for rel in (RECORD, BASE_PATH.as_posix()):
            text = (rendered / rel).read_text(encoding="utf-8")  # own: the scratch render
            old = _text(self.project, rel, MAX_RECORDED)
            if old is None or _without_version(old) != _without_version(text):
                self.result.changes.append(Change(rel, "updated", text.encode("utf-8")))
        if self._relock:
            self._lock_change(rendered, made.lock)
        if not self.write:
            return []
        ops = [
            writer.Op(c.path, c.new, c.mode)
            for c in self.result.changes
            if c.new is not None or c.action == "removed"
        ]
        return writer.apply(self.project, ops)

    def _lock_change(self, rendered: Path, lock: LockResult) -> None:
        """requirements.txt follows the merged requirements.in: re-locked, never merged."""
        folder = requirements_dir(rendered).relative_to(rendered).as_posix()
        name = "requirements.txt" if folder == "." else f"{folder}/requirements.txt"
        text = (rendered / name).read_text(encoding="utf-8")  # own: the scratch render
        if not lock.full:
            self.result.notes.append(
                f"requirements.txt: {lock.message}; packages you added to requirements.in are "
                "locked by bootstrap lock ."
            )
        old = _text(self.project, name, MAX_MANIFEST)
        if text != old:
            self.result.changes.append(Change(name, "locked", text.encode("utf-8")))
        step = name.replace("requirements.txt", PROJECT_STEP)  # the project itself, after the lock
        if (rendered / step).is_file():
            data = (rendered / step).read_bytes()  # own: the scratch render
            if _bytes(self.project, step, MAX_MANIFEST) != data:
                self.result.changes.append(Change(step, "locked", data))


def _bytes(project: Path, rel: str, limit: int) -> bytes | None:
    """A project file's bytes now (None when there is none), read within the project's bounds."""
    return current_bytes(project, project / rel, limit, rel)


def _text(project: Path, rel: str, limit: int) -> str | None:
    data = _bytes(project, rel, limit)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{project / rel}: not UTF-8 text: save it as UTF-8") from None


def read_python(rendered: Path) -> str | None:
    """The Python a render was made for, from its recorded answers."""
    try:
        return str(json.loads((rendered / RECORD).read_text(encoding="utf-8"))["python"])  # own
    except (OSError, ValueError, KeyError, TypeError):
        return None


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


def _show_dry_run(project: Path, result: Result) -> int:
    for change in result.changes:
        if change.action in ("kept-deleted", "kept-edited") or change.path == BASE_PATH.as_posix():
            continue
        if change.new is None and change.action == "locked":
            print(f"{change.path} would be re-locked from requirements.in")
            continue
        before = (_text(project, change.path, MAX_RECORDED) or "").splitlines(keepends=True)
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
