"""Local stand-ins for the official base images that generated Dockerfiles name.

The test sandbox reaches Debian's mirrors but no container registry, so
``docker build`` of a generated project would fail at ``FROM python:...``.
Instead we debootstrap the matching Debian suite, dress it up the way the
official images are built (debuerreotype's slim config for ``debian:*-slim``,
Debian's own Python plus the official image's ENV/CMD for ``python:*-slim-*``)
and tag the result with the exact reference, so builds find it locally.

Run ``python -m tests.support.standins REF [REF...]`` from the repository root
to build them ahead of time (no REF: all of them).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

DEFAULT_DOCKER = "/usr/bin/docker"
#: Only used to fetch packages; the images' own apt sources always name
#: deb.debian.org like the official images do.
MIRROR = os.environ.get("BOOTSTRAP_CI_DEBIAN_MIRROR", "http://deb.debian.org/debian")
CACHE_DIR = Path(os.environ.get("BOOTSTRAP_CI_CACHE", Path.home() / ".cache" / "bootstrap-ci"))
ROOTFS_IMAGE = "bootstrap-ci/rootfs"  # intermediate image: raw debootstrap, one tag per suite
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Releases whose official images use deb822 sources (bookworm and later).
_DEB822_SUITES = frozenset({"bookworm", "trixie", "forky"})


@dataclass(frozen=True)
class StandIn:
    """Recipe for one image: the Debian suite, and Debian's Python version if any.

    ``python=None`` means a plain ``debian:<suite>-slim``: minbase plus the
    slim configuration, nothing installed on top.
    """

    suite: str
    python: str | None = None

    @property
    def packages(self) -> list[str]:
        """What goes on top of minbase; mirrors the official python slim Dockerfile.

        ca-certificates, netbase and tzdata are what the official image installs
        itself; the rest is Debian's substitute for the source-built CPython.
        """
        if self.python is None:
            return []
        return [
            "ca-certificates",
            "netbase",
            "tzdata",
            "python3",
            f"python{self.python}",
            "python3-pip-whl",
            "python3-venv",
        ]


STANDINS: dict[str, StandIn] = {
    "python:3.11-slim-bookworm": StandIn("bookworm", "3.11"),
    "python:3.13-slim-trixie": StandIn("trixie", "3.13"),
    "debian:bullseye-slim": StandIn("bullseye"),
}


def _log(message: str) -> None:
    """Progress goes to stderr so that it shows up live even under pytest -s."""
    print(f"[standins] {message}", file=sys.stderr, flush=True)


def _as_root(cmd: Sequence[str]) -> list[str]:
    """debootstrap and the rootfs cleanup need root; use sudo on hosted CI runners."""
    return list(cmd) if os.geteuid() == 0 else ["sudo", "-n", *cmd]


def _run(cmd: Sequence[str], *, timeout: float = 900, env: dict[str, str] | None = None) -> str:
    """Run quietly, but show the tail of the output when it fails (it is the diagnosis)."""
    proc = subprocess.run(
        list(cmd),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-40:])
        raise RuntimeError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{tail}")
    return proc.stdout


def _image_exists(ref: str, docker: str) -> bool:
    """``docker image inspect`` is the cheap local-only check (never pulls)."""
    proc = subprocess.run(
        [docker, "image", "inspect", ref],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return proc.returncode == 0


@contextlib.contextmanager
def _lock() -> Iterator[None]:
    """Serialise builds: parallel test workers would otherwise debootstrap twice."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / "standins.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _mounts_under(path: Path) -> list[str]:
    """Mount points below ``path``; debootstrap mounts /proc and /sys while it runs."""
    prefix = str(path.resolve()) + "/"
    mounts: list[str] = []
    with open("/proc/mounts") as handle:
        for line in handle:
            point = line.split()[1].replace("\\040", " ")
            if point.startswith(prefix):
                mounts.append(point)
    return sorted(mounts, key=len, reverse=True)


def _remove_tree(path: Path) -> None:
    """Delete a debootstrap target, never recursing into a still-mounted /proc or /sys."""
    for point in _mounts_under(path):
        subprocess.run(_as_root(["umount", "-l", point]), check=False)
    if _mounts_under(path):
        raise RuntimeError(f"refusing to delete {path}: still has mounts {_mounts_under(path)}")
    _run(_as_root(["rm", "-rf", "--one-file-system", str(path)]), timeout=300)


# Files that make the tarball host-specific or merely bulky (after debuerreotype's .tar-exclude).
_TAR_EXCLUDES = [
    "./proc/*",
    "./sys/*",
    "./etc/machine-id",
    "./var/cache/apt/*.bin",
    "./var/cache/apt/archives/*.deb",
    "./var/lib/apt/lists/*Packages*",
    "./var/lib/apt/lists/*Release*",
    "./var/lib/apt/lists/lock",
    "./var/log/bootstrap.log",
    "./var/log/dpkg.log",
    "./var/log/alternatives.log",
    "./var/log/apt/history.log",
    "./var/log/apt/term.log",
    "./var/cache/ldconfig/aux-cache",
]


def rootfs_tarball(suite: str) -> Path:
    """Return a cached minbase tarball for ``suite``, debootstrapping it on first use.

    Cached because debootstrap is the slow part (~25 s) and two stand-ins
    share bullseye.  Written under a temporary name and renamed, so an
    interrupted run never leaves a truncated cache entry.
    """
    target = CACHE_DIR / "rootfs" / f"{suite}.tar"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"{suite}.", dir=target.parent))
    rootfs = workdir / "rootfs"
    partial = workdir / f"{suite}.tar"
    try:
        started = time.monotonic()
        _log(f"debootstrap --variant=minbase {suite} from {MIRROR}")
        _run(
            _as_root(["debootstrap", "--variant=minbase", suite, str(rootfs), MIRROR]),
            timeout=1200,
        )
        # debootstrap copies the host's hostname and resolv.conf; Docker bind-mounts
        # both at run time, so they must be fixed here (a RUN step cannot change them).
        _run(
            _as_root(
                [
                    "sh",
                    "-c",
                    'echo debuerreotype > "$1/etc/hostname";'
                    ' printf "nameserver 1.1.1.1\\nnameserver 1.0.0.1\\n" > "$1/etc/resolv.conf"',
                    "sh",
                    str(rootfs),
                ]
            )
        )
        excludes = [f"--exclude={pattern}" for pattern in _TAR_EXCLUDES]
        _run(
            _as_root(
                [
                    "tar",
                    "--numeric-owner",
                    "--xattrs",
                    *excludes,
                    "-C",
                    str(rootfs),
                    "-cf",
                    str(partial),
                    ".",
                ]
            ),
            timeout=600,
        )
        _run(_as_root(["chown", f"{os.getuid()}:{os.getgid()}", str(partial)]))
        partial.rename(target)
        size_mb = target.stat().st_size / 1e6
        _log(f"cached {target} ({size_mb:.0f} MB) in {time.monotonic() - started:.0f} s")
        return target
    finally:
        _remove_tree(workdir)


def _sources(suite: str) -> str:
    """Shell that writes apt sources exactly like the official image of ``suite``."""
    if suite in _DEB822_SUITES:
        body = (
            "Types: deb\n"
            "URIs: http://deb.debian.org/debian\n"
            f"Suites: {suite} {suite}-updates\n"
            "Components: main\n"
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
            "\n"
            "Types: deb\n"
            "URIs: http://deb.debian.org/debian-security\n"
            f"Suites: {suite}-security\n"
            "Components: main\n"
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
        )
        return (
            "rm -f /etc/apt/sources.list\n"
            f"cat > /etc/apt/sources.list.d/debian.sources <<'EOF'\n{body}EOF\n"
        )
    body = (
        f"deb http://deb.debian.org/debian {suite} main\n"
        f"deb http://deb.debian.org/debian-security {suite}-security main\n"
        f"deb http://deb.debian.org/debian {suite}-updates main\n"
    )
    return f"cat > /etc/apt/sources.list <<'EOF'\n{body}EOF\n"


# debuerreotype-minimizing-config and debuerreotype-slimify, condensed: these are
# what make debian:*-slim (and the python:*-slim images built on it) differ from
# a bare minbase -- no docs, man pages or translations, apt caches cleaned.
_SLIM_CONFIG = r"""
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod 0755 /usr/sbin/policy-rc.d
echo force-unsafe-io > /etc/dpkg/dpkg.cfg.d/docker-apt-speedup
echo 'Apt::AutoRemove::SuggestsImportant "false";' > /etc/apt/apt.conf.d/docker-autoremove-suggests
clean='"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb'
clean="$clean"' /var/cache/apt/*.bin || true";'
cat > /etc/apt/apt.conf.d/docker-clean <<EOF
DPkg::Post-Invoke { $clean };
APT::Update::Post-Invoke { $clean };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'Acquire::GzipIndexes "true";' > /etc/apt/apt.conf.d/docker-gzip-indexes
echo 'Acquire::Languages "none";' > /etc/apt/apt.conf.d/docker-no-languages
chmod 0644 /etc/dpkg/dpkg.cfg.d/docker-apt-speedup /etc/apt/apt.conf.d/docker-*

cat > /etc/dpkg/dpkg.cfg.d/docker <<'EOF'
# This is the "slim" variant of the Debian base image.
# Many files which are normally unnecessary in containers are excluded,
# and this configuration file keeps them that way.
path-exclude /usr/share/doc/*
path-exclude /usr/share/doc/kde/HTML/*/*
path-exclude /usr/share/gnome/help/*/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
path-exclude /usr/share/omf/*/*-*.emf

path-include /usr/share/doc/*/copyright
path-include /usr/share/doc/kde/HTML/C/*
path-include /usr/share/gnome/help/*/C/*
path-include /usr/share/locale/all_languages
path-include /usr/share/locale/currency/*
path-include /usr/share/locale/l10n/*
path-include /usr/share/locale/languages
path-include /usr/share/locale/locale.alias
path-include /usr/share/omf/*/*-C.emf
EOF
chmod 0644 /etc/dpkg/dpkg.cfg.d/docker

mandirs=$(ls -d /usr/share/man/man[0-9] 2>/dev/null || true)
for dir in /usr/share/doc /usr/share/info /usr/share/linda /usr/share/lintian/overrides \
           /usr/share/locale /usr/share/man; do
    [ -d "$dir" ] || continue
    find "$dir" -depth -mindepth 1 -not \( -type d -o -type l \) \
        -not \( -path '/usr/share/doc/*/copyright' -o -path /usr/share/locale/all_languages \
                -o -path '/usr/share/locale/currency/*' -o -path '/usr/share/locale/l10n/*' \
                -o -path /usr/share/locale/languages -o -path /usr/share/locale/locale.alias \) \
        -exec rm -f '{}' +
    while [ "$(find "$dir" -depth -mindepth 1 \( -empty -o -xtype l \) \
               -exec rm -rf '{}' ';' -printf . | wc -c)" -gt 0 ]; do :; done
done
# dpkg fails to unpack into missing man dirs (debuerreotype issue #10)
[ -z "$mandirs" ] || mkdir -p $mandirs
"""


def _setup_script(spec: StandIn) -> str:
    """The single RUN step that turns raw minbase into the stand-in image."""
    lines = [
        "set -eux",
        "export DEBIAN_FRONTEND=noninteractive",
        _SLIM_CONFIG,
        _sources(spec.suite),
        "apt-get update -qq",
        # The official images are rebuilt with every security update.
        "apt-get full-upgrade -y -qq",
    ]
    if spec.python is not None:
        packages = " ".join(spec.packages)
        lines += [
            f"apt-get install -y -qq --no-install-recommends {packages}",
            # The official image's CPython is not Debian-managed: pip may install
            # system-wide without --break-system-packages (PEP 668).
            "rm -f /usr/lib/python3*/EXTERNALLY-MANAGED",
            # The official image's pip lives in /usr/local with its dependencies vendored; Debian's
            # python3-pip would bring Debian-owned packages (packaging, wheel) that pip cannot
            # uninstall when a lock pins other versions (uninstall-no-record-file). Install the
            # wheel Debian ships for venvs instead, as the official image installs pip.
            "set -- /usr/share/python-wheels/pip-*.whl",
            'python3 "$1/pip" install --no-index --no-cache-dir "$1"',
            "hash -r",
            # The official image has `python` on PATH, Debian only python3.
            "ln -sf /usr/bin/python3 /usr/local/bin/python",
            "pip --version | grep -F /usr/local/lib/",
            f"python3 --version | grep -F 'Python {spec.python}.'",
        ]
    lines += [
        "apt-get clean",
        "rm -rf /var/lib/apt/lists/* /var/log/apt/*.log /var/log/dpkg.log /var/log/alternatives.log"
        " /var/cache/ldconfig/aux-cache /var/cache/debconf/*-old /var/lib/dpkg/*-old",
    ]
    return "\n".join(lines) + "\n"


def _dockerfile(base: str) -> str:
    """One RUN step; the bind mount (BuildKit) keeps setup.sh itself out of the image."""
    return (
        f"FROM {base}\n"
        "RUN --mount=type=bind,source=setup.sh,target=/tmp/setup.sh sh /tmp/setup.sh\n"
    )


def _image_config(spec: StandIn, python_version: str | None) -> list[str]:
    """Config of the official images (their Dockerfiles' ENV and CMD), as import --change."""
    if spec.python is None:
        return [f"ENV PATH={DEFAULT_PATH}", 'CMD ["bash"]']
    changes = [f"ENV PATH=/usr/local/bin:{DEFAULT_PATH}", "ENV LANG=C.UTF-8"]
    if python_version:
        changes.append(f"ENV PYTHON_VERSION={python_version}")
    return [*changes, 'CMD ["python3"]']


def _flatten(docker: str, source: str, ref: str, changes: Sequence[str]) -> None:
    """Export ``source`` into a single-layer ``ref``.

    Like the official images, the result is one layer without the files the
    slim step deleted, and no half-built images are left dangling.
    """
    container = _run([docker, "create", source, "true"], timeout=120).strip().splitlines()[-1]
    try:
        importer = [docker, "import", *(f"--change={change}" for change in changes), "-", ref]
        with subprocess.Popen(
            [docker, "export", container], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE
        ) as export:
            _run_stdin(importer, export.stdout)
        if export.returncode != 0:
            raise RuntimeError(f"docker export {container} failed ({export.returncode})")
    finally:
        subprocess.run([docker, "rm", "-f", container], capture_output=True, check=False)


def _run_stdin(cmd: Sequence[str], stdin: IO[bytes] | None) -> None:
    """Like _run, fed from a pipe (docker import reading docker export)."""
    proc = subprocess.run(list(cmd), stdin=stdin, capture_output=True, timeout=900, check=False)
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace")[-2000:]
        raise RuntimeError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{message}")


def ensure_image(ref: str, docker: str = DEFAULT_DOCKER) -> None:
    """Make ``ref`` exist locally, building its stand-in if needed (no-op when present)."""
    if _image_exists(ref, docker):
        return
    try:
        spec = STANDINS[ref]
    except KeyError:
        raise KeyError(f"no stand-in recipe for {ref!r}; known: {sorted(STANDINS)}") from None
    with _lock():
        if _image_exists(ref, docker):  # another worker built it while we waited
            return
        started = time.monotonic()
        _log(f"building stand-in {ref} (Debian {spec.suite}, python {spec.python or '-'})")
        base = f"{ROOTFS_IMAGE}:{spec.suite}"
        if not _image_exists(base, docker):
            tarball = rootfs_tarball(spec.suite)
            _log(f"docker import {tarball.name} -> {base}")
            _run([docker, "import", str(tarball), base], timeout=600)
        stage = f"{ROOTFS_IMAGE}:stage-{spec.suite}-{spec.python or 'none'}"
        try:
            with tempfile.TemporaryDirectory(prefix="standin-") as tmp:
                context = Path(tmp)
                (context / "setup.sh").write_text(_setup_script(spec))
                (context / "Dockerfile").write_text(_dockerfile(base))
                _log(f"docker build (apt-get install {' '.join(spec.packages) or 'nothing'})")
                env = {**os.environ, "DOCKER_BUILDKIT": "1"}
                _run([docker, "build", "--progress=plain", "-t", stage, tmp], env=env)
            version = None
            if spec.python is not None:
                # The official image advertises its version; known only after install.
                probe = "import platform; print(platform.python_version())"
                version = _run([docker, "run", "--rm", stage, "python3", "-c", probe]).strip()
            _log(f"flattening into {ref}")
            _flatten(docker, stage, ref, _image_config(spec, version))
        finally:
            subprocess.run([docker, "rmi", stage], capture_output=True, check=False)
        _log(f"built {ref} in {time.monotonic() - started:.0f} s")


def main(argv: Sequence[str] | None = None) -> int:
    """CLI for warming the images before a test run (or in a CI setup step)."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.standins",
        description="Build local stand-ins for official base images.",
    )
    parser.add_argument(
        "refs",
        nargs="*",
        metavar="REF",
        help=f"image references (default: all of {sorted(STANDINS)})",
    )
    parser.add_argument(
        "--docker", default=DEFAULT_DOCKER, help="docker client to use (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    if not shutil.which(args.docker):
        parser.error(f"{args.docker} not found; run .ci/docker.sh first")
    for ref in args.refs or list(STANDINS):
        ensure_image(ref, args.docker)
        _log(f"ready: {ref}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
