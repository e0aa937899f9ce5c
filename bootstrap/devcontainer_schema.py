"""The official devcontainer.json schemas (shipped in schemas/devcontainer/), as one validator.

The top schema refers to the others by URL; nothing is fetched: each reference resolves to the
shipped copy.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).parent / "schemas" / "devcontainer"
PARTS = (
    "devContainer.base.schema.json",
    "devContainer.vscode.schema.json",
    "devContainer.codespaces.schema.json",
)
#: VS Code's settings schema, which only VS Code can serve: any object
VSCODE_SETTINGS = "vscode://schemas/settings/machine"


def _load(name: str) -> dict[str, Any]:
    return json.loads((FOLDER / name).read_text(encoding="utf-8-sig"))  # own: package data (a BOM)


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = set()
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value.split("#", 1)[0])
            else:
                found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node)) if node else set()
    return set()


@cache
def validator() -> Any:
    # lazy: start-up stays light
    from jsonschema import Draft7Validator, Draft201909Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7, DRAFT201909  # lazy, as above

    def resource(schema: dict[str, Any]) -> Any:
        spec = DRAFT201909 if "2019-09" in schema.get("$schema", "") else DRAFT7
        return Resource.from_contents(schema, default_specification=spec)

    parts = {name: _load(name) for name in PARTS}
    top = _load("devContainer.schema.json")
    resources = [(VSCODE_SETTINGS, resource({"type": "object"}))]
    for ref in _refs(top):
        schema = parts.get(ref.rsplit("/", 1)[-1])
        if schema is not None:
            resources.append((ref, resource(schema)))
    for schema in parts.values():
        if "$id" in schema:
            resources.append((schema["$id"], resource(schema)))
    registry = Registry().with_resources(resources)
    cls = Draft201909Validator if "2019-09" in top.get("$schema", "") else Draft7Validator
    return cls(top, registry=registry)


def errors(data: Any) -> list[Any]:
    """The schema errors of a parsed devcontainer.json, in document order, each as precise as it
    can be: the official schema is a ``oneOf`` of whole documents (image, Dockerfile, compose), so
    a wrong value deep inside fails the root; the error that names it is the deepest leaf."""
    found = list(validator().iter_errors(data))
    # "unevaluated properties" at the root only echoes a oneOf that failed: not a problem of its own
    precise = [e for e in found if e.validator != "unevaluatedProperties"] or found
    unique = {(tuple(map(str, e.absolute_path)), e.message): e for e in map(_deepest, precise)}
    return sorted(unique.values(), key=lambda e: [str(p) for p in e.absolute_path])


def _leaves(error: Any) -> list[Any]:
    if not error.context:
        return [error]
    return [leaf for sub in error.context for leaf in _leaves(sub)]


def _deepest(error: Any) -> Any:
    """The sub-error furthest into the document (a oneOf's alternatives fail at their root)."""
    leaves = _leaves(error)
    depth = max(len(leaf.absolute_path) for leaf in leaves)
    if depth <= len(error.absolute_path):
        return error
    return next(leaf for leaf in leaves if len(leaf.absolute_path) == depth)
