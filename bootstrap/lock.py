"""Lock: requirements.in → requirements.txt, every package pinned with hashes, for the container.

Python 3 locks are resolved by uv for the container's Python on Linux, never for the interpreter
running bootstrap: once for x86_64 and once for aarch64 (preferring the first's pins), merged into
one file that installs on both. Nothing is built on this machine (``--no-build``): a release
published only as an sdist is resolved through a stand-in wheel holding its metadata (a catalog
record's ``lock_metadata``, or its PKG-INFO read as text), and the lock hashes the real sdist.
Python 2.7 goes through `bootstrap.lock_legacy`. Offline, or when
the index cannot be reached, requirements.txt holds requirements.in's pins, marked as not a full
lock, and nothing touches the network.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from bootstrap.catalog import load
from bootstrap.errors import BootstrapError, UsageError
from bootstrap.index import cache_dir, index_url, reachable, tool_env, uv_binary
from bootstrap.layout import requirements_dir
from bootstrap.lock_legacy import (
    hashes_for,
    in_text,
    lock_legacy,
    lock_text,
    read_in,
    stand_in_wheel,
)
from bootstrap.requirements import RequirementsIn, is_pinned, pins_of
from bootstrap.requirements import parse as parse_requirements
from bootstrap.resolution import VCS, explain_failure, origins_of
from bootstrap.safe_io import read_project_file
from bootstrap.sdist import NoSdist, newest_sdist, sdist_metadata, sdists_in
from bootstrap.writer import Op, write_file
from bootstrap.writer import apply as write_ops

MACHINES = ("x86_64", "aarch64")
# manylinux_2_28 is the newest wheel tag every catalog base image accepts (bullseye's glibc is 2.31)
GLIBC = "2_28"
HEADER = """\
# The lock: every package pinned with its hashes, resolved for CPython {python} on Linux
# ({machines}) by `bootstrap lock` from requirements.in. Edit requirements.in, not this file;
# `bootstrap lock . --upgrade` moves every pin to its newest version.
"""
PARTIAL_HEADER = """\
# NOT A FULL LOCK: the catalog's curated pins for Python {python}, written without reaching the
# package index. Dependencies of these packages are not pinned and have no hashes.
# Run `bootstrap lock .` where the index is reachable to replace this file with a full, hashed lock.
"""


@dataclass(frozen=True)
class LockResult:
    full: bool
    seconds: float
    message: str


def catalog_metadata(catalog: Any) -> list[dict[str, Any]]:
    """Every `lock_metadata` entry of the catalog: dependencies of source-only releases."""
    entries: list[dict[str, Any]] = []
    for kind in ("python", "stack", "driver"):
        for record in catalog.of(kind).values():
            entries += [dict(e) for e in record.get("lock_metadata", [])]
    return entries


def _uv_config(folder: Path, metadata: Sequence[Mapping[str, Any]]) -> Path:
    """A uv.toml with the declared metadata, so uv never downloads those sdists to read it."""
    lines = []
    for entry in metadata:
        lines += [
            "[[dependency-metadata]]",
            f"name = {json.dumps(entry['name'])}",
            f"version = {json.dumps(entry['version'])}",
            f"requires-dist = {json.dumps(list(entry.get('requires_dist', [])))}",
        ]
        if entry.get("requires_python"):
            lines.append(f"requires-python = {json.dumps(entry['requires_python'])}")
        lines.append("")
    path = folder / "uv.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


Block = tuple[str, str, list[str], list[str]]  # shown name, version, hashes, "via" names


def _blocks(text: str) -> dict[str, Block]:
    """uv's output as canonical name → (name, version, hashes, the packages that need it)."""
    out: dict[str, Block] = {}
    current: str | None = None
    for logical in text.replace("\\\n", " ").splitlines():
        stripped = logical.strip()
        if stripped.startswith("#") and current is not None:
            via = stripped.lstrip("#").strip().removeprefix("via").strip()
            if via and not via.startswith("-r "):
                out[current][3].append(via)
            continue
        logical = logical.split(" #", 1)[0].strip()
        if not logical or logical.startswith(("#", "-")):
            current = None
            continue
        head, *hashes = re.split(r"\s+--hash=sha256:", logical)
        requirement = Requirement(head.split(";", 1)[0])
        version = str(next(iter(requirement.specifier)).version)
        current = canonicalize_name(requirement.name)
        out[current] = (requirement.name, version, sorted(hashes), [])
    return out


def merge(per_machine: Mapping[str, str], origins: Mapping[str, str] | None = None) -> str:
    """One lock from per-architecture resolutions; a pin needed on one architecture only, or
    differing between them, carries a `platform_machine` marker. Each pin says where it comes
    from: ``origins`` for requirements.in's own lines, the packages that need it otherwise."""
    parsed = {machine: _blocks(text) for machine, text in per_machine.items()}
    names = sorted({name for blocks in parsed.values() for name in blocks})
    origins = origins or {}
    out = []
    for name in names:
        variants: dict[tuple[str, str], list[str]] = {}
        hashes: dict[tuple[str, str], list[str]] = {}
        via: list[str] = []
        for machine, blocks in parsed.items():
            if name in blocks:
                shown, version, files, needed_by = blocks[name]
                variants.setdefault((shown, version), []).append(machine)
                hashes[(shown, version)] = files
                via += [n for n in needed_by if n not in via]
        why = [origins[name]] if name in origins else []
        if via:
            why.append("via " + ", ".join(via))
        for (shown, version), machines in variants.items():
            line = f"{shown}=={version}"
            if len(machines) < len(parsed):
                line += " ; " + " or ".join(f"platform_machine == '{m}'" for m in machines)
            lines = [line] + [f"    --hash=sha256:{h}" for h in hashes[(shown, version)]]
            out.append(" \\\n".join(lines) + "\n" + "".join(f"    # {w}\n" for w in why))
    return "".join(out)


#: each round reads the metadata of one sdist uv could not read statically; the resolver may
#: backtrack through several releases of one (databridge-etl-tools meets 8: arcgis, 4 carto, ...)
SDIST_ROUNDS = 40
#: sdist metadata read during this process, by index: a second lock (init's retry without a
#: component) and the other architecture start from it instead of meeting each sdist again
_LEARNED: dict[str, list[dict[str, Any]]] = {}
_LEARNED_LOCK = threading.Lock()

#: uv's hint for a requirement it found only source archives for (building is never allowed)
_WHEELS_REQUIRED = re.compile(r"Wheels are required for `([A-Za-z0-9._-]+)`")


#: sdists read at once for a range of releases uv says has no usable wheels: the resolver
#: walks down such a range one release per run (arcgis has twenty below its wheels)
SDISTS_PER_ROUND = 8


def _stand_ins_for(
    name: str, stderr: str, python: str, index: str, known: set[tuple[str, str]]
) -> list[dict[str, Any]]:
    """``lock_metadata`` for releases of ``name`` uv could not use without building them, read
    as text from their sdists: the newest sdists of each range uv says has no usable wheels
    (``arcgis<=2.4.0 has no usable wheels``: several at once, as the resolver would otherwise
    ask for them one run at a time), else the highest version uv's message names that has an
    sdist (a named release may have wheels only, for other Pythons), else the newest."""
    name_re = (
        rf"(?<![\w.-]){re.escape(name)}(?:\{{[^}}]*\}})?"  # adyen{python_full_version < '3.10'}
    )
    key = canonicalize_name(name)
    ranged: list[str] = []
    for spec in re.findall(
        name_re + r"((?:[<>=!~]=?[0-9][^\s,`]*,?)+) (?:has|have) no usable wheels",
        stderr,
        flags=re.IGNORECASE,
    ):
        found = sdists_in(name, spec.rstrip(","), python, index, limit=SDISTS_PER_ROUND * 2)
        ranged += [v for v in found if (key, v) not in known][:SDISTS_PER_ROUND]
    if ranged:
        with ThreadPoolExecutor(max_workers=4) as pool:
            read = list(pool.map(lambda v: _read_sdist(name, v, index), dict.fromkeys(ranged)))
        if entries := [entry for entry in read if entry is not None]:
            return entries
    named = []
    for text in re.findall(name_re + r"==([0-9][^\s,`]*)", stderr, flags=re.IGNORECASE):
        try:
            named.append(Version(text.rstrip(".")))
        except InvalidVersion:
            continue
    candidates = [str(v) for v in sorted(set(named), reverse=True)]
    if not candidates:
        newest = newest_sdist(name, "", python, index)
        candidates = [newest] if newest else []
    for version in dict.fromkeys(candidates):
        if (key, version) not in known and (entry := _read_sdist(name, version, index)):
            return [entry]
    return []


def _read_sdist(name: str, version: str, index: str) -> dict[str, Any] | None:
    """The release's metadata from its sdist; None when it has wheels only (for other Pythons)."""
    try:
        return sdist_metadata(name, version, index)
    except NoSdist:
        return None


def _real_hashes(text: str, stand_ins: set[tuple[str, str]], indexes: Sequence[str]) -> str:
    """uv's output with each stand-in wheel's hash replaced by the hashes of the real files on
    the indexes (the sdist the image builds from)."""
    out: list[str] = []
    skipping = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("--hash="):
            if not skipping:
                out.append(line)
            continue
        skipping = False
        head = line.rstrip(" \\")
        if line[:1].strip() and not line.startswith(("#", "-")):
            requirement = Requirement(head.split(";", 1)[0])
            version = str(next(iter(requirement.specifier)).version)
            if (canonicalize_name(requirement.name), version) in stand_ins:
                hashes = hashes_for(requirement.name, version, indexes)
                if not hashes:
                    raise BootstrapError(
                        f"{requirement.name}=={version}: no file with a sha256 on the index: "
                        "check the index serves hashes (PEP 503 #sha256= or PEP 691)"
                    )
                out.append(" \\\n".join([head, *(f"    --hash=sha256:{h}" for h in hashes)]))
                skipping = True
                continue
        out.append(line)
    return "\n".join(out) + "\n"


def bare_python() -> Path:
    """An interpreter with nothing installed, for uv to describe the target with: uv never builds
    anything (``--no-build``), and never finds the host's packages or downloads a Python."""
    home = cache_dir() / "bare-python"
    python = home / "bin" / "python"
    if not python.exists():
        cache_dir().mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".bare-", dir=cache_dir()))
        result = subprocess.run(
            [
                uv_binary(),
                "venv",
                "--quiet",
                "--no-config",
                "--python",
                sys.executable,
                str(staging),
            ],
            capture_output=True,
            text=True,
            env=tool_env(),
            check=False,
        )
        if result.returncode != 0:
            raise BootstrapError(f"creating the lock's empty interpreter failed: {result.stderr}")
        try:
            staging.rename(home)
        except OSError:  # another lock made it first
            shutil.rmtree(staging, ignore_errors=True)
    return python


#: uv processes under way in the resolving threads, so an interrupt can stop them at once
_RUNNING: set[subprocess.Popen[str]] = set()


def _run_uv(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    with subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=tool_env(),
    ) as process:
        _RUNNING.add(process)
        try:
            out, err = process.communicate()
        finally:
            _RUNNING.discard(process)
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def _preferences(previous: str, parsed: RequirementsIn) -> str:
    """The pins uv should keep when it can: the previous lock's, then the catalog's tested ones."""
    kept = pins_of(previous)
    lines = [f"{name}=={version}" for name, version in kept.items()]
    mine = {line.name for line in parsed.requirements() if line.user}
    for line in parsed.requirements():
        if line.catalog and line.name not in kept.keys() | mine and is_pinned(line.text):
            lines.append(line.text.split(";", 1)[0].strip())
    return "".join(f"{line}\n" for line in lines)


def lock_with_uv(
    project: Path,
    python: str,
    *,
    index: str,
    upgrade: bool = False,
    upgrade_packages: Sequence[str] = (),
    metadata: Sequence[Mapping[str, Any]] = (),
    command: str = "lock",
    where: str = "requirements.in",
) -> str:
    """Resolve for each of MACHINES with uv; return the merged lock body. A failure is explained
    for ``command`` (new, init, lock, add, update), naming requirements.in as ``where``.

    With none of the user's own requirements, the catalog's tested pins are locked as they are.
    Beside the user's requirements the catalog's lines become their records' ranges, and the
    tested pins (and the previous lock's) are only preferences: the user's pins always win.
    """
    project = project.resolve()  # uv runs in a scratch folder
    parsed = parse_requirements(in_text(project))
    relax = parsed.relaxing()
    wanted = parsed.for_lock()
    before = "" if upgrade else lock_text(project)
    keep = _preferences(before, parsed) if relax or before else ""
    metadata = list(metadata)
    with tempfile.TemporaryDirectory(prefix="bootstrap-lock-") as tmp:
        work = Path(tmp)
        source = work / "requirements.in"
        source.write_text(
            "".join(f"--extra-index-url {url}\n" for url in parsed.extra_index_urls)
            + "".join(
                (wanted[line.text] if line.kind == "requirement" else line.text) + "\n"
                for line in parsed.lines
                if (line.kind == "requirement" and line.text in wanted)
                or (line.kind == "url" and not VCS.match(line.text))
            ),
            encoding="utf-8",
        )

        uv, bare = uv_binary(), bare_python()  # once, before the threads (sysconfig is not safe)

        indexes = [index, *parsed.extra_index_urls]

        def compile_for(machine: str, prefer: str) -> str:
            output = work / f"{machine}.txt"
            own = work / machine  # a uv.toml per architecture: both resolve at once
            wheels = own / "stand-ins"
            wheels.mkdir(parents=True, exist_ok=True)
            declared = list(metadata)  # each thread its own: both may meet the same sdist
            for _attempt in range(SDIST_ROUNDS):
                with _LEARNED_LOCK:  # what the other architecture or an earlier lock read
                    have = {(canonicalize_name(e["name"]), e["version"]) for e in declared}
                    declared += [
                        e
                        for e in _LEARNED.get(index, [])
                        if (canonicalize_name(e["name"]), e["version"]) not in have
                    ]
                config = _uv_config(own, declared)
                for entry in declared:  # a source-only release, as a wheel holding only metadata
                    stand_in_wheel(wheels, entry)
                output.write_text(prefer, encoding="utf-8")
                argv = [
                    uv,
                    "pip",
                    "compile",
                    str(source),
                    "--config-file",
                    str(config),
                    "--python-version",
                    python,
                    "--python-platform",
                    f"{machine}-manylinux_{GLIBC}",
                    "--python",
                    str(bare),
                    # nothing is ever built on this machine: no setup.py, no build backend
                    "--no-build",
                    "--find-links",
                    str(wheels),
                    "--generate-hashes",
                    "--no-header",
                    "--index-url",
                    index,
                    "--index-strategy",
                    "unsafe-best-match",
                    "--no-python-downloads",
                    "--quiet",
                    "--output-file",
                    str(output),
                ]
                if upgrade:
                    argv.append("--upgrade")
                for name in upgrade_packages:
                    argv += ["--upgrade-package", name]
                result = _run_uv(argv, work)
                if result.returncode == 0:
                    break
                known = {(canonicalize_name(e["name"]), str(e["version"])) for e in declared}
                entries: list[dict[str, Any]] = []
                for name in dict.fromkeys(_WHEELS_REQUIRED.findall(result.stderr)):
                    # a release with no wheel: read its sdist's PKG-INFO as text, then retry
                    entries = _stand_ins_for(name, result.stderr, python, index, known)
                    if entries:
                        break
                if not entries:
                    raise explain_failure(result.stderr, parsed, python, where, command)
                declared += entries
                with _LEARNED_LOCK:
                    _LEARNED.setdefault(index, []).extend(entries)
            else:
                last = ", ".join(f"{e['name']}=={e['version']}" for e in declared[-3:])
                raise BootstrapError(
                    f"locking for Python {python}: the resolver met more than {SDIST_ROUNDS} "
                    "source-only releases whose metadata had to be read from their sdists "
                    f"(the last: {last}): pin the packages it backtracks through in "
                    "requirements.in, then run bootstrap lock"
                )
            stand_ins = {(canonicalize_name(e["name"]), str(e["version"])) for e in declared}
            text = output.read_text(encoding="utf-8")  # own: uv's output in the scratch folder
            return _real_hashes(text, stand_ins, indexes)

        # both architectures at once, from the same preferences; where they disagree on a pin
        # both need, the second resolves again preferring the first's (fewer per-machine pins)
        pool = ThreadPoolExecutor(max_workers=len(MACHINES))
        try:
            texts = list(pool.map(lambda m: compile_for(m, keep), MACHINES))
        except BaseException:  # Ctrl-C, SIGTERM or a failure: stop the other resolver too
            for process in list(_RUNNING):
                process.kill()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        results = dict(zip(MACHINES, texts, strict=True))
        first, *others = MACHINES
        for machine in others:
            ours, theirs = _blocks(results[first]), _blocks(results[machine])
            if any(ours[n][1] != theirs[n][1] for n in ours.keys() & theirs.keys()):
                results[machine] = compile_for(machine, results[first])
    return merge(results, origins_of(parsed, where))


def _extra_index_lines(project: Path) -> str:
    _requirements, extra = read_in(project)
    return "".join(f"--extra-index-url {url}\n" for url in extra)


def write_partial(project: Path, python: str, where: str = "requirements.in") -> None:
    """requirements.in's pins as requirements.txt, marked as not a full lock."""
    requirements, _extra = read_in(project)
    by_text = {line.text: line for line in parse_requirements(in_text(project)).requirements()}
    unpinned = []
    for text in requirements:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            raise UsageError(
                f"{where}: {text!r} is not a valid requirement: fix or remove it"
            ) from None
        specs = list(requirement.specifier)
        if len(specs) != 1 or specs[0].operator != "==" or "*" in specs[0].version:
            line = by_text.get(text)
            found = (line.source or f"{where}:{line.number}") if line else where
            unpinned.append(f"{text} ({found})")
    if unpinned:
        raise UsageError(
            f"{', '.join(unpinned)}: no exact version, and a lock without the index needs one: "
            "pin it there (NAME==VERSION) or lock where the index is reachable"
        )
    body = "".join(line + "\n" for line in requirements)
    text = PARTIAL_HEADER.format(python=python) + _extra_index_lines(project) + body
    write_file(project / "requirements.txt", text)


PROJECT_STEP = "requirements-project.txt"
PROJECT_HEADER = """\
# Installed in the image after requirements.txt, without dependencies (--no-deps): the project
# itself and the local paths requirements.in names, built in the image, never on the host (the
# dev container installs them when it is created: `-e` ones editable, from the mounted source){vcs}.
# Written by `bootstrap lock` from requirements.in; edit that file, not this one.
"""
VCS_NOTE = """; and
# requirements from version control, which a hashed lock cannot hold: NOT REPRODUCIBLE, they
# install whatever the branch or tag points at when the image is built"""


def write_project_step(folder: Path, root: Path) -> list[str]:
    """requirements-project.txt beside the lock: local paths (made relative to the project, which
    the image copies to its working directory) and VCS requirements; removed when there are none.
    Returns the warnings to show."""
    lines, warnings, vcs = _project_step(folder, root)
    target = folder / PROJECT_STEP
    if not lines:
        if target.is_file() and not target.is_symlink():
            ours = read_project_file(target, PROJECT_STEP).startswith("# Installed in")
            if ours:
                write_ops(folder, [Op(PROJECT_STEP, None)])
        return warnings
    header = PROJECT_HEADER.format(vcs=VCS_NOTE if vcs else "")
    write_file(target, header + "".join(f"{line}\n" for line in lines))
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return warnings


def _project_step(folder: Path, root: Path) -> tuple[list[str], list[str], bool]:
    """The lines of requirements-project.txt, the warnings, whether any is from version control;
    ``UsageError`` for a local path outside the project (checked before anything is written)."""
    parsed = parse_requirements(in_text(folder))
    lines, warnings = [], []
    for line in parsed.local():
        editable = re.match(r"^(-e|--editable)[\s=]+", line.text) is not None
        text = re.sub(r"^(-e|--editable)[\s=]+", "", line.text)
        name, at, target = text.rpartition("@") if "file:" in text else ("", "", text)
        path = target.strip()
        if path.startswith("file:"):
            path = urllib.request.url2pathname(urllib.parse.urlparse(path).path)
        absolute = Path(path).expanduser()
        absolute = absolute if absolute.is_absolute() else (root / absolute)
        try:
            relative = absolute.resolve().relative_to(root)
        except ValueError:
            raise UsageError(
                f"requirements.in:{line.number}: {line.text!r} is outside the project, so the "
                "image cannot install it: move it into the project or publish it to an index"
            ) from None
        where = "./" + relative.as_posix() if relative.parts else "."
        if editable:  # the dev container edits it in place: pip's own -e PATH form
            lines.append(f"-e {where}")
        else:
            lines.append(f"{name.strip()} @ file:{where}" if at else where)
    vcs = [line for line in parsed.urls() if VCS.match(line.text)]
    for line in vcs:
        lines.append(re.sub(r"^(-e|--editable)[\s=]+", "", line.text))
        warnings.append(
            f"requirements.in:{line.number}: {line.text} is not reproducible (no hash): "
            f"installed from {PROJECT_STEP}; publish it to an index and pin it to lock it"
        )
    return lines, warnings, bool(vcs)


def lock_project(
    project: Path,
    python: str,
    *,
    offline: bool = False,
    index: str | None = None,
    upgrade: bool = False,
    upgrade_packages: Sequence[str] = (),
    metadata: Sequence[Mapping[str, Any]] | None = None,
    command: str = "lock",
) -> LockResult:
    """Lock ``project`` for CPython ``python`` on Linux, or fall back to its curated pins.
    ``command`` is the one running (new, init, lock, add, update): errors suggest its flags."""
    root = project.resolve()
    project = requirements_dir(project)  # the root, or .devcontainer/ in an adopted project
    where = (project.resolve() / "requirements.in").relative_to(root).as_posix()
    read_in(project)  # refuses lines that would build the project's own code on this machine
    _project_step(project, root)  # refuses local paths outside the project, before any write
    start = time.monotonic()
    url = index_url(index)
    if offline:
        write_partial(project, python, where)
        write_project_step(project, root)
        return LockResult(
            False,
            time.monotonic() - start,
            "offline: requirements.txt has the curated pins of requirements.in (not a full lock)",
        )
    extra = parse_requirements(in_text(project)).extra_index_urls
    for candidate in [url, *extra]:  # the extra indexes too (PyTorch's CPU builds)
        if not reachable(candidate):
            write_partial(project, python, where)
            write_project_step(project, root)
            return LockResult(
                False,
                time.monotonic() - start,
                f"the package index {candidate.rstrip('/')} is unreachable: requirements.txt has "
                "the curated pins (not a full lock); run `bootstrap lock .` once it is reachable",
            )
    if metadata is None:
        metadata = catalog_metadata(load([]))
    if python.startswith("2."):
        body = lock_legacy(
            project,
            python,
            index=url,
            metadata=metadata,
            upgrade=upgrade,
            upgrade_packages=upgrade_packages,
            command=command,
            where=where,
        )
        machines = "x86_64; other architectures build from the hashed sdists"
    else:
        body = lock_with_uv(
            project,
            python,
            index=url,
            upgrade=upgrade,
            upgrade_packages=upgrade_packages,
            metadata=metadata,
            command=command,
            where=where,
        )
        machines = " and ".join(MACHINES)
    text = HEADER.format(python=python, machines=machines) + _extra_index_lines(project) + body
    write_file(project / "requirements.txt", text)
    write_project_step(project, root)
    return LockResult(True, time.monotonic() - start, "locked")


class Spinner:
    """Shows that locking is under way: a spinner on a terminal, one plain line otherwise."""

    FRAMES = "|/-\\"

    def __init__(self, message: str, stream: TextIO | None = None) -> None:
        self.message = message
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.start = 0.0

    def __enter__(self) -> Spinner:
        self.start = time.monotonic()
        if self.tty:
            self._thread = threading.Thread(target=self._spin, daemon=True)
            self._thread.start()
        else:
            print(f"{self.message} ...", file=self.stream, flush=True)
        return self

    def _spin(self) -> None:
        frame = 0
        while not self._stop.wait(0.1):
            elapsed = time.monotonic() - self.start
            char = self.FRAMES[frame % len(self.FRAMES)]
            self.stream.write(f"\r{char} {self.message} {elapsed:.1f} s")
            self.stream.flush()
            frame += 1

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self.stream.write("\r\033[K")
            self.stream.flush()
