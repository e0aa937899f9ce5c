"""Local stand-ins for the official base images that generated Dockerfiles name.

The test sandbox reaches Debian's mirrors but no container registry, so
``docker build`` of a generated project would fail at ``FROM python:...``.
Instead we debootstrap the matching Debian suite, dress it up the way the
official images are built (debuerreotype's slim config for ``debian:*-slim``,
Debian's own Python plus the official image's ENV/CMD for ``python:*-slim-*``)
and tag the result with the exact reference, so builds find it locally.

Debian bookworm ships only CPython 3.11, while the official
``python:3.8/3.9/3.12-slim-bookworm`` images are CPython built from source into
``/usr/local`` of ``debian:bookworm-slim``.  Their stand-ins copy a CPython that
pyenv built from source on a Debian bookworm host (``$PYENV_ROOT/versions/X.Y.Z``,
``--enable-shared``) into ``/usr/local`` of the bookworm rootfs and then do what the
official slim Dockerfile does after ``make install``: drop tests, ``*.pyc`` and
``libpython*.a``, keep only pip (plus setuptools and wheel below 3.12) in
site-packages, ``ldconfig``, keep the Debian packages whose libraries ``ldd``
finds the interpreter linked against (tkinter left out), add the
``python``/``pip`` symlinks and the image's ENV/CMD.  Differences from the official
image: the patch release is whatever pyenv built (not the newest); pip and
setuptools are the versions pyenv's ensurepip installed and wheel is Debian's
``python3-wheel-whl`` (the official image pins newer ones from PyPI); the
binaries are not stripped and not PGO-optimised, and their ELF RUNPATH still
names the pyenv prefix (absent in the image, so the loader falls back to
``ldconfig``'s ``/usr/local/lib``).  A recipe whose pyenv version is not on the
machine (or whose host is not bookworm) is unavailable: ``unavailable()`` says
why, and ``ensure_image`` raises ``Unavailable`` so that tests can skip.

Run ``python -m tests.support.standins REF [REF...]`` from the repository root
to build them ahead of time (no REF: all of the available ones).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import re
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
PYENV_ROOT = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))

# Releases whose official images use deb822 sources (bookworm and later).
_DEB822_SUITES = frozenset({"bookworm", "trixie", "forky"})


@dataclass(frozen=True)
class StandIn:
    """Recipe for one image: the Debian suite, and Debian's Python version if any.

    ``python=None`` means a plain ``debian:<suite>-slim``: minbase plus the
    slim configuration, nothing installed on top.  ``pyenv`` names the full
    version of a source-built CPython under ``$PYENV_ROOT/versions`` that is
    copied in instead of Debian's Python.
    """

    suite: str
    python: str | None = None
    pyenv: str | None = None

    @property
    def pyenv_tree(self) -> Path | None:
        """Where the source-built CPython of a pyenv recipe lives on this machine."""
        return None if self.pyenv is None else PYENV_ROOT / "versions" / self.pyenv

    @property
    def packages(self) -> list[str]:
        """What goes on top of minbase; mirrors the official python slim Dockerfile.

        ca-certificates, netbase and tzdata are what the official image installs
        itself; the rest is Debian's substitute for the source-built CPython
        (for a pyenv recipe, its runtime libraries are added by ``ensure_image``).
        """
        if self.python is None:
            return []
        if self.pyenv is not None:
            return ["ca-certificates", "netbase", "tzdata"]
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
    "python:3.8-slim-bookworm": StandIn("bookworm", "3.8", pyenv="3.8.18"),
    "python:3.9-slim-bookworm": StandIn("bookworm", "3.9", pyenv="3.9.18"),
    "python:3.11-slim-bookworm": StandIn("bookworm", "3.11"),
    "python:3.12-slim-bookworm": StandIn("bookworm", "3.12", pyenv="3.12.1"),
    "python:3.13-slim-trixie": StandIn("trixie", "3.13"),
    "debian:bullseye-slim": StandIn("bullseye"),
}


class Unavailable(RuntimeError):
    """A recipe that cannot be built on this machine (tests skip with its message)."""


def _host_suite() -> str | None:
    """The Debian codename of this machine, or None when it is not Debian."""
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return None
    match = re.search(r"^VERSION_CODENAME=\"?([a-z]+)", text, re.MULTILINE)
    return match.group(1) if match and "ID=debian" in text else None


def unavailable(ref: str) -> str | None:
    """Why ``ref``'s stand-in cannot be built here, or None when it can.

    A pyenv recipe needs that CPython on this machine and, since its binaries
    link the host's libraries, a host of the image's own Debian release.
    """
    spec = STANDINS.get(ref)
    if spec is None or spec.pyenv_tree is None:
        return None
    tree = spec.pyenv_tree
    if not (tree / "bin" / f"python{spec.python}").is_file():
        return f"{ref}: needs CPython {spec.pyenv} built by pyenv ({tree} is missing)"
    host = _host_suite()
    if host != spec.suite:
        return f"{ref}: {tree} must have been built on Debian {spec.suite} (this host: {host})"
    if shutil.which("dpkg-query") is None or shutil.which("ldd") is None:
        return f"{ref}: needs ldd and dpkg-query to find the libraries {tree} links"
    return None


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


# What the official image keeps in site-packages (pip, and below 3.12 setuptools and wheel).
_KEPT_SITE_PACKAGES = frozenset(
    {"pip", "setuptools", "pkg_resources", "_distutils_hack", "wheel", "README.txt"}
    | {"distutils-precedence.pth"}
)
_LDD_TARGET = re.compile(r"=>\s+(\S+)\s+\(0x[0-9a-f]+\)")


def _linked_files(root: Path, python: str) -> list[Path]:
    """The interpreter, libpython and the stdlib's extension modules (tkinter left out).

    The official Dockerfile also leaves tkinter out: its Tk/X11 libraries are
    not kept, so ``import tkinter`` fails there too.
    """
    lib = root / "lib"
    files = [
        root / "bin" / f"python{python}",
        *sorted(lib.glob("libpython*.so*")),
        *sorted((lib / f"python{python}" / "lib-dynload").glob("*.so")),
    ]
    return [f for f in files if f.is_file() and not f.is_symlink() and "tkinter" not in f.name]


def runtime_packages(spec: StandIn) -> list[str]:
    """Debian packages owning the libraries the pyenv CPython links (ldd + dpkg-query).

    The same derivation as the official Dockerfile's, run on the host that
    built the tree: every library ``ldd`` resolves outside the tree, mapped to
    its package.  A library the host cannot find makes the recipe unavailable.
    """
    assert spec.pyenv_tree is not None and spec.python is not None
    tree = spec.pyenv_tree
    libraries: set[str] = set()
    for path in _linked_files(tree, spec.python):
        output = _run(["ldd", str(path)], timeout=60)
        if "not found" in output:
            raise Unavailable(f"{path} links a library this host lacks:\n{output}")
        for match in _LDD_TARGET.finditer(output):
            target = match.group(1)
            if not target.startswith(str(tree) + "/"):
                libraries.add(target)
    # dpkg knows /lib/... or /usr/lib/... depending on the package (usrmerge): search both.
    patterns = sorted({"*" + re.sub(r"^/(usr/)?", "", lib) for lib in libraries})
    owners = _run(["dpkg-query", "--search", *patterns], timeout=60)
    packages: set[str] = set()
    for line in owners.splitlines():
        if line.startswith("diversion "):
            continue
        names, _, _ = line.partition(": ")
        packages.update(name.strip().split(":")[0] for name in names.split(","))
    return sorted(packages)


def _configured_prefix(spec: StandIn) -> str:
    """The --prefix the tree was configured with (what scripts and sysconfig name)."""
    assert spec.pyenv_tree is not None
    python = spec.pyenv_tree / "bin" / f"python{spec.python}"
    probe = "import sysconfig; print(sysconfig.get_config_var('prefix'))"
    return _run([str(python), "-c", probe], timeout=60).strip()


def stage_pyenv_tree(spec: StandIn, dest: Path) -> None:
    """Copy the pyenv CPython to ``dest`` (the image's /usr/local), trimmed like the official one.

    Removes what the official Dockerfile removes after ``make install`` (test
    directories, ``*.pyc``/``*.pyo``, ``libpython*.a``), keeps only pip,
    setuptools and wheel in site-packages (pyenv's tree may hold more, and
    host-specific ``.pth`` files), and rewrites the configured prefix to
    ``/usr/local`` in the text files naming it: script shebangs become
    ``/usr/local/bin/pythonX.Y``, and sysconfig, python-config and pkg-config
    describe /usr/local, so sdists compiled in the image find its headers.
    """
    assert spec.pyenv_tree is not None and spec.python is not None
    prefix = _configured_prefix(spec).encode()
    shutil.copytree(spec.pyenv_tree, dest, symlinks=True)
    site = dest / "lib" / f"python{spec.python}" / "site-packages"
    for entry in site.iterdir():
        top = entry.name
        if top.endswith((".dist-info", ".egg-info")):
            top = top.split("-")[0]
        if top not in _KEPT_SITE_PACKAGES:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    for folder, dirs, files in os.walk(dest, topdown=True):
        for name in list(dirs):
            if name in {"test", "tests", "idle_test"}:
                shutil.rmtree(Path(folder, name))
                dirs.remove(name)
        for name in files:
            path = Path(folder, name)
            if name.endswith((".pyc", ".pyo")) or re.fullmatch(r"libpython.*\.a", name):
                path.unlink()
                continue
            if path.is_symlink():
                continue
            data = path.read_bytes()
            if prefix in data and not data.startswith(b"\x7fELF"):
                path.write_bytes(data.replace(prefix, b"/usr/local"))


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


def _pyenv_setup(spec: StandIn, runtime: Sequence[str]) -> list[str]:
    """Shell for a pyenv recipe: what the official Dockerfile does after ``make install``."""
    python = spec.python
    assert python is not None
    packages = " ".join([*spec.packages, *runtime])
    lines = [
        f"apt-get install -y -qq --no-install-recommends {packages}",
        "ldconfig",
        # Every library the interpreter and its extension modules link must resolve.
        f"for f in /usr/local/bin/python{python} /usr/local/lib/libpython*.so*"
        f" /usr/local/lib/python{python}/lib-dynload/*.so; do",
        '    case "$f" in *tkinter*) continue ;; esac',
        '    if ldd "$f" | grep -F "not found"; then echo "unresolved in $f" >&2; exit 1; fi',
        "done",
        # The official image's python, pip, pydoc, idle and python-config symlinks.
        "for src in idle3 pip3 pydoc3 python3 python3-config; do",
        '    dst=$(echo "$src" | tr -d 3)',
        '    [ -s "/usr/local/bin/$src" ]',
        '    ln -sfT "$src" "/usr/local/bin/$dst"',
        "done",
    ]
    if tuple(map(int, python.split("."))) < (3, 12):
        # Below 3.12 the official image also has wheel; Debian's wheel for venvs stands in.
        lines += [
            "apt-get install -y -qq --no-install-recommends python3-wheel-whl",
            "set -- /usr/share/python-wheels/wheel-*.whl",
            f"PYTHONDONTWRITEBYTECODE=1 python{python} -m pip install --disable-pip-version-check"
            ' --no-index --no-cache-dir --no-compile "$1"',
            "apt-get purge -y -qq --auto-remove python3-wheel-whl",
        ]
    lines += [
        f"python3 --version | grep -F 'Python {python}.'",
        f"pip --version | grep -F /usr/local/lib/python{python}/",
        "python -c 'import ssl, sqlite3, ctypes, lzma, bz2, readline, uuid, zlib, decimal'",
    ]
    return lines


def _setup_script(spec: StandIn, runtime: Sequence[str] = ()) -> str:
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
    if spec.pyenv is not None:
        lines += _pyenv_setup(spec, runtime)
    elif spec.python is not None:
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


def _dockerfile(base: str, *, usr_local: bool = False) -> str:
    """One RUN step; the bind mount (BuildKit) keeps setup.sh itself out of the image.

    ``usr_local``: first copy the staged CPython tree into /usr/local.
    """
    copy = "COPY usr-local/ /usr/local/\n" if usr_local else ""
    return (
        f"FROM {base}\n{copy}"
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
    """Make ``ref`` exist locally, building its stand-in if needed (no-op when present).

    Raises ``Unavailable`` when the recipe cannot be built on this machine.
    """
    if _image_exists(ref, docker):
        return
    try:
        spec = STANDINS[ref]
    except KeyError:
        raise KeyError(f"no stand-in recipe for {ref!r}; known: {sorted(STANDINS)}") from None
    reason = unavailable(ref)
    if reason is not None:
        raise Unavailable(reason)
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
                runtime: list[str] = []
                if spec.pyenv is not None:
                    runtime = runtime_packages(spec)
                    _log(f"staging {spec.pyenv_tree} as /usr/local")
                    stage_pyenv_tree(spec, context / "usr-local")
                (context / "setup.sh").write_text(_setup_script(spec, runtime))
                (context / "Dockerfile").write_text(
                    _dockerfile(base, usr_local=spec.pyenv is not None)
                )
                installed = " ".join([*spec.packages, *runtime]) or "nothing"
                _log(f"docker build (apt-get install {installed})")
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
        help=f"image references (default: all of {sorted(STANDINS)} that can be built here)",
    )
    parser.add_argument(
        "--docker", default=DEFAULT_DOCKER, help="docker client to use (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    if not shutil.which(args.docker):
        parser.error(f"{args.docker} not found; run .ci/docker.sh first")
    for ref in args.refs or list(STANDINS):
        try:
            ensure_image(ref, args.docker)
        except Unavailable as exc:
            if args.refs:  # asked for by name: that is an error
                _log(f"unavailable: {exc}")
                return 1
            _log(f"skipped (unavailable): {exc}")
            continue
        _log(f"ready: {ref}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
