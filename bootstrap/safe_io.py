"""Reading files that may be hostile: bounded reads, plain data, paths that stay inside.

Every file bootstrap parses comes from somewhere it does not control (a project, an answers file,
an organisation catalog), so each is read here: only regular files (a FIFO or a device would
block or never end), never more than a limit, and parsed into plain JSON-like data with bounded
nesting. Writing is :mod:`bootstrap.writer`'s.
"""

from __future__ import annotations

import datetime
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

from bootstrap.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KB = 1024
MB = 1024 * KB

#: Limits, by what the file is. Generous for real projects, small enough to parse in a moment.
MAX_ANSWERS = 256 * KB
MAX_CERT = 1 * MB  # a CA bundle in PEM
MAX_CATALOG = 1 * MB
MAX_RECORDED = 4 * MB  # .devcontainer/bootstrap-base.json holds every file bootstrap wrote
MAX_MANIFEST = 2 * MB  # requirements*.txt, pyproject.toml, setup.py/cfg, Pipfile, environment.yml
MAX_DEVCONTAINER = 64 * KB  # JSONC is parsed by json5, which is slow (about 20 µs a byte)
MAX_NOTEBOOK = 20 * MB
MAX_SOURCE = 2 * MB
MAX_DOCKERFILE = 1 * MB
MAX_DEPTH = 64


class Refused(UsageError):
    """A file bootstrap will not read: not a regular file, too large, or nested too deeply.

    Commands let it through as exit 2; detectors turn ``reason`` into a warning and skip the file.
    """

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


def _refuse(what: str, reason: str, fix: str) -> Refused:
    return Refused(f"{what}: {reason}: {fix}", reason)


def _size(limit: int) -> str:
    return f"{limit // MB} MB" if limit >= MB else f"{limit // KB} KB"


def read_bytes(
    path: str | os.PathLike[str], limit: int, what: str = "file", expected: str = "file"
) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or ``Refused`` naming it.

    The file is opened non-blocking and checked after opening (a FIFO swapped in after a check
    cannot hang the read); OSErrors other than the refusals pass through to the caller.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except IsADirectoryError:
        raise _refuse(f"{what} {path}", "is a folder", f"pass a {expected}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _refuse(f"{what} {path}", "is a folder", f"pass a {expected}")
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(
                f"{what} {path}", "not a regular file (a pipe or a device)", f"pass a {expected}"
            )
        if info.st_size > limit:
            raise _refuse(
                f"{what} {path}",
                f"larger than the {_size(limit)} limit",
                f"pass a smaller {expected}",
            )
        chunks = []
        total = 0
        while True:
            chunk = os.read(fd, min(limit + 1 - total, 1 * MB))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # it grew while being read
                raise _refuse(
                    f"{what} {path}",
                    f"larger than the {_size(limit)} limit",
                    f"pass a smaller {expected}",
                )
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(
    path: str | os.PathLike[str], limit: int, what: str = "file", expected: str = "file"
) -> str:
    """A UTF-8 text file through ``read_bytes`` (UnicodeDecodeError passes to the caller)."""
    return read_bytes(path, limit, what, expected).decode("utf-8")


def read_or_refuse(
    path: Path, limit: int, what: str, *, missing: str | None, fix: str, expected: str = "file"
) -> str | None:
    """A UTF-8 file a command needs, or one ``UsageError`` line: ``missing`` is the message when
    it does not exist (None: return None), ``fix`` ends the message when it cannot be read."""
    try:
        return read_text(path, limit, what, expected)
    except FileNotFoundError:
        if missing is None:
            return None
        raise UsageError(missing) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise UsageError(f"{what} {path}: cannot be read ({reason}): {fix}") from None


# --- plain data ---------------------------------------------------------------------------------

_PLAIN = (str, int, float, bool, type(None))


def check_plain(data: Any, what: str, *, depth: int = MAX_DEPTH) -> Any:
    """``data`` when it is JSON-like (mappings with string keys, lists, scalars) and not deeper
    than ``depth``; otherwise ``Refused`` naming the key. Iterative: no recursion limit to hit."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, where, level = stack.pop()
        if level > depth:
            raise _refuse(
                what,
                f"{where or 'the top level'} is nested more than {depth} deep",
                "write it flatter",
            )
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise _refuse(
                        what, f"key {key!r}{_at(where)} is {_kind(key)}", "quote it as a string"
                    )
                stack.append((item, f"{where}.{key}" if where else key, level + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((item, f"{where}[{index}]", level + 1))
        elif not isinstance(value, _PLAIN):
            raise _refuse(
                what,
                f"{where or 'the top level'} is {_kind(value)}",
                "quote it, or use a plain string, number, list or mapping",
            )
    return data


def _at(where: str) -> str:
    return f" under {where}" if where else ""


def _kind(value: Any) -> str:
    if isinstance(value, (datetime.date, datetime.time)):
        return f"a date or time ({value})"
    if isinstance(value, (set, frozenset)):
        return "a set"
    if isinstance(value, bytes):
        return "binary data"
    if isinstance(value, (list, dict, tuple)):
        return "a list or mapping"
    return f"a {type(value).__name__}"


def _yaml_loader() -> type:
    import yaml  # lazy: commands that read no YAML start without it

    class Loader(yaml.SafeLoader):
        """SafeLoader without aliases (no expansion bombs) and with bounded nesting."""

        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.MarkedYAMLError(
                    None, None, "aliases (*name) are not accepted", event.start_mark
                )
            self.depth += 1
            try:
                if self.depth > MAX_DEPTH:
                    event = self.peek_event()
                    raise yaml.MarkedYAMLError(
                        None, None, f"nested more than {MAX_DEPTH} deep", event.start_mark
                    )
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return Loader


def load_yaml(text: str, what: str) -> Any:
    """YAML (and so JSON) as plain data; ``Refused`` for aliases, deep nesting, dates and sets,
    ``UsageError`` for broken syntax, each naming ``what`` and where."""
    import yaml  # lazy, as above

    try:
        data = yaml.load(text, Loader=_yaml_loader())  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}" if mark else ""
        problem = exc.problem or "not valid"
        if "aliases" in problem or "nested" in problem:
            fix = "write the values out" if "aliases" in problem else "write it flatter"
            raise _refuse(f"{what}{where}", problem, fix) from None
        raise UsageError(
            f"{what}: not valid YAML or JSON{where} ({problem}): fix the syntax"
        ) from None
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError) as exc:
        raise UsageError(
            f"{what}: not valid YAML or JSON ({type(exc).__name__}): fix the syntax"
        ) from None
    return check_plain(data, what)


def load_json(text: str, what: str) -> Any:
    """JSON as plain data with bounded nesting; ``UsageError`` naming ``what`` otherwise."""

    try:
        data = json.loads(text)
    except RecursionError:
        raise _refuse(what, f"nested more than {MAX_DEPTH} deep", "write it flatter") from None
    except ValueError as exc:
        raise UsageError(f"{what}: not valid JSON ({exc}): fix the syntax") from None
    return check_plain(data, what)


def load_toml(text: str, what: str) -> dict[str, Any]:
    """TOML with bounded nesting; dates stay dates (the caller checks what it reads)."""
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise _refuse(what, f"nested more than {MAX_DEPTH} deep", "write it flatter") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{what}: not valid TOML ({exc}): fix the file") from None
    _check_depth(data, what)
    return data


def _check_depth(data: Any, what: str, depth: int = MAX_DEPTH) -> None:
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, level = stack.pop()
        if level > depth:
            raise _refuse(what, f"nested more than {depth} deep", "write it flatter")
        if isinstance(value, dict):
            stack += [(v, level + 1) for v in value.values()]
        elif isinstance(value, list):
            stack += [(v, level + 1) for v in value]


def read_project_file(path: Path, rel: str, limit: int = MAX_MANIFEST) -> str:
    """A project's text file bootstrap compares or merges: ``Refused`` naming ``rel`` when it is
    not a regular file or too large; UnicodeDecodeError when it is not UTF-8."""
    if path.is_symlink():
        raise _refuse(rel, "is a symbolic link", "replace it with a regular file")
    return read_text(path, limit, rel)


def read_in_project(project: Path, path: Path, limit: int, what: str) -> bytes:
    """The bytes of a file of ``project``: a symbolic link is followed only while it stays inside
    the project (``Refused`` otherwise), and the file must be regular and at most ``limit``."""
    if not path.resolve().is_relative_to(project.resolve()):
        raise _refuse(
            what, "is a symbolic link that leads outside the project", "replace it with the file"
        )
    return read_bytes(path, limit, what)


def current_bytes(project: Path, path: Path, limit: int, what: str) -> bytes | None:
    """What a project's file holds now, to compare with what bootstrap would write: None when it
    does not exist (or is a dangling link); ``Refused`` as for ``read_in_project``."""
    if not path.exists():
        return None
    return read_in_project(project, path, limit, what)


#: git options that keep a project's own configuration from running anything on this machine:
#: no file-system monitor, no hooks.
GIT_SAFE = ("-c", "core.fsmonitor=", "-c", "core.hooksPath=/dev/null")


# --- paths --------------------------------------------------------------------------------------


def inside(project: Path, rel: Any, what: str) -> Path:
    """``project / rel`` for a relative path read from a file; ``UsageError`` when it is not a
    plain relative path or leads (through ``..`` or a symbolic link) outside ``project``."""
    if not isinstance(rel, str) or not rel or "\0" in rel:
        raise UsageError(f"{what}: path {rel!r} is not a relative path: restore the file")
    candidate = Path(rel)
    if candidate.is_absolute() or rel.startswith(("/", "\\")) or ".." in candidate.parts:
        raise UsageError(
            f"{what}: path {rel!r} leads outside the project: "
            "only paths inside the project are accepted"
        )
    target = project / candidate
    root = project.resolve()
    if not target.resolve().is_relative_to(root):
        raise UsageError(
            f"{what}: path {rel!r} leads outside the project through a symbolic link: "
            "only paths inside the project are accepted"
        )
    return target


def read_jsonc(path: Path) -> Any:
    """devcontainer.json is JSONC: comments and trailing commas are allowed."""
    import json5  # only devcontainer.json needs it, and only when it has comments

    try:
        text = read_text(path, MAX_DEVCONTAINER, str(path))
        try:
            data = json.loads(text)  # plain JSON is JSONC too, and parses a hundred times faster
        except ValueError:
            data = json5.loads(text)
        return check_plain(data, str(path))
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except Refused as exc:
        raise ValueError(exc.message) from None
