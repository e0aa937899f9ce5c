"""Where a project's bootstrap files are: the project root, or under .devcontainer/ when the
project already had files of those names (`bootstrap init` never overwrites a user's file).

validate, lock, add and build ask here instead of assuming the root.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bootstrap.errors import BootstrapError, UsageError
from bootstrap.safe_io import MAX_MANIFEST, load_yaml, read_jsonc, read_text

TEMPLATE_DIR = Path(__file__).parent / "template"
PROJECT_TEMPLATE = TEMPLATE_DIR / "{{cookiecutter.project}}"
BASE_FILE = ".devcontainer/bootstrap-base.json"
CERTS_DIR = ".devcontainer/certs"

DEVCONTAINER_DIR = Path(".devcontainer")
DEVCONTAINER_JSON = DEVCONTAINER_DIR / "devcontainer.json"

#: The answers' ``layout`` values: bootstrap's own file where the user's name was taken.
MOVED_DOCKERFILE = ".devcontainer/Dockerfile"
MOVED_REQUIREMENTS = ".devcontainer/requirements.in"


def dockerfile_path(project: Path) -> Path:
    """The Dockerfile devcontainer.json builds (build.dockerfile, relative to .devcontainer/).

    Falls back to the root Dockerfile when devcontainer.json is missing or names none.
    """
    data = _devcontainer(project)
    build = data.get("build") if isinstance(data, dict) else None
    name = build.get("dockerfile") if isinstance(build, dict) else None
    if build is None and isinstance(data, dict) and data.get("dockerComposeFile"):
        name = _compose_dockerfile(project, data)
    if isinstance(name, str) and name:
        if "\0" in name:
            raise UsageError(
                f"{project / DEVCONTAINER_JSON}: build.dockerfile {name!r} holds a NUL byte: "
                "name a Dockerfile inside the project"
            )

        path = Path(_normalise(project / DEVCONTAINER_DIR / name))
        if Path(name).is_absolute() or not path.resolve().is_relative_to(project.resolve()):
            raise UsageError(
                f"{project / DEVCONTAINER_JSON}: build.dockerfile {name!r} is outside the project: "
                "name a Dockerfile inside it"
            )
        return path
    return project / "Dockerfile"


def requirements_dir(project: Path) -> Path:
    """The folder holding requirements.in and its lock requirements.txt."""
    moved = project / MOVED_REQUIREMENTS
    return moved.parent if moved.is_file() else project


def sibling_name(name: str) -> str:
    """Where bootstrap's file goes when the project has one of that name: README.md →
    README.bootstrap.md, app.py → app.bootstrap.py, .gitignore → .gitignore.bootstrap."""
    folder, _, base = name.rpartition("/")
    stem, dot, suffix = base.rpartition(".")
    new = f"{stem}.bootstrap{dot}{suffix}" if stem else base + ".bootstrap"
    return f"{folder}/{new}" if folder else new


def moves(layout: Mapping[str, Any], *, siblings: bool = True) -> list[tuple[str, str]]:
    """(rendered name, project name) for every file `bootstrap init` puts elsewhere.

    A moved Dockerfile takes its ignore file along as ``<Dockerfile>.dockerignore``, which BuildKit
    reads instead of the context's .dockerignore.
    """
    out = []
    if layout["dockerfile"] != "Dockerfile":
        out += [
            ("Dockerfile", layout["dockerfile"]),
            (".dockerignore", layout["dockerfile"] + ".dockerignore"),
        ]
    if layout["requirements_in"] != "requirements.in":
        out += [
            ("requirements.in", layout["requirements_in"]),
            ("requirements.txt", layout["requirements_txt"]),
        ]
    if siblings:
        out += [(name, sibling_name(name)) for name in layout.get("siblings", [])]
    return out


def unused_template_files(plan: Mapping[str, Any]) -> list[str]:
    """Template files that no chosen component needs: the render drops them."""
    unused = []
    if not plan["artifacts"]:
        unused.append(".devcontainer/fetch-artifact")
    if plan.get("installer") != "uv":  # pip installs the lock in one layer (Python 2.7)
        unused += [".devcontainer/stack-pins.py", ".devcontainer/compile-bytecode.py"]
    if not plan.get("compose"):
        unused.append(".devcontainer/compose.yaml")
    if not plan.get("host_folders"):
        unused += [".devcontainer/host-folders", ".devcontainer/host-folders.cmd"]
    return unused


def rendered_names(plan: Mapping[str, Any], *, siblings: bool = True) -> list[str]:
    """The files a render of ``plan`` writes, without rendering: the template's files, the
    records' files, the CA files and the stored base, each where the layout puts it."""
    names = set()
    for root, folders, files in os.walk(PROJECT_TEMPLATE):
        folders[:] = [f for f in folders if f != "__pycache__"]
        for name in files:
            names.add(Path(root, name).relative_to(PROJECT_TEMPLATE).as_posix())
    names |= {file["path"] for file in plan["files"]}
    names -= set(unused_template_files(plan))
    names |= {f"{CERTS_DIR}/{name}" for name in plan["network"].get("ca_certs", [])}
    names.add(BASE_FILE)
    for source, target in moves(plan["layout"], siblings=siblings):
        if source in names:
            names.discard(source)
            names.add(target)
    return sorted(names)


def _compose_dockerfile(project: Path, data: Mapping[str, Any]) -> str | None:
    """The Dockerfile of the compose service devcontainer.json opens, relative to .devcontainer/
    (compose names it relative to the build context, the context relative to the compose file)."""
    compose_file = data["dockerComposeFile"]
    if isinstance(compose_file, list):
        compose_file = compose_file[0] if compose_file else None
    if not isinstance(compose_file, str):
        return None
    try:
        text = read_text(project / DEVCONTAINER_DIR / compose_file, MAX_MANIFEST, "compose file")
        document = load_yaml(text, compose_file)
        build = document["services"][data.get("service")]["build"]
    except (OSError, ValueError, KeyError, TypeError, BootstrapError):
        return None
    if isinstance(build, str):
        return f"{build}/Dockerfile"
    if not isinstance(build, dict):
        return None
    context = str(build.get("context", "."))
    return f"{context}/{build.get('dockerfile', 'Dockerfile')}"


def _devcontainer(project: Path) -> Any:
    try:
        return read_jsonc(project / DEVCONTAINER_JSON)
    except (OSError, ValueError):
        return None


def _normalise(path: Path) -> str:
    return os.path.normpath(path)
