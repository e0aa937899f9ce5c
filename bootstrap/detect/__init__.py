"""Detection: read an existing project's files and propose every answer, each with its evidence.

Pure functions over the folder's text: no code of the project is run or imported. ``scan`` reads the
folder once; ``propose`` turns what it found into answers for a given catalog (and, when the user
chose one, a given Python), with the evidence the wizard and ``--dry-run`` show beside each answer.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

from bootstrap.answers import slugify
from bootstrap.catalog import Catalog, Record
from bootstrap.detect import python_version
from bootstrap.detect.imports import Code, is_generated, read_code
from bootstrap.detect.pypi_names import Resolution, any_stdlib, canonical, resolve, stdlib
from bootstrap.detect.python_version import Declaration
from bootstrap.detect.requirements import (
    DEV_MARK,
    Declared,
    apt_packages,
    config_root,
    declared,
    dig,
    local_paths,
    normalise,
    read_toml,
    reading,
)
from bootstrap.detect.requirements import _text as read_text
from bootstrap.errors import UsageError
from bootstrap.plan import _pip_lines, make_plan, refusal, refusal_message

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 ._-]{0,63}$")


@dataclass
class Facts:
    """What the folder says, independent of any catalog or answer."""

    project: Path
    code: Code
    declarations: list[Declaration]
    requirements: list[Declared]
    name: str
    description: str
    warnings: list[str] = field(default_factory=list)
    apt: list[Declared] = field(default_factory=list)  # apt.txt's Debian packages
    #: repo2docker's scripts, run in the image (never here): answer key → path in the project
    scripts: dict[str, str] = field(default_factory=dict)
    unplaced: list[str] = field(default_factory=list)  # declared, but nothing pip installs
    #: the project itself and its folders (``-e .``), installed in the image after the lock
    local: list[Declared] = field(default_factory=list)


@dataclass
class Added:
    """A requirement added for an import nothing else provides."""

    requirement: str
    module: str
    where: str
    mapped: bool  # the import→distribution table named it (False: assumed to be the same name)


@dataclass
class Proposal:
    """Answers for one catalog, the evidence beside each, and the conflicts to show."""

    answers: dict[str, Any]
    evidence: dict[str, str]
    conflicts: list[str]
    added: list[Added]
    kept: list[Declared]
    notes: list[str]


def scan(project: Path) -> Facts:
    """Read the project folder: code, declared versions and requirements, name and description."""
    with reading(project):  # no manifest is read through a link that leads outside
        return _scan(project)


def _scan(project: Path) -> Facts:
    warnings: list[str] = []
    code = read_code(project)
    unplaced: list[str] = []
    requirements = declared(project, warnings, unplaced)
    seen = {canonical(r.requirement) for r in requirements}
    name, description = _name_and_description(project, warnings)
    own = {canonical(name)} | {canonical(m) for m in code.own_modules}
    for word, where in code.pip_installs:
        requirement = normalise(word)
        if requirement and canonical(requirement) in own:
            continue  # `%pip install awswrangler` in awswrangler's own tutorials: the project itself
        if requirement and canonical(requirement) not in seen:
            seen.add(canonical(requirement))
            requirements.append(Declared(requirement, where))
    declarations = python_version.declarations(project, warnings)
    apt = apt_packages(project, warnings)
    local = local_paths(project, warnings)
    scripts = repo2docker_scripts(project, warnings)
    return Facts(
        project,
        code,
        declarations,
        requirements,
        name,
        description,
        code.warnings + warnings,
        apt,
        scripts,
        unplaced,
        local,
    )


#: repo2docker's scripts and the answer that records each: ``postBuild`` runs in the image after
#: the packages, ``start`` wraps the runtime command (jupyterhub/repo2docker,
#: repo2docker/buildpacks/base.py: get_post_build_scripts, get_start_script, binder_path).
SCRIPTS = {"post_build": "postBuild", "start": "start"}


def repo2docker_scripts(project: Path, warnings: list[str]) -> dict[str, str]:
    """``postBuild`` and ``start`` where repo2docker looks for them (binder/ or .binder/ first,
    else the root): answer key → path. A link is skipped: the image would copy the link, not a
    script of the project."""
    root = config_root(project)
    found: dict[str, str] = {}
    for key, name in SCRIPTS.items():
        path = root / name
        rel = path.relative_to(project).as_posix()
        if path.is_symlink():
            warnings.append(f"{rel}: a symbolic link: not run in the image")
        elif path.is_file():
            found[key] = rel
    return found


def _name_and_description(project: Path, warnings: list[str]) -> tuple[str, str]:
    name = project.resolve().name
    description = ""
    pyproject = project / "pyproject.toml"
    if pyproject.is_file():
        data, _ = read_toml(pyproject, "pyproject.toml", [])
        meta = dig(data, "project") or dig(data, "tool", "poetry")
        meta = meta if isinstance(meta, dict) else {}
        if isinstance(meta.get("name"), str):
            name = meta["name"]
        if isinstance(meta.get("description"), str):
            description = meta["description"]
    elif (project / "setup.py").is_file():
        text = read_text(project / "setup.py", "setup.py", []) or ""
        match = re.search(r"\bdescription\s*=\s*(['\"])([^'\"\n]{1,200})\1", text)
        if match:
            description = match.group(2)
    name = re.sub(r"[^A-Za-z0-9 ._-]+", "-", name).strip(" .-_")[:64] or "project"
    if not name[0].isalpha():
        name = ("project-" + name)[:64]
    description = " ".join(description.split())[:200]
    return name, description or f"{name}, in a dev container"


def _matches(imported: str, wanted: str) -> bool:
    return imported == wanted or imported.startswith(wanted + ".")


def components(facts: Facts, catalog: Catalog) -> dict[str, tuple[str, str]]:
    """Stacks and drivers the code points to: id → (kind, evidence), from each record's detect."""
    found: dict[str, tuple[str, str]] = {}
    own = facts.code.own_modules
    files = [p.name for p in facts.project.rglob("*") if p.is_file()] if _has_globs(catalog) else []
    for kind in ("stack", "driver"):
        for rid, record in catalog.of(kind).items():
            detect = record.get("detect", {})
            hit = _import_hit(facts.code.imports, detect.get("imports", []), own)
            if hit is None and kind == "driver":  # a stack's packages are often just a server's
                hit = _requirement_hit(facts.requirements, detect.get("imports", []))
            if hit is None and kind == "driver":
                hit = _url_hit(facts.code.urls, rid)
            if hit is None:
                hit = _file_hit(facts, files, detect.get("files", []))
            if hit is not None:
                found[rid] = (kind, hit)
    return found


#: URL schemes in code or configuration, and the driver each means (JDBC by its subprotocol).
URL_DRIVERS = {
    "s3": "aws",
    "jdbc:postgresql": "postgres",
    "jdbc:mysql": "mysql",
    "jdbc:mariadb": "mysql",
    "jdbc:oracle": "oracle",
    "jdbc:sqlserver": "mssql",
}


def _url_hit(urls: Mapping[str, str], rid: str) -> str | None:
    for key, where in sorted(urls.items()):
        if URL_DRIVERS.get(key) == rid:
            scheme = "s3:// URL" if key == "s3" else f"{key}: URL"
            return f"{scheme}, {where}"
    return None


def _requirement_hit(requirements: list[Declared], wanted: list[str]) -> str | None:
    """A declared requirement that installs one of the imports (psycopg2 pinned, never imported)."""
    names = {canonical(w): w for w in wanted if "." not in w}
    names |= {canonical(resolve(w).requirement or w): w for w in wanted if "." not in w}
    for item in requirements:
        name = canonical(item.requirement)
        if name in names or name.removesuffix("-binary") in names:
            return f"requires {item.requirement.split(';')[0].strip()}, {item.source}"
    return None


def _has_globs(catalog: Catalog) -> bool:
    return any(
        r.get("detect", {}).get("files")
        for kind in ("stack", "driver")
        for r in catalog.of(kind).values()
    )


def _import_hit(imports: Mapping[str, list[str]], wanted: list[str], own: set[str]) -> str | None:
    hits = sorted(
        (where[0], name)
        for name, where in imports.items()
        if name.split(".")[0] not in own and any(_matches(name, w) for w in wanted)
    )
    if not hits:
        return None
    where, name = hits[0]
    return f"import {name}, {where}"


def _file_hit(facts: Facts, files: list[str], patterns: list[str]) -> str | None:
    if not patterns:
        return None
    notebooks = [n for n in facts.code.notebooks if any(fnmatch.fnmatch(n, p) for p in patterns)]
    if notebooks:
        more = f" and {len(notebooks) - 1} more" if len(notebooks) > 1 else ""
        return f"{notebooks[0]}{more}"
    for name in files:
        if any(fnmatch.fnmatch(name, p) for p in patterns):
            return name
    return None


def code_evidence(facts: Facts) -> python_version.Evidence:
    """The code's version evidence, with Python 2-only standard-library imports as a weak sign."""
    py2_only = stdlib("2.7") - stdlib("3.8") - stdlib("3.14") - facts.code.own_modules
    imports = sorted(
        (where[0], name.split(".")[0])
        for name, where in facts.code.imports.items()
        if name.split(".")[0] in py2_only and "." not in name
    )
    order = ["print statement", "except E, e:", "exec statement", "backticks", "ur'' string"]
    python2 = sorted(
        facts.code.python2,
        key=lambda m: order.index(m[0]) if m[0] in order else len(order),
    )
    return python_version.Evidence(
        python2=python2,
        floors=list(facts.code.floors),
        python2_imports=[(module, where) for where, module in imports],
        python3=sorted(facts.code.python3, key=lambda item: item[1])[:1],
    )


def propose(
    facts: Facts,
    catalog: Catalog,
    *,
    python: str | None = None,
    stacks: list[str] | None = None,
    drivers: list[str] | None = None,
    options: list[str] | None = None,
) -> Proposal:
    """Answers for ``catalog``: detected values, except where the caller already decided."""
    evidence: dict[str, str] = {}
    conflicts: list[str] = []
    notes: list[str] = []
    detected = components(facts, catalog)
    code = code_evidence(facts)

    def fits(candidate: str) -> bool:
        chosen = set(detected)
        return all(
            refusal(catalog, candidate, catalog.find(rid) or {}, chosen) is None
            for rid in detected
            if catalog.find(rid)
        )

    choice = python_version.choose(
        catalog.pythons, catalog.default_python(), facts.declarations, code, fits
    )
    if python is None:
        python = choice.python
        evidence["python"] = choice.reason
        conflicts += choice.conflicts
    else:
        evidence["python"] = "chosen with --python"
        if python != choice.python:
            notes.append(f"detected Python {choice.python} ({choice.reason}); using {python}")

    chosen_stacks = [rid for rid, (kind, _) in detected.items() if kind == "stack"]
    chosen_drivers = [rid for rid, (kind, _) in detected.items() if kind == "driver"]
    for rid, (kind, where) in detected.items():
        evidence[f"{kind}s:{rid}"] = where
    everything = set(chosen_stacks + chosen_drivers)
    for rid in list(chosen_stacks + chosen_drivers):
        record = catalog.find(rid)
        assert record is not None
        message = refusal_message(catalog, python, record, everything)
        if message:
            conflicts.append(f"{detected[rid][1]} points to {rid}, but {message}")
            everything.discard(rid)
    chosen_stacks = [s for s in chosen_stacks if s in everything] if stacks is None else stacks
    chosen_drivers = [d for d in chosen_drivers if d in everything] if drivers is None else drivers

    answers: dict[str, Any] = {
        "name": facts.name,
        "description": facts.description,
        "python": python,
        "stacks": chosen_stacks,
        "drivers": chosen_drivers,
        "options": list(options or []),
    }
    kept, added, extra_options, more_notes = requirements_for(facts, catalog, answers)
    if options is None:
        answers["options"] = extra_options
        thick = _needs_instant_client(facts, catalog, answers)
        if thick:
            answers["options"] = sorted({*answers["options"], "oracle:instantclient"})
            notes.append(
                f"{thick}: cx_Oracle always needs Oracle's client libraries: option "
                "oracle:instantclient adds Instant Client (thick mode); Oracle publishes its checksum "
                "only on its download page, so build with --build-arg "
                "ORACLE_INSTANTCLIENT_SHA256=<sha256 from oracle.com>, or port to oracledb (thin mode)"
            )
    notes += more_notes + facts.unplaced
    kept, replaced_notes = _replaced(catalog, answers, kept)
    notes += replaced_notes
    answers["requirements"] = [d.requirement for d in kept] + [a.requirement for a in added]
    if facts.local:
        answers["local_requirements"] = [d.requirement for d in facts.local]
    if kept or facts.local:  # requirements.in says where each came from, as do the lock's notes
        answers["requirement_sources"] = {d.requirement: d.source for d in [*kept, *facts.local]}
    if facts.apt:
        answers["apt_packages"] = sorted({d.requirement for d in facts.apt})
    answers.update(facts.scripts)
    return Proposal(answers, evidence, conflicts, added, kept, notes)


def _needs_instant_client(facts: Facts, catalog: Catalog, answers: Mapping[str, Any]) -> str | None:
    """Where cx_Oracle is imported or required, when the oracle driver has an Instant Client option."""
    record = catalog.find("oracle") or {}
    if "oracle" not in answers["drivers"] or "instantclient" not in record.get("options", {}):
        return None
    if answers["python"].startswith("2."):
        return None  # the Python 2.7 variant implies it already
    for module, where in sorted(facts.code.imports.items()):
        if module.split(".")[0] == "cx_Oracle":
            return where[0]
    for item in facts.requirements:
        if canonical(item.requirement) == "cx-oracle":
            return item.source
    return None


def _pins(catalog: Catalog, answers: Mapping[str, Any]) -> set[str]:
    try:
        plan = make_plan({**answers, "project": slugify(answers["name"]) or "p"}, catalog)
    except UsageError:
        return set()
    return {canonical(line) for line in plan["pip"]}


def _option_for(catalog: Catalog, answers: Mapping[str, Any], dist: str) -> tuple[str, str] | None:
    """A chosen component's option that installs ``dist`` on this Python (e.g. mysql:mysqlclient)."""
    for rid in list(answers["stacks"]) + list(answers["drivers"]):
        record: Record = catalog.find(rid) or {}
        for name, option in record.get("options", {}).items():
            lines = _pip_lines(option.get("pip", []), answers["python"])
            if lines and canonical(dist) in {canonical(r) for r in option.get("replaces", {})}:
                return rid, name  # MySQL-python: the option installs its replacement
            if any(canonical(line) == canonical(dist) for line in lines):
                return rid, name
    return None


def _replaced(
    catalog: Catalog, answers: Mapping[str, Any], kept: list[Declared]
) -> tuple[list[Declared], list[str]]:
    """The declared requirements a chosen option replaces (``replaces``: MySQL-python by
    mysqlclient) left out, each with a note saying why and what is installed instead."""
    replaces: dict[str, tuple[str, str, list[str]]] = {}
    for choice in answers.get("options", []):
        rid, _, name = choice.partition(":")
        option = (catalog.find(rid) or {}).get("options", {}).get(name, {})
        lines = _pip_lines(option.get("pip", []), answers["python"])
        for dist, why in option.get("replaces", {}).items():
            if lines:
                replaces[canonical(dist)] = (choice, why, lines)
    out, notes = [], []
    for item in kept:
        found = replaces.get(canonical(item.requirement))
        if found is None:
            out.append(item)
            continue
        choice, why, lines = found
        notes.append(
            f"{item.source}: {item.requirement}: {why}: option {choice} installs "
            f"{', '.join(lines)} instead"
        )
    return out, notes


def requirements_for(
    facts: Facts, catalog: Catalog, answers: dict[str, Any]
) -> tuple[list[Declared], list[Added], list[str], list[str]]:
    """The project's declared requirements, plus one for each import nothing provides yet.

    Skips the target Python's standard library and the project's own modules; an import that an
    option of a chosen component provides turns that option on instead. Every import left out for
    another reason (optional, a namespace alone, not a distribution name) becomes a note with its
    file and line.
    """
    python = answers["python"]
    std = stdlib(python)
    py2_std = stdlib("2.7")
    own = facts.code.own_modules
    options: list[str] = list(answers.get("options", []))
    notes: list[str] = []
    covered = Covered(canonical(d.requirement) for d in facts.requirements)
    for declared_ in facts.requirements:
        # a declared requirement an option installs (mysqlclient) turns the option on: it brings
        # what building that package in the image needs
        option = _option_for(catalog, {**answers, "options": options}, declared_.requirement)
        if option is not None and f"{option[0]}:{option[1]}" not in options:
            options.append(f"{option[0]}:{option[1]}")
            chosen = (catalog.find(option[0]) or {}).get("options", {}).get(option[1], {})
            if canonical(declared_.requirement) not in {
                canonical(r) for r in chosen.get("replaces", {})
            }:  # a replaced one is explained where it is left out
                notes.append(f"{declared_.source}: option {option[0]}:{option[1]} builds it")
    covered |= _pins(catalog, {**answers, "options": options})
    added: list[Added] = []
    wanted: dict[str, tuple[str, str, Resolution]] = {}  # requirement → (module, where, how)
    for module in sorted(facts.code.imports, key=lambda m: (m.split(".")[0], m)):
        top = module.split(".")[0]
        if _not_a_requirement(top, std, own):
            continue
        where = facts.code.imports[module][0]
        if not python.startswith("2.") and top in py2_std and "." not in module:
            notes.append(
                f"{where}: imports {top}, a Python 2 standard-library module that Python {python} "
                "does not have: port it (six.moves, or its Python 3 name)"
            )
            continue
        found = resolve(module)
        if found.requirement is None:
            continue  # `from google.cloud import storage`: google.cloud.storage decides
        if found.requirement in wanted:
            continue
        if found.how == "same name" and "." in module and top in wanted:
            continue  # a submodule: its package decided
        wanted[found.requirement] = (module, where, found)
    for requirement, (module, where, found) in wanted.items():
        if normalise(requirement) is None:
            notes.append(f"{where}: imports {module}: no distribution is known for it: left out")
            continue
        if canonical(requirement) in covered or _named(module, covered):
            continue
        if not found.known and _provided_by(module, covered):
            continue
        option = _option_for(catalog, {**answers, "options": options}, requirement)
        if option is not None:
            oid = f"{option[0]}:{option[1]}"
            if oid not in options:
                options.append(oid)
                notes.append(f"{where}: imports {module}: option {oid} installs {requirement}")
            covered |= _pins(catalog, {**answers, "options": options})
            continue
        covered.add(canonical(requirement))
        added.append(Added(requirement, module, where, found.known))
    notes += _optional_notes(facts, std, own, covered)
    return (
        _dev_pins_defer(facts.requirements, catalog, answers, options, notes),
        added,
        options,
        notes,
    )


def _dev_pins_defer(
    requirements: list[Declared],
    catalog: Catalog,
    answers: Mapping[str, Any],
    options: list[str],
    notes: list[str],
) -> list[Declared]:
    """A development-only pin of a package a chosen component pins defers to the catalog's.

    ``pyspark = "==2.4.0"`` under [dev-packages] is the version a laptop once had, not a need of
    the project; the spark driver's pin is the one tested with its Java and Python.
    """
    pinned = _pins(catalog, {**answers, "options": options})
    out = []
    for item in requirements:
        if DEV_MARK in item.source and canonical(item.requirement) in pinned:
            name = Requirement(item.requirement).name
            notes.append(
                f"{item.source.replace(DEV_MARK, '')}: {item.requirement} is a development pin of "
                f"a package a chosen component pins: the catalog's tested version is used"
            )
            item = Declared(name, item.source)
        out.append(item)
    return out


class Covered(set[str]):
    """Canonical names already installed, indexed for ``_provided_by``: each name without its
    dashes, and every run of its dash-separated words that starts or ends it."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        super().__init__()
        self.flat: set[str] = set()
        self.affixes: set[str] = set()
        self |= set(names)

    def add(self, name: str) -> None:
        super().add(name)
        self.flat.add(name.replace("-", ""))
        words = name.split("-")
        for cut in range(1, len(words)):
            self.affixes.add("-".join(words[cut:]))
            self.affixes.add("-".join(words[:cut]))

    def __ior__(self, names: AbstractSet[str]) -> Covered:  # type: ignore[override,misc]
        for name in names:
            self.add(name)
        return self


def _named(module: str, covered: AbstractSet[str]) -> bool:
    """An import the project declares by the import's own name (psycopg2 for ``import psycopg2``,
    though the table would add psycopg2-binary): installed already, and a second distribution of
    the same module would overwrite its files."""
    parts = module.split(".")
    # a namespace's root alone (google, azure) names another project, never its members
    shortest = 2 if resolve(parts[0]).requirement is None else 1
    return any(
        canonical(".".join(parts[:end])) in covered for end in range(len(parts), shortest - 1, -1)
    )


def _provided_by(module: str, covered: Covered) -> bool:
    """A guessed import that a declared distribution's name spells out (phonenumber_field is
    django-phonenumber-field, hurry.filesize is hurry.filesize): the project already installs it."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        name = canonical(".".join(parts[:end]).replace("_", "-"))
        if name in covered or name in covered.affixes or name.replace("-", "") in covered.flat:
            return True
    return False


def _not_a_requirement(top: str, std: frozenset[str], own: set[str]) -> bool:
    return (
        top in std
        or top in own
        or top == "__future__"
        or not top.isidentifier()
        or is_generated(top)
    )


def _optional_notes(
    facts: Facts, std: frozenset[str], own: set[str], covered: set[str]
) -> list[str]:
    """Optional imports (try/except ImportError, TYPE_CHECKING) nothing installs: one note each.

    Another Python's standard-library module (urlparse, Queue, imp) is left alone: the code
    already runs without it, and no package installs it."""
    notes: list[str] = []
    seen: set[str] = set()
    required = {m.split(".")[0] for m in facts.code.imports}
    other_std = any_stdlib()
    for module in sorted(facts.code.optional, key=lambda m: (m.split(".")[0], m)):
        top = module.split(".")[0]
        if top in seen or top in required or top in other_std or _not_a_requirement(top, std, own):
            continue
        found = resolve(module)
        if found.requirement is None or canonical(found.requirement) in covered:
            continue
        if _named(module, covered):
            continue
        seen.add(top)
        where = facts.code.optional[module][0]
        notes.append(
            f"{where}: imports {module} only where the code runs without it (try/except ImportError, "
            f"TYPE_CHECKING or a version test): not added (bootstrap add . {found.requirement})"
        )
    return notes
