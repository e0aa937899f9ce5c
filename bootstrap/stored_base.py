"""Reading ``.devcontainer/bootstrap-base.json`` as untrusted data.

The base lives in the project, so anyone who can edit the project can edit it: every path in it
must name a file inside the project, every value must have the shape bootstrap wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bootstrap.errors import UsageError
from bootstrap.safe_io import MAX_RECORDED, inside, load_json, read_text

_FIX = "restore it from version control (or delete it: update then re-renders a base)"


def read_base_document(
    project: Path, rel: Path
) -> tuple[dict[str, str], dict[str, str], str | None] | None:
    """(files by project path, rendered path → project path, tool version), or None without one.

    Refuses, naming the file and the key, a base that is not what bootstrap writes: other types,
    paths that are absolute, hold ``..`` or lead out of the project through a symbolic link.
    """
    path = project / rel
    try:
        text = read_text(path, MAX_RECORDED, "stored base")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise UsageError(f"{path}: cannot be read ({reason}): {_FIX}") from None
    data: Any = load_json(text, str(path))
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise UsageError(f"{path}: not a bootstrap base (no files mapping): {_FIX}")
    files: dict[str, str] = {}
    for name, lines in data["files"].items():
        inside(project, name, f"{path}: files")
        if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
            raise UsageError(f"{path}: files.{name} should be a list of lines: {_FIX}")
        files[name] = "\n".join(lines)
    paths = data.get("paths", {})
    if not isinstance(paths, dict):
        raise UsageError(f"{path}: paths should be a mapping: {_FIX}")
    for source, target in paths.items():
        inside(project, source, f"{path}: paths")
        inside(project, target, f"{path}: paths.{source}")
    version = data.get("bootstrap_version")
    if version is not None and not isinstance(version, str):
        raise UsageError(f"{path}: bootstrap_version should be a string: {_FIX}")
    return files, dict(paths), version
