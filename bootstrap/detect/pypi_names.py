"""Import names → PyPI distributions, and each Python's standard library (data files, not code)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

DATA = Path(__file__).parent / "data"


@cache
def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def stdlib(python: str) -> frozenset[str]:
    """Top-level standard-library module names of ``python`` (nearest listed version)."""
    versions: dict[str, list[str]] = _load("stdlib.json")["versions"]
    if python not in versions:
        major = python.split(".")[0]
        same = [v for v in versions if v.split(".")[0] == major]
        python = max(same, key=lambda v: tuple(map(int, v.split(".")))) if same else "3.11"
    return frozenset(versions[python])


def distribution(module: str) -> str:
    """The requirement that provides ``module`` (a dotted import), by the longest known prefix."""
    names: dict[str, str] = _load("pypi_names.json")["imports"]
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in names:
            return names[prefix]
    return parts[0]


def canonical(requirement: str) -> str:
    """The canonical distribution name of a requirement line (its text when unparsable)."""
    try:
        return canonicalize_name(Requirement(requirement).name)
    except InvalidRequirement:
        return canonicalize_name(requirement)


def conda_to_pypi(name: str) -> str | None:
    """A conda package's PyPI name, or None for conda packages that are not Python distributions."""
    data = _load("conda.json")
    lowered = name.lower()
    if lowered in data["skip"] or any(lowered.startswith(p) for p in data["skip_prefixes"]):
        return None
    return data["names"].get(lowered, name)
