"""Real containers: generated projects built on a Docker engine and opened with the Dev Containers CLI.

Each project is generated once (a hashed lock, the proxy's CA passed with --ca-cert), built once by
`bootstrap build` (which runs its smoke table), then opened with `devcontainer up`, whose build of the
same Dockerfile is served from the BuildKit cache, and smoke-tested again with `devcontainer exec`
as the non-root user.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import run
from support import devcontainers

pytestmark = pytest.mark.docker

DOCKER = "/usr/bin/docker"
CA_BUNDLE = os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
BUILD_ENV = {"DOCKER_BUILDKIT": "1"}
BASES = {"3.11": "python:3.11-slim-bookworm", "3.13": "python:3.13-slim-trixie"}
BASES["2.7"] = "debian:bullseye-slim"

PROJECTS = {
    "py311": ("3.11", ["jupyter", "pydata"], ["spark", "aws", "oracle", "postgres"]),
    "py313": ("3.13", ["pydata", "polars"], []),
    "py27": ("2.7", ["pydata"], []),
}


def _engine_up() -> bool:
    if not shutil.which(DOCKER):
        return False
    probe = subprocess.run([DOCKER, "info"], capture_output=True, check=False)
    return probe.returncode == 0


if os.environ.get("BOOTSTRAP_SKIP_DOCKER") == "1":
    pytest.skip("BOOTSTRAP_SKIP_DOCKER=1", allow_module_level=True)
if not _engine_up():
    if os.environ.get("BOOTSTRAP_TEST_INSTALLED"):
        raise RuntimeError("no Docker engine: .ci/run starts one with .ci/docker.sh")
    pytest.skip("no Docker engine (run .ci/docker.sh)", allow_module_level=True)


def docker(*args: str, check: bool = True, timeout: float = 600) -> str:
    result = subprocess.run(
        [DOCKER, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result.stdout


def _standin(python: str) -> None:
    from support.standins import ensure_image

    ensure_image(BASES[python])


def _new(where: Path, name: str, python: str, *args: str) -> Path:
    result = run(
        "new",
        "--no-input",
        "--name",
        name,
        "--python",
        python,
        "--output-dir",
        where,
        *args,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    return where / name


@functools.cache
def _test_ca(folder: Path) -> Path:
    """A private CA of our own: its fingerprint must appear in every trust store of the image."""
    folder.mkdir(parents=True, exist_ok=True)
    cert = folder / "bootstrap-test-ca.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=bootstrap test CA",
            "-keyout",
            str(folder / "key.pem"),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("containers")


class Projects:
    """The three projects of the issue, each generated on first use with a hashed lock, reaching
    PyPI through the proxy's CA (a project that fails to generate fails only its own tests)."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.made: dict[str, Path] = {}

    def __getitem__(self, key: str) -> Path:
        if key not in self.made:
            python, stacks, drivers = PROJECTS[key]
            _standin(python)
            args = ["--ca-cert", CA_BUNDLE]
            if key == "py311":
                args += ["--ca-cert", str(_test_ca(self.work / "ca"))]
            if stacks:
                args += ["--stack", ",".join(stacks)]
            if drivers:
                args += ["--driver", ",".join(drivers)]
            self.made[key] = _new(self.work / key, key.replace("py", "proj"), python, *args)
        return self.made[key]


@pytest.fixture(scope="module")
def projects(work: Path) -> Projects:
    return Projects(work)


@functools.cache
def _built(project: Path) -> subprocess.CompletedProcess[str]:
    """`bootstrap build` once per project: the image and its smoke table."""
    return run("build", project, env=BUILD_ENV, timeout=2400)


def _plan(project: Path) -> dict:
    from bootstrap.answers import read_recorded
    from bootstrap.catalog import load
    from bootstrap.plan import make_plan

    return make_plan(read_recorded(project), load())


@pytest.mark.parametrize("key", list(PROJECTS))
def test_lock_is_hashed(projects: Projects, key: str) -> None:
    text = (projects[key] / "requirements.txt").read_text()
    assert "--hash=sha256:" in text, "the proof must build from a hashed lock"


@pytest.mark.parametrize("key", list(PROJECTS))
def test_bootstrap_build_passes_every_smoke_test(projects: Projects, key: str) -> None:
    project = projects[key]
    result = _built(project)
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    plan = _plan(project)
    table = result.stdout
    assert "FAIL" not in table
    assert f"Python {plan['python']}." in table
    for component in ["python", *plan["stacks"], *plan["drivers"]]:
        assert any(
            line.startswith(component + " ") and " pass " in line for line in table.splitlines()
        ), (
            component,
            table,
        )
    expected = len(plan["smoke"]) + 1
    assert f"{expected} of {expected} smoke tests passed" in table
    assert "[base" in result.stderr, "the build's progress is streamed"


def _up(project: Path) -> dict:
    return devcontainers.up(project)


def _exec(project: Path, command: str) -> subprocess.CompletedProcess[str]:
    return devcontainers.exec_(project, "sh", "-c", command)


@pytest.fixture(scope="module")
def opened(projects: Projects) -> Iterator[Projects]:
    """Every project opened with `devcontainer up`; containers removed afterwards."""
    yield projects
    for project in projects.made.values():
        devcontainers.remove(project)


@pytest.mark.parametrize("key", list(PROJECTS))
def test_devcontainer_up_and_smoke_tests_as_app(opened: Projects, key: str) -> None:
    project = opened[key]
    assert _built(project).returncode == 0, "bootstrap build first (shares the BuildKit cache)"
    outcome = _up(project)
    assert outcome["outcome"] == "success", outcome
    assert outcome["remoteUser"] == "app"
    who = _exec(project, "id -un; pwd")
    assert who.returncode == 0, who.stderr
    assert who.stdout.split() == ["app", f"/workspaces/{project.name}"]
    plan = _plan(project)
    version = _exec(project, "python --version 2>&1")
    assert version.returncode == 0 and f"Python {plan['python']}." in version.stdout, version
    for item in plan["smoke"]:
        result = _exec(project, item["command"])
        assert result.returncode == 0, (item, result.stdout[-2000:], result.stderr[-2000:])


def test_aws_credentials_folder_is_mounted_read_only(opened: Projects) -> None:
    """initializeCommand made ~/.aws on the host; the container sees it read-only as the user."""
    project = opened["py311"]
    _up(project)
    assert (Path.home() / ".aws").is_dir()
    result = _exec(project, "test -d ~/.aws && ! touch ~/.aws/probe 2>/dev/null && echo ro")
    assert result.stdout.strip() == "ro", (result.stdout, result.stderr)


def test_ca_is_in_every_trust_store(projects: Projects, work: Path) -> None:
    """The --ca-cert file is trusted by the system bundle (curl, pip, requests, Node) and Java."""
    project = projects["py311"]
    assert _built(project).returncode == 0
    ca = _test_ca(work / "ca")
    fingerprint = (
        subprocess.run(
            ["openssl", "x509", "-in", str(ca), "-noout", "-fingerprint", "-sha256"],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.split("=", 1)[1]
        .strip()
    )
    body = "".join(ca.read_text().strip().splitlines()[1:-1])[:64]
    script = (
        "grep -c '' /etc/ssl/certs/ca-certificates.crt >/dev/null"
        f" && tr -d '\\n' < /etc/ssl/certs/ca-certificates.crt | grep -q '{body}' && echo bundle"
        " && for v in SSL_CERT_FILE PIP_CERT REQUESTS_CA_BUNDLE CURL_CA_BUNDLE NODE_EXTRA_CA_CERTS;"
        ' do printenv "$v"; done'
        " && keytool -list -cacerts -storepass changeit | grep -i -c -F "
        f"'{fingerprint}'"
        ' && python -c \'import requests; requests.get("https://pypi.org/simple/pip/", timeout=60)'
        ".raise_for_status()' && echo requests-through-proxy"
    )
    out = docker("run", "--rm", f"{project.name}:dev", "sh", "-c", script)
    lines = out.split()
    assert lines[0] == "bundle", out
    assert lines[1:6] == ["/etc/ssl/certs/ca-certificates.crt"] * 5, out
    assert lines[6] == "1", f"the CA is not in Java's keystore: {out}"
    assert lines[-1] == "requests-through-proxy", out


def test_proxies_reach_the_build_but_not_the_image(projects: Projects) -> None:
    project = projects["py313"]
    assert _built(project).returncode == 0
    marker = "proxy-marker.invalid"
    result = run(
        "build",
        project,
        "--no-smoke",
        "--tag",
        "bootstrap-test/proxy:dev",
        env={**BUILD_ENV, "no_proxy": marker, "NO_PROXY": marker},
        timeout=1200,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    config = json.loads(docker("image", "inspect", "bootstrap-test/proxy:dev"))[0]["Config"]
    history = docker("history", "--no-trunc", "bootstrap-test/proxy:dev")
    assert marker not in json.dumps(config)
    assert marker not in history
    docker("rmi", "bootstrap-test/proxy:dev", check=False)


def test_without_the_ca_pip_cannot_reach_pypi(work: Path) -> None:
    """The corporate case: behind the TLS-intercepting proxy, the build needs --ca-cert."""
    _standin("3.13")
    project = _new(work / "noca", "noca", "3.13", "--stack", "polars")
    result = run("build", project, "--no-smoke", env=BUILD_ENV, timeout=1200)
    assert result.returncode == 1, result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "error: building noca:dev failed: TLS certificate verification failed"
    ), last
    assert "--ca-cert" in last


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """A static HTTP server on loopback: the organisation's artifact mirror."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_tampered_vendor_artifact_fails_with_its_name(work: Path) -> None:
    """The real Oracle JDBC record through a mirror that serves a different file."""
    _standin("3.11")
    mirror = work / "mirror-bad"
    jar = mirror / "com/oracle/database/jdbc/ojdbc11/23.26.3.0.0/ojdbc11-23.26.3.0.0.jar"
    jar.parent.mkdir(parents=True)
    jar.write_bytes(b"PK\x03\x04 not the jar Oracle published")
    with serve(mirror) as url:
        project = _new(
            work / "tamper",
            "tamper",
            "3.11",
            "--driver",
            "oracle",
            "--option",
            "oracle:jdbc",
            "--ca-cert",
            CA_BUNDLE,
            "--artifact-mirror",
            url,
        )
        result = run("build", project, "--no-smoke", env=BUILD_ENV, timeout=1200)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert "checksum mismatch for ojdbc11-23.26.3.0.0.jar" in last, last
    assert last.startswith("error: building tamper:dev failed: fetch-artifact: ")


ORG_RECORD = """\
kind = "driver"
id = "acme"
name = "ACME warehouse client"
summary = "The organisation's own client tool, from its artifact store."
sources = ["built by the test: its sha256 is computed from the file served"]
smoke = ["sh /opt/acme/acme-client.sh"]

[[artifacts]]
name = "acme-client.sh"
base = "https://downloads.acme.invalid/tools"
path = "acme/1.0/acme-client.sh"
sha256 = "{sha256}"
dest = "/opt/acme/acme-client.sh"
source = "computed by the test"
"""


def test_organisation_artifact_through_the_mirror_ends_up_in_the_image(work: Path) -> None:
    _standin("3.13")
    mirror = work / "mirror-good"
    payload = b'echo "acme client 1.0 ready"\n'
    target = mirror / "acme/1.0/acme-client.sh"
    target.parent.mkdir(parents=True)
    target.write_bytes(payload)
    record = work / "acme.toml"
    record.write_text(ORG_RECORD.format(sha256=hashlib.sha256(payload).hexdigest()))
    with serve(mirror) as url:
        project = _new(
            work / "org",
            "org",
            "3.13",
            "--catalog",
            str(record),
            "--driver",
            "acme",
            "--ca-cert",
            CA_BUNDLE,
            "--artifact-mirror",
            url,
        )
        result = run("build", project, env=BUILD_ENV, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "acme-client.sh verified (sha256)" in result.stderr
    assert any(
        line.startswith("acme ") and " pass " in line and line.endswith("acme client 1.0 ready")
        for line in result.stdout.splitlines()
    ), result.stdout
    inside = docker("run", "--rm", "org:dev", "cat", "/opt/acme/acme-client.sh")
    assert inside.encode() == payload


def test_runtime_image_serves_jupyterlab_with_a_token(projects: Projects) -> None:
    project = projects["py311"]
    assert _built(project).returncode == 0
    tag = "bootstrap-test/jupyter:runtime"
    result = run("build", project, "--target", "runtime", "--tag", tag, "--no-smoke", env=BUILD_ENV)
    assert result.returncode == 0, result.stderr[-3000:]
    port = _free_port()
    container = docker("run", "-d", "-p", f"127.0.0.1:{port}:8888", tag).strip()
    try:
        page = ""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=5) as answer:
                    page = answer.read().decode()
                    final = answer.geturl()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(1)
        assert page, docker("logs", container, check=False)
        assert "/login" in final, final
        assert "token" in page.lower()
        logs = subprocess.run(
            [DOCKER, "logs", container], capture_output=True, text=True, check=False
        )
        assert "?token=" in logs.stdout + logs.stderr
        user = docker("exec", container, "id", "-un").strip()
        assert user == "app"
    finally:
        docker("rm", "-f", container, check=False)
        docker("rmi", tag, check=False)


def test_tampered_wheel_in_the_lock_fails_the_build_by_its_hash(work: Path) -> None:
    """The index serving a file other than the one the lock hashed: uv refuses it by name."""
    _standin("3.13")
    project = _new(
        work / "badwheel", "badwheel", "3.13", "--stack", "flask", "--ca-cert", CA_BUNDLE
    )
    lock = project / "requirements.txt"
    lines = lock.read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if "==" in line and not line.startswith("#"))
    pin = lines[first].split()[0]
    # every hash recorded for the first package: whichever of its files uv fetches, it differs
    index = first + 1
    while index < len(lines) and lines[index].strip().startswith("--hash=sha256:"):
        fake = hashlib.sha256(f"tampered {index}".encode()).hexdigest()
        lines[index] = (
            lines[index].split("--hash=")[0]
            + f"--hash=sha256:{fake}"
            + (" \\" if lines[index].rstrip().endswith("\\") else "")
        )
        index += 1
    assert index > first + 1, lines[first : first + 3]
    lock.write_text("\n".join(lines) + "\n")
    result = run("build", project, "--target", "runtime", "--no-smoke", env=BUILD_ENV, timeout=1200)
    assert result.returncode == 1, result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: building badwheel:runtime failed: "), last
    assert f"Hash mismatch for `{pin}`" in last, last


BUILD_ONLY_RECORD = """\
kind = "driver"
id = "cext"
name = "C extensions"
summary = "A compiler for packages built from source, needed only while building."
sources = ["written by the test"]
build_apt = ["gcc", "libc6-dev"]
apt = ["libffi8"]
"""


def test_runtime_image_has_the_environment_but_no_uv_compiler_or_cache(work: Path) -> None:
    """Build-only packages are in the builder stage; runtime has the environment and nothing else."""
    _standin("3.11")
    record = work / "cext.toml"
    record.write_text(BUILD_ONLY_RECORD)
    project = _new(
        work / "slim",
        "slim",
        "3.11",
        "--catalog",
        str(record),
        "--driver",
        "cext",
        "--stack",
        "flask",
        "--ca-cert",
        CA_BUNDLE,
    )
    tag = "bootstrap-test/slim"
    built = run(
        "build",
        project,
        "--target",
        "runtime",
        "--tag",
        f"{tag}:runtime",
        "--no-smoke",
        env=BUILD_ENV,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    # the builder stage itself (served from the cache of the build above)
    builder = subprocess.run(
        [DOCKER, "build", "--target", "builder", "--tag", f"{tag}:builder", str(project)],
        capture_output=True,
        text=True,
        env={**os.environ, **BUILD_ENV},
        timeout=1200,
        check=False,
    )
    assert builder.returncode == 0, builder.stderr[-3000:]
    try:
        assert "gcc" in docker("run", "--rm", f"{tag}:builder", "gcc", "--version")
        assert "uv 0." in docker("run", "--rm", f"{tag}:builder", "uv", "--version")
        prefix = docker(
            "run", "--rm", f"{tag}:runtime", "python", "-c", "import flask, sys; print(sys.prefix)"
        )
        assert prefix.strip() == "/opt/venv"
        probe = (
            "for tool in uv gcc cc; do command -v $tool && exit 1; done;"
            " dpkg -s gcc > /dev/null 2>&1 && exit 2; dpkg -s libffi8 > /dev/null || exit 5;"
            " ls /root/.cache/uv /tmp/requirements.txt /tmp/uv.txt 2> /dev/null && exit 3;"
            " ls /opt/venv/bin/uv /opt/venv/bin/pip 2> /dev/null && exit 4; echo clean"
        )
        checked = subprocess.run(
            [DOCKER, "run", "--rm", "--user", "root", f"{tag}:runtime", "bash", "-c", probe],
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.stdout.strip() == "clean", (checked.returncode, checked.stdout)
    finally:
        docker("rmi", f"{tag}:runtime", f"{tag}:builder", check=False)


def _docker_build(project: Path, tag: str, target: str) -> str:
    """`docker build` of one target, its plain progress log (which says which steps were cached)."""
    result = subprocess.run(
        [DOCKER, "build", "--progress=plain", "--target", target, "--tag", tag, str(project)],
        capture_output=True,
        text=True,
        env={**os.environ, **BUILD_ENV},
        timeout=1200,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stderr


def _cached(log: str, step: str) -> bool:
    """Whether BuildKit served ``step`` (a "[stage n/m]" label) from its cache."""
    ids = {line.split()[0] for line in log.splitlines() if f" [{step}] " in line}
    return bool(ids) and all(f"{i} CACHED" in log for i in ids)


#: prints "NAME ok" for each package named whose every module has bytecode Python takes as current
PYC_CHECK = """
import importlib, importlib.util, os, pathlib, struct, sys
for name in sys.argv[1:]:
    folder = pathlib.Path(importlib.import_module(name).__file__).parent
    wrong = []
    for source in folder.rglob("*.py"):
        cached = pathlib.Path(importlib.util.cache_from_source(str(source)))
        if not cached.is_file():
            wrong.append(f"{source}: none")
            continue
        magic, flags, mtime, size = struct.unpack("<4sIII", cached.read_bytes()[:16])
        st = source.stat()
        if (magic, flags, mtime, size) != (
            importlib.util.MAGIC_NUMBER, 0, int(st.st_mtime) & 0xFFFFFFFF, st.st_size & 0xFFFFFFFF
        ):
            wrong.append(f"{source}: stale")
    print(name, "ok" if not wrong else wrong[:3])
"""


def test_a_new_requirement_leaves_the_stack_layers_cached_and_reaches_both_images(
    work: Path,
) -> None:
    """`bootstrap add` then a rebuild: the stacks' packages and their bytecode come from the cache;
    the new package is in the runtime image with its bytecode, and in the dev container's."""
    _standin("3.11")
    project = _new(work / "addone", "addone", "3.11", "--stack", "flask", "--ca-cert", CA_BUNDLE)
    tag = "bootstrap-test/addone"
    try:
        _docker_build(project, f"{tag}:runtime", "runtime")
        added = run("add", project, "tomli", timeout=900)
        assert added.returncode == 0, added.stderr
        # a lock this engine's cache has never seen, whatever ran before: only the stacks' pins
        # (which leave comments out) can make the rebuild find its first layers cached
        lock = project / "requirements.txt"
        lock.write_text(lock.read_text() + f"# {uuid.uuid4()}\n")
        log = _docker_build(project, f"{tag}:runtime", "runtime")
        for step in ("stack 2/2", "stack-bytecode 1/1", "runtime 1/6", "runtime 2/6"):
            assert _cached(log, step), (step, log[-3000:])
        assert not _cached(log, "bytecode 1/1")
        # every module of the stack's flask and the added tomli has bytecode that Python takes as
        # up to date (the source's size and time in its header), as a user who cannot write it
        stale = docker(
            "run",
            "--rm",
            "--user",
            "65534:65534",
            f"{tag}:runtime",
            "python",
            "-c",
            PYC_CHECK,
            "flask",
            "tomli",
        )
        assert stale.strip() == "flask ok\ntomli ok", stale
        dev = _docker_build(project, f"{tag}:dev", "dev")
        assert _cached(dev, "stack 2/2"), dev[-3000:]
        owner = docker(
            "run",
            "--rm",
            f"{tag}:dev",
            "bash",
            "-c",
            "python -c 'import tomli' && stat -c %U /opt/venv/lib/python3.11/site-packages/tomli",
        )
        assert owner.strip() == "app"
    finally:
        docker("rmi", f"{tag}:runtime", f"{tag}:dev", check=False)
