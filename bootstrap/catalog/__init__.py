"""The catalog: every Python version, stack, driver and service as one data record.

Records live in ``records/<kind>/<id>.toml``; an organisation adds or overrides records with
``--catalog FILE`` or ``BOOTSTRAP_CATALOG`` (files or folders, ``os.pathsep``-separated).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from bootstrap.errors import UsageError
from bootstrap.safe_io import MAX_CATALOG, load_toml, read_text

RECORDS_DIR = Path(__file__).parent / "records"
SCHEMA_PATH = Path(__file__).parent.parent / "schemas" / "catalog.schema.json"
UV_PATH = Path(__file__).parent / "uv.toml"
KINDS = ("python", "stack", "driver", "service")
ENV_VAR = "BOOTSTRAP_CATALOG"

Record = Mapping[str, Any]


@dataclass(frozen=True)
class Catalog:
    """Records by kind and id, in display order."""

    records: dict[str, dict[str, Record]] = field(default_factory=dict)
    origins: dict[tuple[str, str], str] = field(default_factory=dict)

    def of(self, kind: str) -> dict[str, Record]:
        return self.records.get(kind, {})

    def get(self, kind: str, record_id: str) -> Record | None:
        return self.of(kind).get(record_id)

    def find(self, record_id: str) -> Record | None:
        """A stack, driver or Python record by id (ids are unique across stacks and drivers;
        services share ids with the drivers they need, and are asked for with ``get``)."""
        for kind in ("stack", "driver", "python"):
            if record_id in self.of(kind):
                return self.of(kind)[record_id]
        return None

    @property
    def pythons(self) -> list[str]:
        return list(self.of("python"))

    def default_python(self) -> str:
        for record_id, record in self.of("python").items():
            if record.get("default"):
                return record_id
        return self.pythons[-1]

    def to_json(self) -> dict[str, Any]:
        return {kind + "s": list(self.of(kind).values()) for kind in KINDS}


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator  # lazy: start-up stays light

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))  # own: package data
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate_record(record: Any, origin: str) -> None:
    """Refuse a record that breaks the catalog schema, naming the file and the JSON path."""
    from jsonschema.exceptions import best_match  # lazy: start-up stays light

    errors = list(_validator().iter_errors(record))
    if errors:
        # the deepest error names the field; "unevaluated properties" at the top is its echo
        deepest = max(len(e.absolute_path) for e in errors)
        error = best_match(e for e in errors if len(e.absolute_path) == deepest)
        where = "/" + "/".join(str(p) for p in error.absolute_path)
        raise UsageError(f"catalog record {origin}: {where}: {error.message}: fix the record")


def check_semantics(record: Record, origin: str) -> None:
    """What the schema cannot say but the code later parses: versions, specifiers, requirements
    and file paths, each refused here with the file and the key named."""

    def refuse(where: str, value: Any, why: str) -> None:
        raise UsageError(f"catalog record {origin}: {where}: {value!r} {why}: fix the record")

    if record["kind"] == "python":
        try:
            Version(record["id"])
        except InvalidVersion:
            refuse("/id", record["id"], "is not a Python version such as 3.12")
        if not isinstance(record.get("image"), str):
            refuse("/image", record.get("image"), "is missing: a Python record names its image")
    stack: list[tuple[Any, str]] = [(record, "")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, list):
            stack += [(item, f"{where}/{i}") for i, item in enumerate(node)]
            continue
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            here = f"{where}/{key}"
            if key == "python" and isinstance(value, str) and where:
                try:
                    SpecifierSet(value)
                except InvalidSpecifier:
                    refuse(here, value, "is not a version specifier such as >=3.9")
            elif key == "pip" and isinstance(value, list):
                for i, item in enumerate(value):
                    line = item.get("requirement") if isinstance(item, dict) else item
                    try:
                        Requirement(str(line))
                    except InvalidRequirement:
                        refuse(f"{here}/{i}", line, "is not a requirement such as pandas==2.2.3")
            elif key == "files" and isinstance(value, list):
                for i, item in enumerate(value):
                    path = item.get("path") if isinstance(item, dict) else None
                    if isinstance(path, str) and ".." in path.split("/"):
                        refuse(f"{here}/{i}/path", path, "leaves the project")
                    if isinstance(path, str) and _owned(path):
                        refuse(f"{here}/{i}/path", path, "is a file bootstrap itself writes")
            stack.append((value, here))


#: Files the template and the lock write: a record's ``files`` may not replace them (a broken
#: devcontainer.json or lock would only show when the render is validated).
OWNED = (
    "Dockerfile",
    "Dockerfile.dockerignore",
    ".dockerignore",
    "requirements.in",
    "requirements.txt",
    "requirements-project.txt",
    ".devcontainer/devcontainer.json",
    ".devcontainer/bootstrap.json",
    ".devcontainer/bootstrap-base.json",
)


def _owned(path: str) -> bool:
    clean = "/".join(part for part in path.split("/") if part not in ("", "."))
    return clean in OWNED or clean.startswith(".devcontainer/certs/")


def _read(path: Path) -> list[Record]:
    try:
        data = load_toml(read_text(path, MAX_CATALOG, "catalog file"), f"catalog file {path}")
    except OSError as exc:
        raise UsageError(f"catalog file {path}: {exc.strerror}: pass a readable file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"catalog file {path}: not UTF-8 ({exc}): fix the file") from None
    records = data.get("record") if set(data) == {"record"} else [data]
    if not isinstance(records, list):
        raise UsageError(f"catalog file {path}: [[record]] must be an array of tables")
    return records


def _files(location: Path) -> list[Path]:
    if location.is_dir():
        return sorted(location.rglob("*.toml"))
    if not location.exists():
        raise UsageError(f"catalog {location}: no such file or folder: pass an existing path")
    return [location]


def _sort_key(item: tuple[str, Record]) -> tuple[int, Any]:
    record_id, record = item
    if record["kind"] == "python":
        return (record.get("order", 0), Version(record_id))
    return (record.get("order", 100), record_id)


def load(extra: Iterable[str | os.PathLike[str]] = (), *, use_env: bool = True) -> Catalog:
    """Built-in records, then organisation catalogs, each overriding by (kind, id)."""
    locations: list[tuple[Path, bool]] = [(RECORDS_DIR, True)]
    if use_env and os.environ.get(ENV_VAR):
        locations += [(p, False) for p in _env_locations(os.environ[ENV_VAR])]
    locations += [(Path(p), False) for p in extra]
    records: dict[str, dict[str, Record]] = {kind: {} for kind in KINDS}
    origins: dict[tuple[str, str], str] = {}
    for location, builtin in locations:
        for path in _files(location):
            for index, record in enumerate(_read(path)):
                origin = str(path) if index == 0 else f"{path}[{index}]"
                if not builtin:
                    validate_record(record, origin)
                    check_semantics(record, origin)
                records[record["kind"]][record["id"]] = record
                origins[(record["kind"], record["id"])] = "built-in" if builtin else str(path)
    _check_ids(records)
    ordered = {kind: dict(sorted(records[kind].items(), key=_sort_key)) for kind in KINDS}
    return Catalog(ordered, origins)


def _env_locations(value: str) -> list[Path]:
    """BOOTSTRAP_CATALOG: paths joined by os.pathsep, unless the whole value is one existing
    path (a folder name may itself hold the separator)."""
    if os.path.exists(value):
        return [Path(value)]
    return [Path(p) for p in value.split(os.pathsep) if p]


def _check_ids(records: dict[str, dict[str, Record]]) -> None:
    clash = set(records["stack"]) & set(records["driver"])
    if clash:
        raise UsageError(f"catalog: ids {sorted(clash)} are both a stack and a driver: rename one")
    if not records["python"]:
        raise UsageError("catalog: no Python records: the built-in catalog is missing")


@cache
def builtin() -> Catalog:
    """The catalog without organisation records (cached: records are read-only data)."""
    return load(use_env=False)


@cache
def uv_pin() -> dict[str, Any]:
    """The uv release the generated build stage installs: version and the sha256 of its wheels."""
    return load_toml(UV_PATH.read_text(encoding="utf-8"), str(UV_PATH))  # own: package data
