"""The stored base: what bootstrap wrote last, kept in the project for `bootstrap update`.

The template ships inside the wheel and is not versioned on its own, so an old release's template
cannot be re-rendered later. Instead every generated project keeps its base: when the template is
rendered, what bootstrap wrote is stored file by file in ``.devcontainer/bootstrap-base.json`` (one
JSON string per line, so git diffs stay readable). This is the approach cruft and copier users
know: the base is "what the tool wrote last time", whatever the tool version was.

Projects adopted by ``bootstrap init`` may place files elsewhere (a Dockerfile under
``.devcontainer/``): the base records a ``paths`` map (rendered path → project path) that every
later render follows, so locations come from recorded data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from bootstrap import __version__
from bootstrap.errors import UsageError

BASE_PATH = Path(".devcontainer") / "bootstrap-base.json"
RECORD = ".devcontainer/bootstrap.json"
CERTS = ".devcontainer/certs/"
DERIVED = ("requirements.txt", ".devcontainer/requirements.txt")  # re-locked, never merged
NOT_IN_BASE = (RECORD, BASE_PATH.as_posix(), *DERIVED)


@dataclass
class Base:
    files: dict[str, str]
    paths: dict[str, str]
    version: str | None
    stored: bool


def snapshot(rendered: Path) -> dict[str, str]:
    """The text files a render wrote, by POSIX path; the record, lock, base and certs excluded."""
    files: dict[str, str] = {}
    for path in sorted(rendered.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(rendered).as_posix()
        if rel in NOT_IN_BASE or rel.startswith(CERTS):
            continue
        try:
            files[rel] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
    return files


def base_document(files: Mapping[str, str], paths: Mapping[str, str] | None = None) -> str:
    """The JSON text of a base: each file as a list of lines (git diffs stay line by line)."""
    data: dict[str, Any] = {
        "about": "What bootstrap wrote last; `bootstrap update` merges against it. Do not edit.",
        "bootstrap_version": __version__,
    }
    if paths:
        data["paths"] = dict(sorted(paths.items()))
    data["files"] = {
        (paths or {}).get(rel, rel): text.split("\n") for rel, text in sorted(files.items())
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def write_base(project: Path, paths: Mapping[str, str] | None = None) -> None:
    """Store in ``project`` (a fresh render) the base of what it holds.

    ``paths`` maps rendered paths to where the project keeps them (``bootstrap init``).
    """
    target = project / BASE_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(base_document(snapshot(project), paths), encoding="utf-8", newline="\n")


def read_base(project: Path) -> Base | None:
    """The stored base, or None when the project has none (made before bases were stored)."""
    path = project / BASE_PATH
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"{path}: cannot be read ({exc}): restore it from version control"
        ) from None
    try:
        files = {rel: "\n".join(lines) for rel, lines in data["files"].items()}
        paths = {str(k): str(v) for k, v in data.get("paths", {}).items()}
        version = data.get("bootstrap_version")
    except (KeyError, TypeError, AttributeError):
        raise UsageError(f"{path}: not a bootstrap base: restore it from version control") from None
    for rel in [*files, *paths, *paths.values()]:
        if not inside(rel):
            raise UsageError(
                f"{path}: the path {rel!r} leaves the project: restore the file from version control"
            )
    return Base(files, paths, version if isinstance(version, str) else None, True)


def inside(rel: str) -> bool:
    """Whether ``rel`` (a POSIX path from a project's own files) names something inside it."""
    if not rel or "\\" in rel or "\0" in rel:
        return False
    pure = PurePosixPath(rel)
    return not pure.is_absolute() and ".." not in pure.parts and not PureWindowsPath(rel).drive
