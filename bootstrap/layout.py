"""Where a project's bootstrap files are: the project root, or under .devcontainer/ when the
project already had files of those names (`bootstrap init` never overwrites a user's file).

validate, lock, add and build ask here instead of assuming the root.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    if isinstance(name, str) and name:
        from bootstrap.errors import UsageError

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


def _devcontainer(project: Path) -> Any:
    from bootstrap.validate import read_jsonc

    try:
        return read_jsonc(project / DEVCONTAINER_JSON)
    except (OSError, ValueError):
        return None


def _normalise(path: Path) -> str:
    import os

    return os.path.normpath(path)
