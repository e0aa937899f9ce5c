"""Answers: what the user chose, as plain data checked against a JSON Schema.

Wizard, flags, an answers file and detection all produce the same dict; nothing downstream
looks at where it came from.
"""

from __future__ import annotations

import copy
import json
import re
from collections import ChainMap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bootstrap.catalog import Catalog
from bootstrap.errors import UsageError
from bootstrap.safe_io import MAX_ANSWERS, load_json, load_yaml, read_or_refuse

SCHEMA_PATH = Path(__file__).parent / "schemas" / "answers.schema.json"
RECORD_PATH = Path(".devcontainer") / "bootstrap.json"
KEYS = ("name", "description", "python", "stacks", "drivers", "services", "options", "network")
#: Keys a record file carries beside the answers: not answers themselves.
NOT_ANSWERS = ("bootstrap_version", "catalogs")

Answers = dict[str, Any]

_URL_FIX = (
    "pass an http(s) URL of plain ASCII URL characters (percent-encode the rest; "
    "no quotes, spaces, '$', '|' or backslashes)"
)
_FIXES = {
    "name": "use 1-64 ASCII letters, digits, spaces, '.', '_' or '-', starting with a letter",
    "project": "leave it out: it is derived from the name",
    "description": "use one line of at most 200 characters",
    "ca_certs": "pass CA files that end in .crt",
    "pip_index_url": _URL_FIX,
    "apt_mirror": _URL_FIX.replace("'|' or", "'|', '&' or"),
    "artifact_mirror": _URL_FIX,
    "requirements": "use one PEP 508 requirement per item, e.g. requests or requests==2.32.3",
    "layout": "leave it as bootstrap init wrote it",
    "local_requirements": "use -e ., ., ./FOLDER or NAME @ file:./FOLDER (inside the project)",
    "requirement_sources": "leave it as bootstrap init wrote it (requirement: FILE:LINE)",
    "apt_packages": "use Debian package names, e.g. libpq-dev",
    "post_build": "use postBuild, binder/postBuild or .binder/postBuild (the script's path)",
    "start": "use start, binder/start or .binder/start (the script's path)",
    "github_repo": "pass OWNER/REPO as in https://github.com/OWNER/REPO",
    "options": "use COMPONENT:OPTION, e.g. pytorch:gpu (bootstrap catalog lists them)",
    "network": "use a mapping of pip_index_url, apt_mirror, artifact_mirror and ca_certs",
}
_TYPES = {
    "array": "a list",
    "object": "a mapping",
    "string": "a string",
    "boolean": "true or false",
}


def slugify(name: str) -> str:
    """The folder and image name: lower case, words joined by '-'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def defaults(catalog: Catalog) -> Answers:
    """Pressing Enter everywhere gives these: a working, common data-science project."""
    return {
        "name": "my-project",
        "description": "A Python project in a dev container",
        "python": catalog.default_python(),
        "stacks": [i for i, r in catalog.of("stack").items() if r.get("default")],
        "drivers": [i for i, r in catalog.of("driver").items() if r.get("default")],
        "options": [],
        "network": {},
    }


def layered(*layers: Mapping[str, Any]) -> Answers:
    """One answers mapping from layers, lowest first: defaults < detected < answers file < flags.

    A later layer wins key by key; ``network`` is merged entry by entry, so a ``--pip-index-url``
    flag keeps the answers file's CA list. The layers stay visible as a ChainMap until here.
    """
    chain: ChainMap[str, Any] = ChainMap(*(dict(layer) for layer in reversed(layers)))
    answers = dict(chain)
    network: dict[str, Any] = {}
    for layer in layers:
        value = layer.get("network")
        if value is None:
            continue
        if not isinstance(value, Mapping):
            raise UsageError(f"answers: network {value!r} should be a mapping: {_FIXES['network']}")
        network.update(value)
    answers["network"] = network
    return answers


def schema(catalog: Catalog) -> dict[str, Any]:
    """The shipped schema with the catalog's ids as enums (organisation records included)."""
    result = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))  # own: package data
    props = result["properties"]
    props["python"]["enum"] = catalog.pythons
    props["stacks"]["items"]["enum"] = list(catalog.of("stack"))
    props["drivers"]["items"]["enum"] = list(catalog.of("driver"))
    props["services"]["items"]["enum"] = list(catalog.of("service"))
    return result


def load_file(path: str | Path) -> Answers:
    """An answers file: YAML or JSON (JSON is YAML), a mapping of the keys the wizard records."""
    path = Path(path)
    text = read_or_refuse(
        path,
        MAX_ANSWERS,
        "answers file",
        missing=f"answers file {path}: not found: pass an existing YAML or JSON file",
        fix="pass a UTF-8 text file",
        expected="YAML or JSON file",
    )
    assert text is not None
    data = load_yaml(text, f"answers file {path}")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UsageError(f"answers file {path}: must be a mapping of keys ({', '.join(KEYS)})")
    data.pop("bootstrap_version", None)
    data.pop("project", None)
    data.pop("catalogs", None)
    return data


def _fix_for(path: list[Any], catalog: Catalog) -> str:
    key = next((str(p) for p in reversed(path) if isinstance(p, str)), "")
    if key == "python":
        return f"choose one of {', '.join(catalog.pythons)}"
    if key in ("stacks", "drivers", "services"):
        kind = key[:-1]
        return f"choose from {', '.join(catalog.of(kind))} (bootstrap catalog lists them)"
    return _FIXES.get(key, "see bootstrap catalog and bootstrap new --help")


def validate(answers: Answers, catalog: Catalog, *, origin: str = "answers") -> Answers:
    """Normalised answers or a UsageError naming the key, the value and the fix."""
    from jsonschema import Draft202012Validator  # lazy: start-up stays light

    answers = copy.deepcopy(answers)
    for key in ("stacks", "drivers", "services", "options"):
        if isinstance(answers.get(key), str):
            answers[key] = split_ids([answers[key]])
    shape = schema(catalog)
    unknown = [k for k in answers if k not in shape["properties"]]
    if unknown:
        raise UsageError(f"{origin}: unknown key {unknown[0]!r}: use only {', '.join(KEYS)}")
    if isinstance(answers.get("python"), (int, float)):
        raise UsageError(
            f'{origin}: python {answers["python"]!r} is a number: quote it, e.g. python: "3.12"'
        )
    validator = Draft202012Validator(shape)
    errors = sorted(validator.iter_errors(answers), key=lambda e: (len(e.absolute_path), e.path))
    if errors:
        error = errors[0]
        path = list(error.absolute_path)
        where = ".".join(str(p) for p in path) or "answers"
        value = error.instance
        shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        reason = _reason(error)
        raise UsageError(f"{origin}: {where} {shown} {reason}: {_fix_for(path, catalog)}")
    slug = slugify(answers["name"])
    if not slug:
        raise UsageError(
            f"{origin}: name {answers['name']!r} has no letters or digits: {_FIXES['name']}"
        )
    if answers.get("project") not in (None, slug):
        raise UsageError(
            f"{origin}: project {answers['project']!r} does not match the name: leave it out"
        )
    result: Answers = {
        "name": answers["name"],
        "project": slug,
        "description": answers.get("description", ""),
        "python": answers["python"],
        # catalog order, so the same choices always give the same files
        "stacks": [i for i in catalog.of("stack") if i in answers.get("stacks", [])],
        "drivers": [i for i in catalog.of("driver") if i in _drivers(answers, catalog)],
        "options": sorted(answers.get("options", [])),
        "network": dict(answers.get("network", {})),
    }
    # every other key the schema knows is kept as given, when given (empty means absent)
    for key in shape["properties"]:
        if key not in result and key not in NOT_ANSWERS and answers.get(key):
            result[key] = copy.deepcopy(answers[key])
    if result.get("services"):
        result["services"] = [i for i in catalog.of("service") if i in result["services"]]
    if "requirements" in result:
        _requirements(result["requirements"], origin)
    return result


def _drivers(answers: Answers, catalog: Catalog) -> list[str]:
    """The drivers chosen, and those the chosen services need (a PostgreSQL service: psql and
    psycopg in the app)."""
    drivers = list(answers.get("drivers", []))
    for service_id in answers.get("services", []):
        service = catalog.get("service", service_id) or {}
        drivers += [d for d in service.get("drivers", []) if d not in drivers]
    return drivers


def _requirements(lines: list[str], origin: str) -> list[str]:
    """Each item one PEP 508 requirement: requirements.in gets them line by line."""
    from bootstrap.requirements import parsed  # lazy: start-up stays light

    for line in lines:
        if parsed(line) is None:
            raise UsageError(
                f"{origin}: requirements {line!r} is not a valid requirement: {_FIXES['requirements']}"
            )
    return list(lines)


def _reason(error: Any) -> str:
    validator = error.validator
    if validator == "enum":
        return "is not in the catalog"
    if validator == "pattern":
        return "has characters that are not allowed"
    if validator == "maxLength":
        return f"is longer than {error.validator_value} characters"
    if validator == "minLength":
        return "is empty"
    if validator == "type":
        return f"should be {_TYPES.get(error.validator_value, error.validator_value)}"
    if validator == "required":
        return error.message
    if validator == "uniqueItems":
        return "names an item twice"
    if validator == "additionalProperties":
        return error.message
    return error.message


def split_ids(values: list[str] | None) -> list[str]:
    """Repeatable, comma-separated flags: ['a,b', 'c'] → ['a', 'b', 'c'], order kept, no repeats."""
    seen: dict[str, None] = {}
    for value in values or []:
        for item in value.split(","):
            item = item.strip()
            if item:
                seen[item] = None
    return list(seen)


def record(answers: Answers, version: str, catalogs: list[str] | None = None) -> Answers:
    """What goes into .devcontainer/bootstrap.json: the answers and the tool version."""
    out = dict(answers)
    out["bootstrap_version"] = version
    if catalogs:
        out["catalogs"] = list(catalogs)
    return out


def read_recorded(project_dir: Path) -> Answers:
    """The answers a generated project recorded, for validate, lock, update and build.

    Checked where it is read (types, patterns, layout paths), so a hand-edited file fails here
    with its key named rather than deep inside a command.
    """
    path = project_dir / RECORD_PATH
    text = read_or_refuse(
        path,
        MAX_ANSWERS,
        "recorded answers",
        missing=f"{project_dir}: no {RECORD_PATH}: pass a folder made by bootstrap new or init",
        fix="restore it from version control",
    )
    assert text is not None
    data = load_json(text, str(path))
    if not isinstance(data, dict):
        raise UsageError(
            f"{path}: should be a mapping of answers, not {type(data).__name__}: "
            "restore it from version control"
        )
    _check_recorded(data, path)
    return data


def _check_recorded(data: Answers, path: Path) -> None:
    """The shipped schema (without the catalog's enums: the catalog is read after this file)."""
    from jsonschema import Draft202012Validator  # lazy: start-up stays light

    shipped = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))  # own: package data
    errors = sorted(
        Draft202012Validator(shipped).iter_errors(data),
        key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))),
    )
    if errors:
        error = errors[0]
        where = ".".join(str(p) for p in error.absolute_path) or "the top level"
        shown = (
            repr(error.instance) if isinstance(error.instance, str) else json.dumps(error.instance)
        )
        if len(shown) > 80:
            shown = shown[:77] + "..."
        raise UsageError(
            f"{path}: {where} {shown} {_reason(error)}: fix it or restore it from version control"
        )
