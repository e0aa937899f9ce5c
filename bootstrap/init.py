"""`bootstrap init`: add a dev container to a project that already exists.

Detection proposes every answer with its evidence; the wizard (or --no-input, or flags) decides; the
same pipeline as `new` renders, locks and validates into a scratch folder; then bootstrap's files are
written beside the user's, all together or not at all. No existing file is changed: where a name is
taken, bootstrap's file goes under .devcontainer/ or to a clearly named sibling.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bootstrap import pipeline
from bootstrap.answers import Answers, layered, load_file, split_ids, validate
from bootstrap.catalog import Catalog
from bootstrap.detect import propose, scan
from bootstrap.detect.pypi_names import canonical
from bootstrap.errors import UsageError
from bootstrap.index import index_url, reachable
from bootstrap.inputs import (
    asked_by_flags,
    existing_dir,
    flag_answers,
    interactive,
    load_catalog,
    read_ca_certs,
    with_certs,
)
from bootstrap.layout import MOVED_DOCKERFILE, MOVED_REQUIREMENTS, rendered_names, sibling_name
from bootstrap.place import Beside
from bootstrap.plan import Plan, layout, make_plan
from bootstrap.report_json import init_document


@dataclass(frozen=True)
class Placement:
    """One file init adds, and where it goes in the user's project."""

    target: str  # relative to the project, POSIX
    instead_of: str | None = None  # the user's file whose name bootstrap's would have taken


def init_command(args: argparse.Namespace, report: dict[str, Any] | None = None) -> int:
    """``report`` (for --json with --dry-run) receives the document instead of the printout."""
    project = existing_dir(args.project_dir)
    if (project / ".devcontainer").exists():
        raise UsageError(
            f"{project / '.devcontainer'} already exists and bootstrap init never changes it: "
            "move it aside (mv .devcontainer .devcontainer.old) and run init again"
        )
    catalog = load_catalog(args)
    certs = read_ca_certs(args.ca_cert)
    filed = load_file(args.answers) if args.answers else {}
    flags = flag_answers(args)
    facts = scan(project)
    proposal = propose(facts, catalog, **_decided(layered(filed, flags)))
    answers = with_certs(layered(proposal.answers, filed, flags), certs)
    answers["layout"] = layout_for(project)
    index = answers["network"].get("pip_index_url")
    answers["requirements"] = _drop_unpublished(
        answers.get("requirements", []), proposal, args, index
    )
    asking = not args.dry_run and interactive(args)
    if asking:
        _report(facts, proposal, answers, catalog)
        from bootstrap.wizard import run_wizard  # questionary loads only when questions are asked

        before = (answers["python"], answers["stacks"], answers["drivers"], answers["options"])
        answers = run_wizard(
            answers, catalog, asked=asked_by_flags(args), evidence=proposal.evidence
        )
        certs = {**certs, **read_ca_certs(answers["network"].pop("ca_cert_paths", None))}
        answers = with_certs(answers, certs)
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
    answers, plan = _planned(validate(answers, catalog), catalog, project)
    placements = _placements(plan)
    if args.dry_run and report is not None:
        report["document"] = init_document(project, facts, proposal, answers, placements)
        return 0
    if not asking:
        _report(facts, proposal, answers, catalog)
    if args.dry_run:
        print(f"Would add {len(placements)} files to {project} (--dry-run: nothing written):")
        _print_files(placements)
        print(f"Next: bootstrap init {shlex.quote(str(project))}   (the same, written)")
        return 0
    settings = pipeline.Settings(
        catalogs=list(args.catalog),
        ca_certs=certs,
        offline=args.offline,
        index_url=index,
        show_progress=True,
        command="init",
    )
    outcome = pipeline.run(
        answers, plan, catalog, Beside(project, plan["layout"]["dockerfile"]), settings
    )
    _summary(project, outcome, _placements(plan, outcome.files), proposal)
    return 0


def _planned(answers: Answers, catalog: Catalog, project: Path) -> tuple[Answers, Plan]:
    """The plan, with every file whose name the project has taken sent to a sibling name.

    The siblings are recorded in the answers' layout, so every later render (bootstrap update)
    writes them to the same place.
    """
    plan = make_plan(answers, catalog)  # refuses incompatible answers before any work
    names = rendered_names(plan, siblings=False)
    taken = sorted(n for n in names if (project / n).exists() or (project / n).is_symlink())
    if not taken:
        return answers, plan
    layout_answer = {**answers.get("layout", {}), "siblings": taken}
    answers = {**answers, "layout": layout_answer}
    return answers, {**plan, "layout": layout(answers)}


def _placements(plan: Plan, written: list[str] | None = None) -> list[Placement]:
    """Every file init adds (or added), with the user's file it stands beside when a name was
    taken; before writing, the names come from the plan."""
    moved = {sibling_name(n): n for n in plan["layout"]["siblings"]}
    names = rendered_names(plan) if written is None else sorted(written)
    return [Placement(name, moved.get(name)) for name in names]


def _decided(given: Answers) -> dict[str, Any]:
    """What flags or the answers file already decided: detection proposes only the rest."""
    out: dict[str, Any] = {}
    if given.get("python"):
        out["python"] = str(given["python"])
    for key in ("stacks", "drivers", "options"):
        if key in given:
            raw = given[key]
            out[key] = split_ids([raw] if isinstance(raw, str) else [str(r) for r in raw or []])
    return out


def layout_for(project: Path) -> dict[str, str]:
    """Where bootstrap's Dockerfile and requirements go so that no file of the user's is touched.

    A moved Dockerfile brings its own ``.devcontainer/Dockerfile.dockerignore``, so it moves also
    when only the user's .dockerignore is in the way.
    """
    chosen: dict[str, str] = {}
    if (project / "Dockerfile").exists() or (project / ".dockerignore").exists():
        chosen["dockerfile"] = MOVED_DOCKERFILE
    if (project / "requirements.in").exists() or (project / "requirements.txt").exists():
        chosen["requirements"] = MOVED_REQUIREMENTS
    return chosen


def _drop_unpublished(
    requirements: list[str], proposal: Any, args: argparse.Namespace, index: str | None
) -> list[str]:
    """Imports assumed to share their distribution's name are kept only if the index has them.

    A private or misspelt module would otherwise break the lock; it is listed for the user instead.
    Offline (or with the index unreachable) they are left out the same way, and said so.
    """
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
    url = f"{index.rstrip('/')}/{canonical(name)}/"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10):
            return True
    except Exception:
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


def _summary(
    project: Path, outcome: pipeline.Outcome, placements: list[Placement], proposal: Any
) -> None:
    plan = outcome.plan
    parts = ", ".join(plan["stacks"] + plan["drivers"]) or "no stacks or drivers"
    print(f"Added a dev container to {project} (Python {plan['python']}; {parts})")
    if outcome.lock.full:
        print(
            f"  {plan['layout']['requirements_txt']}: locked with hashes in {outcome.lock.seconds:.1f} s"
        )
    else:
        print(f"  {plan['layout']['requirements_txt']}: {outcome.lock.message}")
    print(f"Files added ({len(placements)}); none of yours was changed:")
    _print_files(placements)
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
            for p in placements
            if not p.target.startswith(".devcontainer/")
        ]
        devcontainer = os.path.relpath(project / ".devcontainer", Path.cwd())
        print("In git, add them with:")
        print("  git add " + " ".join(shlex.quote(n) for n in [devcontainer, *names]))
    dockerfile = plan["layout"]["dockerfile"]
    flag = "" if dockerfile == "Dockerfile" else f" -f {shlex.quote(str(project / dockerfile))}"
    print("Next: open the folder in VS Code and run 'Dev Containers: Reopen in Container',")
    print(f"      or: docker build -t {plan['project']}{flag} {shlex.quote(str(project))}")


def init_json(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    """`init --dry-run --json`: what was detected and the files it would add, as one document."""
    if not args.dry_run:
        raise UsageError("init --json describes what init would do: add --dry-run")
    found: dict[str, Any] = {}
    init_command(args, report=found)
    return found["document"], 0
