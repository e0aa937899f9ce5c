"""Lock: requirements.in → requirements.txt, every package pinned with hashes, for the container.

Resolved with uv for the container's Python on Linux, never for the interpreter running bootstrap.
Offline, the curated pins the template wrote stay, marked as not a full lock.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bootstrap.errors import BootstrapError

DEFAULT_INDEX = "https://pypi.org/simple"
PLATFORM = "x86_64-manylinux_2_28"
HEADER = """\
# The lock: every package pinned with its hashes, resolved for Python {python} on Linux by
# `bootstrap lock` from requirements.in. Edit requirements.in, not this file.
"""


@dataclass(frozen=True)
class LockResult:
    full: bool
    seconds: float
    message: str


def index_url(explicit: str | None = None) -> str:
    """The index to lock against: the flag, then the user's pip/uv settings, then PyPI."""
    return (
        explicit
        or os.environ.get("UV_INDEX_URL")
        or os.environ.get("UV_DEFAULT_INDEX")
        or os.environ.get("PIP_INDEX_URL")
        or DEFAULT_INDEX
    )


def reachable(url: str, timeout: float = 5.0) -> bool:
    """A cheap look at the index, so air-gapped machines fall back at once."""
    probe = url.rstrip("/") + "/pip/"
    try:
        request = urllib.request.Request(probe, method="HEAD")
        with urllib.request.urlopen(request, timeout=timeout):
            return True
    except Exception:
        return False


def _uv() -> str:
    from uv import find_uv_bin

    return find_uv_bin()


def lock_with_uv(
    project: Path,
    python: str,
    *,
    index: str,
    upgrade: bool = False,
    upgrade_packages: tuple[str, ...] = (),
) -> None:
    output = project / "requirements.txt"
    command = [
        _uv(),
        "pip",
        "compile",
        "requirements.in",
        "--python-version",
        python,
        "--python-platform",
        PLATFORM,
        "--generate-hashes",
        "--no-header",
        "--no-annotate",
        "--index-url",
        index,
        "--index-strategy",
        "unsafe-best-match",
        "--quiet",
        "--output-file",
        "requirements.txt.new",
    ]
    if output.exists() and not upgrade:
        existing = output.read_text(encoding="utf-8")
        if "--hash=" in existing:
            # uv keeps pins from the previous lock unless asked to upgrade
            (project / "requirements.txt.new").write_text(existing, encoding="utf-8")
    if upgrade:
        command.append("--upgrade")
    for name in upgrade_packages:
        command += ["--upgrade-package", name]
    env = dict(os.environ)
    env.setdefault("UV_NO_CONFIG", "1")
    result = subprocess.run(
        command, cwd=project, capture_output=True, text=True, env=env, check=False
    )
    new = project / "requirements.txt.new"
    if result.returncode != 0:
        new.unlink(missing_ok=True)
        detail = (result.stderr or result.stdout).strip().splitlines()
        reason = next((line.strip() for line in detail if line.strip()), "unknown error")
        raise BootstrapError(f"locking requirements.in for Python {python} failed: {reason}")
    body = new.read_text(encoding="utf-8")
    new.unlink()
    extra = [
        line.strip()
        for line in (project / "requirements.in").read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("--extra-index-url")
    ]
    head = HEADER.format(python=python) + "".join(line + "\n" for line in extra)
    output.write_text(head + body, encoding="utf-8")


def lock_project(
    project: Path,
    python: str,
    *,
    offline: bool = False,
    index: str | None = None,
    upgrade: bool = False,
    upgrade_packages: tuple[str, ...] = (),
) -> LockResult:
    from bootstrap.layout import requirements_dir

    project = requirements_dir(project)  # the root, or .devcontainer/ in an adopted project
    start = time.monotonic()
    url = index_url(index)
    if python.startswith("2."):
        from bootstrap.lock_legacy import lock_legacy

        if offline or not reachable(url):
            return LockResult(
                False,
                time.monotonic() - start,
                "offline: requirements.txt keeps the catalog's curated pins (not a full lock)",
            )
        lock_legacy(project, python, index=url)
        return LockResult(True, time.monotonic() - start, "locked")
    if offline:
        return LockResult(
            False,
            0.0,
            "offline: requirements.txt keeps the catalog's curated pins (not a full lock)",
        )
    if not reachable(url):
        return LockResult(
            False,
            time.monotonic() - start,
            f"the package index {url} is unreachable: requirements.txt keeps the catalog's curated pins (not a full lock); run bootstrap lock . later",
        )
    lock_with_uv(project, python, index=url, upgrade=upgrade, upgrade_packages=upgrade_packages)
    return LockResult(True, time.monotonic() - start, "locked")
