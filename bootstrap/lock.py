"""Lock: requirements.in → requirements.txt, every package pinned with hashes, for the container.

Python 3 locks are resolved by uv for the container's Python on Linux, never for the interpreter
running bootstrap: once for x86_64 and once for aarch64 (preferring the first's pins), merged into
one file that installs on both. Python 2.7 goes through `bootstrap.lock_legacy`. Offline, or when
the index cannot be reached, requirements.txt holds requirements.in's pins, marked as not a full
lock, and nothing touches the network.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from bootstrap.errors import BootstrapError, UsageError
from bootstrap.safe_io import atomic_write, read_project_file

DEFAULT_INDEX = "https://pypi.org/simple"
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


def uv_binary() -> str:
    from uv import find_uv_bin

    return find_uv_bin()


def index_url(explicit: str | None = None) -> str:
    """The index to lock against: the flag, then the user's uv/pip settings, then PyPI."""
    return (
        explicit
        or os.environ.get("UV_INDEX_URL")
        or os.environ.get("UV_DEFAULT_INDEX")
        or os.environ.get("PIP_INDEX_URL")
        or DEFAULT_INDEX
    ).rstrip("/")


def reachable(url: str, timeout: float = 5.0) -> bool:
    """One cheap request to the index, so air-gapped machines fall back at once.

    Any HTTP answer (even 401 or 404) means the index is there; a refused or timed-out connection
    means it is not. A TLS failure is neither: the user must fix the CA, so it raises.
    """
    import ssl

    from bootstrap.lock_legacy import ssl_context

    probe = url.rstrip("/") + "/pip/"
    try:
        request = urllib.request.Request(probe, method="HEAD")
        with urllib.request.urlopen(request, timeout=timeout, context=ssl_context()):
            return True
    except urllib.error.HTTPError:
        return True
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ssl.SSLCertVerificationError):
            raise BootstrapError(
                f"the package index {url} presents a certificate this machine does not trust: "
                "point SSL_CERT_FILE at your organisation's CA bundle (PEM)"
            ) from None
        return False
    except (OSError, ValueError):
        return False


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


def _blocks(text: str) -> dict[str, tuple[str, str, list[str]]]:
    """uv's output as canonical name → (name, version, hashes)."""
    out: dict[str, tuple[str, str, list[str]]] = {}
    for logical in text.replace("\\\n", " ").splitlines():
        logical = logical.split(" #", 1)[0].strip()
        if not logical or logical.startswith(("#", "-")):
            continue
        head, *hashes = re.split(r"\s+--hash=sha256:", logical)
        requirement = Requirement(head.split(";", 1)[0])
        version = str(next(iter(requirement.specifier)).version)
        out[canonicalize_name(requirement.name)] = (requirement.name, version, sorted(hashes))
    return out


def merge(per_machine: Mapping[str, str]) -> str:
    """One lock from per-architecture resolutions; a pin needed on one architecture only, or
    differing between them, carries a `platform_machine` marker."""
    parsed = {machine: _blocks(text) for machine, text in per_machine.items()}
    names = sorted({name for blocks in parsed.values() for name in blocks})
    out = []
    for name in names:
        variants: dict[tuple[str, str], list[str]] = {}
        hashes: dict[tuple[str, str], list[str]] = {}
        for machine, blocks in parsed.items():
            if name in blocks:
                shown, version, files = blocks[name]
                variants.setdefault((shown, version), []).append(machine)
                hashes[(shown, version)] = files
        for (shown, version), machines in variants.items():
            line = f"{shown}=={version}"
            if len(machines) < len(parsed):
                line += " ; " + " or ".join(f"platform_machine == '{m}'" for m in machines)
            lines = [line] + [f"    --hash=sha256:{h}" for h in hashes[(shown, version)]]
            out.append(" \\\n".join(lines) + "\n")
    return "".join(out)


def _run_uv(command: list[str], cwd: Path, python: str) -> None:
    from bootstrap.lock_legacy import tool_env

    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, env=tool_env(), check=False
    )
    if result.returncode != 0:
        detail = [line.strip() for line in (result.stderr or result.stdout).splitlines()]
        reasons = [line for line in detail if line and not line.startswith(("×", "╰", "help:"))]
        reason = " ".join(reasons[:3]) or "unknown error"
        raise BootstrapError(
            f"locking requirements.in for Python {python} failed: {reason}: "
            "fix requirements.in (a version that exists for this Python), then run bootstrap lock"
        )


def lock_with_uv(
    project: Path,
    python: str,
    *,
    index: str,
    upgrade: bool = False,
    upgrade_packages: Sequence[str] = (),
    metadata: Sequence[Mapping[str, Any]] = (),
) -> str:
    """Resolve for each of MACHINES with uv; return the merged lock body."""
    project = project.resolve()  # uv runs in a scratch folder
    previous = project / "requirements.txt"
    # uv keeps the pins of the previous lock (or the curated pins) unless asked to upgrade
    keep = (
        read_project_file(previous, "requirements.txt")
        if previous.is_file() and not upgrade
        else ""
    )
    results: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="bootstrap-lock-") as tmp:
        work = Path(tmp)
        config = _uv_config(work, metadata)
        for machine in MACHINES:
            output = work / f"{machine}.txt"
            output.write_text(keep, encoding="utf-8")
            command = [
                uv_binary(),
                "pip",
                "compile",
                str(project / "requirements.in"),
                "--config-file",
                str(config),
                "--python-version",
                python,
                "--python-platform",
                f"{machine}-manylinux_{GLIBC}",
                "--generate-hashes",
                "--no-header",
                "--no-annotate",
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
                command.append("--upgrade")
            for name in upgrade_packages:
                command += ["--upgrade-package", name]
            _run_uv(command, work, python)
            results[machine] = output.read_text(encoding="utf-8")
            keep = results[machine]  # the next architecture prefers the same pins
    return merge(results)


def _extra_index_lines(project: Path) -> str:
    from bootstrap.lock_legacy import read_in

    _requirements, extra = read_in(project)
    return "".join(f"--extra-index-url {url}\n" for url in extra)


def write_partial(project: Path, python: str) -> None:
    """requirements.in's pins as requirements.txt, marked as not a full lock."""
    from bootstrap.lock_legacy import read_in

    requirements, _extra = read_in(project)
    unpinned = []
    for line in requirements:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            raise UsageError(
                f"requirements.in: {line!r} is not a valid requirement: fix or remove it"
            ) from None
        specs = list(requirement.specifier)
        if len(specs) != 1 or specs[0].operator != "==" or "*" in specs[0].version:
            unpinned.append(requirement.name)
    if unpinned:
        raise UsageError(
            f"requirements.in: {', '.join(unpinned)} has no exact version, and a lock without the "
            "index needs one: pin it (NAME==VERSION) or lock where the index is reachable"
        )
    body = "".join(line + "\n" for line in requirements)
    text = PARTIAL_HEADER.format(python=python) + _extra_index_lines(project) + body
    atomic_write(project / "requirements.txt", text)


def lock_project(
    project: Path,
    python: str,
    *,
    offline: bool = False,
    index: str | None = None,
    upgrade: bool = False,
    upgrade_packages: Sequence[str] = (),
    metadata: Sequence[Mapping[str, Any]] | None = None,
) -> LockResult:
    """Lock ``project`` for CPython ``python`` on Linux, or fall back to its curated pins."""
    from bootstrap.layout import requirements_dir

    project = requirements_dir(project)  # the root, or .devcontainer/ in an adopted project
    from bootstrap.lock_legacy import read_in

    read_in(project)  # refuses lines that would build the project's own code on this machine
    start = time.monotonic()
    url = index_url(index)
    if offline:
        write_partial(project, python)
        return LockResult(
            False,
            time.monotonic() - start,
            "offline: requirements.txt has the curated pins of requirements.in (not a full lock)",
        )
    if not reachable(url):
        write_partial(project, python)
        return LockResult(
            False,
            time.monotonic() - start,
            f"the package index {url} is unreachable: requirements.txt has the curated pins "
            "(not a full lock); run `bootstrap lock .` once it is reachable",
        )
    if metadata is None:
        from bootstrap.catalog import load

        metadata = catalog_metadata(load([]))
    if python.startswith("2."):
        from bootstrap.lock_legacy import lock_legacy

        body = lock_legacy(
            project,
            python,
            index=url,
            metadata=metadata,
            upgrade=upgrade,
            upgrade_packages=upgrade_packages,
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
        )
        machines = " and ".join(MACHINES)
    text = HEADER.format(python=python, machines=machines) + _extra_index_lines(project) + body
    atomic_write(project / "requirements.txt", text)
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
