"""Requirement lines and lock files, read one way everywhere (plan, lock, validate).

Built on ``packaging``: a line is what PEP 508 says it is, and "pinned" means one thing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

_HASH = re.compile(r"\s+--hash")


def parse(line: str) -> Requirement | None:
    try:
        return Requirement(line)
    except InvalidRequirement:
        return None


def name_of(line: str) -> str:
    """The canonical distribution name of a requirement line (the line itself if unparsable)."""
    requirement = parse(line)
    return canonicalize_name(requirement.name) if requirement else line


def has_version(line: str) -> bool:
    """Whether the line says which versions (a specifier or a URL); unparsable lines count."""
    requirement = parse(line)
    return requirement is None or bool(requirement.specifier) or bool(requirement.url)


def is_pinned(line: str) -> bool:
    """``name==version`` (extras and markers allowed, no wildcard, no URL): one exact release."""
    requirement = parse(line)
    if requirement is None or requirement.url:
        return False
    specs = list(requirement.specifier)
    return len(specs) == 1 and specs[0].operator == "==" and "*" not in specs[0].version


def lock_entries(text: str) -> Iterator[tuple[int, str]]:
    """(line number, requirement) of every package line of a requirements file, hashes dropped.

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
        requirement = parse(line)
        if requirement is None:
            continue
        spec = next(iter(requirement.specifier), None)
        if spec is not None and spec.operator == "==":
            pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def read_in(path: Path) -> tuple[list[str], list[str]]:
    """A requirements.in as (requirement lines, extra index URLs)."""
    requirements, extra = [], []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("--extra-index-url"):
            extra.append(line.split(None, 1)[1] if " " in line else line.split("=", 1)[1])
        elif not line.startswith("-"):
            requirements.append(line)
    return requirements, extra
