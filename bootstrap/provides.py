"""Which imports a distribution on the package index provides: its wheel's file names, read from
the index, never installed and mostly not downloaded.

A wheel is a zip whose central directory (every file's path, the same paths as its RECORD) sits at
the end. As pip's lazy wheel does, the end is fetched with HTTP Range requests and ``zipfile`` reads
it through a file-like object that fetches the ranges it asks for; ``top_level.txt``, where the
wheel has one, is read the same way. An index (or proxy) that ignores Range sends the whole file:
it is read up to ``MAX_WHEEL_BYTES``, else the answer is "not checked". PEP 658's ``.metadata`` is
no help: METADATA lists no files. Every answer is cached for the process.
"""

from __future__ import annotations

import functools
import io
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from typing import Any

from packaging.tags import Tag
from packaging.utils import canonicalize_name
from packaging.version import Version

from bootstrap.index import ssl_context
from bootstrap.sdist import wheels_of

MB = 1024 * 1024
#: a wheel read in full where the index ignores Range, and the most ranged reads fetch of one
MAX_WHEEL_BYTES = 20 * MB
MAX_LISTING = 32 * MB  # the JSON page of one project (botocore's was 2 MB in December 2026)
MAX_TOP_LEVEL = 64 * 1024
TAIL = 128 * 1024  # the first request: the zip's end, where the central directory is
CHUNK = 64 * 1024  # the least a later ranged read fetches
TIMEOUT = 20.0
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
CODE = (".py", ".pyc", ".so", ".pyd")


@dataclass(frozen=True)
class Provided:
    """What the index says about one distribution."""

    #: "wheel" (``modules`` known), "absent" (not on the index), "sdist" (no wheel to read) or
    #: "unknown" (``why`` says what stopped the check)
    status: str
    modules: frozenset[str] = frozenset()  # dotted names the wheel lets one import
    wheel: str = ""  # the file read
    why: str = ""

    def provides(self, module: str) -> bool:
        return module in self.modules


class _Unchecked(Exception):
    """A reason the wheel's files could not be read (shown as "not checked: ...")."""


def serves(tag: Tag, python: str) -> bool:
    """Whether a wheel tag installs on CPython ``python`` on Linux x86_64 (or anywhere)."""
    if not (tag.platform == "any" or ("linux" in tag.platform and "x86_64" in tag.platform)):
        return False
    nodot = python.replace(".", "")
    major = python.split(".")[0]
    if tag.interpreter in (f"cp{nodot}", f"py{nodot}", f"py{major}"):
        return True
    digits = tag.interpreter[2:]
    return (
        tag.abi == "abi3"
        and tag.interpreter.startswith(f"cp{major}")
        and digits.isdigit()
        and int(digits) <= int(nodot)
    )


def choose_wheel(files: list[dict[str, Any]], name: str, python: str) -> dict[str, Any] | None:
    """The wheel of the newest release that has one (a final release before a pre-release),
    one that installs on ``python`` where the release has it."""
    found: list[tuple[bool, Version, bool, dict[str, Any]]] = []
    for entry, version, tags in wheels_of(files, name):
        if entry.get("yanked"):
            continue
        fits = any(serves(tag, python) for tag in tags)
        found.append((not version.is_prerelease, version, fits, entry))
    if not found:
        return None
    return max(found, key=lambda item: item[:3])[3]


def modules_of(paths: list[str], top_level: str = "") -> frozenset[str]:
    """The dotted names a wheel with these paths lets one import (packages, modules, extension
    modules; namespace folders too), plus the names its ``top_level.txt`` lists."""
    out: set[str] = set()
    for path in paths:
        parts = path.split("/")
        if parts[0].endswith(".dist-info"):
            continue
        if parts[0].endswith(".data"):
            if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                continue  # scripts, headers, data: nothing to import
            parts = parts[2:]
        *folders, last = parts
        if not all(f.isidentifier() for f in folders):
            folders = folders[: next(i for i, f in enumerate(folders) if not f.isidentifier())]
            last = ""
        for end in range(1, len(folders) + 1):
            out.add(".".join(folders[:end]))
        stem = last.split(".")[0]
        if last.endswith(CODE) and stem.isidentifier() and stem != "__init__":
            out.add(".".join([*folders, stem]))
    for line in top_level.splitlines():
        name = line.strip().replace("/", ".")
        if name and all(p.isidentifier() for p in name.split(".")):
            out.add(name)
    return frozenset(out)


class _Ranges(io.RawIOBase):
    """A remote file, read through HTTP Range requests: what it fetched is kept, and it never
    fetches more than ``budget`` bytes in all."""

    def __init__(self, url: str, size: int, tail: bytes, budget: int) -> None:
        super().__init__()
        self._url, self._size, self._budget = url, size, budget - len(tail)
        self._blocks: list[tuple[int, bytes]] = [(size - len(tail), tail)]
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), self._size - self._pos)
        if count <= 0:
            return 0
        data = self._get(self._pos, self._pos + count)
        buffer[:count] = data
        self._pos += count
        return count

    def _get(self, start: int, end: int) -> bytes:
        for first, block in self._blocks:
            if first <= start and end <= first + len(block):
                return block[start - first : end - first]
        end_fetch = min(self._size, max(end, start + CHUNK))
        if end_fetch - start > self._budget:
            raise _Unchecked(f"its file list is larger than {MAX_WHEEL_BYTES // MB} MB")
        status, _total, data = _fetch(
            self._url, f"bytes={start}-{end_fetch - 1}", end_fetch - start
        )
        if status != 206 or len(data) != end_fetch - start:
            raise _Unchecked("the index stopped answering byte ranges")
        self._budget -= len(data)
        self._blocks.append((start, data))
        return data[: end - start]


def _fetch(url: str, byte_range: str, limit: int) -> tuple[int, int, bytes]:
    """(HTTP status, the file's full size, at most ``limit`` + 1 bytes of the body)."""
    request = urllib.request.Request(url, headers={"Range": byte_range})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT, context=_context()) as response:
            status = response.status
            found = re.fullmatch(r"bytes \d+-\d+/(\d+)", response.headers.get("Content-Range", ""))
            total = (
                int(found.group(1)) if found else int(response.headers.get("Content-Length", -1))
            )
            return status, total, response.read(limit + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise _Unchecked(f"reading it failed ({exc})") from None


def _open(url: str) -> zipfile.ZipFile:
    """The wheel at ``url`` as a zip, its central directory read through ranges if the index
    serves them, else the whole file up to ``MAX_WHEEL_BYTES``."""
    status, total, data = _fetch(url, f"bytes=-{TAIL}", MAX_WHEEL_BYTES)
    if status == 206 and total > len(data):
        return zipfile.ZipFile(_Ranges(url, total, data, MAX_WHEEL_BYTES))
    if len(data) > MAX_WHEEL_BYTES:
        raise _Unchecked(
            f"the index serves no byte ranges and the wheel is larger than "
            f"{MAX_WHEEL_BYTES // MB} MB"
        )
    return zipfile.ZipFile(io.BytesIO(data))


def wheel_modules(url: str) -> frozenset[str]:
    """The dotted names the wheel at ``url`` provides (raises ``_Unchecked``)."""
    try:
        with _open(url) as archive:
            names = archive.namelist()
            top = [
                i
                for i in archive.infolist()
                if i.filename.count("/") == 1
                and i.filename.split("/")[0].endswith(".dist-info")
                and i.filename.endswith("/top_level.txt")
                and i.file_size <= MAX_TOP_LEVEL
            ]
            text = archive.read(top[0]).decode("utf-8", "replace") if top else ""
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        KeyError,
        EOFError,
        ValueError,
        NotImplementedError,  # a compression zipfile lacks
        RuntimeError,  # an encrypted member
    ) as exc:
        raise _Unchecked(f"{url.rsplit('/', 1)[-1]} is not a readable zip ({exc})") from None
    return modules_of(names, text)


def _listing(index: str, name: str) -> list[dict[str, Any]] | None:
    """The index's files of ``name`` (PEP 691 JSON), None where it has no such project."""
    url = f"{index.rstrip('/')}/{canonicalize_name(name)}/"
    request = urllib.request.Request(url, headers={"Accept": SIMPLE_JSON})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT, context=_context()) as response:
            body = response.read(MAX_LISTING + 1)
            kind = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise _Unchecked(f"the index answered {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise _Unchecked(f"the index did not answer ({exc})") from None
    if len(body) > MAX_LISTING:
        raise _Unchecked(f"its page on the index is larger than {MAX_LISTING // MB} MB")
    if SIMPLE_JSON not in kind and not body.lstrip().startswith(b"{"):
        raise _Unchecked("the index lists files only as HTML")
    try:
        files = json.loads(body).get("files", [])
    except (ValueError, AttributeError):
        raise _Unchecked("the index's page is not JSON") from None
    files = [f for f in files if isinstance(f, dict)]
    for entry in files:
        entry["page"] = url  # its url is relative to the page (joined for the one file read)
    return files


@functools.cache
def _context() -> Any:
    """One TLS context for every request of the process (each costs a read of the CA bundle)."""
    return ssl_context()


_CACHE: dict[tuple[str, str, str], Provided] = {}
_LOCK = threading.Lock()


def provided(index: str, name: str, python: str) -> Provided:
    """What distribution ``name`` on ``index`` provides, from its newest wheel for ``python``."""
    key = (index.rstrip("/"), canonicalize_name(name), python)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    try:
        files = _listing(index, name)
        if not files:  # no such project, or one with no file at all
            answer = Provided("absent")
        elif (chosen := choose_wheel(files, name, python)) is None:
            answer = Provided("sdist")
        else:
            filename = str(chosen.get("filename", ""))
            where = urllib.parse.urljoin(chosen["page"], str(chosen.get("url", "")))
            answer = Provided("wheel", wheel_modules(where), filename)
    except _Unchecked as exc:
        answer = Provided("unknown", why=str(exc))
    except Exception as exc:  # a best-effort check: whatever else stops it, the guess stays
        answer = Provided("unknown", why=f"reading the index failed ({type(exc).__name__}: {exc})")
    with _LOCK:
        _CACHE[key] = answer
    return answer
