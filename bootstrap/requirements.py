"""requirements.in as data: one parser, shared by planning, locking and validation.

A line is a PEP 508 requirement, a local path (``.``, ``-e .``, ``name @ file:///...``), a URL or
VCS requirement, or an option (``--extra-index-url``). A line a catalog record contributed carries
the marker comment ``# catalog ID`` (optionally ``# catalog ID RANGE``): its version is the tested
one, and when the user's own requirements need another, the lock may pick any version in RANGE
(any version when no range is given). A line bootstrap init adopted from the user's own files
carries ``# from FILE:LINE``, so the lock and its errors can name where it came from. Everything here is pure: no I/O beyond reading the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

Kind = Literal["requirement", "local", "url", "invalid"]

CATALOG_MARK = re.compile(r"#\s*catalog\s+([A-Za-z0-9][A-Za-z0-9._-]*)(?:\s+([^#]+?))?\s*$")
#: the user's own file and line a requirement was adopted from by bootstrap init
FROM_MARK = re.compile(r"#\s*from\s+(\S[^#]*?)\s*$")
_LOCAL_PREFIXES = (".", "/", "~", "file:")


@dataclass(frozen=True)
class Line:
    """One requirement of requirements.in and where it stands."""

    text: str  # the requirement without its comment (``-e`` kept)
    number: int  # 1-based line number in the file
    kind: Kind
    name: str | None  # canonical name, when the line names one
    catalog: str | None = None  # the record that contributed it
    range: str | None = (
        None  # the versions the record accepts ("" = any), when it is a catalog line
    )
    source: str | None = None  # the user's file and line it was adopted from (``# from F:N``)

    @property
    def user(self) -> bool:
        return self.catalog is None

    def relaxed(self) -> str:
        """The line as the lock uses it beside user requirements: the record's range, not its pin."""
        if self.catalog is None or self.kind != "requirement":
            return self.text
        requirement = Requirement(self.text)
        extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
        marker = f" ; {requirement.marker}" if requirement.marker else ""
        return f"{requirement.name}{extras}{self.range or ''}{marker}"


@dataclass(frozen=True)
class RequirementsIn:
    lines: list[Line]
    extra_index_urls: list[str]

    def requirements(self) -> list[Line]:
        return [line for line in self.lines if line.kind == "requirement"]

    def local(self) -> list[Line]:
        return [line for line in self.lines if line.kind == "local"]

    def urls(self) -> list[Line]:
        return [line for line in self.lines if line.kind == "url"]

    def relaxing(self) -> bool:
        """Whether the user brings requirements of their own: then the catalog's lines relax."""
        return any(line.user for line in self.requirements())

    def for_lock(self) -> dict[str, str]:
        """requirements.in's requirement lines → the line the resolver gets. Beside the user's
        requirements a catalog line becomes its record's range, and a package the user names
        themselves is theirs alone: their line wins over the catalog's."""
        if not self.relaxing():
            return {line.text: line.text for line in self.requirements()}
        mine = {line.name for line in self.requirements() if line.user}
        return {
            line.text: line.relaxed()
            for line in self.requirements()
            if line.user or line.name not in mine
        }

    def by_name(self) -> dict[str, Line]:
        return {line.name: line for line in self.lines if line.name}


def _strip_comment(raw: str) -> tuple[str, str]:
    """(content, comment) of a requirements line; ``#`` starts a comment at a line start or after
    whitespace (pip's rule), so URL fragments such as ``#egg=`` stay."""
    match = re.search(r"(^|\s)#", raw)
    if not match:
        return raw.strip(), ""
    return raw[: match.start()].strip(), raw[match.start() :].strip()


def classify(text: str) -> tuple[Kind, str | None]:
    """(kind, canonical name) of one requirement text."""
    body = text
    if body.startswith(("-e ", "--editable ", "--editable=")):
        body = re.split(r"[\s=]", body, maxsplit=1)[1].strip()
        if body.startswith(_LOCAL_PREFIXES):
            return "local", None
        return "url", None
    if body.startswith(_LOCAL_PREFIXES):
        return "local", None
    if re.match(r"^[a-z][a-z0-9+.-]*://", body, re.IGNORECASE) or body.startswith("git+"):
        return "url", None
    try:
        requirement = Requirement(body)
    except InvalidRequirement:
        return "invalid", None
    name = canonicalize_name(requirement.name)
    if requirement.url:
        local = requirement.url.startswith("file:")
        return ("local" if local else "url"), name
    return "requirement", name


def parse(text: str) -> RequirementsIn:
    """requirements.in's text as lines and extra index URLs."""
    lines: list[Line] = []
    extra: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        content, comment = _strip_comment(raw)
        if not content:
            continue
        if content.startswith("--extra-index-url"):
            value = content[len("--extra-index-url") :].lstrip(" =").strip()
            if value:
                extra.append(value)
            continue
        if content.startswith("-") and not content.startswith(("-e", "--editable")):
            continue  # -c, -r, --index-url ...: options for pip, not requirements
        kind, name = classify(content)
        mark = CATALOG_MARK.search(comment)
        record, accepted = (mark.group(1), (mark.group(2) or "").strip()) if mark else (None, None)
        if accepted:
            try:
                SpecifierSet(accepted)
            except InvalidSpecifier:
                accepted = ""
        adopted = FROM_MARK.search(comment) if not mark else None
        source = adopted.group(1) if adopted else None
        lines.append(Line(content, number, kind, name, record, accepted, source))
    return RequirementsIn(lines, extra)


@lru_cache(maxsize=4096)
def parsed(text: str) -> Requirement | None:
    """The PEP 508 parse of a line, None when it is not one; asked once per line, since a large
    project's thousand lines are asked about again and again (name, pin, version). Shared: never
    change what it returns."""
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def name_of(text: str) -> str:
    """The canonical name of a requirement, or the text itself when it names none."""
    requirement = parsed(text)
    return text if requirement is None else canonicalize_name(requirement.name)


def is_pinned(text: str) -> bool:
    """``name==version`` (extras and markers allowed): a line an offline lock may keep."""
    requirement = parsed(text)
    if requirement is None:
        return False
    specs = list(requirement.specifier)
    return (
        not requirement.url
        and len(specs) == 1
        and specs[0].operator == "=="
        and "*" not in specs[0].version
    )


def catalog_comment(record: str, accepted: str | None) -> str:
    """The marker requirements.in carries on a line a catalog record contributed."""
    return f"# catalog {record}" + (f" {accepted}" if accepted else "")


def from_comment(source: str) -> str:
    """The marker requirements.in carries on a line bootstrap init adopted from the user's file."""
    return f"# from {source}"


def has_version(text: str) -> bool:
    """Whether the line says which versions (a specifier or a URL); unparsable lines count."""
    requirement = parsed(text)
    return requirement is None or bool(requirement.specifier) or bool(requirement.url)


_HASH = re.compile(r"\s+--hash")


def lock_entries(text: str) -> Iterator[tuple[int, str]]:
    """(line number, requirement) of every package line of a lock, hashes dropped.

    Continuation lines are joined, comments and options (``--hash``, ``--extra-index-url``)
    skipped; the number is that of the logical line's first physical line.
    """
    first, parts = 0, []
    for number, physical in enumerate(text.splitlines(), start=1):
        if not parts:
            first = number
        if physical.endswith("\\"):
            parts.append(physical[:-1])
            continue
        line = " ".join([*parts, physical]).split(" #", 1)[0].strip()
        parts = []
        if line and not line.startswith(("#", "-")):
            yield first, _HASH.split(line, maxsplit=1)[0].strip()


def pins_of(text: str) -> dict[str, str]:
    """canonical name → version of every ``name==version`` line of a lock."""
    pins = {}
    for _number, line in lock_entries(text):
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        spec = next(iter(requirement.specifier), None)
        if spec is not None and spec.operator == "==":
            pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def lock_reasons(text: str) -> dict[str, tuple[str, list[str]]]:
    """canonical name → (``name==version``, the lock's comments for it): ``from FILE:LINE``,
    ``via RECORD (catalog)``, ``via A, B`` (the pins that need it)."""
    out: dict[str, tuple[str, list[str]]] = {}
    current: str | None = None
    for logical in text.replace("\\\n", " ").splitlines():
        stripped = logical.strip()
        if stripped.startswith("#"):
            if current is not None and logical[:1].isspace():
                out[current][1].append(stripped.lstrip("#").strip())
            continue
        head = _HASH.split(stripped, maxsplit=1)[0].split(" #", 1)[0].strip()
        current = None
        if not head or head.startswith("-"):
            continue
        try:
            requirement = Requirement(head.split(";", 1)[0])
        except InvalidRequirement:
            continue
        name = canonicalize_name(requirement.name)
        if name in out:  # a second, per-architecture pin: one entry, both versions
            out[name] = (f"{out[name][0]}; {head}", out[name][1])
        else:
            out[name] = (head, [])
        current = name
    return out


def why(text: str, name: str) -> list[str] | None:
    """Why the lock ``text`` holds ``name``: its pin, where it comes from, and each chain of pins
    that needs it back to requirements.in (``numpy <- pandas <- via pydata (catalog)``); None
    when the lock does not hold it."""
    reasons = lock_reasons(text)
    wanted = canonicalize_name(name)
    if wanted not in reasons:
        return None
    pin, comments = reasons[wanted]
    lines = [pin] + [f"  {c}" for c in comments]
    chains: list[str] = []

    def parents(key: str) -> list[str]:
        return [
            canonicalize_name(p.strip())
            for c in reasons.get(key, ("", []))[1]
            if c.startswith("via ") and not c.endswith("(catalog)")
            for p in c[4:].split(",")
            if p.strip()
        ]

    def walk(key: str, path: list[str]) -> None:
        if len(chains) >= 8:
            return
        own = [
            c
            for c in reasons.get(key, ("", []))[1]
            if c.startswith("from ") or c.endswith("(catalog)")
        ]
        if own and len(path) > 1:  # a line of requirements.in: the chain ends here
            chains.append(" <- ".join(path) + " <- " + "; ".join(own))
            return
        for parent in parents(key):
            if parent not in path:
                walk(parent, [*path, parent])

    walk(wanted, [wanted])
    if chains:
        lines.append("  needed by:")
        lines += [f"    {chain}" for chain in chains]
    return lines
