"""Render: the cookiecutter template, filled from the answers, into a scratch folder.

Nothing here touches the user's folder: `place` moves the result once it has been locked and
validated.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bootstrap import __version__
from bootstrap.answers import INIT_KEYS
from bootstrap.errors import BootstrapError, UsageError

TEMPLATE_DIR = Path(__file__).parent / "template"
CERTS_DIR = Path(".devcontainer") / "certs"


def literal(value: str) -> str:
    """``value`` as a cookiecutter variable that renders to exactly ``value``.

    Cookiecutter renders every public variable as a Jinja template, so a description holding
    ``{{ ... }}`` or ``{% ... %}`` would run as template code. Such a value is passed as one Jinja
    string literal in which every character but ASCII letters and digits is a ``\\U`` escape:
    nothing in it can close the literal or open a tag, and Jinja decodes it to the same text.
    """
    if not any(mark in value for mark in "{}%#"):
        return value
    escaped = "".join(c if c.isascii() and c.isalnum() else f"\\U{ord(c):08x}" for c in value)
    return '{{ "' + escaped + '" }}'


def variables(answers: Mapping[str, Any], catalogs: list[str] | None = None) -> dict[str, str]:
    """Answers as the template's variables (strings), the same keys its own prompts ask."""
    return {
        "name": answers["name"],
        "description": answers.get("description", ""),
        "python": answers["python"],
        "stacks": ",".join(answers.get("stacks", [])),
        "drivers": ",".join(answers.get("drivers", [])),
        "options": ",".join(answers.get("options", [])),
        "_network": json.dumps(answers.get("network", {}), sort_keys=True),
        "_init": json.dumps({k: answers[k] for k in INIT_KEYS if answers.get(k)}, sort_keys=True),
        "_catalogs": os.pathsep.join(str(Path(c).resolve()) for c in catalogs or []),
        "_bootstrap_version": __version__,
        "_github_repo": answers.get("github_repo", ""),
    }


def context(answers: Mapping[str, Any], catalogs: list[str] | None = None) -> dict[str, str]:
    """The variables as cookiecutter's extra context: public ones as literals (it renders them)."""
    return {
        key: value if key.startswith("_") else literal(value)
        for key, value in variables(answers, catalogs).items()
    }


def render(
    answers: Mapping[str, Any],
    scratch: Path,
    *,
    catalogs: list[str] | None = None,
    ca_certs: Mapping[str, bytes] | None = None,
) -> Path:
    """Render into ``scratch`` and return the project folder inside it."""
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.main import cookiecutter

    try:
        out = cookiecutter(
            str(TEMPLATE_DIR),
            no_input=True,
            extra_context=context(answers, catalogs),
            output_dir=str(scratch),
            default_config={
                "replay_dir": str(scratch / ".replay"),
                "cookiecutters_dir": str(scratch / ".cookiecutters"),
            },
            # The template's hooks (hooks/*.py) each start a fresh interpreter that imports this
            # package; here their work runs in this process instead: the plan filter every file
            # calls refuses bad answers as the pre hook does, and finish_project is the post hook.
            accept_hooks=False,
        )
    except CookiecutterException as exc:
        first = str(exc).split(". Context:", 1)[0].splitlines()[0]
        raise BootstrapError(f"rendering the template failed: {first}") from None
    project = Path(out)
    finish_project(project, variables(answers, catalogs))
    for name, data in (ca_certs or {}).items():
        target = project / CERTS_DIR / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return project


def finish_project(project: Path, cookiecutter_context: Mapping[str, Any]) -> None:
    """Post-generation: component files from the plan, and no helper script nobody calls."""
    from bootstrap.template_ext import plan as plan_for

    # pip compiles every .py file it installs, the template's too, and cookiecutter copies
    # folders whole: bytecode caches are never part of a project.
    for cache in sorted(project.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache, ignore_errors=True)
    plan = plan_for(cookiecutter_context)
    for file in plan["files"]:
        target = project / file["path"]
        if not target.resolve().is_relative_to(project.resolve()):
            raise UsageError(
                f"catalog file path {file['path']!r} leaves the project: fix the record"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(file["content"], encoding="utf-8", newline="\n")
    if not plan["artifacts"]:
        (project / ".devcontainer" / "fetch-artifact").unlink(missing_ok=True)
    _arrange(project, plan["layout"])


def _arrange(project: Path, layout: Mapping[str, str]) -> None:
    """Move the Dockerfile and requirements where `bootstrap init` put them (beside the user's own).

    A moved Dockerfile takes its ignore file along as ``<Dockerfile>.dockerignore``, which BuildKit
    reads instead of the context's .dockerignore.
    """
    moves = []
    if layout["dockerfile"] != "Dockerfile":
        moves += [
            ("Dockerfile", layout["dockerfile"]),
            (".dockerignore", layout["dockerfile"] + ".dockerignore"),
        ]
    if layout["requirements_in"] != "requirements.in":
        moves += [
            ("requirements.in", layout["requirements_in"]),
            ("requirements.txt", layout["requirements_txt"]),
        ]
    from bootstrap.layout import sibling_name

    moves += [(name, sibling_name(name)) for name in layout.get("siblings", [])]
    for source, target in moves:
        if (project / source).exists():
            (project / target).parent.mkdir(parents=True, exist_ok=True)
            os.replace(project / source, project / target)
    from bootstrap.update import write_base

    write_base(project)  # what bootstrap wrote: the base `bootstrap update` merges against
