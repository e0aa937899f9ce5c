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
from pathlib import Path
from typing import Any

from bootstrap import __version__, safe_io
from bootstrap.errors import UsageError
from bootstrap.safe_io import MAX_RECORDED, load_json, read_or_refuse

BASE_PATH = Path(".devcontainer") / "bootstrap-base.json"
RECORD = ".devcontainer/bootstrap.json"
CERTS = ".devcontainer/certs/"
DERIVED = ("requirements.txt", ".devcontainer/requirements.txt")  # re-locked, never merged
NOT_IN_BASE = (RECORD, BASE_PATH.as_posix(), *DERIVED)
_FIX = "restore it from version control (or delete it: update then re-renders a base)"


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
            files[rel] = path.read_text(encoding="utf-8")  # own: a fresh render
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
    """The stored base, or None when the project has none (made before bases were stored).

    The base lives in the project, so anyone who can edit the project can edit it: it is read
    within a size limit, every path in it must name a file inside the project, and every value
    must have the shape bootstrap wrote, or the command stops naming the file and the key.
    """
    path = project / BASE_PATH
    text = read_or_refuse(path, MAX_RECORDED, "stored base", missing=None, fix=_FIX)
    if text is None:
        return None
    data: Any = load_json(text, str(path))
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise UsageError(f"{path}: not a bootstrap base (no files mapping): {_FIX}")
    files: dict[str, str] = {}
    for name, lines in data["files"].items():
        safe_io.inside(project, name, f"{path}: files")
        if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
            raise UsageError(f"{path}: files.{name} should be a list of lines: {_FIX}")
        files[name] = "\n".join(lines)
    paths = data.get("paths", {})
    if not isinstance(paths, dict):
        raise UsageError(f"{path}: paths should be a mapping: {_FIX}")
    for source, target in paths.items():
        safe_io.inside(project, source, f"{path}: paths")
        safe_io.inside(project, target, f"{path}: paths.{source}")
    version = data.get("bootstrap_version")
    if version is not None and not isinstance(version, str):
        raise UsageError(f"{path}: bootstrap_version should be a string: {_FIX}")
    return Base(files, dict(paths), version, True)
