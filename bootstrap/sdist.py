"""The dependencies of a source-only release, read as text from its sdist: never built, never run.

Python 2's world (mysqlclient 1.4.6, MySQL-python, pycrypto) and some Python 3 packages publish
no wheel. Their dependencies are in the sdist's PKG-INFO (``Requires-Dist``, Metadata 1.2 and
later) or, for setuptools sdists of any age, in ``*.egg-info/requires.txt``; both are read out of
the archive as text. The archive is checked against the index's sha256 and the result cached.
"""

from __future__ import annotations

import email.parser
import hashlib
import io
import json
import re
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from bootstrap.errors import BootstrapError
from bootstrap.index import cache_dir, ssl_context

MAX_SDIST_BYTES = (
    64 * 1024 * 1024
)  # pyspark-sized archives belong in a catalog lock_metadata record
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SDIST_SUFFIXES = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".zip")


def _cache() -> Path:
    return cache_dir() / "sdist-metadata"


def index_entries(index: str, name: str, timeout: float = 60) -> list[dict[str, Any]]:
    """The index's files for ``name`` (PEP 691 JSON): filename, url, hashes, requires-python."""
    url = f"{index.rstrip('/')}/{canonicalize_name(name)}/"
    request = urllib.request.Request(url, headers={"Accept": SIMPLE_JSON})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=ssl_context()) as response:
            body = response.read(32 * 1024 * 1024)
            kind = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return []
        raise BootstrapError(f"the package index {index} answered {exc.code} for {name}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise BootstrapError(f"the package index {index} is unreachable ({exc})") from None
    if SIMPLE_JSON not in kind and not body.lstrip().startswith(b"{"):
        return []  # an HTML-only index: callers fall back to lock_metadata
    files = json.loads(body).get("files", [])
    for entry in files:
        entry["url"] = urllib.parse.urljoin(url, entry.get("url", ""))
    return files


def wheels_of(
    files: list[dict[str, Any]], name: str
) -> Iterator[tuple[dict[str, Any], Version, frozenset[Tag]]]:
    """The index's wheel files of ``name`` (yanked ones too: callers decide), each with its
    version and tags; files of other names and unparsable names are skipped."""
    for entry in files:
        filename = entry.get("filename", "")
        if not filename.endswith(".whl"):
            continue
        try:
            dist, version, _build, tags = parse_wheel_filename(filename)
        except (InvalidWheelFilename, ValueError):
            continue
        if canonicalize_name(dist) == canonicalize_name(name):
            yield entry, version, tags


def sdist_version(filename: str, name: str) -> Version | None:
    """The version in an sdist file name of ``name``, or None for any other file."""
    if not filename.endswith(SDIST_SUFFIXES):
        return None
    stem = next(filename[: -len(s)] for s in SDIST_SUFFIXES if filename.endswith(s))
    wanted = canonicalize_name(name)
    for cut in range(len(stem) - 1, 0, -1):
        if stem[cut] == "-" and canonicalize_name(stem[:cut]) == wanted:
            try:
                return Version(stem[cut + 1 :])
            except InvalidVersion:
                return None
    return None


def _requires_txt(text: str) -> list[str]:
    """setuptools' requires.txt: bare lines, then ``[extra]``, ``[:marker]`` or ``[extra:marker]``."""
    out: list[str] = []
    extra, marker = "", ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        section = re.fullmatch(r"\[([^:\]]*)(?::(.*))?\]", line)
        if section:
            extra, marker = section.group(1).strip(), (section.group(2) or "").strip()
            continue
        conditions = [f"({marker})"] if marker else []
        if extra:
            conditions.append(f'extra == "{extra}"')
        requirement = line + (" ; " + " and ".join(conditions) if conditions else "")
        try:
            out.append(str(Requirement(requirement)))
        except InvalidRequirement:
            continue
    return out


def read_metadata(archive: bytes, filename: str) -> dict[str, Any]:
    """Name, version, Requires-Python and dependencies from an sdist's bytes, read as text."""
    members: dict[str, bytes] = {}

    def wanted(path: str) -> bool:
        parts = path.split("/")
        return (len(parts) == 2 and parts[1] == "PKG-INFO") or (
            len(parts) in (3, 4) and parts[-2].endswith(".egg-info") and parts[-1] == "requires.txt"
        )

    if filename.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            for info in zipped.infolist():
                if wanted(info.filename) and info.file_size < 1024 * 1024:
                    members[info.filename] = zipped.read(info)
    else:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:*") as tar:
            for member in tar:
                if member.isfile() and wanted(member.name) and member.size < 1024 * 1024:
                    handle = tar.extractfile(member)
                    if handle is not None:
                        members[member.name] = handle.read()
    pkg_info = next((v for k, v in members.items() if k.endswith("PKG-INFO")), None)
    if pkg_info is None:
        raise BootstrapError(f"{filename}: no PKG-INFO in the sdist")
    message = email.parser.Parser().parsestr(pkg_info.decode("utf-8", "replace"))
    requires = [str(Requirement(r)) for r in message.get_all("Requires-Dist") or []]
    if not requires:
        # shortest path first: the top-level egg-info, not one of a vendored package
        for key in sorted((k for k in members if k.endswith("requires.txt")), key=len):
            requires = _requires_txt(members[key].decode("utf-8", "replace"))
            break
    return {
        "name": message.get("Name", ""),
        "version": message.get("Version", ""),
        "requires_dist": requires,
        "requires_python": message.get("Requires-Python") or None,
        "source": f"{filename}: PKG-INFO and egg-info/requires.txt, read as text",
    }


class NoSdist(BootstrapError):
    """The release has no source archive on the index (wheels only, or none at all)."""


def sdist_metadata(name: str, version: str, index: str) -> dict[str, Any]:
    """``lock_metadata`` for ``name`` ``version`` from its sdist on ``index`` (cached)."""
    key = f"{canonicalize_name(name)}-{version}.json"
    cached = _cache() / key
    try:
        entry: dict[str, Any] = json.loads(cached.read_text(encoding="utf-8"))  # own: the cache
        if isinstance(entry, dict) and isinstance(entry.get("requires_dist"), list):
            return entry
    except (OSError, ValueError):
        pass  # not cached, or a damaged cache entry: read the sdist again
    files = [
        f
        for f in index_entries(index, name)
        if sdist_version(f.get("filename", ""), name) == Version(version)
    ]
    if not files:
        raise NoSdist(
            f"{name}=={version} has no wheel for the target and no sdist on {index}: "
            "pin a version that has one"
        )
    chosen = files[0]
    with urllib.request.urlopen(chosen["url"], timeout=120, context=ssl_context()) as response:
        data = response.read(MAX_SDIST_BYTES + 1)
    if len(data) > MAX_SDIST_BYTES:
        raise BootstrapError(
            f"{chosen['filename']} is larger than {MAX_SDIST_BYTES >> 20} MB: declare its "
            "dependencies in a catalog record's lock_metadata instead"
        )
    expected = chosen.get("hashes", {}).get("sha256")
    if expected and hashlib.sha256(data).hexdigest() != expected:
        raise BootstrapError(f"{chosen['filename']}: sha256 differs from the index's: not used")
    entry = read_metadata(data, chosen["filename"])
    entry.update(name=name, version=version)
    _cache().mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=_cache(), delete=False, suffix=".tmp") as handle:
        json.dump(entry, handle)
    Path(handle.name).replace(cached)
    return entry


def newest_sdist(name: str, spec: str, python: str, index: str) -> str | None:
    """The newest version of ``name`` matching ``spec`` with an sdist that accepts ``python``."""
    found = sdists_in(name, spec, python, index, limit=1)
    return found[0] if found else None


def sdists_in(name: str, spec: str, python: str, index: str, limit: int) -> list[str]:
    """The ``limit`` newest versions of ``name`` matching ``spec`` with an sdist that accepts
    ``python`` (as far as the index says), newest first."""
    try:
        wanted = SpecifierSet(spec)
    except InvalidSpecifier:
        return []
    target = Version(f"{python}.0")
    found: set[Version] = set()
    for entry in index_entries(index, name):
        version = sdist_version(entry.get("filename", ""), name)
        if version is None or entry.get("yanked") or version not in wanted:
            continue
        if version.is_prerelease and not wanted.prereleases:
            continue
        requires = entry.get("requires-python")
        try:
            if requires and target not in SpecifierSet(requires):
                continue
        except InvalidSpecifier:
            pass
        found.add(version)
    return [str(v) for v in sorted(found, reverse=True)[:limit]]
