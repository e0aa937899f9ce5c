"""Locking where uv cannot: Python 2.7, and pip-based checks of any lock for a foreign target.

uv refuses Python < 3.6, so a 2.7 lock is resolved by pip's own resolver, told the target: its
version, implementation, ABI and platforms (binary wheels only, so no setup.py ever runs on the
host) and, since pip evaluates environment markers against the interpreter running it, a marker
environment patched to the target's. Source-only packages take part through the metadata the
catalog declares for them (`lock_metadata`): pip sees a stand-in wheel carrying those
dependencies, and the lock keeps the real files' hashes from the index.

pip is pinned (PIP_VERSION): the marker and resolver patches rely on its internals, and newer pips reject the
legacy version specifiers that Python 2 era packages carry (pandas 0.24.2 asks for pytz>=2011k).
"""

from __future__ import annotations

import base64
import hashlib
import html.parser
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from bootstrap.errors import BootstrapError, UsageError
from bootstrap.index import ca_bundle, cache_dir, ssl_context, tool_env, uv_binary
from bootstrap.requirements import parse, pins_of
from bootstrap.resolution import VCS, explain_failure, origins_of
from bootstrap.safe_io import MAX_MANIFEST, read_project_file
from bootstrap.sdist import newest_sdist, sdist_metadata, sdist_version

PIP_VERSION = "23.2.1"
# each round adds the metadata of one sdist pip found no wheel for (TensorFlow 2.1 on 2.7 has 8)
SDIST_ROUNDS = 16
MANYLINUX_FLOOR = 17  # manylinux2014 = manylinux_2_17: the oldest tag modern wheels carry
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


@dataclass(frozen=True)
class Target:
    """The interpreter a lock is for: what pip needs to pick wheels and evaluate markers."""

    python: str  # "2.7", "3.11"
    machine: str  # "x86_64", "aarch64"
    glibc: int = 28  # newest manylinux_2_N accepted; 2.28 is older than every Debian in the catalog

    @property
    def abi(self) -> str:
        # Debian's python2.7 is built with UCS4 (wide unicode): its wheels are cp27mu
        nodot = self.python.replace(".", "")
        return f"cp{nodot}mu" if self.python == "2.7" else f"cp{nodot}"

    @property
    def platforms(self) -> list[str]:
        newest = 17 if self.python == "2.7" else self.glibc
        tags = [f"manylinux_2_{minor}_{self.machine}" for minor in range(newest, 4, -1)]
        tags += [f"manylinux2014_{self.machine}"]
        if self.machine == "x86_64":
            tags += ["manylinux2010_x86_64", "manylinux1_x86_64"]
        return tags

    def markers(self) -> dict[str, str]:
        """PEP 508 marker values of CPython ``python`` on Linux ``machine``."""
        two = self.python == "2.7"
        return {
            "implementation_name": "cpython",
            "implementation_version": "0" if two else f"{self.python}.0",
            "os_name": "posix",
            "platform_machine": self.machine,
            "platform_release": "",
            "platform_system": "Linux",
            "platform_version": "",
            "python_full_version": "2.7.18" if two else f"{self.python}.0",
            "platform_python_implementation": "CPython",
            "python_version": self.python,
            "sys_platform": "linux2" if two else "linux",
        }

    def pip_flags(self) -> list[str]:
        flags = ["--python-version", self.python, "--implementation", "cp"]
        for abi in (self.abi, "abi3", "none"):
            flags += ["--abi", abi]
        for platform in self.platforms:
            flags += ["--platform", platform]
        return flags


# Run pip with default_environment() answering for the target: markers decide which dependencies
# a package has, and pip would otherwise answer them for the interpreter running it. Likewise
# `pip install --python-version` filters the index's links by the target's Python but checks each
# candidate's own Requires-Python against the running one (only `pip download` passes the target
# to its resolver): a Python-2-only wheel such as futures 3.4.0 (Requires-Python <3) would be
# refused, so the resolver is given the target's version too.
_PATCH = """\
import json, sys
import pip._vendor.packaging.markers as markers
import pip._internal.cli.req_command as req_command
_env = json.loads(sys.argv.pop(1))
markers.default_environment = lambda: dict(_env)
_target = tuple(int(part) for part in _env["python_full_version"].split("."))
_make_resolver = req_command.RequirementCommand.make_resolver.__func__
def _make_resolver_for_target(cls, *args, **kwargs):
    if kwargs.get("py_version_info") is None:
        kwargs["py_version_info"] = _target
    return _make_resolver(cls, *args, **kwargs)
req_command.RequirementCommand.make_resolver = classmethod(_make_resolver_for_target)
from pip._internal.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def ensure_pip(index: str, version: str = PIP_VERSION) -> Path:
    """A private copy of pip ``version`` (installed once with uv), whatever pip the host has."""
    target = cache_dir() / f"pip-{version}"
    if (target / "pip" / "__init__.py").is_file():
        return target
    cache_dir().mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".pip-", dir=cache_dir()))
    command = [
        uv_binary(),
        "pip",
        "install",
        "--quiet",
        "--no-config",
        "--target",
        str(staging),
        "--python",
        sys.executable,
        "--index-url",
        index,
        f"pip=={version}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=tool_env(), check=False)
    if result.returncode != 0:
        raise BootstrapError(
            f"installing pip {version} for the Python 2.7 resolver failed: "
            f"{_first_line(result.stderr)}: check that {index} serves pip"
        )
    try:
        staging.rename(target)
    except OSError:  # another process won the race: use its copy
        shutil.rmtree(staging, ignore_errors=True)
    return target


def run_pip(
    args: Sequence[str],
    target: Target,
    *,
    index: str,
    cwd: Path | None = None,
    version: str = PIP_VERSION,
) -> subprocess.CompletedProcess[str]:
    """pip ``version``, isolated from any pip configuration, resolving for ``target``."""
    home = ensure_pip(index, version)
    env = tool_env()
    env["PYTHONPATH"] = str(home)
    command = [sys.executable, "-c", _PATCH, json.dumps(target.markers()), *args]
    bundle = ca_bundle()
    if bundle and args and args[0] in ("install", "download"):
        command += ["--cert", bundle]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, check=False)


def stand_in_wheel(folder: Path, entry: Mapping[str, Any]) -> Path:
    """A wheel with no code and ``entry``'s dependencies: pip resolves through it, nothing more."""
    name = canonicalize_name(entry["name"]).replace("-", "_")
    version = entry["version"]
    dist_info = f"{name}-{version}.dist-info"
    lines = ["Metadata-Version: 2.1", f"Name: {entry['name']}", f"Version: {version}"]
    if entry.get("requires_python"):
        lines.append(f"Requires-Python: {entry['requires_python']}")
    requires = list(entry.get("requires_dist", []))
    extras = re.findall(r"""extra\s*==\s*['"]([^'"]+)['"]""", " ".join(requires))
    lines += [f"Provides-Extra: {extra}" for extra in dict.fromkeys(extras)]
    lines += [f"Requires-Dist: {req}" for req in requires]
    files = {
        f"{dist_info}/METADATA": ("\n".join(lines) + "\n").encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: bootstrap\nRoot-Is-Purelib: true\nTag: py2-none-any\nTag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = folder / f"{name}-{version}-py2.py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def index_files(index: str, name: str, timeout: float = 60) -> list[tuple[str, str]]:
    """(filename, sha256) of every file the index lists for ``name``: PEP 691 JSON, else HTML."""
    url = f"{index.rstrip('/')}/{canonicalize_name(name)}/"
    request = urllib.request.Request(url, headers={"Accept": f"{SIMPLE_JSON}, text/html;q=0.1"})
    for attempt in range(3):  # a lock asks for dozens of pages: one lost lookup is retried
        try:
            with urllib.request.urlopen(
                request, timeout=timeout, context=ssl_context()
            ) as response:
                body = response.read()
                kind = response.headers.get("Content-Type", "")
            break
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return []
            raise BootstrapError(
                f"the package index answered {exc.code} for {url}: check the index URL, "
                "then run bootstrap lock"
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            if attempt == 2:
                reason = getattr(exc, "reason", exc)
                raise BootstrapError(
                    f"the package index {index.rstrip('/')} is unreachable ({reason}): check "
                    "the network or the index URL, then run bootstrap lock"
                ) from None
            time.sleep(1 + attempt)
    if SIMPLE_JSON in kind or body.lstrip().startswith(b"{"):
        data = json.loads(body)
        return [
            (f["filename"], f["hashes"]["sha256"])
            for f in data.get("files", [])
            if "sha256" in f.get("hashes", {})
        ]
    parser = _Links()
    parser.feed(body.decode("utf-8", "replace"))
    out = []
    for href in parser.links:
        path, _, fragment = href.partition("#")
        if fragment.startswith("sha256="):
            out.append((urllib.request.unquote(path.rsplit("/", 1)[-1]), fragment[7:]))
    return out


def file_version(filename: str) -> tuple[str, Version] | None:
    """(canonical name, version) of a wheel or sdist file name, or None for anything else.

    An old sdist may carry a dash in its version (functools32-3.2.3-2.tar.gz is release
    3.2.3-2, that is 3.2.3.post2): the name ends at the first dash followed by a version that
    parses, as the index itself reads it."""
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
            return name, version
    except (InvalidWheelFilename, InvalidVersion, ValueError):
        return None
    for suffix in (".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz"):
        if filename.endswith(suffix):
            stem = filename[: -len(suffix)]
            break
    else:
        return None
    parts = stem.split("-")
    for cut in range(1, len(parts)):
        if not parts[cut][:1].isdigit():
            continue
        try:
            return canonicalize_name("-".join(parts[:cut])), Version("-".join(parts[cut:]))
        except InvalidVersion:
            continue
    return None


def hashes_for(name: str, version: str, indexes: Sequence[str]) -> list[str]:
    """Every file of ``name`` ``version`` on the indexes, so the lock installs on any platform."""
    wanted = (canonicalize_name(name), Version(version))
    found: set[str] = set()
    for index in indexes:
        for filename, sha in index_files(index, name):
            version = sdist_version(filename, name)  # knows where the name ends
            if (wanted[0], version) == wanted or file_version(filename) == wanted:
                found.add(sha)
    return sorted(found)


def format_lock(
    pins: Iterable[tuple[str, str, list[str]]],
    origins: Mapping[str, str] | None = None,
    needed: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """pip-compile's layout: one ``name==version`` per package, its hashes on continuation lines,
    where requirements.in's own lines come from, and which pins need it (as the uv lock)."""
    origins, needed = origins or {}, needed or {}
    blocks = []
    for name, version, hashes in sorted(pins, key=lambda p: canonicalize_name(p[0])):
        lines = [f"{name}=={version}"] + [f"    --hash=sha256:{h}" for h in hashes]
        key = canonicalize_name(name)
        why = [origins[key]] if key in origins else []
        if needed.get(key):
            why.append("via " + ", ".join(needed[key]))
        blocks.append(" \\\n".join(lines) + "\n" + "".join(f"    # {w}\n" for w in why))
    return "".join(blocks)


#: requirements.in lists what a project asks for, not its whole environment; each line is parsed
#: several times (about 0.1 ms each), so the count is bounded as the size is.
MAX_REQUIREMENT_LINES = 5000


def in_text(project: Path) -> str:
    """requirements.in's text: a regular UTF-8 file (never a link), within the manifest limit."""
    path = project / "requirements.in"
    try:
        text = read_project_file(path, "requirements.in", MAX_MANIFEST)
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#x} at offset {exc.start}): "
            "save it as UTF-8"
        ) from None
    if text.count("\n") > MAX_REQUIREMENT_LINES:
        raise UsageError(
            f"{path}: more than {MAX_REQUIREMENT_LINES:,} lines: list the packages you use "
            "(the lock adds their dependencies)"
        )
    return text


def lock_text(project: Path) -> str:
    """The previous lock's text (requirements.txt), or "" when there is none to keep pins from."""
    path = project / "requirements.txt"
    if not path.exists() and not path.is_symlink():
        return ""
    try:
        return read_project_file(path, "requirements.txt", MAX_MANIFEST)
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text: save it as UTF-8") from None


def read_in(project: Path) -> tuple[list[str], list[str]]:
    """requirements.in as (requirement lines, extra index URLs); local paths are left out: the
    image installs them after the lock, and the host never builds them.

    Refuses (exit 2, naming the line) what would make locking run code on this machine: a URL to
    anything but a wheel (the resolver builds a source archive to read its metadata), and lines
    that are not requirements at all.
    """
    parsed = parse(in_text(project))
    lines = []
    for line in parsed.lines:
        if line.kind == "local" or (line.kind == "url" and VCS.match(line.text)):
            continue  # the image installs these after the lock (requirements-project.txt)
        _check_requirement(line.text, line.number)
        lines.append(line.text)
    return lines, parsed.extra_index_urls


def _check_requirement(line: str, number: int) -> None:
    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        raise UsageError(
            f"requirements.in:{number}: {line!r} is not a requirement: use NAME, NAME==VERSION "
            "or NAME>=VERSION"
        ) from None
    url = requirement.url or ""
    if url and not (url.startswith("https://") and url.split("#")[0].endswith(".whl")):
        raise UsageError(
            f"requirements.in:{number}: {line!r} is a path or source URL: locking would build "
            "it and run its setup.py on this machine: publish it to an index and use NAME==VERSION"
        )


def _applies(entry: Mapping[str, Any], python: str) -> bool:
    spec = entry.get("requires_python")
    return not spec or Version(f"{python}.0") in SpecifierSet(spec)


def lock_legacy(
    project: Path,
    python: str,
    *,
    index: str,
    metadata: Sequence[Mapping[str, Any]] = (),
    upgrade: bool = False,
    upgrade_packages: Sequence[str] = (),
    command: str = "lock",
    where: str = "requirements.in",
) -> str:
    """Resolve requirements.in for CPython ``python`` (2.7) on Linux x86_64; return the lock body.
    A failure is explained as the uv lock's are (``command``, ``where``)."""
    requirements, extra = read_in(project)
    parsed = parse(in_text(project))
    target = Target(python, "x86_64")
    previous = "" if upgrade else lock_text(project)
    keep: dict[str, str] = {}
    if "--hash=" in previous:
        skip = {canonicalize_name(n) for n in upgrade_packages}
        keep = {n: v for n, v in pins_of(previous).items() if n not in skip}
    if parsed.relaxing():
        # beside the user's requirements the catalog's pins become their records' ranges; the
        # tested pins are tried first (as constraints), then dropped if the user's need others
        wanted = parsed.for_lock()
        named = {line.text for line in parsed.requirements()}
        requirements = [wanted.get(r, r) for r in requirements if r in wanted or r not in named]
        mine = {line.name for line in parsed.requirements() if line.user}
        for line in parsed.requirements():
            if (
                line.catalog
                and line.name
                and line.name not in keep.keys() | mine
                and "==" in line.text
            ):
                keep[line.name] = line.text.split("==", 1)[1].split(";", 1)[0].strip()
    with tempfile.TemporaryDirectory(prefix="bootstrap-lock-") as tmp:
        work = Path(tmp)
        stand_ins = work / "stand-ins"
        stand_ins.mkdir()
        for entry in metadata:
            if _applies(entry, python):
                stand_in_wheel(stand_ins, entry)
        (work / "requirements.in").write_text("\n".join(requirements) + "\n", encoding="utf-8")
        report = work / "report.json"
        args = [
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--target",
            str(work / "target"),
            "--report",
            str(report),
            "--only-binary",
            ":all:",
            "--use-feature=fast-deps",
            "--index-url",
            index,
            "--find-links",
            str(stand_ins),
            *[flag for url in extra for flag in ("--extra-index-url", url)],
            *target.pip_flags(),
            "-r",
            str(work / "requirements.in"),
        ]
        if keep:
            (work / "previous.txt").write_text(
                "".join(f"{n}=={v}\n" for n, v in sorted(keep.items())), encoding="utf-8"
            )
        known = {(canonicalize_name(e["name"]), str(e["version"])) for e in metadata}
        for _attempt in range(SDIST_ROUNDS):
            result = None
            if keep:
                result = run_pip([*args, "-c", str(work / "previous.txt")], target, index=index)
            if result is None or result.returncode != 0:
                # the previous pins no longer fit requirements.in: resolve afresh
                result = run_pip(args, target, index=index)
            if result.returncode == 0:
                break
            entry = _sdist_stand_in(result.stderr, python, index, known)
            if entry is None:
                raise _failure(result.stderr, python, parsed, command, where)
            known.add((canonicalize_name(entry["name"]), str(entry["version"])))
            stand_in_wheel(stand_ins, entry)
        else:
            raise _failure(result.stderr, python, parsed, command, where)
        installed = json.loads(report.read_text(encoding="utf-8"))["install"]  # own: pip's report
    pins = [(item["metadata"]["name"], item["metadata"]["version"]) for item in installed]
    indexes = [index, *extra]
    with ThreadPoolExecutor(max_workers=8) as pool:
        hashes = list(pool.map(lambda p: hashes_for(p[0], p[1], indexes), pins))
    missing = [f"{n}=={v}" for (n, v), h in zip(pins, hashes, strict=True) if not h]
    if missing:
        raise BootstrapError(
            f"locking for Python {python}: no file with a sha256 on the index for {', '.join(missing)}: "
            "check the index serves hashes (PEP 503 #sha256= or PEP 691)"
        )
    origins = origins_of(parse(in_text(project)), where)
    needed = needed_by(installed, target)
    return format_lock(((n, v, h) for (n, v), h in zip(pins, hashes, strict=True)), origins, needed)


def needed_by(installed: Sequence[Mapping[str, Any]], target: Target) -> dict[str, list[str]]:
    """canonical name → the names of the pins that depend on it, for the target's markers (from
    pip's report: each package's Requires-Dist), as uv's lock says ``# via``."""
    environment = {**target.markers(), "extra": ""}
    names = {canonicalize_name(item["metadata"]["name"]): item for item in installed}
    out: dict[str, list[str]] = {}
    for _name, item in sorted(names.items()):
        metadata = item["metadata"]
        extras = ["", *(item.get("requested_extras") or [])]
        for line in metadata.get("requires_dist") or []:
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            marker = requirement.marker
            if marker and not any(
                marker.evaluate({**environment, "extra": extra}) for extra in extras
            ):
                continue
            child = canonicalize_name(requirement.name)
            if child in names and metadata["name"] not in out.setdefault(child, []):
                out[child].append(metadata["name"])
    return out


def _sdist_stand_in(
    stderr: str, python: str, index: str, known: set[tuple[str, str]]
) -> dict[str, Any] | None:
    """For a requirement pip found no wheel for: the newest matching sdist's metadata, read as
    text from the archive, so a stand-in wheel lets pip resolve through it (no build, no setup.py);
    None when there is no such sdist."""
    missing = re.search(r"No matching distribution found for (\S+)", stderr)
    if not missing:
        return None
    try:
        requirement = Requirement(missing.group(1).split(";", 1)[0])
    except InvalidRequirement:
        return None
    version = newest_sdist(requirement.name, str(requirement.specifier), python, index)
    if version is None or (canonicalize_name(requirement.name), version) in known:
        return None
    entry = sdist_metadata(requirement.name, version, index)
    entry.pop("requires_python", None)  # pip checks it against the host; the index already did
    return entry


def _failure(
    stderr: str, python: str, parsed: Any, command: str = "lock", where: str = "requirements.in"
) -> BootstrapError:
    """A conflict between requirements.in's lines names both sides, as the uv path does; a
    package with no usable file says so."""
    if "ResolutionImpossible" in stderr or "conflicting dependencies" in stderr:
        return explain_failure(stderr, parsed, python, where, command)
    return BootstrapError(_explain(stderr, python))


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "unknown error")


def _explain(stderr: str, python: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("ERROR")]
    missing = re.search(r"No matching distribution found for (\S+)", stderr)
    conflict = sorted(set(re.findall(r"depends on (\S+)", stderr)))
    if missing or conflict:
        what = missing.group(1) if missing else " or ".join(conflict)
        return (
            f"locking for Python {python}: {what}: no wheel for CPython {python} on Linux x86_64 "
            "satisfies it on the index: pin versions that have one, or declare the sdist's "
            "dependencies in a catalog record's lock_metadata"
        )
    return f"locking for Python {python} failed: {_first_line(' '.join(lines) or stderr)}"
