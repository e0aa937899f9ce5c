"""Jinja filters the template renders plans with; also what a raw `cookiecutter <checkout>` runs.

The template never names a component: it asks ``cookiecutter | plan`` and renders lists and maps.
Every user string leaves through a filter made for its context (JSON, Dockerfile, shell, YAML).
"""

from __future__ import annotations

import json
import os
import shlex
from functools import lru_cache
from typing import Any

from jinja2.ext import Extension

from bootstrap import __version__
from bootstrap import answers as answers_mod
from bootstrap import catalog as catalog_mod
from bootstrap.answers import split_ids
from bootstrap.compose import to_yaml
from bootstrap.errors import UsageError
from bootstrap.plan import make_plan

#: What str.splitlines() breaks on beyond ASCII control characters.
LINE_BREAKS = "\u2028\u2029"


def answers_from_context(context: Any) -> dict[str, Any]:
    """The answers: handed over whole by bootstrap, or read from a raw cookiecutter run's strings."""
    given = context.get("_answers")
    if given:
        return dict(given)
    network = context.get("_network") or "{}"
    extra = context.get("_init") or "{}"  # own requirements and moved files, under a raw run
    github = {"github_repo": str(context["_github_repo"])} if context.get("_github_repo") else {}
    return {
        **(json.loads(extra) if isinstance(extra, str) else dict(extra)),
        **github,
        "name": str(context["name"]),
        "description": str(context.get("description", "")),
        "python": str(context["python"]),
        "stacks": split_ids([str(context.get("stacks", ""))]),
        "drivers": split_ids([str(context.get("drivers", ""))]),
        "services": split_ids([str(context.get("services", ""))]),
        "options": split_ids([str(context.get("options", ""))]),
        "network": json.loads(network) if isinstance(network, str) else dict(network),
    }


def _catalog_paths(context: Any) -> tuple[str, ...]:
    raw = str(context.get("_catalogs") or "")
    return tuple(p for p in raw.split(os.pathsep) if p)


@lru_cache(maxsize=8)
def _plan_for(key: str, catalogs: tuple[str, ...]) -> dict[str, Any]:
    """A raw cookiecutter run's plan: every file asks, so it is made once per answers."""
    catalog = catalog_mod.load(catalogs) if catalogs else catalog_mod.load()
    answers = answers_mod.validate(json.loads(key), catalog)
    return dict(make_plan(answers, catalog))


def plan(context: Any) -> dict[str, Any]:
    """The plan bootstrap made (passed as native data), or, under a raw run, one made here."""
    given = context.get("_plan")
    if given:
        return given
    answers = answers_from_context(context)
    return _plan_for(json.dumps(answers, sort_keys=True), _catalog_paths(context))


def record(context: Any) -> str:
    """The recorded answers (.devcontainer/bootstrap.json)."""
    answers = answers_from_context(context)
    answers["project"] = answers_mod.slugify(answers["name"])
    data = answers_mod.record(
        answers,
        str(context.get("_bootstrap_version") or __version__),
        list(_catalog_paths(context)),
    )
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def dockerfile_str(value: str) -> str:
    """A double-quoted Dockerfile word: backslash, quote and $ escaped, so nothing expands.

    A Dockerfile instruction ends at a line break, so a value holding one (or any other control
    character) cannot be written safely and is refused.
    """
    text = str(value)
    bad = next(
        (c for c in text if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in LINE_BREAKS), None
    )
    if bad is not None:
        raise UsageError(
            f"catalog value {text!r} holds the control character {bad!r}, which a Dockerfile "
            "cannot carry: fix the catalog record"
        )
    if text.endswith("\\") or '\\"' in text:
        # Docker reads \\ and \" right, but hadolint cannot parse an escaped backslash before
        # a quote, and every project must pass hadolint.
        raise UsageError(
            f"catalog value {text!r} has a backslash before a quote or at its end, which "
            "Dockerfile linters cannot parse: fix the catalog record"
        )
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def comment(value: str) -> str:
    """Text for a '#' or '//' comment: one line, whatever it holds."""
    return " ".join(str(value).splitlines())


def jsonc(value: Any, indent: int = 2) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False)


def exec_form(argv: list[str]) -> str:
    """A Dockerfile exec-form array (JSON), so no shell ever parses it."""
    return json.dumps(list(argv))


def combine(base: dict[str, Any], *others: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for other in others:
        merged.update(other)
    return merged


def compose_yaml(document: dict[str, Any] | None) -> str:
    """The compose document as YAML; none without services (the render then drops the file)."""
    if not document:
        return ""
    return to_yaml(document).rstrip("\n")


def service_port(port: dict[str, Any]) -> Any:
    """A forwarded port: the app's own as a number, a service's as "service:port"."""
    return f"{port['container']}:{port['port']}" if port.get("container") else port["port"]


class BootstrapExtension(Extension):
    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        environment.filters.update(
            plan=plan,
            bootstrap_record=record,
            dockerfile_str=dockerfile_str,
            comment=comment,
            jsonc=jsonc,
            exec_form=exec_form,
            combine=combine,
            shquote=shlex.quote,
            slug=lambda name: answers_mod.slugify(str(name)),
            compose_yaml=compose_yaml,
            service_port=service_port,
        )
        environment.globals["bootstrap_version"] = __version__
