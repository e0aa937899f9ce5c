"""The wizard: a few questions in the terminal, each with a default, each incompatible choice
shown disabled with its reason. Ctrl-C anywhere leaves nothing behind."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import questionary
from questionary import Choice

from bootstrap.answers import SCHEMA_PATH, Answers, slugify
from bootstrap.catalog import Catalog
from bootstrap.errors import Interrupted, Terminated, UsageError
from bootstrap.names import windows_reserved
from bootstrap.plan import why_not

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 ._-]{0,63}$")


def _ask(question: Any) -> Any:
    try:
        return question.unsafe_ask()
    except Terminated:
        raise
    except KeyboardInterrupt:
        raise Interrupted("interrupted: nothing was written") from None


def _check_name(value: str) -> bool | str:
    if not NAME.match(value):
        return "1-64 ASCII letters, digits, spaces, '.', '_' or '-', starting with a letter"
    reserved = windows_reserved(slugify(value))
    if reserved:
        return reserved
    return True


def _text(message: str, default: str, validate: Callable[[str], bool | str] | None = None) -> str:
    """A text question as cookiecutter and copier ask it: the default is shown (dimmed) and taken
    on Enter, and typing replaces it rather than editing it."""

    def check(value: str) -> bool | str:
        return True if validate is None else validate(value or default)

    answer = _ask(
        questionary.text(
            message,
            default="",
            validate=check,
            placeholder=[("class:instruction", default)] if default else None,
        )
    )
    return answer or default


def _url_check(key: str) -> Callable[[str], bool | str]:
    """The answers schema's own rule for this URL, so the wizard refuses what validation would."""

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))  # own: package data
    pattern = re.compile(schema["properties"]["network"]["properties"][key]["pattern"])

    def check(value: str) -> bool | str:
        if not value or pattern.match(value):
            return True
        return "an http(s) URL without spaces, quotes, '$', '|' or backslashes, or empty"

    return check


def _python_title(catalog: Catalog, python: str) -> str:
    record = catalog.get("python", python)
    assert record is not None
    return f"{python:<5} {record['image']}  (support until {record.get('eol', '?')})"


def run_wizard(
    answers: Answers,
    catalog: Catalog,
    *,
    asked: set[str] | None = None,
    evidence: dict[str, str] | None = None,
) -> Answers:
    """Ask what the flags did not say; the summary's No cancels without writing."""
    asked = asked or set()
    evidence = evidence or {}
    result = dict(answers)
    result["network"] = dict(answers.get("network") or {})

    def hint(key: str) -> str:
        return f"  [{evidence[key]}]" if key in evidence else ""

    if "name" not in asked:
        result["name"] = _text("Project name:", str(result["name"]), _check_name)
    print(f"  folder: {slugify(result['name'])}/")
    if "description" not in asked:
        result["description"] = _text(
            "One-line description:",
            str(result.get("description", "")),
            lambda v: len(v) <= 200 or "at most 200 characters",
        )
    if "python" not in asked:
        choices = [
            Choice(
                _python_title(catalog, p) + (hint("python") if p == result["python"] else ""),
                value=p,
            )
            for p in reversed(catalog.pythons)
        ]
        result["python"] = _ask(
            questionary.select(
                "Python version:",
                choices=choices,
                default=next(c for c in choices if c.value == result["python"]),
            )
        )
    for key, kind, title in (
        ("stacks", "stack", "Data-science stack:"),
        ("drivers", "driver", "External drivers:"),
    ):
        if key in asked:
            continue
        chosen: list[str] = []
        choices = []
        for record_id, record in catalog.of(kind).items():
            context = {**result, "stacks": result["stacks"] if key == "drivers" else []}
            reason = why_not(catalog, context, record_id)
            label = f"{record_id:<11} {record['name']}{hint(f'{key}:{record_id}')}"
            choices.append(
                Choice(
                    label,
                    value=record_id,
                    checked=record_id in result[key] and not reason,
                    disabled=reason,
                )
            )
        chosen = _ask(
            questionary.checkbox(
                title, choices=choices, instruction="(space to toggle, enter to accept)"
            )
        )
        result[key] = chosen
    if "services" not in asked and catalog.of("service"):
        result["services"] = _ask(
            questionary.checkbox(
                "Services beside the container (compose):",
                choices=[
                    Choice(
                        f"{sid:<11} {record['name']}{hint(f'services:{sid}')}",
                        value=sid,
                        checked=sid in result.get("services", []),
                    )
                    for sid, record in catalog.of("service").items()
                ],
                instruction="(space to toggle, enter to accept)",
            )
        )
    options = [
        (f"{rid}:{name}", option["summary"])
        for rid in result["stacks"] + result["drivers"]
        for name, option in (catalog.find(rid) or {}).get("options", {}).items()
    ]
    if options:
        result["options"] = _ask(
            questionary.checkbox(
                "Options:",
                choices=[
                    Choice(
                        f"{oid:<22} {summary}", value=oid, checked=oid in result.get("options", [])
                    )
                    for oid, summary in options
                ],
            )
        )
    else:
        result["options"] = []
    if _ask(
        questionary.confirm(
            "Behind a corporate proxy or internal mirrors?", default=bool(result["network"])
        )
    ):
        paths = _text("CA certificate files (PEM), comma-separated, or empty:", "")
        result["network"]["ca_cert_paths"] = [p.strip() for p in paths.split(",") if p.strip()]
        for key, question in (
            ("pip_index_url", "Python package index URL (empty for PyPI):"),
            ("apt_mirror", "Debian mirror URL (empty for deb.debian.org):"),
            ("artifact_mirror", "Vendor download mirror URL (empty for the vendors' sites):"),
        ):
            value = _text(question, result["network"].get(key, ""), _url_check(key))
            if value:
                result["network"][key] = value
            else:
                result["network"].pop(key, None)
    _print_summary(result, catalog)
    if not _ask(questionary.confirm("Create it?", default=True)):
        raise UsageError("cancelled at the summary: nothing was written")
    return result


def _print_summary(result: Answers, catalog: Catalog) -> None:
    record = catalog.get("python", result["python"])
    image = record["image"] if record else "?"
    print()
    print(f"  {result['name']}  →  {slugify(result['name'])}/")
    print(f"  Python   {result['python']}  ({image})")
    print(f"  Stacks   {', '.join(result['stacks']) or 'none'}")
    print(f"  Drivers  {', '.join(result['drivers']) or 'none'}")
    if result.get("services"):
        print(f"  Services {', '.join(result['services'])}")
    if result.get("options"):
        print(f"  Options  {', '.join(result['options'])}")
    print()
