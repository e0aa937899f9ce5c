"""Import names → PyPI distributions, and each Python's standard library (data files, not code)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from bootstrap.requirements import parsed

DATA = Path(__file__).parent / "data"


@cache
def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))  # own: package data


def stdlib(python: str) -> frozenset[str]:
    """Top-level standard-library module names of ``python`` (nearest listed version)."""
    versions: dict[str, list[str]] = _load("stdlib.json")["versions"]
    if python not in versions:
        major = python.split(".")[0]
        same = [v for v in versions if v.split(".")[0] == major]
        python = max(same, key=lambda v: tuple(map(int, v.split(".")))) if same else "3.11"
    return frozenset(versions[python])


@cache
def any_stdlib() -> frozenset[str]:
    """Top-level modules of any Python's standard library listed (2.7's urlparse, 3.11's imp)."""
    versions: dict[str, list[str]] = _load("stdlib.json")["versions"]
    return frozenset(name for names in versions.values() for name in names)


#: Namespace packages: many distributions share the top-level name; the next parts name the one.
#: Each value is how many further parts the distribution's name takes (azure.storage.blob: two).
_NAMESPACES = {
    "google.cloud": 1,
    "google": 1,
    "azure": 1,
    "azure.mgmt": 1,
    "azure.storage": 1,
    "azure.keyvault": 1,
    "azure.ai": 1,
    "azure.data": 1,
    "azure.monitor": 1,
    "azure.search": 1,
    "azure.communication": 1,
    "azure.synapse": 1,
    "azure.purview": 1,
    "azure.schemaregistry": 1,
    "azure.mixedreality": 1,
    "azure.digitaltwins": 1,
    "azure.iot": 1,
    # families published on PyPI as ROOT.X (jaraco.classes, backports.zoneinfo, zope.interface,
    # sphinxcontrib-napoleon, ruamel.yaml): the root alone is no distribution, and pipreqs maps
    # the root to one member (sphinxcontrib → sphinxcontrib_programoutput, ruamel → ruamel.base)
    "jaraco": 1,
    "backports": 1,
    "zope": 1,
    "sphinxcontrib": 1,
    "ruamel": 1,
}


@dataclass(frozen=True)
class Resolution:
    """The distribution an import comes from, and how bootstrap knows it."""

    requirement: str | None  # None: a namespace alone (import google), nothing to install by itself
    how: str  # "table" (bootstrap's own), "pipreqs", "namespace" or "same name" (a guess)
    #: for a guess, the import its distribution must provide (google.cloud.storage, yaml)
    provides: str = ""

    @property
    def known(self) -> bool:
        return self.how in ("table", "pipreqs")


def resolve(module: str) -> Resolution:
    """The requirement that provides ``module`` (a dotted import).

    bootstrap's table first (longest known prefix), then pipreqs's mapping, then the namespace rule
    (google.cloud.X → google-cloud-X, azure.X.Y → azure-X-Y), else the import's own name.
    """
    names: dict[str, str] = _load("pypi_names.json")["imports"]
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in names:
            return Resolution(names[prefix], "table")
    pipreqs: dict[str, str] = _load("pipreqs_names.json")["imports"]
    roots = {root.split(".")[0] for root in _NAMESPACES}
    if parts[0] in pipreqs and parts[0] not in roots:
        return Resolution(pipreqs[parts[0]], "pipreqs")
    for end in range(len(parts), 0, -1):
        root = ".".join(parts[:end])
        if root in _NAMESPACES:
            more = parts[end : end + _NAMESPACES[root]]
            if not more or (".".join(parts[: end + 1]) in _NAMESPACES):
                continue
            more = [re.sub(r"_v\d+(?:(?:alpha|beta|p)\d*)*$", "", m) for m in more]  # pubsub_v1
            name = "-".join([*parts[:end], *more]).replace("_", "-")
            return Resolution(name, "namespace", ".".join(parts[: end + len(more)]))
    if parts[0] in roots:
        return Resolution(None, "namespace")
    return Resolution(parts[0], "same name", parts[0])


def distribution(module: str) -> str:
    """The requirement that provides ``module``: :func:`resolve`'s answer, or the import's name."""
    return resolve(module).requirement or module.split(".")[0]


#: text that is only a name (or no valid requirement at all): its canonical form either way
_BARE_NAME = re.compile(r"[A-Za-z0-9._-]+")


@cache
def canonical(requirement: str) -> str:
    """The canonical distribution name of a requirement line (its text when unparsable)."""
    if _BARE_NAME.fullmatch(requirement):
        return canonicalize_name(requirement)  # a project's 1,600 module names: no parser needed
    found = parsed(requirement)
    return canonicalize_name(requirement if found is None else found.name)


def conda_to_pypi(name: str) -> str | None:
    """A conda package's PyPI name, or None for conda packages that are not Python distributions."""
    data = _load("conda.json")
    lowered = name.lower()
    if lowered in data["skip"] or any(lowered.startswith(p) for p in data["skip_prefixes"]):
        return None
    return data["names"].get(lowered, name)
