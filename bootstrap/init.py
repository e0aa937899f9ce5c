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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.requirements import Requirement
from packaging.version import Version

from bootstrap.answers import Answers, layered, split_ids, validate
from bootstrap.catalog import Catalog
from bootstrap.detect import propose, scan
from bootstrap.detect.pypi_names import canonical, resolve
from bootstrap.detect.requirements import config_root
from bootstrap.errors import LockConflict, MissingRelease, UsageError
from bootstrap.index import index_url, reachable
from bootstrap.inputs import Inputs, existing_dir, interactive, load_catalog
from bootstrap.layout import MOVED_DOCKERFILE, MOVED_REQUIREMENTS, rendered_names, sibling_name
from bootstrap.plan import Plan, layout, make_plan
from bootstrap.provides import Provided, provided, serves
from bootstrap.report_json import init_document
from bootstrap.sdist import index_entries, wheels_of

if TYPE_CHECKING:
    from bootstrap.pipeline import Outcome

#: locks init tries: each retry follows one refusal it can act on (a component left out, a pin of
#: a deleted release unpinned); saleor 3.9.0 meets three
RETRIES = 6


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
    given = Inputs(args)
    facts = scan(project)
    decided = _decided(layered(given.filed, given.flags))
    proposal = propose(facts, catalog, **decided)
    answers = given.over(proposal.answers)
    answers["layout"] = layout_for(project)
    index = answers["network"].get("pip_index_url")
    older = None if "python" in decided else _python_for_pins(facts, catalog, answers, args, index)
    if older is not None:
        proposal = propose(facts, catalog, **{**decided, "python": older.python})
        proposal.evidence["python"] = older.why
        proposal.notes[:] = [n for n in proposal.notes if not n.startswith("detected Python")]
        proposal.conflicts.append(older.why)
        proposal.conflicts.extend(older.notes)
        answers = given.over(proposal.answers)
        answers["layout"] = layout_for(project)
        if older.moved and "requirements" not in given.filed:
            sources = answers.get("requirement_sources", {})
            for line in answers["requirements"]:
                if (moved := _moved(line, older.moved)) != line and line in sources:
                    was = older.moved[canonical(Requirement(line).name)][0]
                    sources[moved] = f"{sources.pop(line)}, pinned {was} there"
            answers["requirements"] = [_moved(r, older.moved) for r in answers["requirements"]]
    answers["requirements"] = _drop_unpublished(
        answers.get("requirements", []), proposal, args, index, answers["python"]
    )
    asking = not args.dry_run and interactive(args)
    if asking:
        _report(facts, proposal, answers, catalog)
        before = (answers["python"], answers["stacks"], answers["drivers"], answers["options"])
        answers = given.ask(answers, catalog, proposal.evidence)
        after = (answers["python"], answers["stacks"], answers["drivers"], answers["options"])
        if after != before and "requirements" not in given.filed:
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
                answers["requirements"], proposal, args, index, answers["python"]
            )
    answers, plan = _planned(validate(answers, catalog), catalog, project)
    placements = _placements(plan, project)
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
    # imported only when files are written: the template engine and the lock are a third of a
    # dry run's start-up
    from bootstrap import pipeline
    from bootstrap.place import Beside

    settings = pipeline.Settings(
        catalogs=list(args.catalog),
        ca_certs=given.certs,
        offline=args.offline,
        index_url=index,
        show_progress=True,
        command="init",
    )
    outcome = None
    for attempt in range(RETRIES):
        try:
            outcome = pipeline.run(
                answers, plan, catalog, Beside(project, plan["layout"]["dockerfile"]), settings
            )
            break
        except MissingRelease as exc:
            # a pin of a release the index no longer serves (codecov==2.1.12 was deleted): the
            # package stays, at the newest release that fits, and the note says so
            lines = answers.get("requirements", [])
            hit = [r for r in lines if canonical(r) == canonical(exc.name) and "==" in r]
            if not hit or attempt == RETRIES - 1:
                raise
            source = next((k.source for k in proposal.kept if k.requirement == hit[0]), "")
            answers = {**answers, "requirements": [_unpinned(r) if r in hit else r for r in lines]}
            answers, plan = _planned(validate(answers, catalog), catalog, project)
            proposal.conflicts.append(
                f"{source or 'the requirements'} pins {exc.name}=={exc.version}, a release the "
                f"package index does not have (deleted or never published): {exc.name} is locked "
                "at the newest release that fits instead; pin another version if that matters"
            )
            print(f"note: {proposal.conflicts[-1]}", file=sys.stderr)
        except LockConflict as exc:
            # the project's own pins win: a component whose packages cannot live beside them is
            # left out, said so, and can be added back once the pins move (bootstrap update);
            # one the user named (a flag, the answers file) stays, and the error says why
            named = {*decided.get("stacks", []), *decided.get("drivers", [])}
            dropped = [
                r
                for r in exc.records
                if r in answers["stacks"] + answers["drivers"] and r not in named
            ]
            if not dropped or attempt == RETRIES - 1:
                raise
            answers = _without(answers, dropped)
            answers, plan = _planned(validate(answers, catalog), catalog, project)
            proposal.conflicts.append(
                f"{', '.join(dropped)} left out: {exc.cause}; the project's own pins win, so "
                f"{'it is' if len(dropped) == 1 else 'they are'} not in the container (add "
                f"{'it' if len(dropped) == 1 else 'them'} back with bootstrap update . "
                + " ".join(f"--{_kind(catalog, r)} {r}" for r in dropped)
                + " once the pins allow)"
            )
            print(f"note: {proposal.conflicts[-1]}", file=sys.stderr)
    assert outcome is not None
    _summary(project, outcome, _placements(plan, project, outcome.files), proposal)
    return 0


def _without(answers: Answers, dropped: list[str]) -> Answers:
    """The answers without the components ``dropped`` and their options."""
    return {
        **answers,
        "stacks": [s for s in answers["stacks"] if s not in dropped],
        "drivers": [d for d in answers["drivers"] if d not in dropped],
        "options": [o for o in answers.get("options", []) if o.split(":")[0] not in dropped],
    }


def _unpinned(line: str) -> str:
    """A requirement without its version (its name, extras and marker kept)."""
    requirement = Requirement(line)
    requirement.specifier = type(requirement.specifier)("")
    return str(requirement)


def _kind(catalog: Catalog, rid: str) -> str:
    return "stack" if rid in catalog.of("stack") else "driver"


def _planned(answers: Answers, catalog: Catalog, project: Path) -> tuple[Answers, Plan]:
    """The plan, with every file whose name the project has taken sent to a sibling name.

    The siblings are recorded in the answers' layout, so every later render (bootstrap update)
    writes them to the same place.
    """
    plan = make_plan(answers, catalog)  # refuses incompatible answers before any work
    names = rendered_names(plan, siblings=False)
    taken = sorted(n for n in names if _taken(project, n))
    if not taken:
        return answers, plan
    layout_answer = {**answers.get("layout", {}), "siblings": taken}
    answers = {**answers, "layout": layout_answer}
    return answers, {**plan, "layout": layout(answers)}


def _taken(project: Path, name: str) -> bool:
    """Whether the project has ``name`` already, or a package that Python imports instead of it:
    an ``app.py`` beside the project's ``app/`` package would never be imported (the package
    wins), so the catalog's app.py goes beside it as a sibling, as beside a file of that name."""
    path = project / name
    if path.exists() or path.is_symlink():
        return True
    if not name.endswith(".py"):
        return False
    package = project / name.removesuffix(".py")
    return package.is_dir() and (package / "__init__.py").is_file()


def _placements(plan: Plan, project: Path, written: list[str] | None = None) -> list[Placement]:
    """Every file init adds (or added), with the user's file it stands beside when a name was
    taken (or the package that takes a module's name); before writing, the names come from the
    plan."""
    moved = {}
    for name in plan["layout"]["siblings"]:
        path = project / name
        shadowing = name.endswith(".py") and not (path.exists() or path.is_symlink())
        moved[sibling_name(name)] = name.removesuffix(".py") + "/" if shadowing else name
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
    requirements: list[str],
    proposal: Any,
    args: argparse.Namespace,
    index: str | None,
    python: str,
) -> list[str]:
    """Imports assumed to share their distribution's name are kept only if the index has that
    name and its newest wheel provides the import (the wheel's file list, read from the index).

    A private or misspelt module would otherwise break the lock, and a same-named stranger on the
    index (the index's pymysql_pool provides pymysqlpool) would be installed in its place; each is
    listed for the user instead. A name whose releases are sdists only, or whose wheel could not
    be read, is kept with a note: checking it would take a build. Offline (or with the index
    unreachable) the guesses are left out, and said so.
    """
    listed = set(requirements)
    guessed = [a for a in proposal.added if not a.mapped and a.requirement in listed]
    conda = [d for d in proposal.kept if d.guessed and d.requirement in listed]
    if not guessed and not conda:
        return requirements
    url = index_url(index)
    online = not args.offline and reachable(url)
    found: dict[str, Provided] = {}
    if online:
        names = sorted({item.requirement for item in guessed} | {d.requirement for d in conda})
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = pool.map(lambda n: provided(url, canonical(n), python), names)
            found = dict(zip(names, answers, strict=True))
    # a conda name taken as the PyPI name is dropped only when the index says it has no such one
    missing = [d for d in conda if online and found[d.requirement].status == "absent"]
    for item in missing:
        proposal.notes.append(
            f"{item.source}: conda package {canonical(item.requirement)} is not on the package "
            "index (conda-only, or named differently on PyPI): left out (add its PyPI name with "
            "bootstrap add . NAME)"
        )
    proposal.kept[:] = [d for d in proposal.kept if d not in missing]
    requirements = [r for r in requirements if r not in {d.requirement for d in missing}]
    dropped = []
    for item in guessed:
        name = canonical(item.requirement)
        module = resolve(item.module).provides or item.module.split(".")[0]
        answer = found.get(item.requirement)
        if answer is None or answer.status == "absent":
            why = "not on the package index" if online else "not checked against the package index"
            proposal.notes.append(
                f"{item.where}: imports {item.module}, {why}: left out (a private package? add it "
                f"with bootstrap add . NAME)"
            )
        elif answer.status == "wheel" and answer.modules and not answer.provides(module):
            proposal.notes.append(
                f"{item.where}: imports {item.module}, but the index's {name} does not provide "
                f"{module} ({answer.wheel} has {_listed(answer.modules)}): left out (add the "
                "distribution that provides it with bootstrap add . NAME)"
            )
        else:
            if answer.status == "sdist":
                why = "its releases are sdists only (only a build would tell)"
            elif answer.status == "unknown":
                why = answer.why
            elif not answer.modules:
                why = f"{answer.wheel} holds no module (it only requires others)"
            else:
                continue
            proposal.notes.append(
                f"{item.where}: imports {item.module}: kept as {name}; whether it provides "
                f"{module} is not checked: {why}"
            )
            continue
        dropped.append(item)
    gone = {id(item) for item in dropped}
    proposal.added[:] = [a for a in proposal.added if id(a) not in gone]
    names = {item.requirement for item in dropped}
    return [r for r in requirements if r not in names]


def _listed(modules: frozenset[str]) -> str:
    """A wheel's top-level modules, the first few."""
    top = sorted(m for m in modules if "." not in m)
    return ", ".join(top[:4]) + (f" and {len(top) - 4} more" if len(top) > 4 else "")


@dataclass(frozen=True)
class PinnedPython:
    """The catalog's Python a project's old exact pins decide, and the pins moved to reach it."""

    python: str
    why: str
    moved: dict[str, tuple[str, str]]  # canonical name -> (pinned version, first with a wheel)
    notes: list[str]


def _python_for_pins(
    facts: Any, catalog: Catalog, answers: Answers, args: argparse.Namespace, index: str | None
) -> PinnedPython | None:
    """Where the project declares a Python the catalog lacks (environment.yml's python=3.5) and
    pins exact releases, the catalog's Python for which the index has wheels of them all.

    The nearest newer Python was chosen; releases of 2016 have no wheels for it and their sdists
    no longer build there, while an older catalog Python may have every one. A project that is
    Python 3 (its declaration, a notebook's kernel, syntax) never moves to 2.7: then it gets the
    catalog's Python 3 nearest to the declared one, and each compiled package pinned at a release
    with no wheel for it moves to its first release that has one (the smallest step that
    installs; a note names each move). Pins that cannot move that way are refused, exit 2. One
    index request per pinned package, only in this case; offline, nothing changes.
    """
    python = answers["python"]
    outside = [
        d
        for d in facts.declarations
        if d.exact and d.spec.removeprefix("==").removesuffix(".*") not in catalog.pythons
    ]
    if not outside or args.offline:
        return None
    pins = []
    for item in facts.requirements:
        specs = list(Requirement(item.requirement).specifier)
        if len(specs) == 1 and specs[0].operator == "==" and "*" not in specs[0].version:
            pins.append((Requirement(item.requirement).name, specs[0].version, item.source))
    url = index_url(index)
    if not pins or len(pins) > 40 or not reachable(url):
        return None

    def entries(pin: tuple[str, str, str]) -> list[dict[str, Any]] | None:
        try:
            return index_entries(url, pin[0], timeout=20)
        except Exception:
            return None  # unknown: never a reason to move

    with ThreadPoolExecutor(max_workers=8) as pool:
        files = list(pool.map(entries, pins))
    if any(found is None for found in files):
        return None
    wheels = [
        _wheel_pythons(found or [], pin[0], pin[1], catalog.pythons)
        for pin, found in zip(pins, files, strict=True)
    ]
    # a release with no Linux wheel at all (matplotlib 1.5.1, seaborn 0.7.0) builds from its
    # sdist wherever it builds: it says nothing about which Python
    supported = [found or set(catalog.pythons) for found in wheels]
    lacking = [pin for pin, found in zip(pins, supported, strict=True) if python not in found]
    if not lacking:
        return None
    fitting = [p for p in catalog.pythons if all(p in found for found in supported)]
    wanted = outside[0].spec.removeprefix("==").removesuffix(".*")
    python3 = facts.code.python3[:1] or [(w, where) for _v, w, where in facts.code.floors[:1]]
    if python3 or wanted.startswith("3."):
        fitting = [p for p in fitting if not p.startswith("2.")]
        if not fitting:
            return _moved_forward(pins, files, wheels, catalog, wanted, outside[0].source)
    if not fitting:
        return None
    name, version, source = lacking[0]
    choice = min(fitting, key=lambda p: abs(_number(p) - _number(wanted)))
    return PinnedPython(
        choice,
        f"{outside[0].source} says Python {wanted}, which the catalog does not have, and "
        f"{source} pins {name}=={version} (and {len(lacking) - 1} more) with no wheel for Python "
        f"{python}: using {choice}, the catalog's Python the index has wheels of every pin for "
        f"(to use {python}, relax those pins and pass --python {python})",
        {},
        [],
    )


def _moved_forward(
    pins: list[tuple[str, str, str]],
    files: list[Any],
    wheels: list[set[str]],
    catalog: Catalog,
    wanted: str,
    declared_in: str,
) -> PinnedPython:
    """A Python 3 project whose old pins have wheels for no Python 3 the catalog has: the Python 3
    nearest the declared one, and each compiled package's pin moved to its first release with a
    wheel for it. A package with no such release, newer than the pin, is refused (exit 2)."""
    threes = [p for p in catalog.pythons if p.startswith("3.")]
    choice = min(threes, key=lambda p: abs(_number(p) - _number(wanted)))
    moved: dict[str, tuple[str, str]] = {}
    for (name, version, source), found, served in zip(pins, files, wheels, strict=True):
        compiled = _compiled(found, name)
        if choice in served or (not served and not compiled):
            continue  # installs as pinned: a wheel for it, or a pure-Python sdist
        first = _first_release_with_wheel(found, name, version, choice)
        if first is None:
            raise UsageError(
                f"{source} pins {name}=={version}, and no release of {name} from {version} on "
                f"has a wheel for Python {choice}, the catalog's Python nearest to the "
                f"{wanted} that {declared_in} asks for: relax the pin ({name}>={version} in "
                f"{source.split(':')[0]}) and run init again, or pass --python X.Y"
            )
        moved[canonical(name)] = (version, first)
    if not moved:  # only sdists that say nothing about Python: keep them as pinned
        return PinnedPython(choice, f"{declared_in} says Python {wanted}: using {choice}", {}, [])
    steps = ", ".join(f"{name} {old} → {new}" for name, (old, new) in moved.items())
    why = (
        f"{declared_in} says Python {wanted}, which the catalog does not have, and the project "
        f"is Python 3: using {choice}, the nearest"
    )
    note = (
        f"pins moved to the first release with a wheel for Python {choice} (the pinned ones have "
        f"none, and their sources no longer build there): {steps}; your files keep the old pins "
        "(edit them and run bootstrap update to choose others)"
    )
    return PinnedPython(choice, why, moved, [note])


def _compiled(files: list[dict[str, Any]], name: str) -> bool:
    """Whether any release of ``name`` ships a platform wheel: a compiled package, whose old
    sources need old compilers and headers (a pure-Python sdist installs anywhere)."""
    return any(t.platform != "any" for _e, _v, tags in wheels_of(files, name) for t in tags)


def _first_release_with_wheel(
    files: list[dict[str, Any]], name: str, version: str, python: str
) -> str | None:
    """The oldest release after ``version`` with a Linux x86_64 (or pure) wheel for ``python``.

    Each file name is parsed once (numpy lists thousands of files over a hundred releases)."""
    by_release: dict[Version, list[dict[str, Any]]] = {}
    for entry, release, _tags in wheels_of(files, name):
        if release > Version(version) and not (release.is_prerelease or entry.get("yanked")):
            by_release.setdefault(release, []).append(entry)
    for release in sorted(by_release):
        if python in _wheel_pythons(by_release[release], name, str(release), [python]):
            return str(release)
    return None


def _moved(line: str, moved: dict[str, tuple[str, str]]) -> str:
    """``line`` pinned to the release it moved to, if it is one of the moved pins."""
    requirement = Requirement(line)
    step = moved.get(canonical(requirement.name))
    if step is None or str(requirement.specifier) != f"=={step[0]}":
        return line
    requirement.specifier = type(requirement.specifier)(f"=={step[1]}")
    return str(requirement)


#: files that say a repository is another language's (repo2docker's R, Julia and Nix buildpacks)
OTHER_LANGUAGES = {
    "install.R": "R",
    "DESCRIPTION": "R",
    "Project.toml": "Julia",
    "JuliaProject.toml": "Julia",
    "REQUIRE": "Julia",
    "default.nix": "Nix",
}


def _other_languages(project: Path) -> list[tuple[str, str]]:
    """The other languages' files at the project's configuration root (binder/ first)."""
    root = config_root(project)
    prefix = "" if root == project else f"{root.name}/"
    return [
        (prefix + name, language)
        for name, language in OTHER_LANGUAGES.items()
        if (root / name).is_file() and not (root / name).is_symlink()
    ]


def _number(python: str) -> float:
    major, minor = python.split(".")[:2]
    return int(major) * 100 + int(minor)


def _wheel_pythons(
    files: list[dict[str, Any]], name: str, version: str, pythons: list[str]
) -> set[str]:
    """The Pythons of ``pythons`` that a Linux x86_64 (or pure) wheel of name==version serves."""
    out: set[str] = set()
    for entry, release, tags in wheels_of(files, name):
        if entry.get("yanked") or release != Version(version):
            continue
        out |= {python for python in pythons for tag in tags if serves(tag, python)}
    return out


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
    if answers.get("post_build"):
        print(
            f"  Runs     {answers['post_build']}  — in the image, as the user, after the packages "
            "(dev and runtime stages, as repo2docker runs it; never on this machine)"
        )
    if answers.get("start"):
        print(
            f"  Starts   {answers['start']}  — the runtime image's entrypoint: every command runs "
            "through it, as repo2docker starts it"
        )
    for added in proposal.added:
        print(f"  Adds     {added.requirement}  — import {added.module}, {added.where}")
    if not facts.code.files:
        print(
            f"  note: no Python source or notebook in {facts.project}: the answers are the "
            "catalog's defaults (pass --python, --stack or --driver to choose)"
        )
        for marker, language in _other_languages(facts.project):
            print(
                f"  note: {marker} belongs to {'an' if language == 'R' else 'a'} {language} project: "
                "bootstrap's containers carry "
                f"Python, and {language} is not installed in them"
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


def _summary(project: Path, outcome: Outcome, placements: list[Placement], proposal: Any) -> None:
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
