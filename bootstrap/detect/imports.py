"""The project's code: every .py file and notebook code cell, read as text.

Collects imports (with ``file:line``), Python 2 and newer-syntax evidence, ``%pip install`` lines,
the project's own module names, and a warning for each file that cannot be read.
"""

from __future__ import annotations

import gc
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from bootstrap.detect.source import SourceInfo, Unparsable, decode, scan, scan_fast
from bootstrap.errors import UsageError
from bootstrap.safe_io import MAX_NOTEBOOK, Refused, load_json, read_bytes

#: Folders that are never the project's code: tools' caches, virtualenvs, build output.
SKIP_DIRS = {
    "__pycache__",
    "node_modules",
    "site-packages",
    "build",
    "dist",
    "htmlcov",
}
MAX_BYTES = 2_000_000
MAX_FILES = 20_000


@dataclass
class Code:
    """Everything the code says, each fact with where it was seen."""

    imports: dict[str, list[str]] = field(default_factory=dict)  # dotted name → ["file:line"]
    #: imports under try/except ImportError, TYPE_CHECKING or a version test: the code runs without
    optional: dict[str, list[str]] = field(default_factory=dict)
    python2: list[tuple[str, str]] = field(default_factory=list)  # (what, where)
    python3: list[tuple[str, str]] = field(default_factory=list)  # notebooks' Python 3 kernels
    floors: list[tuple[str, str, str]] = field(default_factory=list)  # (version, what, where)
    notebooks: list[str] = field(default_factory=list)
    pip_installs: list[tuple[str, str]] = field(default_factory=list)  # (requirement, where)
    own_modules: set[str] = field(default_factory=set)
    #: URLs that point to a driver: "s3" or "jdbc:<subprotocol>" → first "file:line"
    urls: dict[str, str] = field(default_factory=dict)
    files: int = 0
    warnings: list[str] = field(default_factory=list)


def is_virtualenv(path: Path) -> bool:
    try:
        return (path / "pyvenv.cfg").is_file() or (path / "bin" / "activate").is_file()
    except OSError:  # a folder that cannot be read is not one bootstrap can use
        return False


def _not_regular(path: Path) -> str | None:
    """Why a source file is not read: a symlink (it may point anywhere) or a special file."""
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if not stat.S_ISREG(mode):
        return "not a regular file (a FIFO, socket or device)"
    return None


def walk(
    project: Path, extensions: set[str] | None = None, warnings: list[str] | None = None
) -> list[Path]:
    """Source files and notebooks, hidden folders, virtualenvs and build output left out.

    ``extensions`` collects the names of importable modules that are not .py files; a folder
    that cannot be read is a warning in ``warnings``, not a stop.
    """
    extensions = extensions if extensions is not None else set()

    def unreadable(error: OSError) -> None:
        if warnings is not None and error.filename:
            rel = os.path.relpath(error.filename, project)
            warnings.append(f"{rel}: cannot be read ({error.strerror}): skipped")

    found: list[Path] = []
    for root, dirs, files in os.walk(project, onerror=unreadable):
        here = Path(root)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".")
            and d not in SKIP_DIRS
            and not d.endswith(".egg-info")
            and not is_virtualenv(here / d)
        )
        for name in sorted(files):
            if name.endswith(MODULE_SUFFIXES):
                extensions.add(name.split(".")[0])
            if name.endswith((".py", ".ipynb")):
                path = here / name
                problem = _not_regular(path)
                if problem:
                    if warnings is not None:
                        warnings.append(
                            f"{path.relative_to(project).as_posix()}: {problem}: skipped"
                        )
                    continue
                found.append(path)
                if len(found) >= MAX_FILES:
                    return found
    return found


def own_modules(project: Path, files: list[Path]) -> set[str]:
    """Names the project's own code can be imported by: every module and package folder.

    Scripts import their neighbours (``import utils`` beside utils.py), and src/ layouts import
    their packages, so every .py file's stem and every folder holding .py files counts.
    """
    names: set[str] = set()
    depth = len(project.parts)
    for path in files:
        if path.suffix != ".py":
            continue
        names.add(path.stem)
        # the folders between the project and the file: parts, not relative_to, which costs
        # a tenth of a second on 2,400 files
        names.update(part for part in path.parts[depth:-1] if part != "src")
    names.discard("__init__")
    return names


#: Files that are importable modules of the project though not .py: extensions, stubs, Cython.
MODULE_SUFFIXES = (".pyx", ".pyi", ".pyd", ".so")
_WRITEFILE = re.compile(r"^\s*%%(?:write)?file\s+(?:-a\s+)?(\S+)\.py\b")


def is_generated(name: str) -> bool:
    """Modules generated from the project's own files (protobuf, gRPC): never a requirement."""
    return name.endswith(("_pb2", "_pb2_grpc", "_pb3"))


def _record(
    code: Code, info: SourceInfo, where: str, line_map: dict[int, str] | None = None
) -> None:
    def at(line: int) -> str:
        return line_map.get(line, f"{where}:{line}") if line_map else f"{where}:{line}"

    for name, line in info.imports:
        code.imports.setdefault(name, []).append(at(line))
    for name, line in info.optional_imports:
        code.optional.setdefault(name, []).append(at(line))
    code.python2 += [(m.what, at(m.line)) for m in info.python2]
    code.floors += [(version, m.what, at(m.line)) for version, m in info.floors]


def _read(path: Path, rel: str, limit: int, code: Code) -> bytes | None:
    """A source file's bytes, or None with a warning: too large, special, or unreadable."""
    try:
        return read_bytes(path, limit, rel)
    except Refused as exc:
        code.warnings.append(f"{rel}: {exc.reason}: skipped")
    except OSError as exc:
        code.warnings.append(f"{rel}: cannot be read ({exc.strerror}): skipped")
    return None


def read_python(project: Path, path: Path, code: Code) -> None:
    rel = path.relative_to(project).as_posix()
    raw = _read(path, rel, MAX_BYTES, code)
    if raw is None:
        return
    try:
        text = decode(raw)
    except UnicodeDecodeError:
        code.warnings.append(f"{rel}: not decodable (no valid coding line, not UTF-8): skipped")
        return
    try:
        info = scan_fast(text)
    except Unparsable:
        code.warnings.append(f"{rel}: does not parse as Python 2 or 3: skipped")
        return
    code.files += 1
    _record(code, info, rel)
    read_urls(text, code, rel)


_URL = re.compile(r"\b(s3a?|s3n)://|\bjdbc:([a-z0-9]+):")


def read_urls(text: str, code: Code, where: str, line_map: dict[int, str] | None = None) -> None:
    """s3:// and JDBC URLs in code or configuration: each names a driver the project talks to."""
    if "s3" not in text and "jdbc:" not in text:
        return
    for match in _URL.finditer(text):
        key = "s3" if match.group(1) else f"jdbc:{match.group(2)}"
        if key not in code.urls:
            line = text.count("\n", 0, match.start()) + 1
            code.urls[key] = (
                line_map.get(line, f"{where}:{line}") if line_map else f"{where}:{line}"
            )


_PIP_MAGIC = re.compile(r"^\s*[%!]\s*(?:pip3?|python3?\s+-m\s+pip|conda|mamba)\s+install\s+(.*)$")


def read_notebook(project: Path, path: Path, code: Code) -> None:
    rel = path.relative_to(project).as_posix()
    raw = _read(path, rel, MAX_NOTEBOOK, code)
    if raw is None:
        return
    try:
        data = load_json(raw.decode("utf-8"), rel)
    except Refused as exc:  # nested too deeply, or not plain data
        code.warnings.append(f"{rel}: {exc.reason}: skipped")
        return
    except UnicodeDecodeError:
        code.warnings.append(f"{rel}: not UTF-8: skipped")
        return
    except UsageError:
        code.warnings.append(f"{rel}: not valid notebook JSON: skipped")
        return
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        code.warnings.append(f"{rel}: not a notebook (no cells): skipped")
        return
    kernelspec = (
        data.get("metadata", {}).get("kernelspec")
        if isinstance(data.get("metadata"), dict)
        else None
    )
    language = kernelspec.get("language", "python") if isinstance(kernelspec, dict) else "python"
    if str(language).lower() != "python":
        code.warnings.append(f"{rel}: a {language} notebook: its code is not read")
        code.notebooks.append(rel)
        return
    code.notebooks.append(rel)
    code.files += 1
    meta = data.get("metadata")
    spec = meta.get("kernelspec") if isinstance(meta, dict) else None
    kernel = str(spec.get("name", "")) if isinstance(spec, dict) else ""
    if kernel.lower() in ("python2", "python27", "py27"):
        code.python2.append((f"kernel {kernel}", rel))
    elif kernel.lower() == "python3":
        code.python3.append((f"kernel {kernel}", rel))
    for number, cell in enumerate(data["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        lines = (
            "".join(source).splitlines() if isinstance(source, list) else str(source).splitlines()
        )
        written = _WRITEFILE.match(lines[0]) if lines else None
        if written:
            code.own_modules.add(Path(written.group(1)).name)  # %%file demo.py: a module of its own
        if (
            lines
            and lines[0].lstrip().startswith("%%")
            and not re.match(r"^\s*%%(time|timeit|capture)\b", lines[0])
        ):
            continue  # a cell magic: %%bash, %%sql, ... is not Python
        kept = []
        for index, line in enumerate(lines, start=1):
            match = _PIP_MAGIC.match(line)
            if match:
                for word in match.group(1).split():
                    if not word.startswith("-"):
                        code.pip_installs.append(
                            (word.strip("\"'"), f"{rel} cell {number}, line {index}")
                        )
            stripped = line.lstrip()
            kept.append("" if stripped.startswith(("%", "!")) or stripped.endswith("?") else line)
        try:
            info = scan("\n".join(kept) + "\n")
        except Unparsable:
            code.warnings.append(f"{rel} cell {number}: does not parse as Python: skipped")
            continue
        line_map = {i: f"{rel} cell {number}, line {i}" for i in range(1, len(kept) + 2)}
        _record(code, info, rel, line_map)
        read_urls("\n".join(lines), code, rel, line_map)


def read_code(project: Path) -> Code:
    code = Code()
    extensions: set[str] = set()
    files = walk(project, extensions, code.warnings)
    code.own_modules = own_modules(project, files) | extensions
    # the cyclic collector would walk the objects of every syntax tree parsed here, a fifth of
    # the parser's time on a large project; the trees hold no cycles, so counting frees them
    collecting = gc.isenabled()
    gc.disable()
    try:
        for path in files:
            if path.suffix == ".py":
                read_python(project, path, code)
            else:
                read_notebook(project, path, code)
    finally:
        if collecting:
            gc.enable()
    return code
