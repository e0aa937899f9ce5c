"""Which Python a project is written for: its declarations first, then what its code needs.

Declarations: .python-version, runtime.txt, pyproject.toml requires-python, setup.py/setup.cfg
python_requires and classifiers, Pipfile, environment.yml, tox.ini. Code: Python 2 syntax means 2.7;
newer syntax raises the floor. The choice is the catalog's Python that fits them all, and every
disagreement is kept as a conflict to show, never settled silently.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from bootstrap.detect.requirements import (
    _line_of,
    _poetry_spec,
    _text,
    config_root,
    dig,
    read_environment_yml,
    read_setup_cfg,
    read_toml,
    setup_py_values,
)
from bootstrap.detect.source import version_key


@dataclass(frozen=True)
class Declaration:
    """A version the project states: ``spec`` (a specifier set) and where it says so."""

    spec: str
    source: str
    text: str
    exact: bool = False
    #: a list of versions (classifiers, tox envlist) rather than a range
    versions: tuple[str, ...] = ()

    def allows(self, python: str) -> bool:
        if self.versions:
            return python in self.versions
        return Version(python + ".0") in SpecifierSet(self.spec)


@dataclass
class Evidence:
    """Versions seen in the code: Python 2 markers and the newest syntax, as ``file:line`` notes."""

    python2: list[tuple[str, str]] = field(default_factory=list)  # (what, where)
    floors: list[tuple[str, str, str]] = field(default_factory=list)  # (version, what, where)
    python2_imports: list[tuple[str, str]] = field(default_factory=list)  # (module, where)
    #: notebooks saved with a Python 3 kernel: outweighs a Python 2-only import, not syntax
    python3: list[tuple[str, str]] = field(default_factory=list)  # (what, where)

    def floor(self) -> tuple[str, str, str] | None:
        return max(self.floors, key=lambda f: version_key(f[0])) if self.floors else None


@dataclass(frozen=True)
class Choice:
    python: str
    reason: str
    conflicts: tuple[str, ...]


def _exact(version: str) -> str | None:
    match = re.match(r"^\s*(?:python-?)?(\d+)\.(\d+)", version.strip(), re.I)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def _specifier(text: str) -> str | None:
    text = text.strip().strip("\"'")
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        return None
    return text


def declarations(project: Path, warnings: list[str]) -> list[Declaration]:
    """What the project's files say, most specific first."""
    out: list[Declaration] = []

    root = config_root(project)  # repo2docker: binder/ or .binder/ over the root
    for name in (".python-version", "runtime.txt"):
        path = (root if name == "runtime.txt" else project) / name
        if name == "runtime.txt" and root != project:
            name = f"{root.name}/{name}"
        if path.is_file():
            text = (_text(path, name, warnings) or "").strip()
            first = text.splitlines()[0] if text else ""
            version = _exact(first)
            if version:
                out.append(Declaration(f"=={version}.*", f"{name}:1", first.strip(), exact=True))

    pipfile = root / "Pipfile"
    if pipfile.is_file():
        data, text = read_toml(pipfile, "Pipfile", warnings)
        version = str(dig(data, "requires", "python_version") or "")
        if _exact(version):
            where = f"Pipfile:{_line_of(text, 'python_version')}"
            out.append(
                Declaration(f"=={_exact(version)}.*", where, f"python_version = {version}", True)
            )

    env, text, name = read_environment_yml(root, warnings)
    env_deps = env.get("dependencies")
    for dep in env_deps if isinstance(env_deps, list) else []:
        match = re.match(r"^python\s*(==|=|>=|<=|~=|<|>)?\s*([\d.*]+)?", str(dep))
        if isinstance(dep, str) and match and match.group(2):
            op, version = match.group(1) or "==", match.group(2)
            where = f"{name}:{_line_of(text, str(dep))}"
            if op in ("=", "==") and _exact(version):
                out.append(Declaration(f"=={_exact(version)}.*", where, str(dep), True))
            elif op in ("=", "==") and (major := re.match(r"\d+", version)):
                # `python=2`, `python=3.*`: any release of that major version (repo2docker's
                # py2 fixture): a range, not an exact version
                out.append(Declaration(f"=={major.group(0)}.*", where, str(dep)))
            elif _specifier(op + version):
                out.append(Declaration(op + version, where, str(dep)))

    pyproject = project / "pyproject.toml"
    if pyproject.is_file():
        data, text = read_toml(pyproject, "pyproject.toml", warnings)
        requires = dig(data, "project", "requires-python")
        poetry = dig(data, "tool", "poetry", "dependencies", "python")
        if isinstance(requires, str) and _specifier(requires):
            where = f"pyproject.toml:{_line_of(text, 'requires-python')}"
            out.append(Declaration(requires, where, f"requires-python = {requires!r}"))
        elif isinstance(poetry, str):
            spec = _poetry_spec(poetry) if poetry.strip()[:1] in "^~" else poetry
            if _specifier(spec):
                where = f"pyproject.toml:{_line_of(text, 'python =')}"
                out.append(Declaration(spec, where, f"python = {poetry!r}"))

    setup = project / "setup.py"
    if setup.is_file():
        values = setup_py_values(_text(setup, "setup.py", warnings) or "")
        requires = values.get("python_requires")
        if requires and isinstance(requires[0], str) and _specifier(requires[0]):
            out.append(
                Declaration(
                    requires[0], f"setup.py:{requires[1]}", f"python_requires={requires[0]!r}"
                )
            )
        classifiers = values.get("classifiers")
        if classifiers and isinstance(classifiers[0], list):
            out += _classifiers(((text, f"setup.py:{line}") for text, line in classifiers[0]))

    parser, cfg_text = read_setup_cfg(project, warnings)
    requires_cfg = parser.get("options", "python_requires", fallback="").strip()
    if requires_cfg and _specifier(requires_cfg):
        where = f"setup.cfg:{_line_of(cfg_text, 'python_requires')}"
        out.append(Declaration(requires_cfg, where, f"python_requires = {requires_cfg}"))
    cfg_classifiers = parser.get("metadata", "classifiers", fallback="")
    out += _classifiers(
        (line.strip(), f"setup.cfg:{_line_of(cfg_text, line.strip())}")
        for line in cfg_classifiers.splitlines()
        if line.strip()
    )

    tox = project / "tox.ini"
    if tox.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        tox_text = _text(tox, "tox.ini", warnings) or ""
        try:
            parser.read_string(tox_text)
            envlist = parser.get("tox", "envlist", fallback="")
        except configparser.Error:
            envlist = ""
        versions = sorted(
            {f"{m.group(1)}.{m.group(2)}" for m in re.finditer(r"\bpy(\d)(\d+)\b", envlist)},
            key=version_key,
        )
        if versions:
            where = f"tox.ini:{_line_of(tox_text, 'envlist')}"
            text = f"envlist = {' '.join('py' + v.replace('.', '') for v in versions)}"
            out.append(Declaration("", where, text, versions=tuple(versions)))
    return out


def _classifiers(items: Iterable[tuple[str, str]]) -> list[Declaration]:
    versions: list[tuple[str, str]] = []
    for text, where in items:
        match = re.match(r"^Programming Language :: Python :: (\d+\.\d+)\s*$", text)
        if match:
            versions.append((match.group(1), where))
    if not versions:
        return []
    listed = sorted({v for v, _ in versions}, key=version_key)
    text = "classifiers: Python " + ", ".join(listed)
    return [Declaration("", versions[0][1], text, versions=tuple(listed))]


def _nearest_newer(declaration: Declaration, candidates: list[str]) -> str | None:
    """A version list (classifiers, tox) whose newest Python 3 is older than any the catalog has."""
    if not declaration.versions:
        return None
    newest = max(declaration.versions, key=version_key)
    if not newest.startswith("3."):
        return None
    if any(p.startswith("3.") and declaration.allows(p) for p in candidates):
        return None
    later = [p for p in candidates if p.startswith("3.") and version_key(p) > version_key(newest)]
    return min(later, key=version_key) if later else None


def choose(
    pythons: list[str],
    default: str,
    declared: list[Declaration],
    code: Evidence,
    fits: Callable[[str], bool] = lambda _p: True,
) -> Choice:
    """The catalog's Python for this project: declarations first, then the code's needs."""
    conflicts: list[str] = []
    floor = code.floor()
    candidates = list(pythons)
    reason = ""
    applied: list[Declaration] = []
    for declaration in declared:
        allowed = [p for p in candidates if declaration.allows(p)]
        newer = _nearest_newer(declaration, candidates)
        if newer is not None:
            allowed.append(newer)
            conflicts.append(
                f"{declaration.source} lists Python up to {declaration.versions[-1]}, which the "
                f"catalog does not have: {newer}, the nearest newer one, is allowed too"
            )
        if allowed:
            candidates = allowed
            applied.append(declaration)
        elif declaration.exact:
            wanted = declaration.spec.removeprefix("==").removesuffix(".*")
            newer = [p for p in candidates if version_key(p) > version_key(wanted)]
            conflicts.append(
                f"{declaration.source} says Python {wanted}, which the catalog does not have: "
                + (f"using {newer[0]}, the nearest newer one" if newer else "ignored")
            )
            if newer:
                candidates = [newer[0]]
                applied.append(declaration)
        else:
            conflicts.append(
                f"{declaration.source} ({declaration.text}) allows no Python the catalog has: ignored"
            )
    if applied:
        first = applied[0]
        reason = f"{first.text}, {first.source}"
    if code.python2:
        what, where = code.python2[0]
        py2 = [p for p in candidates if p.startswith("2.")]
        if py2:
            candidates = py2
            if not applied:
                reason = f"{what}, {where}"
        else:
            conflicts.append(
                f"{where} has Python 2 syntax ({what}), but {reason or 'the declarations'} "
                "rule out Python 2.7: port the code, or pass --python 2.7"
            )
    elif code.python2_imports and not applied and not floor and not code.python3:
        module, where = code.python2_imports[0]
        py2 = [p for p in candidates if p.startswith("2.")]
        if py2:
            candidates = py2
            reason = f"imports {module} (Python 2 standard library), {where}"
    if floor:
        version, what, where = floor
        above = [p for p in candidates if version_key(p) >= version_key(version)]
        if above:
            if not applied and not code.python2:
                reason = f"{what} needs Python {version}+, {where}"
            candidates = above
        else:
            conflicts.append(
                f"{where} uses {what}, which needs Python {version}+, but "
                f"{reason or 'the declarations'} say otherwise: upgrade the declaration, or change the code"
            )
    fitting = [p for p in candidates if fits(p)] or candidates
    if default in fitting:
        python = default
    else:
        python = min(fitting, key=lambda p: abs(pythons.index(p) - pythons.index(default)))
    if not reason and code.python3:
        what, where = code.python3[0]
        reason = f"{what}, {where}: Python 3, the catalog default"
    elif not reason:
        reason = "no version declared or required by the code: the catalog default"
    elif len(fitting) > 1 and not any(d.exact for d in applied) and not code.python2:
        reason += f" (the catalog has {', '.join(fitting)}; {python} is the closest to its default)"
    return Choice(python, reason, tuple(conflicts))
