"""The requirements a project already declares, with their own pins, read as text.

requirements*.txt (following -r), pyproject.toml ([project] and Poetry), setup.py (the literal
``install_requires`` list, read with the tokenizer: setup.py may be Python 2), setup.cfg, Pipfile
and environment.yml (its pip section, and conda packages by their PyPI names).
"""

from __future__ import annotations

import ast
import configparser
import io
import json
import re
import tokenize
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from bootstrap.detect.pypi_names import _load, canonical, conda_to_pypi
from bootstrap.errors import UsageError
from bootstrap.requirements import has_version
from bootstrap.safe_io import MAX_MANIFEST, Refused, load_toml, load_yaml, read_text

#: Marks the source of a development-only requirement ([dev-packages], Pipfile.lock's develop).
DEV_MARK = " [dev-packages]"


@dataclass(frozen=True)
class Declared:
    """One requirement line and where it came from (``file:line``)."""

    requirement: str
    source: str
    #: a conda package's name taken as its PyPI name, unchecked: kept only if the index has it
    guessed: bool = False


#: A requirement from version control over HTTPS (``name @ git+https://...``): kept, and installed
#: by the image's separate, non-reproducible step (requirements-project.txt), never on the host.
VCS_URL = re.compile(r"^git\+https://", re.IGNORECASE)
_EGG = re.compile(r"^(git\+https://\S+?)#egg=([A-Za-z0-9][A-Za-z0-9._-]*)\S*$", re.I)


@lru_cache(maxsize=4096)  # the same lines come from several files and passes
def normalise(line: str) -> str | None:
    """A PEP 508 requirement as requirements.in writes it, or None when it is not one.

    A path or source archive URL is not one either: locking would build it, running its setup.py
    on this machine (a URL of a built wheel is kept). A git URL over HTTPS is kept as
    ``name @ URL`` (pip's ``git+https://...#egg=name`` too): the lock leaves it out and the image
    installs it in its own step, flagged as not reproducible.
    """
    text = line.strip()
    egg = _EGG.match(text)
    if egg:
        text = f"{egg.group(2)} @ {egg.group(1)}"
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return None
    url = requirement.url or ""
    wheel = url.startswith("https://") and url.split("#")[0].endswith(".whl")
    if url and not wheel and not VCS_URL.match(url):
        return None
    return str(requirement)


def dig(data: Any, *keys: str) -> Any:
    """``data[k1][k2]...``, or None where a level is missing or not a table (hand-written files
    hold anything: ``project = "oops"``)."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def read_requirements_txt(
    project: Path, path: Path, warnings: list[str], seen: set[Path] | None = None
) -> list[Declared]:
    """A pip requirements file: options and editable installs are skipped, -r is followed."""
    seen = seen if seen is not None else set()
    rel = path.relative_to(project).as_posix()
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        warnings.append(f"{rel}: a loop of symbolic links: skipped")
        return []
    if resolved in seen:
        return []
    seen.add(resolved)
    text = _text(path, rel, warnings)
    if text is None:
        return []
    out: list[Declared] = []
    for number, raw in _logical_lines(text):
        line = re.split(r"(^|\s)#", raw, maxsplit=1)[0].strip()
        if not line:
            continue
        if line.startswith(("-r", "--requirement")):
            name = line.split(None, 1)[-1] if " " in line else line[2:]
            target = (path.parent / name.strip()).resolve()
            if target.is_file() and target.is_relative_to(project.resolve()):
                out += read_requirements_txt(project, target, warnings, seen)
            continue
        found = local_path(line)
        if found is not None:  # the project itself or a folder of it: local_paths() keeps it
            target, extras = _split_extras(found.removeprefix("-e ").strip())
            if extras and _project_folder(project, path.parent / target) == ".":
                out += project_extras(project, extras, f"{rel}:{number}", warnings)
            continue
        if line.startswith("-"):
            continue  # -c, --index-url, --hash ...: not a requirement of its own
        requirement = normalise(re.split(r"\s+--", line, maxsplit=1)[0])
        if requirement is None:
            warnings.append(
                f"{rel}:{number}: {line!r} is not a requirement bootstrap can read: left out"
            )
            continue
        out.append(Declared(requirement, f"{rel}:{number}"))
    return out


_EDITABLE = re.compile(r"^(-e|--editable)(?:\s+|=)(\S.*)$")


def local_path(line: str) -> str | None:
    """``-e .``, ``.``, ``./libs/x``, ``name @ file:...`` as requirements.in writes it (``-e ``
    kept: the dev container installs it editable), or None for anything else."""
    editable = _EDITABLE.match(line)
    body = editable.group(2).strip() if editable else line.strip()
    body = re.split(r"\s+--", body, maxsplit=1)[0].strip()
    named = re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*@\s*(file:\S+)$", body)
    if not (body.startswith((".", "file:")) or named):
        return None
    return ("-e " if editable else "") + body


def local_paths(project: Path, warnings: list[str]) -> list[Declared]:
    """The project itself and its own folders, as the top-level requirements*.txt name them
    (``-e .``) or the Pipfile does (``{path = ".", editable = true}``): installed in the image
    after the lock, never built on this machine. A path outside the project is reported and left
    out: the image could not install it."""
    root = config_root(project)
    out: list[Declared] = []
    pipfile = root / "Pipfile"
    if pipfile.is_file() and not (root / "Pipfile.lock").is_file():
        data, text = read_toml(pipfile, "Pipfile", [])
        rel = pipfile.relative_to(project).as_posix()
        for section in ("packages", "dev-packages"):
            packages = data.get(section, {})
            for name, spec in packages.items() if isinstance(packages, dict) else []:
                if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
                    continue
                line = f"{rel}:{_line_of_name(text, str(name))}"
                shown = _project_folder(project, root / spec["path"])
                if shown is None:
                    warnings.append(
                        f"{line}: {name}'s path {spec['path']!r} is not a folder of this "
                        "project, so the image cannot install it: left out"
                    )
                    continue
                prefix = "-e " if spec.get("editable") is True else ""
                out.append(Declared(prefix + shown, line))
    for path in sorted(root.glob("requirements*.txt")):
        if not path.is_file() or not path.resolve().is_relative_to(project.resolve()):
            continue
        rel = path.relative_to(project).as_posix()
        text = _text(path, rel, [])
        for number, raw in _logical_lines(text or ""):
            line = re.split(r"(^|\s)#", raw, maxsplit=1)[0].strip()
            found = local_path(line)
            if found is None:
                continue
            target = found.removeprefix("-e ").rpartition("@")[2].strip()
            target = _split_extras(target.removeprefix("file://").removeprefix("file:"))[0]
            shown = _project_folder(project, path.parent / target)
            if shown is None:
                warnings.append(
                    f"{rel}:{number}: {line!r} is not a folder of this project, so the image "
                    "cannot install it: left out"
                )
                continue
            prefix = "-e " if found.startswith("-e ") else ""
            name = found.removeprefix("-e ").rpartition("@")[0].strip()
            out.append(
                Declared(prefix + (f"{name} @ file:{shown}" if name else shown), f"{rel}:{number}")
            )
    return out


def _split_extras(target: str) -> tuple[str, list[str]]:
    """``.[pg,redshift]`` → (``.``, [pg, redshift]): pip's extras after a local path."""
    match = re.fullmatch(r"(.*?)\[([^\]]*)\]", target)
    if match is None:
        return target, []
    return match.group(1), [e.strip() for e in match.group(2).split(",") if e.strip()]


def project_extras(
    project: Path, extras: list[str], where: str, warnings: list[str]
) -> list[Declared]:
    """The requirements of the project's own extras that ``-e .[pg]`` asks for: the image
    installs the project without dependencies, so they go to the lock like any other. Read from
    pyproject.toml's optional-dependencies, setup.cfg's extras_require, or a literal
    ``extras_require={...}`` in setup.py; an extra found in none is reported."""
    tables: list[tuple[str, dict[str, list[tuple[str, int]]]]] = []
    if (project / "pyproject.toml").is_file():
        data, text = read_toml(project / "pyproject.toml", "pyproject.toml", [])
        optional = dig(data, "project", "optional-dependencies")
        if isinstance(optional, dict):
            table = {
                str(k): [(str(r), _line_of(text, str(r))) for r in v]
                for k, v in optional.items()
                if isinstance(v, list)
            }
            tables.append(("pyproject.toml", table))
    if (project / "setup.cfg").is_file():
        parser, text = read_setup_cfg(project, [])
        if parser.has_section("options.extras_require"):
            table = {
                key: [
                    (item.strip(), _line_of(text, item.strip()))
                    for item in value.splitlines()
                    if item.strip()
                ]
                for key, value in parser.items("options.extras_require")
            }
            tables.append(("setup.cfg", table))
    if (project / "setup.py").is_file():
        text = _text(project / "setup.py", "setup.py", []) or ""
        tables.append(("setup.py", setup_py_extras(text)))
    out: list[Declared] = []
    for extra in extras:
        hit = next(
            ((name, t[k]) for name, t in tables for k in t if canonical(k) == canonical(extra)),
            None,
        )
        if hit is None:
            warnings.append(f"{where}: the project has no extra {extra!r}: left out")
            continue
        for item, line in hit[1]:
            requirement = normalise(item)
            if requirement:
                out.append(Declared(requirement, f"{hit[0]}:{line}"))
    return out


def _project_folder(project: Path, path: Path) -> str | None:
    """``path`` as the image installs it (``.``, ``./libs/x``), or None when it is outside the
    project, missing, or no path at all (a NUL byte, a loop of links)."""
    try:
        where = path.resolve()
        if not where.is_relative_to(project.resolve()) or not where.exists():
            return None
    except (OSError, ValueError):
        return None
    relative = where.relative_to(project.resolve()).as_posix()
    return "." if relative == "." else f"./{relative}"


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines joined at a trailing backslash, each with the number of its first physical line."""
    out: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        start, before = pending if pending else (number, "")
        if line.endswith("\\"):
            pending = (start, before + line[:-1] + " ")
            continue
        pending = None
        out.append((start, before + line))
    if pending:
        out.append(pending)
    return out


#: The project being read (resolved): a manifest whose link leads outside it is never read.
_PROJECT: ContextVar[Path | None] = ContextVar("bootstrap_detect_project", default=None)


@contextmanager
def reading(project: Path) -> Iterator[None]:
    """Read manifests of ``project`` only: links are followed while they stay inside it."""
    token = _PROJECT.set(project.resolve())
    try:
        yield
    finally:
        _PROJECT.reset(token)


def _text(path: Path, rel: str, warnings: list[str]) -> str | None:
    root = _PROJECT.get()
    try:
        outside = root is not None and not path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a loop of links
        outside = True
    if outside:
        warnings.append(f"{rel}: a symbolic link that leads outside the project: skipped")
        return None
    try:
        return read_text(path, MAX_MANIFEST, rel)
    except UnicodeDecodeError:
        warnings.append(f"{rel}: not UTF-8 text: skipped")
    except Refused as exc:
        warnings.append(f"{rel}: {exc.reason}: skipped")
    except OSError as exc:
        warnings.append(f"{rel}: cannot be read ({exc.strerror}): skipped")
    return None


#: characters the line lookups below may search in one text: 16 times its length, at least 4 MB
#: (a manifest's few hundred items need a fraction of it); each lookup that compiles a pattern
#: is charged as many characters as compiling it costs
_LINE_BUDGET = 16
_PATTERN_COST = 20_000
_searched: list[Any] = [None, 0]  # the text searched last, and how many characters so far


def _affordable(text: str) -> bool:
    """Whether another line lookup in ``text`` fits its budget. Each lookup searches from the
    start: a manifest of 100,000 items would take minutes. Past the budget the line is given
    as 1, evidence a little less precise for a file no one writes by hand."""
    if _searched[0] is not text:
        _searched[:] = [text, 0]
    return _searched[1] <= max(_LINE_BUDGET * len(text), 4 * 1024 * 1024)


def _line_of(text: str, needle: str) -> int:
    """The line where ``needle`` first appears in ``text`` (1 when it does not)."""
    if not _affordable(text):
        return 1
    index = text.find(needle)
    _searched[1] += 2 * (index if index >= 0 else len(text))
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def read_toml(path: Path, rel: str, warnings: list[str]) -> tuple[dict[str, Any], str]:
    text = _text(path, rel, warnings)
    if text is None:
        return {}, ""
    try:
        return load_toml(text, rel), text
    except Refused as exc:
        warnings.append(f"{rel}: {exc.reason}: skipped")
        return {}, ""
    except UsageError:
        warnings.append(f"{rel}: not valid TOML: skipped")
        return {}, ""


def from_pyproject(project: Path, warnings: list[str]) -> list[Declared]:
    path = project / "pyproject.toml"
    if not path.is_file():
        return []
    data, text = read_toml(path, "pyproject.toml", warnings)
    out: list[Declared] = []
    deps = dig(data, "project", "dependencies")
    for dep in deps if isinstance(deps, list) else []:
        requirement = normalise(str(dep))
        if requirement:
            name = Requirement(requirement).name
            out.append(Declared(requirement, f"pyproject.toml:{_line_of_name(text, name)}"))
    poetry = dig(data, "tool", "poetry", "dependencies")
    for name, spec in poetry.items() if isinstance(poetry, dict) else []:
        if name.lower() == "python":
            continue
        version = str(spec.get("version", "")) if isinstance(spec, dict) else str(spec)
        requirement = normalise(name + _poetry_spec(version))
        if requirement:
            out.append(Declared(requirement, f"pyproject.toml:{_line_of_name(text, name)}"))
    return out


def _poetry_spec(version: str) -> str:
    """Poetry's version as PEP 440: ``^1.21`` is ``>=1.21,<2``, ``~1.2.3`` is ``>=1.2.3,<1.3``.

    Caret allows changes that keep the leftmost non-zero part; tilde, those below the part after the
    major (the major alone when that is all there is). Exact and PEP 440 ranges are kept.
    """
    version = version.strip()
    if not version or version == "*":
        return ""
    if "," in version or "||" in version:
        parts = [_poetry_spec(p) for p in version.replace("||", ",").split(",")]
        return ",".join(p for p in parts if p) if "||" not in version else ""
    if version.startswith("~="):
        return version
    if version[0] in "^~":
        base = version.lstrip("^~= ")
        numbers = [int(n) for n in re.findall(r"\d+", base.split("-")[0])[:3]]
        if not numbers:
            return ""
        if version[0] == "^":
            index = next((i for i, n in enumerate(numbers) if n), len(numbers) - 1)
        else:
            index = 0 if len(numbers) == 1 else 1
        upper = [*numbers[:index], numbers[index] + 1]
        return f">={base},<{'.'.join(map(str, upper))}"
    if version[0].isdigit():
        return "==" + version
    return version


def _line_of_name(text: str, name: str) -> int:
    """The line declaring ``name`` (a key or a quoted requirement), not one merely containing it."""
    if not _affordable(text):
        return 1
    _searched[1] += _PATTERN_COST + 2 * len(text)
    pattern = re.compile(
        rf"^[ \t]*(?:[\"']?{re.escape(name)}[\"']?[ \t]*[=\[<>~!;@ ]|[\"']{re.escape(name)}"
        rf"(?![\w.-]))",
        re.MULTILINE | re.IGNORECASE,
    )
    match = pattern.search(text)
    if match is None:
        match = re.search(rf"[\"']{re.escape(name)}(?![\w.-])", text, re.IGNORECASE)
    return text.count("\n", 0, match.start()) + 1 if match else _line_of(text, name)


def setup_py_values(text: str) -> dict[str, Any]:
    """Literal keyword arguments of setup(...): install_requires, python_requires, classifiers.

    Read from the token stream, so a Python 2 setup.py works too. A value that names a variable
    assigned a literal list at the top of the file (``requires = [...]`` then
    ``install_requires=requires``) is that list; any other value (a function call, a list built
    by code) is simply absent.
    """
    try:
        tokens = [
            t
            for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type not in (tokenize.NL, tokenize.COMMENT, tokenize.NEWLINE)
        ]
    except (tokenize.TokenError, SyntaxError):
        return {}
    values: dict[str, Any] = {}
    assigned = _Assigned(tokens)
    for index, tok in enumerate(tokens[:-2]):
        key = tok.string
        if key in ("install_requires", "python_requires", "classifiers") and (
            tokens[index + 1].string == "="
        ):
            value = tokens[index + 2]
            if value.type == tokenize.NAME and value.string not in ("None", "True", "False"):
                start = assigned.literal(value.string, "[(")
                if start is not None:
                    values[key] = (assigned.items(start), tokens[start].start[0])
            elif value.type == tokenize.STRING:
                values[key] = (_literal(value.string), value.start[0])
            elif value.string in ("[", "("):
                values[key] = (assigned.items(index + 2), value.start[0])
        assigned.see(index)
    return values


class _Assigned:
    """The top-level ``name = ...`` seen so far in a token stream, and the string lists read.

    One pass for the whole file, each list read once: a setup.py written as thousands of
    ``install_requires=requires`` lines costs no more than its length.
    """

    def __init__(self, tokens: list[tokenize.TokenInfo]) -> None:
        self._tokens = tokens
        self._last: dict[str, int] = {}
        self._items: dict[int, list[tuple[str, int]]] = {}

    def see(self, index: int) -> None:
        """Note ``tokens[index]`` if it starts a top-level assignment."""
        tok = self._tokens[index]
        if (
            tok.start[1] == 0
            and index + 2 < len(self._tokens)
            and self._tokens[index + 1].string == "="
        ):
            self._last[tok.string] = index

    def literal(self, name: str, openers: str) -> int | None:
        """Where the literal of the last top-level ``name = [...]`` seen opens; None when there
        is none, or that value is not such a literal (then it is code's to compute)."""
        index = self._last.get(name)
        if index is None or self._tokens[index + 2].string not in openers:
            return None
        return index + 2

    def items(self, opening: int) -> list[tuple[str, int]]:
        """The string literals of the list or tuple that opens at ``tokens[opening]``, with lines."""
        if opening not in self._items:
            items = []
            for item in self._tokens[opening + 1 :]:
                if item.string in ("]", ")"):
                    break
                if item.type == tokenize.STRING:
                    literal = _literal(item.string)
                    if isinstance(literal, str):
                        items.append((literal, item.start[0]))
            self._items[opening] = items
        return list(self._items[opening])


def setup_py_extras(text: str) -> dict[str, list[tuple[str, int]]]:
    """A literal ``extras_require={"pg": ["psycopg2"], ...}`` of setup.py (from the tokens, as
    setup_py_values reads the rest), each extra's requirements with their lines."""
    try:
        tokens = [
            t
            for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type not in (tokenize.NL, tokenize.COMMENT, tokenize.NEWLINE)
        ]
    except (tokenize.TokenError, SyntaxError):
        return {}
    out: dict[str, list[tuple[str, int]]] = {}
    assigned = _Assigned(tokens)
    read: set[int] = set()  # each dictionary once, however often it is named
    for index, tok in enumerate(tokens[:-2]):
        assigned.see(index)
        if tok.string != "extras_require" or tokens[index + 1].string != "=":
            continue
        opening = index + 2
        if tokens[opening].type == tokenize.NAME:
            found = assigned.literal(tokens[opening].string, "{")
            if found is None:
                continue
            opening = found
        if tokens[opening].string != "{" or opening in read:
            continue
        read.add(opening)
        position = opening + 1
        while position + 2 < len(tokens) and tokens[position].string != "}":
            key, colon, value = tokens[position : position + 3]
            if key.type != tokenize.STRING or colon.string != ":" or value.string not in "[(":
                break
            name = _literal(key.string)
            items = assigned.items(position + 2)
            if isinstance(name, str):
                out[name] = items
            position += 3
            while position < len(tokens) and tokens[position].string not in ("]", ")"):
                position += 1
            position += 1
            if position < len(tokens) and tokens[position].string == ",":
                position += 1
    return out


def _literal(token: str) -> Any:
    try:
        return ast.literal_eval(token.lstrip("uUbB") if token[:1] in "uU" else token)
    except (ValueError, SyntaxError):
        return None


def from_setup_py(project: Path, warnings: list[str]) -> list[Declared]:
    path = project / "setup.py"
    if not path.is_file():
        return []
    text = _text(path, "setup.py", warnings) or ""
    value = setup_py_values(text).get("install_requires")
    out = []
    if value and isinstance(value[0], list):
        for item, line in value[0]:
            requirement = normalise(item)
            if requirement:
                out.append(Declared(requirement, f"setup.py:{line}"))
    return out


def read_setup_cfg(project: Path, warnings: list[str]) -> tuple[configparser.ConfigParser, str]:
    parser = configparser.ConfigParser(interpolation=None)
    path = project / "setup.cfg"
    if not path.is_file():
        return parser, ""
    text = _text(path, "setup.cfg", warnings) or ""
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        warnings.append(f"setup.cfg: not valid ({str(exc).splitlines()[0]}): skipped")
    return parser, text


def from_setup_cfg(project: Path, warnings: list[str]) -> list[Declared]:
    parser, text = read_setup_cfg(project, warnings)
    raw = parser.get("options", "install_requires", fallback="")
    out = []
    for item in raw.splitlines():
        requirement = normalise(item)
        if requirement:
            out.append(Declared(requirement, f"setup.cfg:{_line_of(text, item.strip())}"))
    return out


def from_pipfile(
    project: Path, warnings: list[str], sections: tuple[str, ...] = ("packages", "dev-packages")
) -> list[Declared]:
    path = project / "Pipfile"
    if not path.is_file():
        return []
    data, text = read_toml(path, "Pipfile", warnings)
    out = []
    rel = path.relative_to(path.parent.parent if project.name in ("binder", ".binder") else project)
    for section in sections:  # repo2docker installs both (pipenv --dev)
        packages = data.get(section, {})
        for name, spec in packages.items() if isinstance(packages, dict) else []:
            requirement = _pipfile_requirement(str(name), spec)
            if requirement:
                where = f"{rel.as_posix()}:{_line_of_name(text, name)}"
                out.append(
                    Declared(requirement, where + (DEV_MARK if section != "packages" else ""))
                )
    return out


def _pipfile_requirement(name: str, spec: Any) -> str | None:
    """A Pipfile entry as a requirement: ``"*"``, ``"==1.0"``, ``{version, extras, markers}``,
    ``{git, ref}`` (kept as ``name @ git+URL@ref``); a ``{path}`` is the project's own folder,
    which ``local_paths`` installs; ``{file}`` (an archive URL) is left out like any URL."""
    if not isinstance(spec, dict):
        version = str(spec).strip()
        return normalise(name + ("" if version == "*" else version))
    if "path" in spec or "file" in spec:
        return None
    extras = spec.get("extras")
    extra = f"[{','.join(map(str, extras))}]" if isinstance(extras, list) and extras else ""
    if "git" in spec:
        ref = spec.get("ref")
        return normalise(f"{name}{extra} @ git+{spec['git']}" + (f"@{ref}" if ref else ""))
    version = str(spec.get("version", "*")).strip()
    markers = spec.get("markers")
    marker = f"; {markers}" if isinstance(markers, str) and markers.strip() else ""
    return normalise(name + extra + ("" if version == "*" else version) + marker)


def read_environment_yml(project: Path, warnings: list[str]) -> tuple[dict[str, Any], str, str]:
    for name in ("environment.yml", "environment.yaml"):
        path = project / name
        if path.is_file():
            text = _text(path, name, warnings) or ""
            try:
                data = load_yaml(text, name)
            except Refused as exc:
                warnings.append(f"{name}: {exc.reason}: skipped")
                return {}, "", name
            except UsageError:
                warnings.append(f"{name}: not valid YAML: skipped")
                return {}, "", name
            return (data if isinstance(data, dict) else {}), text, name
    return {}, "", ""


#: conda packages that are the environment itself, not something the project uses
_CONDA_TOOLING = {"python", "pip", "setuptools", "wheel", "conda", "mamba"}


def from_environment_yml(
    project: Path, warnings: list[str], unplaced: list[str] | None = None
) -> list[Declared]:
    """environment.yml's pip section as it is; conda packages by their PyPI names. A conda-only
    package (a system library, a compiler, R) is listed in ``unplaced`` with its line."""
    data, text, name = read_environment_yml(project, warnings)
    out = []
    unplaced = unplaced if unplaced is not None else []
    rel = (
        (project / name)
        .relative_to(project.parent if project.name in ("binder", ".binder") else project)
        .as_posix()
        if name
        else name
    )
    deps = data.get("dependencies")
    for dep in deps if isinstance(deps, list) else []:
        if isinstance(dep, dict):
            pip = dep.get("pip")
            for item in pip if isinstance(pip, list) else []:
                requirement = normalise(str(item))
                if requirement:
                    out.append(Declared(requirement, f"{rel}:{_line_of(text, str(item))}"))
            continue
        conda = str(dep).split("::")[-1].strip()
        match = re.match(r"^([A-Za-z0-9_.-]+)\s*(.*)$", conda)
        if not match:
            continue
        pypi = conda_to_pypi(match.group(1))
        if pypi is None:
            if match.group(1).lower() not in _CONDA_TOOLING:
                unplaced.append(
                    f"{rel}:{_line_of(text, str(dep))}: conda package {match.group(1)} is not a "
                    "Python distribution on PyPI: left out (if the code needs it, add its Debian "
                    "package to apt.txt, or install it in the Dockerfile)"
                )
            continue
        guessed = match.group(1).lower() not in _conda_names()
        spec = match.group(2).split("=")
        spec_text = match.group(2).strip()
        if spec_text.startswith("=") and not spec_text.startswith("=="):
            version = spec[1].strip()  # conda's name=1.2 (=build dropped) means 1.2.*
            spec_text = f"=={version}.*" if version.count(".") < 2 else f"=={version}"
        requirement = normalise(pypi + spec_text)
        if requirement:
            out.append(Declared(requirement, f"{rel}:{_line_of(text, str(dep))}", guessed))
    return out


def _conda_names() -> set[str]:
    return set(_load("conda.json")["names"])


def config_root(project: Path) -> Path:
    """Where repo2docker reads its configuration: binder/ or .binder/ when present, else the root."""
    for name in ("binder", ".binder"):
        if (project / name).is_dir() and not (project / name).is_symlink():
            return project / name
    return project


def from_pipfile_lock(
    project: Path, warnings: list[str], sections: tuple[str, ...] = ("default", "develop")
) -> list[Declared]:
    """Pipfile.lock's pins ([default], then [develop]: repo2docker installs both)."""
    path = project / "Pipfile.lock"
    rel = path.relative_to(project.parent if project.name in ("binder", ".binder") else project)
    text = _text(path, rel.as_posix(), warnings)
    if text is None:
        return []
    try:
        data = json.loads(text)
    except ValueError:
        warnings.append(f"{rel.as_posix()}: not valid JSON: skipped")
        return []
    out = []
    for section in sections:
        packages = data.get(section, {}) if isinstance(data, dict) else {}
        for name, spec in packages.items() if isinstance(packages, dict) else []:
            version = spec.get("version", "") if isinstance(spec, dict) else ""
            markers = spec.get("markers", "") if isinstance(spec, dict) else ""
            line = name + (version if isinstance(version, str) else "")
            if isinstance(markers, str) and markers:
                line += f"; {markers}"
            requirement = normalise(line)
            if requirement:
                out.append(
                    Declared(
                        requirement,
                        f"{rel.as_posix()}:{_line_of(text, chr(34) + name)}"
                        + (DEV_MARK if section == "develop" else ""),
                    )
                )
    return out


def declared(
    project: Path, warnings: list[str], unplaced: list[str] | None = None
) -> list[Declared]:
    """Every requirement the project declares, one line per package.

    repo2docker's precedence: binder/ (or .binder/) replaces the root for environment files;
    Pipfile.lock is read instead of Pipfile, and either instead of requirements.txt. pyproject.toml,
    setup.py and setup.cfg declare the project itself, at the root.
    """
    root = config_root(project)
    found: list[Declared] = []
    pipenv = (root / "Pipfile").is_file() or (root / "Pipfile.lock").is_file()
    if (root / "Pipfile.lock").is_file() and (root / "Pipfile").is_file():
        # the lock's pins for the application; the development tools as the Pipfile declares
        # them, since the lock's [develop] pins a laptop's whole tool chain, transitive ones too
        found += from_pipfile_lock(root, warnings, ("default",))
        found += from_pipfile(root, warnings, ("dev-packages",))
    elif (root / "Pipfile.lock").is_file():
        found += from_pipfile_lock(root, warnings)
    elif pipenv:
        found += from_pipfile(root, warnings)
    if not pipenv:
        for path in sorted(root.glob("requirements*.txt")) + sorted(
            root.glob("requirements/*.txt")
        ):
            if path.is_file() or path.is_symlink():
                found += read_requirements_txt(project, path, warnings)
    found += from_environment_yml(root, warnings, unplaced)
    for reader in (from_pyproject, from_setup_py, from_setup_cfg):
        found += reader(project, warnings)
    kept: dict[str, Declared] = {}
    for item in found:
        name = canonical(item.requirement)
        if name not in kept or (_bare(kept[name]) and not _bare(item)):
            kept[name] = item  # the first line wins, unless a later one carries a version
    return list(kept.values())


def apt_packages(project: Path, warnings: list[str]) -> list[Declared]:
    """repo2docker's apt.txt: one Debian package a line; anything else is reported, not run."""
    path = config_root(project) / "apt.txt"
    if not path.is_file():
        return []
    rel = path.relative_to(project).as_posix()
    text = _text(path, rel, warnings) or ""
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if re.fullmatch(r"[a-z0-9][a-z0-9+.-]{0,99}", line):
            out.append(Declared(line, f"{rel}:{number}"))
        else:
            warnings.append(f"{rel}:{number}: {line!r} is not a Debian package name: left out")
    return out


def _bare(item: Declared) -> bool:
    return not has_version(item.requirement)
