"""`bootstrap build` where things are missing, and the generated Dockerfile's quality rules."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import hadolint_errors, run, snapshot

SHAPES = {
    "py311": ("3.11", "jupyter,pydata", "spark,aws,oracle,postgres"),
    "py313": ("3.13", "pydata,polars", ""),
    "py27": ("2.7", "pydata", ""),
    "flask": ("3.12", "flask", "hadoop"),
}


def _make(new_project: Callable[..., Path], shape: str, *extra: str) -> Path:
    python, stacks, drivers = SHAPES[shape]
    args = ["--python", python, *extra]
    if stacks:
        args += ["--stack", stacks]
    if drivers:
        args += ["--driver", drivers]
    return new_project(*args)


def test_no_engine_is_one_line_and_exit_1(new_project: Callable[..., Path], tmp_path: Path) -> None:
    project = _make(new_project, "py313")
    dead = tmp_path / "dead.sock"
    result = run("build", project, env={"DOCKER_HOST": f"unix://{dead}"})
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: no Docker engine reachable at unix://{dead}: start Docker")


def test_not_a_project_is_exit_2(tmp_path: Path) -> None:
    result = run("build", tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "bootstrap.json" in result.stderr


@pytest.mark.parametrize("problem", ["missing", "folder", "not-pem"])
def test_bad_ca_cert_is_exit_2_and_writes_nothing(tmp_path: Path, problem: str) -> None:
    path = tmp_path / "corp-ca.pem"
    if problem == "folder":
        path.mkdir()
    elif problem == "not-pem":
        path.write_text("hello\n")
    out = tmp_path / "out"
    result = run("new", "--no-input", "--name", "demo", "--output-dir", out, "--ca-cert", path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: --ca-cert {path}: "), result.stderr
    assert snapshot(out) == {}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_ca_cert_is_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "corp-ca.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\n")
    path.chmod(0)
    result = run("new", "--no-input", "--name", "demo", "--output-dir", tmp_path, "--ca-cert", path)
    assert result.returncode == 2
    assert "cannot be read" in result.stderr


def _fake_docker(folder: Path, version: str) -> Path:
    """A docker client of the given version without the buildx plugin."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "docker"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = buildx ]; then echo "docker: unknown command: docker buildx" >&2; exit 1; fi\n'
        f'if [ "$1" = version ]; then echo {version}; exit 0; fi\n'
        "exit 1\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_buildkit_missing_is_one_line_saying_what_to_do(tmp_path: Path) -> None:
    from bootstrap import engine
    from bootstrap.errors import BootstrapError

    fake = _fake_docker(tmp_path / "bin", "28.1.1")
    old = os.environ.get("BOOTSTRAP_DOCKER")
    os.environ["BOOTSTRAP_DOCKER"] = str(fake)
    try:
        with pytest.raises(BootstrapError) as caught:
            engine.buildkit_cli()
    finally:
        if old is None:
            del os.environ["BOOTSTRAP_DOCKER"]
        else:
            os.environ["BOOTSTRAP_DOCKER"] = old
    message = caught.value.message
    assert "\n" not in message
    assert message.startswith(f"BuildKit is missing: {fake} has no buildx plugin")
    assert "install buildx" in message


@pytest.mark.docker
def test_buildkit_missing_through_the_cli(new_project: Callable[..., Path], tmp_path: Path) -> None:
    """With an engine but a client without BuildKit: exit 1, one line, nothing built."""
    if subprocess.run(["/usr/bin/docker", "info"], capture_output=True).returncode != 0:
        pytest.fail("no Docker engine: run .ci/docker.sh")
    project = _make(new_project, "py313")
    fake = _fake_docker(tmp_path / "bin", "28.1.1")
    result = run("build", project, env={"BOOTSTRAP_DOCKER": str(fake)})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: BuildKit is missing: ")


def test_old_clients_have_buildkit_built_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bootstrap import engine

    fake = _fake_docker(tmp_path / "bin", "20.10.24+dfsg1")
    monkeypatch.setenv("BOOTSTRAP_DOCKER", str(fake))
    assert engine.buildkit_cli() == (str(fake), [str(fake), "build"])


def test_failure_reason_names_the_tampered_file() -> None:
    from bootstrap.build import failure_reason

    lines = [
        "#9 [base 4/8] RUN fetch-artifact ojdbc11.jar ...",
        "#9 0.212 fetch-artifact: checksum mismatch for ojdbc11.jar from http://m/x: expected sha256 aa, got bb",
        "#9 ERROR: executor failed running [/bin/bash -o pipefail -c fetch-artifact]: exit code: 1",
        "------",
        "executor failed running [/bin/bash -o pipefail -c fetch-artifact]: exit code: 1",
    ]
    assert failure_reason(lines).startswith("fetch-artifact: checksum mismatch for ojdbc11.jar")


def test_failure_reason_names_the_package_uv_refused() -> None:
    from bootstrap.build import failure_reason

    lines = [
        "#12 [builder 3/3] RUN --mount=type=cache,target=/root/.cache/uv ...",
        "#12 1.905 error: Failed to download `pluggy==1.6.0`",
        "#12 1.905   Caused by: Hash mismatch for `pluggy==1.6.0`",
        "#12 1.905 Expected:",
        "#12 1.905   sha256:0000000000000000000000000000000000000000000000000000000000000000",
        "#12 ERROR: executor failed running [/bin/bash -o pipefail -c ...]: exit code: 1",
    ]
    assert failure_reason(lines) == "Caused by: Hash mismatch for `pluggy==1.6.0`"


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080/simple", True),
        ("http://localhost:3128", True),
        ("http://[::1]:3128", True),
        ("127.0.0.1:3128", True),
        ("https://artifacts.example.com", False),
        ("http://10.0.0.5:3128", False),
    ],
)
def test_loopback_mirrors_and_proxies_use_the_host_network(url: str, loopback: bool) -> None:
    from bootstrap.build import needs_host_network

    assert needs_host_network({"artifact_mirror": url}, {}) is loopback
    assert needs_host_network({}, {"HTTPS_PROXY": url}) is loopback
    assert needs_host_network({}, {"NO_PROXY": "localhost,127.0.0.1"}) is False


@pytest.mark.parametrize("shape", list(SHAPES))
def test_dockerfile_quality(new_project: Callable[..., Path], shape: str) -> None:
    project = _make(
        new_project,
        shape,
        "--ca-cert",
        os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt"),
    )
    text = (project / "Dockerfile").read_text()
    lines = text.splitlines()
    assert hadolint_errors(project / "Dockerfile") == []
    assert not any(line.startswith("# syntax=") for line in lines)
    # every hadolint ignore is justified by a comment right above it, naming the rule
    for index, line in enumerate(lines):
        match = re.match(r"# hadolint ignore=(\S+)", line)
        if match:
            above = lines[index - 1]
            assert above.startswith("#") and match[1] in "\n".join(lines[index - 3 : index]), line
    # base image overridable; stages dev and runtime; runtime last; a non-root user with UID args
    assert re.search(r"^ARG BASE_IMAGE=\S+", text, re.M)
    assert "FROM ${BASE_IMAGE} AS base" in text
    stages = re.findall(r"^FROM \S+ AS (\w+)", text, re.M)
    assert stages[-1] == "runtime" and "dev" in stages
    assert "ARG USER_UID=" in text and "ARG USER_GID=" in text
    assert re.search(r"^USER app$", text, re.M)
    # apt lists removed in every RUN that updates them; pip's and uv's caches never in a layer
    for run_step in re.split(r"^RUN ", text, flags=re.M)[1:]:
        if "apt-get update" in run_step:
            assert "rm -rf /var/lib/apt/lists/*" in run_step, run_step
        cache = "uv" if "uv pip install" in run_step else "pip"
        if "pip install" in run_step:
            assert f"--mount=type=cache,target=/root/.cache/{cache}" in run_step or (
                "--no-cache-dir" in run_step or "--no-cache " in run_step
            ), run_step
    # dependencies before source: requirements are installed before the project is copied
    assert text.index("pip install") < text.index("COPY --chown=app:app . /app")
    # every vendor download is checked against a checksum
    for line in lines:
        if line.startswith("RUN fetch-artifact "):
            assert re.search(r" (sha256|sha512):([0-9a-f]{64,128}|\"?\$)", line), line
    # proxies are never written into the image
    assert "PROXY" not in "\n".join(ln for ln in lines if ln.startswith(("ENV", "ARG")))


def _stages(text: str) -> dict[str, str]:
    """Each stage's instructions by its name."""
    parts = re.split(r"^FROM \S+ AS ([\w-]+)$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


@pytest.mark.parametrize("shape", ["py311", "py313", "flask"])
def test_uv_fills_a_venv_in_the_builder_that_runtime_copies(
    new_project: Callable[..., Path], shape: str
) -> None:
    from bootstrap.catalog import uv_pin

    project = _make(new_project, shape, "--ca-cert", os.environ.get("SSL_CERT_FILE", ""))
    stages = _stages((project / "Dockerfile").read_text())
    assert list(stages) == [
        "base",
        "builder",
        "stack-pins",
        "stack",
        "environment",
        "stack-bytecode",
        "bytecode",
        "dev",
        "runtime",
    ]
    builder, dev, runtime = stages["builder"], stages["dev"], stages["runtime"]
    # uv pinned by version and by the sha256 of every wheel the catalog records, via pip's hash mode
    pin = uv_pin()
    wanted = f"uv=={pin['version']}" + "".join(
        f" --hash=sha256:{wheel['sha256']}" for wheel in pin["wheels"]
    )
    assert wanted in builder and "pip install --require-hashes --no-deps -r /tmp/uv.txt" in builder
    assert "UV_LINK_MODE=copy" in builder and "UV_SYSTEM_CERTS=1" in builder
    # the stacks' pins install first, keyed by the content of the list cut from the lock; the whole
    # lock goes over them, with hash checking kept and the corporate index reaching uv each time
    assert "COPY --from=stack-pins /tmp/stack.txt /tmp/stack.txt" in stages["stack"]
    install = 'UV_DEFAULT_INDEX="$PIP_INDEX_URL" uv pip install --python /opt/venv/bin/python'
    assert f"{install} --require-hashes --no-deps -r /tmp/stack.txt" in stages["stack"]
    environment = stages["environment"]
    assert "set -- --require-hashes --no-deps; fi" in environment
    assert f'{install} "$@" -r /tmp/requirements.txt' in environment
    assert "cp -a --parents -t /opt/added" in environment
    assert "uv pip install" not in stages["bytecode"]  # one install of the lock: environment's
    # bytecode is compiled in stages of their own, which the runtime copies and the dev stage skips
    for name in ("builder", "stack", "environment"):
        instructions = [ln for ln in stages[name].splitlines() if not ln.startswith("#")]
        assert not [ln for ln in instructions if "COMPILE_BYTECODE" in ln], (name, instructions)
    # each writes __pycache__ folders only, which the runtime copies over the environment
    script = "python /tmp/compile-bytecode.py"
    assert f"{script} --into /opt/bytecode" in stages["stack-bytecode"]
    assert f"{script} --from /opt/added --into /opt/added" in stages["bytecode"]
    for name in ("stack-bytecode", "bytecode"):
        assert "ARG UV_COMPILE_BYTECODE=1" in stages[name], name
    assert "\nFROM base AS stack-pins\n" in (project / "Dockerfile").read_text()  # beside builder
    # only the environment leaves the builder: no uv, cache or build-only package in dev or runtime
    copies = [ln for ln in runtime.splitlines() if ln.startswith("COPY --from")]
    assert copies == [
        "COPY --from=stack /opt/venv /opt/venv",
        "COPY --from=stack-bytecode /opt/bytecode/opt/venv/ /opt/venv/",
        "COPY --from=bytecode /opt/added/opt/venv/ /opt/venv/",
    ]
    assert "COPY --from=stack --chown=app:app /opt/venv /opt/venv" in dev
    assert "COPY --from=environment --chown=app:app /opt/added/opt/venv/ /opt/venv/" in dev
    for stage in (dev, runtime):
        # uv may be lent to one RUN (a bind mount), never copied or set into the image
        kept = [ln for ln in stage.splitlines() if ln.startswith(("COPY", "ENV", "ADD"))]
        assert not [ln for ln in kept if "uv" in ln.replace("/opt/venv", "")], kept
        assert "/root/.cache" not in stage
    config = json.loads(
        re.sub(
            r"^\s*//.*$", "", (project / ".devcontainer/devcontainer.json").read_text(), flags=re.M
        )
    )
    settings = config["customizations"]["vscode"]["settings"]
    assert settings["python.defaultInterpreterPath"] == "/opt/venv/bin/python"


def test_python_27_keeps_pip_in_one_stage(new_project: Callable[..., Path]) -> None:
    project = _make(new_project, "py27")
    text = (project / "Dockerfile").read_text()
    assert list(_stages(text)) == ["base", "dev", "runtime"]
    assert "uv" not in text.replace("/usr/local/bin/python", "")
    assert "/opt/venv" not in text and 'pip install "$@" -r /tmp/requirements.txt' in text


def test_build_only_packages_stay_in_the_builder(new_project: Callable[..., Path]) -> None:
    """mysqlclient compiles against libmysqlclient: its compiler and headers are the builder's."""
    project = new_project("--python", "3.12", "--driver", "mysql", "--option", "mysql:mysqlclient")
    stages = _stages((project / "Dockerfile").read_text())
    assert "gcc" in stages["builder"] and "default-libmysqlclient-dev" in stages["builder"]
    assert "libmariadb3" in stages["base"]
    for name in ("base", "dev", "runtime"):
        assert "gcc" not in stages[name] and "-dev" not in stages[name], name
    legacy = new_project(
        "--python", "2.7", "--driver", "mysql", "--option", "mysql:mysqlclient", name="legacy"
    )
    assert "gcc" in _stages((legacy / "Dockerfile").read_text())["base"]


def test_docker_compose_missing_is_one_line_exit_1_naming_the_fix(monkeypatch) -> None:
    from bootstrap import build
    from bootstrap.errors import BootstrapError

    monkeypatch.setattr(build.shutil, "which", lambda name: None)
    monkeypatch.setattr(build.os.path, "exists", lambda path: False)
    with pytest.raises(BootstrapError) as caught:
        build.compose_cli()
    message = caught.value.message
    assert "\n" not in message and caught.value.exit_code == 1
    assert message.startswith("docker-compose is missing")
    assert "apt-get install docker-compose" in message and "--no-smoke" in message


def test_compose_project_names_are_unique_and_valid() -> None:
    from bootstrap.build import compose_project_name

    name = compose_project_name("My.Project")
    assert re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name), name
    assert name.startswith("myproject-smoke-") and name != compose_project_name("other")


LOCK = """\
# The lock: a header comment
--extra-index-url https://extra.example/simple
anyio==4.0.0 \\
    --hash=sha256:aaaa
    # via httpx
Flask==3.0.0 \\
    --hash=sha256:bbbb \\
    --hash=sha256:cccc
    # via flask (catalog)
httpx==0.28.1 ; platform_machine == 'x86_64' \\
    --hash=sha256:dddd
    # from requirements.in:9
    # via my-tool
itsdangerous==2.2.0 \\
    --hash=sha256:eeee
    # via flask
my_tool==1.0 \\
    --hash=sha256:ffff
    # from requirements.in:8
zope.interface==6.0 \\
    --hash=sha256:9999
    # via itsdangerous, my-tool
"""


def _stack_pins(project: Path, lock: str, tmp_path: Path) -> str:
    """The generated project's own script that cuts the stacks' pins (the Dockerfile's
    stack-pins step), run on ``lock`` with the oldest Python the image may have."""
    text = (project / "Dockerfile").read_text()
    assert "RUN python /tmp/stack-pins.py /tmp/requirements.txt > /tmp/stack.txt" in text
    (tmp_path / "req.txt").write_text(lock)
    script = project / ".devcontainer" / "stack-pins.py"
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "req.txt")],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_the_stacks_pins_are_cut_from_the_lock_with_their_hashes(
    new_project: Callable[..., Path], tmp_path: Path
) -> None:
    """What the catalog lines need (and what that needs) goes first; the user's own lines and
    what only they need do not, so adding one leaves the first layer's list unchanged."""
    project = _make(new_project, "flask")
    cut = _stack_pins(project, LOCK, tmp_path)
    assert cut == (
        "--extra-index-url https://extra.example/simple\n"
        "Flask==3.0.0 \\\n    --hash=sha256:bbbb \\\n    --hash=sha256:cccc\n"
        "itsdangerous==2.2.0 \\\n    --hash=sha256:eeee\n"
        "zope.interface==6.0 \\\n    --hash=sha256:9999\n"
    )
    # a new requirement of the user's (and its dependency) changes the lock, not the list
    more = LOCK + "tomli==2.0.0 \\\n    --hash=sha256:1111\n    # from requirements.in:10\n"
    assert _stack_pins(project, more, tmp_path) == cut
    # one that moves a shared pin changes the list: the stack layer is rebuilt
    moved = LOCK.replace("itsdangerous==2.2.0", "itsdangerous==2.3.0")
    assert "itsdangerous==2.3.0" in _stack_pins(project, moved, tmp_path)
    # a lock without hashes (offline pins) has no list: everything goes in the second layer
    assert _stack_pins(project, re.sub(r" \\\n +--hash=\S+", "", LOCK), tmp_path) == ""


def test_bytecode_is_written_apart_and_taken_as_current_where_the_image_puts_the_sources(
    new_project: Callable[..., Path], tmp_path: Path
) -> None:
    """The Dockerfile's compile step: bytecode for each listed file lands under --into, named and
    headed so that Python takes it as current once the runtime image has the sources at the
    listed path; a file that does not compile is skipped; many files go to a pool of workers."""
    import importlib.util
    import marshal
    import struct

    project = _make(new_project, "flask")
    script = project / ".devcontainer" / "compile-bytecode.py"
    source = tmp_path / "added"
    package = source / "opt/venv/lib/pkg"
    (package / "sub").mkdir(parents=True)
    names = [f"opt/venv/lib/pkg/sub/m{i}.py" for i in range(150)]
    for name in names:
        (source / name).write_text(f"VALUE = {len(name)}\n")
    (package / "broken.py").write_text("def (:\n")
    listed = [f"/{name}" for name in [*names, "opt/venv/lib/pkg/broken.py"]]
    for into in (tmp_path / "bytecode", source):  # a tree of its own, or beside the sources
        done = subprocess.run(
            [sys.executable, str(script), "--from", str(source), "--into", str(into)],
            input="\n".join(listed) + "\n",
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0 and not done.stderr, done.stderr
        written = sorted(p.relative_to(into) for p in into.rglob("*.pyc"))
        assert len(written) == 150, written[:3]
        for name in (names[0], names[-1]):
            cached = Path(str(into) + importlib.util.cache_from_source(f"/{name}"))
            data = cached.read_bytes()
            magic, flags, mtime, size = struct.unpack("<4sIII", data[:16])
            st = (source / name).stat()
            assert (magic, flags) == (importlib.util.MAGIC_NUMBER, 0)
            assert (mtime, size) == (int(st.st_mtime) & 0xFFFFFFFF, st.st_size)
            assert marshal.loads(data[16:]).co_filename == f"/{name}"  # tracebacks name the image's
        assert not list(into.rglob("broken*.pyc"))
