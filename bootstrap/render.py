"""Render: the cookiecutter template, filled from the answers, into a scratch folder.

Nothing here touches the user's folder: `place` moves the result once it has been locked and
validated.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bootstrap import __version__
from bootstrap.base import write_base
from bootstrap.errors import BootstrapError, UsageError
from bootstrap.layout import CERTS_DIR, TEMPLATE_DIR, moves, unused_template_files
from bootstrap.template_ext import plan as plan_for


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
    """The template's public variables: the keys its own prompts ask under a raw cookiecutter run."""
    return {
        "name": answers["name"],
        "description": answers.get("description", ""),
        "python": answers["python"],
        "stacks": ",".join(answers.get("stacks", [])),
        "drivers": ",".join(answers.get("drivers", [])),
        "services": ",".join(answers.get("services", [])),
        "options": ",".join(answers.get("options", [])),
        "_catalogs": os.pathsep.join(str(Path(c).resolve()) for c in catalogs or []),
        "_bootstrap_version": __version__,
    }


def context(
    answers: Mapping[str, Any], plan: Mapping[str, Any], catalogs: list[str] | None = None
) -> dict[str, Any]:
    """Cookiecutter's extra context: public variables as literals (it renders them), and the
    answers and plan as native data under private keys, which cookiecutter passes through as
    they are — the template reads lists and maps, never strings parsed back."""
    public = {
        key: value if key.startswith("_") else literal(value)
        for key, value in variables(answers, catalogs).items()
    }
    return {**public, "_answers": dict(answers), "_plan": dict(plan)}


def render(
    answers: Mapping[str, Any],
    plan: Mapping[str, Any],
    scratch: Path,
    *,
    catalogs: list[str] | None = None,
    ca_certs: Mapping[str, bytes] | None = None,
) -> Path:
    """Render ``plan`` into ``scratch`` and return the project folder inside it."""
    # lazy: only rendering needs the template engine
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.main import cookiecutter

    extra = context(answers, plan, catalogs)
    try:
        out = cookiecutter(
            str(TEMPLATE_DIR),
            no_input=True,
            extra_context=extra,
            output_dir=str(scratch),
            default_config={
                "replay_dir": str(scratch / ".replay"),
                "cookiecutters_dir": str(scratch / ".cookiecutters"),
            },
            # The template's hooks (hooks/*.py) each start a fresh interpreter that imports this
            # package; here their work runs in this process instead: the plan is made before the
            # render, and finish_project is the post hook.
            accept_hooks=False,
        )
    except CookiecutterException as exc:
        first = str(exc).split(". Context:", 1)[0].splitlines()[0]
        raise BootstrapError(f"rendering the template failed: {first}") from None
    project = Path(out)
    finish_project(project, extra)
    for name, data in (ca_certs or {}).items():
        target = project / CERTS_DIR / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return project


def finish_project(project: Path, cookiecutter_context: Mapping[str, Any]) -> None:
    """Post-generation: component files from the plan, and no helper script nobody calls."""
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
    for name in unused_template_files(plan):
        (project / name).unlink(missing_ok=True)
    host_folders = project / ".devcontainer" / "host-folders"
    if host_folders.exists():
        # run on the host by its path: executable however bootstrap itself was installed
        host_folders.chmod(0o755)
    _arrange(project, plan["layout"])


def _arrange(project: Path, layout: Mapping[str, Any]) -> None:
    """Move the Dockerfile and requirements where `bootstrap init` put them (beside the user's own),
    then store the base: what bootstrap wrote, which `bootstrap update` merges against."""
    for source, target in moves(layout):
        if (project / source).exists():
            (project / target).parent.mkdir(parents=True, exist_ok=True)
            os.replace(project / source, project / target)
    write_base(project)
