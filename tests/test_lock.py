"""Pinned means locked: full hashed locks for the container's Python, proven installable.

A lock is checked by pip (not by uv, which made it) for the lock's own target: pip runs with the
target's Python version, ABI, platforms and marker environment, with --require-hashes, so any
package the lock forgot, or any hash that does not match the file, fails the check. Packages
published as sdists only (pyspark: 450 MB) are checked without downloading them: their sha256 is
compared with the index's, and their dependencies, read from the sdist's own PKG-INFO (the first
megabytes of the archive), must be pinned in the lock.
"""

from __future__ import annotations

import json
import re
import textwrap
import urllib.request
import zlib
from pathlib import Path

import pytest
from helpers import run, snapshot
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from bootstrap.index import ssl_context
from bootstrap.lock_legacy import SIMPLE_JSON, Target, file_version, run_pip

PYPI = "https://pypi.org/simple"
DEAD_INDEX = "http://127.0.0.1:9/simple"  # the discard port: nothing listens, refused at once


# ---------------------------------------------------------------- the completeness check


def parse_lock(text: str) -> list[dict]:
    """Each pin of a lock: name, version, marker (or None), hashes, and its text block."""
    out = []
    for block in re.split(r"\n(?=\S)", text):
        logical = block.replace("\\\n", " ")
        head = logical.split("--hash", 1)[0].strip()
        if not head or head.startswith(("#", "-")):
            continue
        requirement = Requirement(head)
        spec = next(iter(requirement.specifier))
        assert spec.operator == "==", head
        out.append(
            {
                "name": canonicalize_name(requirement.name),
                "version": spec.version,
                "marker": requirement.marker,
                "hashes": re.findall(r"--hash=sha256:([0-9a-f]{64})", logical),
                "block": block.rstrip("\n") + "\n",
            }
        )
    return out


def index_listing(name: str) -> list[dict]:
    request = urllib.request.Request(f"{PYPI}/{name}/", headers={"Accept": SIMPLE_JSON})
    with urllib.request.urlopen(request, timeout=60, context=ssl_context()) as response:
        return json.load(response)["files"]


def sdist_requires(url: str) -> list[Requirement]:
    """Requires-Dist from an sdist's PKG-INFO, reading only the archive's first megabytes."""
    request = urllib.request.Request(url, headers={"Range": "bytes=0-4194303"})
    with urllib.request.urlopen(request, timeout=120, context=ssl_context()) as response:
        raw = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(response.read())
    offset = 0
    while offset + 512 <= len(raw):
        header = raw[offset : offset + 512]
        name = header[:100].rstrip(b"\0").decode()
        size = int(header[124:136].rstrip(b"\0 ").decode() or "0", 8)
        if name.endswith("/PKG-INFO") and name.count("/") == 1:
            body = raw[offset + 512 : offset + 512 + size].decode()
            return [
                Requirement(line.split(":", 1)[1].strip())
                for line in body.splitlines()
                if line.startswith("Requires-Dist:")
            ]
        offset += 512 + (size + 511) // 512 * 512
    raise AssertionError(f"no PKG-INFO in the first 4 MB of {url}")


def check_lock(lock: Path, python: str, machine: str, work: Path, *, download: bool) -> list[str]:
    """Problems that keep ``lock`` from installing on CPython ``python`` / Linux ``machine``.

    ``download``: pip downloads every wheel and checks its bytes against the lock; otherwise pip
    resolves (install --dry-run) and matches the hashes the index advertises.
    """
    target = Target(python, machine)
    environment = target.markers()
    pins = [
        p
        for p in parse_lock(lock.read_text())
        if p["marker"] is None or p["marker"].evaluate(environment)
    ]
    by_name = {p["name"]: p for p in pins}
    problems: list[str] = []
    binary = []
    for pin in pins:
        files = [
            f
            for f in index_listing(pin["name"])
            if file_version(f["filename"]) == (pin["name"], Version(pin["version"]))
        ]
        if files and all(not f["filename"].endswith(".whl") for f in files):
            sdist = files[0]
            if sdist["hashes"]["sha256"] not in pin["hashes"]:
                problems.append(f"{pin['name']}: the index's sdist sha256 is not in the lock")
            for requirement in sdist_requires(sdist["url"]):
                env = {**environment, "extra": ""}
                if requirement.marker is not None and not requirement.marker.evaluate(env):
                    continue
                have = by_name.get(canonicalize_name(requirement.name))
                if have is None or not requirement.specifier.contains(
                    have["version"], prereleases=True
                ):
                    problems.append(
                        f"{pin['name']} needs {requirement}, the lock has {have and have['version']}"
                    )
        else:
            binary.append(pin["block"])
    check = work / f"check-{python}-{machine}.txt"
    check.write_text("".join(binary))
    common = [
        "--require-hashes",
        "--only-binary",
        ":all:",
        "--index-url",
        PYPI,
        *target.pip_flags(),
        "-r",
        str(check),
    ]
    if download:
        args = ["download", "--quiet", "-d", str(work / "downloads"), *common]
    else:
        args = [
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--target",
            str(work / "t"),
            # pip install checks Requires-Python against the interpreter running it, not the
            # target; `download` (the x86_64 check of the same pins) checks it for the target
            "--ignore-requires-python",
            *common,
        ]
    result = run_pip(args, target, index=PYPI)
    if result.returncode != 0:
        errors = [
            line
            for line in result.stderr.splitlines()
            if "WARNING" not in line and "DEPRECATION" not in line
        ]
        problems.append("pip: " + " | ".join(errors[-6:]))
    return problems


def said(stderr: str) -> list[str]:
    """stderr without the progress line (the spinner's stand-in when stderr is no terminal)."""
    return [line for line in stderr.splitlines() if not line.startswith("Locking ")]


def new(
    tmp_path: Path, name: str, *args: str, env: dict[str, str] | None = None
) -> tuple[Path, object]:
    result = run("new", "--no-input", "--name", name, "--output-dir", tmp_path, *args, env=env)
    return tmp_path / name, result


# ---------------------------------------------------------------- locks for real targets


@pytest.mark.network
def test_python311_jupyter_pydata_spark_aws_oracle_lock_is_complete_on_both_architectures(
    tmp_path: Path,
) -> None:
    project, result = new(
        tmp_path,
        "big",
        "--python",
        "3.11",
        "--stack",
        "jupyter,pydata",
        "--driver",
        "spark,aws,oracle",
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"locked with hashes in \d+\.\d s", result.stdout), result.stdout
    lock = project / "requirements.txt"
    text = lock.read_text()
    assert "NOT A FULL LOCK" not in text and "CPython 3.11" in text
    pins = {p["name"]: p for p in parse_lock(text)}
    for top in ("jupyterlab", "numpy", "pandas", "pyspark", "py4j", "awscli", "boto3", "oracledb"):
        assert top in pins, top
    assert all(p["hashes"] for p in pins.values())
    assert pins["pyspark"]["version"] == "4.2.1"
    assert check_lock(lock, "3.11", "x86_64", tmp_path, download=True) == []
    assert check_lock(lock, "3.11", "aarch64", tmp_path, download=False) == []

    # the same check fails on a lock that lost a transitive dependency, binary or behind an sdist
    for dropped in ("python-dateutil", "py4j"):
        broken = tmp_path / f"without-{dropped}.txt"
        broken.write_text("".join(p["block"] for p in parse_lock(text) if p["name"] != dropped))
        problems = check_lock(broken, "3.11", "x86_64", tmp_path, download=False)
        assert problems, f"the check passed a lock without {dropped}"
        assert any(dropped in problem for problem in problems), problems


@pytest.mark.network
def test_python313_pydata_lock_is_complete(tmp_path: Path) -> None:
    project, result = new(tmp_path, "p313", "--python", "3.13", "--stack", "pydata")
    assert result.returncode == 0, result.stderr
    lock = project / "requirements.txt"
    assert "CPython 3.13" in lock.read_text()
    assert check_lock(lock, "3.13", "x86_64", tmp_path, download=True) == []
    assert check_lock(lock, "3.13", "aarch64", tmp_path, download=False) == []


@pytest.mark.network
def test_python27_pydata_lock_is_complete_and_read_by_pip_20(tmp_path: Path) -> None:
    project, result = new(tmp_path, "p27", "--python", "2.7", "--stack", "pydata")
    assert result.returncode == 0, result.stderr
    lock = project / "requirements.txt"
    text = lock.read_text()
    assert "CPython 2.7" in text and "NOT A FULL LOCK" not in text
    pins = {p["name"]: p["version"] for p in parse_lock(text)}
    assert pins["numpy"] == "1.16.6" and pins["pandas"] == "0.24.2"
    # transitive Python 2 only dependencies are there: the markers were the target's, not the host's
    assert "subprocess32" in pins and "backports-functools-lru-cache" in pins
    # no environment markers for pip 20.3 to trip on
    assert not [line for line in text.splitlines() if ";" in line and not line.startswith("#")]
    assert check_lock(lock, "2.7", "x86_64", tmp_path, download=True) == []
    # pip 20.3.4, the image's pip, reads the file and accepts every hash (files from the cache)
    pip20 = run_pip(
        [
            "download", "--quiet", "--no-deps", "--require-hashes", "--only-binary", ":all:",
            "--index-url", PYPI, *Target("2.7", "x86_64").pip_flags(),
            "-d", str(tmp_path / "pip20"), "-r", str(lock),
        ],
        Target("2.7", "x86_64"),
        index=PYPI,
        version="20.3.4",
    )  # fmt: skip
    assert pip20.returncode == 0, pip20.stderr[-2000:]

    broken = tmp_path / "without-six.txt"
    broken.write_text("".join(p["block"] for p in parse_lock(text) if p["name"] != "six"))
    problems = check_lock(broken, "2.7", "x86_64", tmp_path, download=False)
    assert problems and "six" in problems[-1], problems


@pytest.mark.network
def test_python27_locks_python2_only_wheels_and_dashed_sdist_versions(tmp_path: Path) -> None:
    """TensorFlow 2.1's Python 2 dependencies: futures 3.4.0's wheel says Requires-Python <3
    (checked against the target, not the Python running bootstrap), functools32 exists only as
    the sdist functools32-3.2.3-2.tar.gz (release 3.2.3.post2, hashed all the same)."""
    project, made = new(tmp_path, "p2", "--python", "2.7", "--stack", "", "--offline")
    assert made.returncode == 0, made.stderr
    source = project / "requirements.in"
    source.write_text(source.read_text() + "futures==3.4.0\nfunctools32\npython-dateutil==2.8.2\n")
    number = source.read_text().splitlines().index("python-dateutil==2.8.2") + 1
    locked = run("lock", project)
    assert locked.returncode == 0, locked.stderr
    text = (project / "requirements.txt").read_text()
    pins = {p["name"]: p for p in parse_lock(text)}
    # each pin says where it comes from, as the Python 3 lock does
    assert re.search(
        r"\nsix==\S+ \\\n(?:    --hash=\S+(?: \\)?\n)+    # via python-dateutil\n", text
    )
    assert re.search(
        rf"\npython-dateutil==2\.8\.2 \\\n(?:    --hash=\S+(?: \\)?\n)+    # from requirements\.in:{number}\n",
        text,
    )
    why = run("lock", project, "--why", "six")
    assert why.returncode == 0, why.stderr
    assert f"six <- python-dateutil <- from requirements.in:{number}" in why.stdout
    assert pins["futures"]["version"] == "3.4.0"
    assert pins["functools32"]["version"] == "3.2.3.post2"
    listing = index_listing("functools32")
    expected = {
        f["hashes"]["sha256"]
        for f in listing
        if file_version(f["filename"]) == ("functools32", Version("3.2.3.post2"))
    }
    assert expected and set(pins["functools32"]["hashes"]) == expected


# ---------------------------------------------------------------- no network, no full lock

GUARD = textwrap.dedent(
    """
    import os, socket, subprocess
    _log = os.environ["NET_LOG"]
    def _note(what):
        with open(_log, "a") as f:
            f.write(what + "\\n")
    _connect = socket.socket.connect
    def connect(self, address):
        _note("connect %r" % (address,))
        return _connect(self, address)
    socket.socket.connect = connect
    _popen = subprocess.Popen.__init__
    def popen(self, args, *a, **k):
        _note("exec %s" % (args if isinstance(args, str) else " ".join(map(str, args))))
        return _popen(self, args, *a, **k)
    subprocess.Popen.__init__ = popen
    """
)


def guarded(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """Environment that logs every socket connect and subprocess of the CLI."""
    (tmp_path / "guard").mkdir()
    (tmp_path / "guard" / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "net.log"
    log.write_text("")
    import os

    path = os.pathsep.join([str(tmp_path / "guard"), os.environ.get("PYTHONPATH", "")])
    return {"PYTHONPATH": path, "NET_LOG": str(log)}, log


def network_use(log: Path) -> list[str]:
    lines = log.read_text().splitlines()
    return [
        line
        for line in lines
        if (line.startswith("connect") and "/" not in line.split(" ", 1)[1])  # not a unix socket
        or (line.startswith("exec") and re.search(r"\buv\b| pip |-m pip", line))
    ]


def test_offline_flag_writes_curated_pins_and_touches_no_network(tmp_path: Path) -> None:
    env, log = guarded(tmp_path)
    project, result = new(
        tmp_path, "off", "--python", "3.11", "--stack", "pydata", "--offline", env=env
    )
    assert result.returncode == 0, result.stderr
    assert network_use(log) == [], log.read_text()
    text = (project / "requirements.txt").read_text()
    assert text.startswith("# NOT A FULL LOCK")
    assert "numpy==2.4.6" in text and "--hash" not in text
    assert "not a full lock" in result.stdout


def test_unreachable_index_falls_back_in_one_line_and_exits_0(tmp_path: Path) -> None:
    env, log = guarded(tmp_path)
    project, result = new(
        tmp_path,
        "air",
        "--python",
        "3.12",
        "--stack",
        "pydata",
        "--pip-index-url",
        DEAD_INDEX,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    used = network_use(log)
    assert used and all("127.0.0.1', 9)" in line for line in used), used  # only the probe
    assert (project / "requirements.txt").read_text().startswith("# NOT A FULL LOCK")
    notes = [line for line in result.stdout.splitlines() if "is unreachable" in line]
    assert len(notes) == 1 and DEAD_INDEX in notes[0] and "not a full lock" in notes[0]


def test_lock_honours_index_environment_variables(tmp_path: Path) -> None:
    project, result = new(tmp_path, "envidx", "--python", "3.12", "--stack", "pydata", "--offline")
    assert result.returncode == 0, result.stderr
    for variable in ("PIP_INDEX_URL", "UV_INDEX_URL"):
        (tmp_path / variable).mkdir()
        env, log = guarded(tmp_path / variable)
        locked = run("lock", project, env={**env, variable: DEAD_INDEX})
        assert locked.returncode == 0, locked.stderr
        assert f"warning: the package index {DEAD_INDEX} is unreachable" in locked.stderr
        assert all("127.0.0.1', 9)" in line for line in network_use(log)), log.read_text()


def test_lock_offline_refuses_unpinned_requirements(tmp_path: Path) -> None:
    project, result = new(
        tmp_path, "unpinned", "--python", "3.12", "--stack", "pydata", "--offline"
    )
    assert result.returncode == 0, result.stderr
    (project / "requirements.in").write_text("requests\n")
    before = snapshot(project)
    locked = run("lock", project, "--offline")
    assert locked.returncode == 2
    assert locked.stderr.startswith("error: requests (requirements.in:1): no exact version")
    assert snapshot(project) == before


# ---------------------------------------------------------------- lock and add


@pytest.mark.network
def test_lock_uses_the_users_ca_bundle(tmp_path: Path) -> None:
    """A CA that signed nothing here: the index cannot be trusted, one line says what to do.
    The machine's own bundle (a TLS-intercepting proxy's CA on this network) then works."""
    import subprocess

    project, result = new(tmp_path, "ca", "--python", "3.12", "--stack", "pydata", "--offline")
    assert result.returncode == 0, result.stderr
    stranger = tmp_path / "stranger.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=a CA nobody uses", "-keyout", str(tmp_path / "key.pem"), "-out", str(stranger)],
        check=True, capture_output=True,
    )  # fmt: skip
    env = {"SSL_CERT_FILE": str(stranger), "PIP_CERT": "", "REQUESTS_CA_BUNDLE": ""}
    before = snapshot(project)
    bad = run("lock", project, env=env)
    assert bad.returncode == 1
    assert len(said(bad.stderr)) == 1, bad.stderr
    assert "certificate this machine does not trust" in bad.stderr and "SSL_CERT_FILE" in bad.stderr
    assert snapshot(project) == before
    good = run("lock", project)
    assert good.returncode == 0, good.stderr
    assert "--hash=sha256:" in (project / "requirements.txt").read_text()


@pytest.mark.network
def test_lock_keeps_pins_until_upgrade_and_carries_extra_index_urls(tmp_path: Path) -> None:
    project, result = new(tmp_path, "relock", "--python", "3.12", "--stack", "pydata", "--offline")
    assert result.returncode == 0, result.stderr
    (project / "requirements.in").write_text(f"--extra-index-url {PYPI}/\nidna<4\n")
    first = run("lock", project)
    assert first.returncode == 0, first.stderr
    newest = {
        p["name"]: p["version"] for p in parse_lock((project / "requirements.txt").read_text())
    }["idna"]
    listing = [
        f["filename"]
        for f in index_listing("idna")
        if f["filename"].endswith(".whl") and not f.get("yanked")
    ]
    older = sorted({str(file_version(f)[1]) for f in listing}, key=Version)
    old = [v for v in older if Version(v) < Version(newest) and Version(v) >= Version("3.0")][-1]
    # an older pin, as an earlier lock would have it: `lock` keeps it, --upgrade-package moves it
    (project / "requirements.txt").write_text(f"idna=={old}\n")
    kept = run("lock", project)
    assert kept.returncode == 0, kept.stderr
    text = (project / "requirements.txt").read_text()
    assert f"idna=={old} \\" in text and f"--extra-index-url {PYPI}/\n" in text
    moved = run("lock", project, "--upgrade-package", "idna")
    assert moved.returncode == 0, moved.stderr
    assert f"idna=={newest} \\" in (project / "requirements.txt").read_text()


@pytest.mark.network
def test_add_appends_and_relocks(tmp_path: Path) -> None:
    project, result = new(tmp_path, "adder", "--python", "3.13", "--stack", "pydata")
    assert result.returncode == 0, result.stderr
    before = {
        p["name"]: p["version"] for p in parse_lock((project / "requirements.txt").read_text())
    }
    added = run("add", project, "requests>=2.30")
    assert added.returncode == 0, added.stderr
    assert (project / "requirements.in").read_text().endswith("requests>=2.30\n")
    after = {
        p["name"]: p["version"] for p in parse_lock((project / "requirements.txt").read_text())
    }
    assert {"requests", "urllib3", "idna", "certifi", "charset-normalizer"} <= after.keys()
    assert all(after[name] == version for name, version in before.items())  # nothing else moved


def test_add_rejects_a_bad_spec_and_writes_nothing(tmp_path: Path) -> None:
    project, result = new(tmp_path, "badspec", "--python", "3.12", "--stack", "pydata", "--offline")
    assert result.returncode == 0, result.stderr
    before = snapshot(project)
    bad = run("add", project, "numpy", "requests>>2")
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "'requests>>2' is not a valid requirement" in bad.stderr
    assert snapshot(project) == before


@pytest.mark.network
def test_add_restores_requirements_when_the_lock_fails(tmp_path: Path) -> None:
    project, result = new(tmp_path, "restore", "--python", "3.12", "--stack", "pydata", "--offline")
    assert result.returncode == 0, result.stderr
    before = snapshot(project)
    failed = run("add", project, "numpy==0.0.1")
    assert failed.returncode == 1
    (line,) = said(failed.stderr)
    assert line.startswith("error: locking requirements.in for Python 3.12 failed"), line
    assert snapshot(project) == before


@pytest.mark.network
def test_spinner_on_a_terminal_plain_line_otherwise(tmp_path: Path) -> None:
    import sys

    import pexpect

    project, result = new(tmp_path, "spin", "--python", "3.12", "--stack", "pydata", "--offline")
    assert result.returncode == 0, result.stderr
    child = pexpect.spawn(
        sys.executable, ["-m", "bootstrap", "lock", str(project)], encoding="utf-8", timeout=300
    )
    child.expect(r"\r[|/\\-] Locking \S+ for Python 3\.12 \d+\.\d s")
    child.expect(r"locked with hashes for Python 3\.12 in \d+\.\d s")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    plain = run("lock", project)  # no terminal: one line, no carriage returns
    assert plain.returncode == 0, plain.stderr
    assert "\r" not in plain.stderr and plain.stderr.count("Locking ") == 1
