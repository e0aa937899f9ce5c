"""`bootstrap init`: add a dev container to a project that already exists.

Detection proposes every answer with its evidence; the wizard (or --no-input, or flags) decides; the
same pipeline as `new` renders, locks and validates into a scratch folder; then bootstrap's files are
written beside the user's, all together or not at all. No existing file is changed: where a name is
taken, bootstrap's file goes under .devcontainer/ or to a clearly named sibling.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import shutil
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bootstrap.answers import Answers, load_file, validate
from bootstrap.catalog import Catalog
from bootstrap.cli import existing_dir
from bootstrap.commands import (
    _asked,
    _interactive,
    answers_from_args,
    load_catalog,
    read_ca_certs,
)
from bootstrap.errors import BootstrapError, UsageError

#: Top-level folders bigger than this stay out of the build context (.dockerignore).
LARGE_FOLDER_BYTES = 50_000_000


@dataclass(frozen=True)
class Placement:
    """One rendered file and where it goes in the user's project."""

    source: Path
    target: str  # relative to the project, POSIX
    instead_of: str | None = None  # the user's file whose name bootstrap's would have taken


def init_command(args: argparse.Namespace) -> int:
    from bootstrap.detect import propose, scan
    from bootstrap.plan import make_plan

    project = existing_dir(args.project_dir)
    if (project / ".devcontainer").exists():
        raise UsageError(
            f"{project / '.devcontainer'} already exists and bootstrap init never changes it: "
            "move it aside (mv .devcontainer .devcontainer.old) and run init again"
        )
    catalog = load_catalog(args)
    certs = read_ca_certs(args.ca_cert)
    filed = load_file(args.answers) if args.answers else {}
    facts = scan(project)
    decided = _decided(args, filed)
    proposal = propose(facts, catalog, **decided)
    answers = answers_from_args(args, proposal.answers)
    if certs:
        answers["network"] = {**answers["network"], "ca_certs": sorted(certs)}
    answers["layout"] = layout_for(project)
    index = answers["network"].get("pip_index_url")
    answers["requirements"] = _drop_unpublished(
        answers.get("requirements", []), proposal, args, index
    )
    if args.dry_run:
        answers = validate(answers, catalog)
        make_plan(answers, catalog)
        _report(facts, proposal, answers, catalog)
        answers = _with_siblings(answers, catalog, project, args, certs)
        files = _placements_dry(answers, catalog, project, args, certs)
        print(f"\nWould add {len(files)} files to {project} (--dry-run: nothing written):")
        _print_files(files)
        print(f"Next: bootstrap init {shlex.quote(str(project))}   (the same, written)")
        return 0
    interactive = _interactive(args)
    _report(facts, proposal, answers, catalog)
    if interactive:
        from bootstrap.wizard import run_wizard

        before = (answers["python"], answers["stacks"], answers["drivers"], answers["options"])
        answers = run_wizard(answers, catalog, asked=_asked(args), evidence=proposal.evidence)
        certs = {**certs, **read_ca_certs(answers["network"].pop("ca_cert_paths", None))}
        if certs:
            answers["network"]["ca_certs"] = sorted(certs)
        after = (answers["python"], answers["stacks"], answers["drivers"], answers["options"])
        if after != before and "requirements" not in filed:
            again = propose(
                facts,
                catalog,
                python=answers["python"],
                stacks=answers["stacks"],
                drivers=answers["drivers"],
                options=answers["options"],
            )
            answers["requirements"] = again.answers["requirements"]
            proposal.added[:] = again.added
            index = answers["network"].get("pip_index_url")
            answers["requirements"] = _drop_unpublished(
                answers["requirements"], proposal, args, index
            )
    answers = validate(answers, catalog)
    make_plan(answers, catalog)  # refuse incompatible answers before any work
    answers = _with_siblings(answers, catalog, project, args, certs)
    outcome = adopt(answers, catalog, project, args, certs, index)
    _summary(project, outcome, proposal)
    return 0


def _decided(args: argparse.Namespace, filed: Answers) -> dict[str, Any]:
    """What flags or the answers file already decided: detection proposes only the rest."""
    from bootstrap.answers import split_ids

    out: dict[str, Any] = {}
    if args.python or filed.get("python"):
        out["python"] = str(args.python or filed["python"])
    for key, flag in (("stacks", "stack"), ("drivers", "driver"), ("options", "option")):
        value = getattr(args, flag, None)
        if value is not None:
            out[key] = split_ids(value)
        elif key in filed:
            raw = filed[key]
            out[key] = split_ids([raw] if isinstance(raw, str) else list(raw))
    return out


def layout_for(project: Path) -> dict[str, str]:
    """Where bootstrap's Dockerfile and requirements go so that no file of the user's is touched.

    A moved Dockerfile brings its own ``.devcontainer/Dockerfile.dockerignore``, so it moves also
    when only the user's .dockerignore is in the way.
    """
    from bootstrap.layout import MOVED_DOCKERFILE, MOVED_REQUIREMENTS

    layout: dict[str, str] = {}
    if (project / "Dockerfile").exists() or (project / ".dockerignore").exists():
        layout["dockerfile"] = MOVED_DOCKERFILE
    if (project / "requirements.in").exists() or (project / "requirements.txt").exists():
        layout["requirements"] = MOVED_REQUIREMENTS
    return layout


def _drop_unpublished(
    requirements: list[str], proposal: Any, args: argparse.Namespace, index: str | None
) -> list[str]:
    """Imports assumed to share their distribution's name are kept only if the index has them.

    A private or misspelt module would otherwise break the lock; it is listed for the user instead.
    Offline (or with the index unreachable) they are left out the same way, and said so.
    """
    from bootstrap.lock import index_url, reachable

    guessed = [a for a in proposal.added if not a.mapped and a.requirement in requirements]
    if not guessed:
        return requirements
    url = index_url(index)
    online = not args.offline and reachable(url)
    published: dict[str, bool] = {}
    if online:
        with ThreadPoolExecutor(max_workers=8) as pool:
            names = [item.requirement for item in guessed]
            published = dict(zip(names, pool.map(lambda n: _published(url, n), names), strict=True))
    dropped = []
    for item in guessed:
        if published.get(item.requirement):
            continue
        dropped.append(item)
        why = "not on the package index" if online else "not checked against the package index"
        proposal.notes.append(
            f"{item.where}: imports {item.module}, {why}: left out (a private package? add it "
            f"with bootstrap add . NAME)"
        )
    proposal.added[:] = [a for a in proposal.added if a not in dropped]
    return [r for r in requirements if r not in {d.requirement for d in dropped}]


def _published(index: str, name: str) -> bool:
    from bootstrap.detect.pypi_names import canonical

    url = f"{index.rstrip('/')}/{canonical(name)}/"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10):
            return True
    except Exception:
        return False


@dataclass
class Adopted:
    answers: Answers
    plan: Any
    lock: Any
    report: Any
    placements: list[Placement]


def adopt(
    answers: Answers,
    catalog: Catalog,
    project: Path,
    args: argparse.Namespace,
    certs: dict[str, bytes],
    index: str | None,
) -> Adopted:
    """Render, lock and validate in scratch; then write every file into the project, or none."""
    from bootstrap.pipeline import generate

    with _scratch() as scratch:
        rendered, plan, lock, report = generate(
            answers,
            catalog,
            scratch,
            catalogs=args.catalog,
            ca_certs=certs,
            offline=args.offline,
            index_url=index,
            show_progress=True,
        )
        _extend_dockerignore(project, rendered, answers)
        placements = placements_for(rendered, project, answers)
        write_all(placements, project)
    return Adopted(answers, plan, lock, report, placements)


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="bootstrap-init-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _placements_dry(
    answers: Answers,
    catalog: Catalog,
    project: Path,
    args: argparse.Namespace,
    certs: dict[str, bytes],
) -> list[Placement]:
    """What init would write, rendered (offline, no lock) into a scratch folder outside the project."""
    from bootstrap.render import render

    with _scratch() as scratch:
        rendered = render(answers, scratch, catalogs=args.catalog, ca_certs=certs)
        return [
            Placement(Path(p.target), p.target, p.instead_of)
            for p in placements_for(rendered, project, answers)
        ]


def _with_siblings(
    answers: Answers,
    catalog: Catalog,
    project: Path,
    args: argparse.Namespace,
    certs: dict[str, bytes],
) -> Answers:
    """The answers with ``layout.siblings``: every rendered file whose name the project has taken.

    Recorded, so that every later render (bootstrap update) writes them to the same siblings.
    """
    from bootstrap.render import render

    with _scratch() as scratch:
        rendered = render(answers, scratch, catalogs=args.catalog, ca_certs=certs)
        names = [p.relative_to(rendered).as_posix() for p in rendered.rglob("*") if p.is_file()]
    taken = sorted(n for n in names if (project / n).exists() or (project / n).is_symlink())
    if not taken:
        return answers
    layout = {**answers.get("layout", {}), "siblings": taken}
    return validate({**answers, "layout": layout}, catalog)


def placements_for(rendered: Path, project: Path, answers: Answers) -> list[Placement]:
    """Every rendered file with its target; none may take a name the project already has."""
    from bootstrap.layout import sibling_name

    moved = {sibling_name(n): n for n in answers.get("layout", {}).get("siblings", [])}
    out: list[Placement] = []
    for path in sorted(p for p in rendered.rglob("*") if p.is_file()):
        rel = path.relative_to(rendered).as_posix()
        if (project / rel).exists() or (project / rel).is_symlink():
            raise UsageError(
                f"{project / rel} exists, and bootstrap's {moved.get(rel, rel)} would go there: "
                "move it aside and run init again"
            )
        out.append(Placement(path, rel, instead_of=moved.get(rel)))
    return out


def write_all(placements: list[Placement], project: Path) -> None:
    """Write every file under a temporary name, then link each to its name (never replacing one).

    On any failure every file and folder written so far is removed: all files or none.
    """
    created_dirs: list[Path] = []
    written: list[Path] = []
    temps: list[Path] = []
    try:
        for item in placements:
            target = project / item.target
            missing = []
            parent = target.parent
            while not parent.exists():
                missing.append(parent)
                parent = parent.parent
            for folder in reversed(missing):
                folder.mkdir()
                created_dirs.append(folder)
            handle, name = tempfile.mkstemp(prefix=".bootstrap-", dir=target.parent)
            temp = Path(name)
            temps.append(temp)
            with os.fdopen(handle, "wb") as out:
                out.write(item.source.read_bytes())
            os.chmod(temp, item.source.stat().st_mode & 0o777)
        for item, temp in zip(placements, temps, strict=True):
            target = project / item.target
            os.link(temp, target)  # fails if the name was taken meanwhile: nothing is replaced
            written.append(target)
            temp.unlink()
    except BaseException as exc:
        for path in [*written, *temps]:
            with contextlib.suppress(OSError):
                path.unlink()
        for folder in reversed(created_dirs):
            shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, FileExistsError):
            raise BootstrapError(
                f"{exc.filename}: appeared while bootstrap was writing: nothing was written; run init again"
            ) from None
        if isinstance(exc, OSError):
            raise BootstrapError(
                f"writing into {project} failed ({exc.strerror}: {exc.filename}): nothing was written"
            ) from None
        raise


def _extend_dockerignore(project: Path, rendered: Path, answers: Answers) -> None:
    """Keep this project's virtualenvs and large data folders out of the build context too."""
    from bootstrap.detect.imports import is_virtualenv
    from bootstrap.plan import layout

    ignore = rendered / (layout(answers)["dockerfile"] + ".dockerignore")
    if not ignore.is_file():
        ignore = rendered / ".dockerignore"
    if not ignore.is_file():
        return
    text = ignore.read_text(encoding="utf-8")
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


# --- what the user reads ----------------------------------------------------------------------


def _report(facts: Any, proposal: Any, answers: Answers, catalog: Catalog) -> None:
    """The detected answers, each with its evidence; then additions, conflicts and warnings."""
    print(f"Read {facts.code.files} source files and notebooks in {facts.project}")
    print(f"  Python   {answers['python']}  — {proposal.evidence.get('python', '')}")
    for key, title in (("stacks", "Stack"), ("drivers", "Driver")):
        for rid in answers[key]:
            why = proposal.evidence.get(f"{key}:{rid}", "chosen")
            print(f"  {title:<8} {rid}  — {why}")
    if answers.get("options"):
        print(f"  Options  {', '.join(answers['options'])}")
    for item in proposal.kept:
        print(f"  Keeps    {item.requirement}  — {item.source}")
    for item in facts.apt:
        print(f"  Debian   {item.requirement}  — {item.source}")
    for added in proposal.added:
        print(f"  Adds     {added.requirement}  — import {added.module}, {added.where}")
    if not facts.code.files:
        print(
            f"  note: no Python source or notebook in {facts.project}: the answers are the "
            "catalog's defaults (pass --python, --stack or --driver to choose)"
        )
    for conflict in proposal.conflicts:
        print(f"  conflict: {conflict}")
    unplaced = [n for n in proposal.notes if _unplaced(n)]
    for note in proposal.notes:
        if not _unplaced(note):
            print(f"  note: {note}")
    if unplaced:
        print(f"Could not place ({len(unplaced)}; add any you need with bootstrap add DIR NAME):")
        for note in unplaced:
            print(f"  {note}")
    for warning in facts.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print()


def _unplaced(note: str) -> bool:
    """An import that became no requirement: the list a user checks by hand."""
    return note.endswith("left out") or ": left out (" in note or "not added (" in note


def _print_files(placements: list[Placement]) -> None:
    for item in placements:
        if item.instead_of:
            print(f"  {item.target}   (yours: {item.instead_of}, left as it is)")
        else:
            print(f"  {item.target}")


def _git_root(project: Path) -> Path | None:
    for folder in [project.resolve(), *project.resolve().parents]:
        if (folder / ".git").exists():
            return folder
    return None


def _summary(project: Path, outcome: Adopted, proposal: Any) -> None:
    plan = outcome.plan
    parts = ", ".join(plan["stacks"] + plan["drivers"]) or "no stacks or drivers"
    print(f"Added a dev container to {project} (Python {plan['python']}; {parts})")
    if outcome.lock.full:
        print(
            f"  {plan['layout']['requirements_txt']}: locked with hashes in {outcome.lock.seconds:.1f} s"
        )
    else:
        print(f"  {plan['layout']['requirements_txt']}: {outcome.lock.message}")
    print(f"Files added ({len(outcome.placements)}); none of yours was changed:")
    _print_files(outcome.placements)
    for conflict in proposal.conflicts:
        print(f"  conflict: {conflict}")
    for note in proposal.notes:
        print(f"  note: {note}")
    for warning in outcome.report.warnings:
        print(f"  note: {warning}")
    root = _git_root(project)
    if root is not None:
        names = [
            os.path.relpath(project / p.target, Path.cwd())
            for p in outcome.placements
            if not p.target.startswith(".devcontainer/")
        ]
        devcontainer = os.path.relpath(project / ".devcontainer", Path.cwd())
        print("In git, add them with:")
        print("  git add " + " ".join(shlex.quote(n) for n in [devcontainer, *names]))
    dockerfile = plan["layout"]["dockerfile"]
    flag = "" if dockerfile == "Dockerfile" else f" -f {shlex.quote(str(project / dockerfile))}"
    print("Next: open the folder in VS Code and run 'Dev Containers: Reopen in Container',")
    print(f"      or: docker build -t {plan['project']}{flag} {shlex.quote(str(project))}")
