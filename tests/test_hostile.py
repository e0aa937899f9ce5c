"""Hostile and odd input, the way an attacker or a careless user meets bootstrap: real files,
FIFOs, symbolic links, signals, a full file system and a read-only folder. Every case checks the
bytes of every file in and around the project before and after, and that nothing of the
project's own ran on this machine."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import BOOTSTRAP, snapshot, write_tree
from support.local_index import sdist, serve, wheel

SETPRIV = shutil.which("setpriv")
UNPRIVILEGED = (
    [SETPRIV, "--bounding-set=-dac_override,-dac_read_search", "--"]
    if os.geteuid() == 0 and SETPRIV
    else []
)
needs_file_modes = pytest.mark.skipif(
    os.geteuid() == 0 and not SETPRIV, reason="root without setpriv ignores file modes"
)
LOOPBACK = {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}


def cli(
    *args: str | os.PathLike[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    prefix: list[str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(prefix or []), *BOOTSTRAP, *map(str, args)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    """The single error line of a failed command with exit ``code``; never a traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert result.returncode == code, result.stderr
    return errors[0]


def everything(folder: Path) -> dict[str, object]:
    """Every path under ``folder``: file bytes, link targets, folders (leftovers show)."""
    out: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path))
        elif path.is_dir():
            out[rel] = "folder"
        elif path.is_file():
            out[rel] = path.read_bytes()
        else:
            out[rel] = "special"
    return out


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "outside.txt").write_text("the user's file outside the project\n")
    return tmp_path


@pytest.fixture
def project(work: Path) -> Path:
    made = cli("new", "--no-input", "--offline", "--name", "demo", "--output-dir", "out", cwd=work)
    assert made.returncode == 0, made.stderr
    return work / "out" / "demo"


# --- the CLI's last resort ----------------------------------------------------------------------

_BROKEN = """
import sys
import bootstrap.commands
def broken(args):
    raise KeyError("a bug")
bootstrap.commands.catalog_command = broken
from bootstrap.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(work: Path) -> None:
    plain = subprocess.run(
        [sys.executable, "-c", _BROKEN, "catalog"], capture_output=True, text=True, check=False
    )
    line = one_line(plain, 1)
    assert "KeyError" in line and "--debug" in line, line
    debug = subprocess.run(
        [sys.executable, "-c", _BROKEN, "catalog", "--debug"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr and "a bug" in debug.stderr


def test_an_ascii_only_stream_does_not_break_output(work: Path) -> None:
    shown = cli("catalog", cwd=work, env={"PYTHONIOENCODING": "ascii"})
    assert shown.returncode == 0, shown.stderr
    assert "3.8\\u20133.14" in shown.stdout  # the en dash, escaped instead of a crash


# --- every read of a file goes through safe_io ----------------------------------------------

PACKAGE = Path(__file__).resolve().parent.parent / "bootstrap"
_RAW = {"read_text", "read_bytes", "copyfile", "copy", "copy2", "copytree"}


def _raw_reads(source: str) -> list[int]:
    """Lines of ``source`` that read a file without safe_io and do not say why (``# own: ...``:
    package data, a scratch render, a tool's output, bootstrap's cache)."""
    import ast

    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        raw = (isinstance(func, ast.Name) and func.id == "open") or (
            isinstance(func, ast.Attribute)
            and (
                func.attr in _RAW
                or (
                    func.attr in ("load", "safe_load")
                    and isinstance(func.value, ast.Name)
                    and func.value.id in ("json", "tomllib", "yaml", "json5")
                )
            )
        )
        span = lines[node.lineno - 1 : node.end_lineno or node.lineno]
        if raw and not any("# own" in line for line in span):
            found.append(node.lineno)
    return found


def test_the_static_check_finds_a_raw_read() -> None:
    assert _raw_reads("x = open(p).read()\ny = p.read_text()  # own: package data\n") == [1]
    assert _raw_reads("data = json.load(handle)\nshutil.copyfile(a, b)\n") == [1, 2]


def test_no_file_is_read_outside_safe_io() -> None:
    """Project, answers and catalog files are read only through safe_io (bounded, regular files,
    links checked); any other read says what it reads."""
    offenders = [
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "safe_io.py"
        for line in _raw_reads(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


# --- answers files ------------------------------------------------------------------------------

_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("name: 2024-01-01\n", "name is a date"),
        ("name: !!set {a, b}\n", "name is a set"),
        ("network: {when: 12:30:00.1}\n", None),  # a sexagesimal float: plain data, refused later
        (_BOMB, "aliases"),
        ("name: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than"),
        ('{"name": ' + "[" * 5000 + "]" * 5000 + "}\n", "nested more than"),
        ("- a list\n", "must be a mapping"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)
def test_hostile_answers_files_exit_2(work: Path, content: str, named: str | None) -> None:
    (work / "answers.yml").write_text(content)
    before = everything(work)
    result = cli("new", "--no-input", "--offline", "--answers", "answers.yml", cwd=work, timeout=30)
    line = one_line(result, 2)
    assert "answers" in line
    if named:
        assert named in line, line
    assert everything(work) == before


@pytest.mark.parametrize("kind", ["fifo", "device", "huge", "folder"])
def test_answers_that_are_not_a_small_regular_file_exit_2(work: Path, kind: str) -> None:
    path = work / "answers.yml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path = Path("/dev/zero")
    elif kind == "huge":
        path.write_bytes(b"name: x\n" + b"#" * (2 * 1024 * 1024))
    else:
        path.mkdir()
    before = everything(work)
    result = cli("new", "--no-input", "--offline", "--answers", path, cwd=work, timeout=30)
    line = one_line(result, 2)
    assert str(path.name) in line
    assert everything(work) == before


@pytest.mark.parametrize("source", ["/dev/zero", "fifo"])
def test_a_ca_cert_that_never_ends_is_refused(work: Path, source: str) -> None:
    if source == "fifo":
        os.mkfifo(work / "corp.crt")
        source = str(work / "corp.crt")
    before = everything(work)
    result = cli("new", "--no-input", "--offline", "--ca-cert", source, cwd=work, timeout=30)
    assert "not a regular file" in one_line(result, 2)
    assert everything(work) == before


# --- recorded answers and organisation catalogs -------------------------------------------------


@pytest.mark.parametrize(
    ("recorded", "named"),
    [
        ("[]", "should be a mapping"),
        ('{"name": 5, "python": "3.12"}', "name 5"),
        ('{"name": "x", "python": "banana"}', "python 'banana' is not in the catalog"),
        ('{"name": "x", "python": "3.12", "layout": {"siblings": ["../x"]}}', "layout.siblings"),
        ('{"a": ' * 3000 + "1" + "}" * 3000, "nested"),
    ],
)
def test_edited_recorded_answers_exit_2(
    project: Path, work: Path, recorded: str, named: str
) -> None:
    (project / ".devcontainer" / "bootstrap.json").write_text(recorded)
    before = everything(work)
    for command in ("lock", "validate", "update", "build"):
        result = cli(command, project, cwd=work)
        line = one_line(result, 2 if command != "validate" else 1)
        assert "bootstrap.json" in line and named in line, (command, line)
    assert everything(work) == before


_RECORD = 'name = "x"\nsummary = "x"\nsources = ["test"]\n'


@pytest.mark.parametrize(
    ("record", "named"),
    [
        ('kind = "python"\nid = "banana"\nimage = "python:3"\n' + _RECORD, "/id: 'banana'"),
        ('kind = "python"\nid = "3.99"\n' + _RECORD, "/image"),
        (
            'kind = "stack"\nid = "s"\nrequires = { python = "banana" }\n' + _RECORD,
            "/requires/python",
        ),
        ('kind = "stack"\nid = "s"\npip = ["not a requirement!"]\n' + _RECORD, "/pip/0"),
        (
            'kind = "stack"\nid = "s"\n'
            + _RECORD
            + '[[files]]\npath = "../escape"\ncontent = "x"\n',
            "/files/0/path",
        ),
        (
            'kind = "stack"\nid = "s"\n'
            + _RECORD
            + '[[files]]\npath = ".devcontainer/devcontainer.json"\ncontent = "x"\n',
            "bootstrap itself writes",
        ),
        ('kind = "stack"\nid = "s"\nwhen = 2024-01-01\n' + _RECORD, "catalog record"),
        ("a = " + "[" * 3000 + "]" * 3000 + "\n", "nested more than"),
    ],
)
def test_organisation_records_that_make_no_sense_exit_2(
    work: Path, record: str, named: str
) -> None:
    (work / "org.toml").write_text(record)
    before = everything(work)
    for command in (["catalog"], ["new", "--no-input", "--offline", "--output-dir", "out"]):
        result = cli(*command, "--catalog", "org.toml", cwd=work)
        line = one_line(result, 2)
        assert "org.toml" in line and named in line, line
    assert everything(work) == before


def test_a_catalog_fifo_is_refused_without_hanging(work: Path) -> None:
    os.mkfifo(work / "org.toml")
    result = cli("catalog", "--catalog", "org.toml", cwd=work, timeout=30)
    assert "not a regular file" in one_line(result, 2)


def test_a_catalog_folder_whose_name_holds_the_path_separator(work: Path) -> None:
    folder = work / f"org{os.pathsep}catalog"
    write_tree(
        folder,
        {"acme.toml": 'kind = "driver"\nid = "acme"\n' + _RECORD},
    )
    listed = cli("catalog", cwd=work, env={"BOOTSTRAP_CATALOG": str(folder)})
    assert listed.returncode == 0, listed.stderr
    assert "acme" in listed.stdout


# --- paths that lead out of the project ---------------------------------------------------------


def _edit_base(project: Path, change: dict[str, object]) -> None:
    path = project / ".devcontainer" / "bootstrap-base.json"
    data = json.loads(path.read_text())
    for key, value in change.items():
        data[key] = {**data.get(key, {}), **value}  # type: ignore[dict-item]
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"files": {"../../outside.txt": ["mine"]}}, "../../outside.txt"),
        ({"files": {"/tmp/bootstrap-absolute.txt": ["x"]}}, "/tmp/bootstrap-absolute.txt"),
        ({"paths": {"README.md": "../../outside.txt"}}, "../../outside.txt"),
    ],
)
def test_update_never_writes_where_the_base_points_outside(
    project: Path, work: Path, change: dict[str, object], named: str
) -> None:
    _edit_base(project, change)
    before = everything(work)
    result = cli("update", project, "--offline", "--force", cwd=work)
    line = one_line(result, 2)
    assert "bootstrap-base.json" in line and named in line, line
    assert everything(work) == before
    assert not Path("/tmp/bootstrap-absolute.txt").exists()


def test_update_never_follows_a_folder_link_out_of_the_project(project: Path, work: Path) -> None:
    elsewhere = work / "elsewhere"
    shutil.move(project / ".devcontainer", elsewhere)
    (project / ".devcontainer").symlink_to(elsewhere)
    before = everything(work)
    result = cli("update", project, "--offline", "--force", "--python", "3.12", cwd=work)
    one_line(result, 2)
    assert everything(work) == before


def test_lock_refuses_a_requirements_txt_that_links_outside(project: Path, work: Path) -> None:
    (project / "requirements.txt").unlink()
    (project / "requirements.txt").symlink_to(work / "outside.txt")
    before = everything(work)
    result = cli("lock", project, "--offline", cwd=work)
    line = one_line(result, 2)
    assert "symbolic link" in line, line
    assert everything(work) == before


def test_new_force_never_writes_through_a_folder_link(project: Path, work: Path) -> None:
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(project / ".devcontainer")
    (project / ".devcontainer").symlink_to(elsewhere)
    before = everything(work)
    result = cli(
        "new",
        "--no-input",
        "--offline",
        "--name",
        "demo",
        "--output-dir",
        "out",
        "--force",
        cwd=work,
    )
    one_line(result, 2)
    assert everything(work) == before


def _make_odd(path: Path, kind: str, outside: Path) -> None:
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "huge":
        with open(path, "wb") as big:
            big.truncate(50 * 1024 * 1024)  # sparse: refused by its size, never read
    elif kind == "device":
        path.symlink_to("/dev/zero")
    else:
        path.symlink_to(outside)


_COMMANDS = {
    "Dockerfile": [["validate"], ["build"]],
    ".devcontainer/devcontainer.json": [["validate"], ["update", "--offline", "--force"]],
    "requirements.txt": [["validate"], ["lock", "--offline"], ["update", "--offline", "--force"]],
    "requirements.in": [["lock", "--offline"], ["update", "--offline", "--force"]],
    ".devcontainer/bootstrap-base.json": [["update", "--offline", "--force"]],
}


@pytest.mark.parametrize("kind", ["fifo", "huge", "device", "link-out"])
@pytest.mark.parametrize("target", list(_COMMANDS))
def test_project_files_that_are_odd_are_refused_in_one_line(
    project: Path, work: Path, target: str, kind: str
) -> None:
    (work / "outside.txt").write_text("FROM outside-secret-image\nsecret-requirement==1.0\n")
    _make_odd(project / target, kind, work / "outside.txt")
    for command in _COMMANDS[target]:
        before = everything(work)
        result = cli(command[0], project, *command[1:], cwd=work, timeout=60)
        assert "Traceback" not in result.stderr, (command, result.stderr)
        assert "secret" not in result.stdout + result.stderr, (command, result.stderr)
        if result.returncode == 0:  # the odd file was left as it is (noted), or replaced whole
            assert kind == "huge" or "left as it is" in result.stdout + result.stderr, command
            after = everything(work)
            assert after["outside.txt"] == before["outside.txt"]
            assert kind == "huge" or after[f"out/demo/{target}"] == before[f"out/demo/{target}"]
        else:
            one_line(result, result.returncode)
            assert result.returncode in (1, 2), (command, result.returncode, result.stderr)
            assert everything(work) == before, command


def test_a_recorded_ca_certificate_that_is_odd_is_refused(work: Path) -> None:
    (work / "corp.crt").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    made = cli(
        "new",
        "--no-input",
        "--offline",
        "--name",
        "demo",
        "--output-dir",
        "out",
        "--ca-cert",
        "corp.crt",
        cwd=work,
    )
    assert made.returncode == 0, made.stderr
    project = work / "out" / "demo"
    [cert] = (project / ".devcontainer" / "certs").iterdir()
    for kind in ("fifo", "huge", "device", "link-out"):
        if cert.exists() or cert.is_symlink():
            cert.unlink()
        cert.write_text("x")
        _make_odd(cert, kind, work / "outside.txt")
        before = everything(work)
        result = cli(
            "update", project, "--offline", "--force", "--python", "3.12", cwd=work, timeout=60
        )
        line = one_line(result, 2)
        assert cert.name in line, (kind, line)
        assert everything(work) == before, kind


@pytest.mark.parametrize(
    ("devcontainer", "codes"),
    [
        ('{"build": {"dockerfile": "a\\u0000b"}}', {"validate": 2, "build": 2}),
        ('{"mounts": [5, null, ["x"]]}', {"validate": 1}),
    ],
)
def test_odd_devcontainer_values_are_one_line(
    project: Path, work: Path, devcontainer: str, codes: dict[str, int]
) -> None:
    (project / ".devcontainer" / "devcontainer.json").write_text(devcontainer)
    before = everything(work)
    for command, code in codes.items():
        result = cli(command, project, cwd=work, timeout=60)
        line = one_line(result, code)
        assert "bug in bootstrap" not in line, line
    assert everything(work) == before


def test_a_dockerfile_named_outside_the_project_is_refused(project: Path, work: Path) -> None:
    devcontainer = project / ".devcontainer" / "devcontainer.json"
    devcontainer.write_text(
        devcontainer.read_text().replace('"../Dockerfile"', '"../../../outside.txt"')
    )
    before = everything(work)
    result = cli("build", project, cwd=work)
    line = one_line(result, 2)
    assert "outside the project" in line, line
    assert everything(work) == before


# --- nothing of the project runs on this machine ------------------------------------------------


def _local_package(work: Path) -> Path:
    marker = work / "setup-py-ran"
    write_tree(
        work / "localpkg",
        {
            "setup.py": f"open({str(marker)!r}, 'w').write('ran')\n"
            "from setuptools import setup\nsetup(name='localpkg', version='1.0')\n",
        },
    )
    return marker


def test_lock_refuses_requirements_that_would_build_local_code(project: Path, work: Path) -> None:
    marker = _local_package(work)
    for line in (
        f"localpkg @ file://{work}/localpkg",
        f"-e {work}/localpkg",
        f"{work}/localpkg",
        "pkg @ git+https://example.invalid/pkg.git",
    ):
        (project / "requirements.in").write_text(f"requests\n{line}\n")
        before = everything(work)
        result = cli("lock", project, "--index-url", "http://127.0.0.1:9/simple", cwd=work)
        message = one_line(result, 2)
        assert "requirements.in" in message, message
        assert everything(work) == before
    assert not marker.exists()


@pytest.mark.parametrize("line", ["../outside", "/etc", "-e ../outside", "x @ file:///etc"])
@pytest.mark.parametrize("offline", [True, False])
def test_a_local_path_outside_the_project_changes_nothing(
    project: Path, work: Path, line: str, offline: bool
) -> None:
    (project / "requirements.in").write_text(f"rich==13.9.4\n{line}\n")
    before = everything(work)
    where = ["--offline"] if offline else ["--index-url", "http://127.0.0.1:9/simple"]
    result = cli("lock", project, *where, cwd=work)
    assert "outside the project" in one_line(result, 2)
    assert everything(work) == before


@pytest.mark.parametrize("command", ["lock", "add"])
def test_a_requirements_in_of_100000_lines_is_refused_at_once(
    project: Path, work: Path, command: str
) -> None:
    (project / "requirements.in").write_text("rich==13.9.4\n" * 100_000)  # 1.3 MB
    before = everything(work)
    dead = "http://127.0.0.1:9/simple"
    args = (
        [project, "--index-url", dead]
        if command == "lock"
        else [project, "six", "--index-url", dead]
    )
    started = time.monotonic()
    result = cli(command, *args, cwd=work, timeout=60)
    assert "more than 5,000 lines" in one_line(result, 2)
    assert time.monotonic() - started < 30
    assert everything(work) == before


def test_init_leaves_out_path_requirements_and_runs_nothing(work: Path) -> None:
    marker = _local_package(work)
    app = write_tree(
        work / "app",
        {
            "main.py": "import requests\n",
            "requirements.txt": f"requests==2.32.3\nlocalpkg @ file://{work}/localpkg\n",
        },
    )
    result = cli("init", app, "--no-input", "--offline", cwd=work)
    assert result.returncode == 0, result.stderr
    assert "localpkg" in result.stderr  # said, and left out
    assert "localpkg" not in (app / ".devcontainer" / "requirements.in").read_text()
    assert not marker.exists()


def _crafted_index(folder: Path, marker: Path) -> None:
    """Source-only releases whose build would leave ``marker``: a setup.py, an in-tree build
    backend, static metadata; one of them needed only through a wheel's dependency."""
    ran = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    folder.mkdir()
    sdist(
        folder,
        "evil-setup",
        "1.0",
        {
            "PKG-INFO": "Metadata-Version: 1.0\nName: evil-setup\nVersion: 1.0\n",
            "setup.py": ran + "from setuptools import setup\nsetup(name='evil-setup')\n",
            "evil_setup.egg-info/requires.txt": "dep-a\n",
        },
    )
    sdist(
        folder,
        "evil-backend",
        "2.0",
        {
            "PKG-INFO": "Metadata-Version: 2.1\nName: evil-backend\nVersion: 2.0\n"
            "Requires-Dist: dep-b\n",
            "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\n'
            'backend-path = ["."]\n',
            "backend.py": ran + "def get_requires_for_build_wheel(config=None):\n    return []\n",
            "setup.py": ran,
        },
    )
    sdist(
        folder,
        "evil-static",
        "3.0",
        {
            "PKG-INFO": "Metadata-Version: 2.2\nName: evil-static\nVersion: 3.0\n",
            "setup.py": ran,
        },
    )
    wheel(folder, "uses-evil", "1.0", ["evil-backend"])
    wheel(folder, "dep-a", "1.0")
    wheel(folder, "dep-b", "1.0")


@pytest.mark.parametrize("command", ["lock", "add"])
def test_locking_source_only_releases_runs_none_of_their_code(
    project: Path, work: Path, command: str
) -> None:
    marker = work / "sdist-code-ran"
    _crafted_index(work / "index", marker)
    env = {**LOOPBACK, "XDG_CACHE_HOME": str(work / "cache")}
    with serve(work / "index") as index:
        if command == "lock":
            (project / "requirements.in").write_text("uses-evil\nevil-setup\nevil-static\n")
            result = cli("lock", project, "--index-url", index, cwd=work, env=env)
        else:
            (project / "requirements.in").write_text("evil-setup\n")
            result = cli(
                "add", project, "uses-evil", "evil-static", "--index-url", index, cwd=work, env=env
            )
    assert result.returncode == 0, result.stderr
    assert not marker.exists(), marker.read_text()
    lock = (project / "requirements.txt").read_text()
    for name, version, archive in (
        ("evil-setup", "1.0", "evil_setup-1.0.tar.gz"),
        ("evil-backend", "2.0", "evil_backend-2.0.tar.gz"),
        ("evil-static", "3.0", "evil_static-3.0.tar.gz"),
    ):
        digest = hashlib.sha256((work / "index" / archive).read_bytes()).hexdigest()
        block = lock.split(f"{name}=={version} \\\n", 1)[1].split("\n    #", 1)[0]
        assert block.strip() == f"--hash=sha256:{digest}", lock  # the real sdist, nothing else
    assert "dep-a==1.0" in lock and "dep-b==1.0" in lock  # read from the sdists as text


def test_update_runs_no_git_hook_or_fsmonitor_of_the_project(project: Path, work: Path) -> None:
    marker = work / "fsmonitor-ran"
    git = ["git", "-C", str(project), "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    subprocess.run([*git, "config", "core.fsmonitor", f"touch {marker}; false"], check=True)
    hooks = project / ".git" / "hooks"
    for hook in ("post-checkout", "post-merge", "pre-commit", "post-index-change"):
        (hooks / hook).write_text(f"#!/bin/sh\ntouch {marker}\n")
        (hooks / hook).chmod(0o755)
    result = cli("update", project, "--offline", "--python", "3.12", cwd=work)
    assert result.returncode == 0, result.stderr
    assert not marker.exists()


# --- interrupted: SIGTERM and SIGHUP like Ctrl-C ------------------------------------------------


class _SlowIndex(http.server.BaseHTTPRequestHandler):
    """Answers the reachability probe at once; holds every package page until the test ends."""

    asked = threading.Event()
    release = threading.Event()

    def do_HEAD(self) -> None:
        self.send_response(404)
        self.end_headers()

    def do_GET(self) -> None:
        type(self).asked.set()
        type(self).release.wait(60)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slow_index() -> Iterator[str]:
    _SlowIndex.asked = threading.Event()
    _SlowIndex.release = threading.Event()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowIndex)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        _SlowIndex.release.set()
        server.shutdown()
        server.server_close()


def _interrupt_mid_lock(
    args: list[str | os.PathLike[str]], work: Path, signum: int
) -> subprocess.CompletedProcess[str]:
    process = subprocess.Popen(
        [*BOOTSTRAP, *map(str, args)],
        cwd=work,
        env={**os.environ, **LOOPBACK},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert _SlowIndex.asked.wait(120), "the lock never asked the index"
        time.sleep(0.3)
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_during_add_restores_requirements(
    project: Path, work: Path, slow_index: str, signum: int, code: int
) -> None:
    before = everything(work)
    result = _interrupt_mid_lock(["add", project, "rich", "--index-url", slow_index], work, signum)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert "nothing was written" in result.stderr
    assert everything(work) == before


def test_sigterm_during_new_leaves_no_scratch_folder(work: Path, slow_index: str) -> None:
    (work / "out").mkdir()
    (work / "out" / "mine.txt").write_text("mine\n")
    before = everything(work)
    result = _interrupt_mid_lock(
        [
            "new",
            "--no-input",
            "--name",
            "demo",
            "--output-dir",
            "out",
            "--pip-index-url",
            slow_index,
        ],
        work,
        signal.SIGTERM,
    )
    assert result.returncode == 143, result.stderr
    assert "Traceback" not in result.stderr
    assert everything(work) == before


# --- the disk and the file system ---------------------------------------------------------------


def _mount_tmpfs(folder: Path, size: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    return mounted.returncode == 0


def _fill(disk: Path) -> None:
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)


@pytest.mark.parametrize("command", ["lock", "add"])
def test_a_full_disk_never_cuts_a_file(work: Path, command: str) -> None:
    disk = work / "disk"
    if not _mount_tmpfs(disk, "1m"):
        pytest.skip("needs root and tmpfs mounts")
    try:
        made = cli(
            "new", "--no-input", "--offline", "--name", "demo", "--output-dir", disk, cwd=work
        )
        assert made.returncode == 0, made.stderr
        project = disk / "demo"
        _fill(disk)
        before = snapshot(work)
        args = (
            ["lock", project, "--offline"]
            if command == "lock"
            else ["add", project, "rich==13.9.4", "--index-url", "http://127.0.0.1:9/simple"]
        )
        result = cli(*args, cwd=work)
        line = one_line(result, 1)
        assert "No space left on device" in line, line
        assert snapshot(work) == before
        assert not [p for p in project.iterdir() if p.name.endswith(".tmp")]
    finally:
        subprocess.run(["umount", str(disk)], check=False)


@needs_file_modes
@pytest.mark.parametrize("command", ["lock", "add"])
def test_a_read_only_project_is_left_as_it_is(project: Path, work: Path, command: str) -> None:
    args = (
        ["lock", project, "--offline"]
        if command == "lock"
        else ["add", project, "rich==13.9.4", "--index-url", "http://127.0.0.1:9/simple"]
    )
    project.chmod(0o555)
    try:
        before = everything(work)
        result = cli(*args, cwd=work, prefix=UNPRIVILEGED)
        line = one_line(result, 2)
        assert "Permission denied" in line and "nothing was changed" in line, line
        assert everything(work) == before
    finally:
        project.chmod(0o755)


# --- init meeting odd projects ------------------------------------------------------------------


def test_init_reads_odd_files_as_warnings(work: Path) -> None:
    app = write_tree(
        work / "app",
        {
            "main.py": "import pandas\n",
            "pyproject.toml": 'project = "oops"\n[tool]\npoetry = 5\n',
            "Pipfile": "[packages]\nx = 5\ny = { version = 5 }\n[requires]\npython_version = 3\n",
            "environment.yml": "dependencies: 5\n",
            "requirements.in": b"caf\xe9\n",
            "requirements.txt": b"caf\xe9==1.0\nwheel @ https://example.invalid/w-1.0-py3-none-any.whl\n",
            "setup.cfg": "[options]\ninstall_requires = \n  %(x)s\n",
            "runtime.txt": "python-banana\n",
            "n.ipynb": json.dumps(
                {
                    "cells": [{"cell_type": "code", "source": "import polars"}],
                    "metadata": {"kernelspec": None},
                }
            ),
            "deep.ipynb": "[" * 100_000,
            "bomb/environment.yml": _BOMB,
        },
    )
    os.mkfifo(app / "x.py")
    os.mkfifo(app / "requirements-dev.txt")
    (app / "zero.py").symlink_to("/dev/zero")
    with open(app / "big.ipynb", "wb") as big:
        big.truncate(50 * 1024 * 1024)  # 50 MB, sparse: refused by its size, never read
    before = everything(work)
    result = cli("init", app, "--dry-run", "--offline", cwd=work, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "x.py: not a regular file" in result.stderr
    assert "deep.ipynb: nested more than" in result.stderr
    assert "big.ipynb: larger than the 20 MB limit" in result.stderr
    assert "polars" in result.stdout  # the null kernelspec notebook was read as Python
    assert everything(work) == before


@pytest.mark.parametrize(
    "manifest",
    [
        "requirements.txt",
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "environment.yml",
        "Pipfile",
        "runtime.txt",
        ".python-version",
        "apt.txt",
        "requirements/base.txt",
        "binder/requirements.txt",
    ],
)
def test_init_never_reads_a_manifest_linked_from_outside(work: Path, manifest: str) -> None:
    """A link out of the project is noted and left unread; the file it points to never shows."""
    secret = work / "secret"
    secret.write_text(
        "secret-package-name==9.9\n[project]\nname = 'secret-package-name'\n"
        "dependencies: [secret-package-name]\n"
    )
    app = write_tree(work / "app", {"main.py": "import requests\n"})
    (app / manifest).parent.mkdir(parents=True, exist_ok=True)
    (app / manifest).symlink_to(secret)
    before = everything(work)
    result = cli("init", app, "--dry-run", "--offline", cwd=work, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "secret-package-name" not in result.stdout + result.stderr
    assert f"{manifest}: a symbolic link that leads outside the project: skipped" in result.stderr
    assert everything(work) == before


def test_init_follows_a_link_that_stays_inside(work: Path) -> None:
    app = write_tree(
        work / "app", {"main.py": "import requests\n", "deps/base.txt": "rich==13.9.4\n"}
    )
    (app / "requirements.txt").symlink_to("deps/base.txt")
    result = cli("init", app, "--dry-run", "--offline", cwd=work, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "rich" in result.stdout


def test_init_reads_50000_imports_in_moments(work: Path) -> None:
    """Each import was compared with every requirement found so far: minutes, not seconds."""
    app = write_tree(work / "app", {"main.py": "".join(f"import m{i}\n" for i in range(50_000))})
    started = time.monotonic()
    result = cli("init", app, "--dry-run", "--offline", cwd=work, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "m49999" in result.stdout
    assert time.monotonic() - started < 40


@needs_file_modes
def test_init_notes_an_unreadable_folder_and_goes_on(work: Path) -> None:
    app = write_tree(work / "app", {"main.py": "import pandas\n", "secret/a.py": "import polars\n"})
    (app / "secret").chmod(0)
    try:
        result = cli("init", app, "--no-input", "--offline", cwd=work, prefix=UNPRIVILEGED)
        assert result.returncode == 0, result.stderr
        assert "secret: cannot be read (Permission denied): skipped" in result.stderr
    finally:
        (app / "secret").chmod(0o755)


def test_too_long_names_exit_2(project: Path, work: Path) -> None:
    (project / "requirements.in").write_text("b" * 100_000 + "\n")
    long = "a" * 300
    before = everything(work)
    for args in (
        ["new", "--no-input", "--offline", "--output-dir", long],
        ["new", "--no-input", "--offline", "--name", long],
        ["lock", long],
        ["init", long, "--dry-run"],
        ["new", "--no-input", "--offline", "--answers", long],
        ["new", "--no-input", "--offline", "--catalog", long],
    ):
        line = one_line(cli(*args, cwd=work), 2)
        assert len(line) < 400, line
    for args in (
        ["add", "out/demo", "a" * 100_000, "--index-url", "http://127.0.0.1:9/simple"],
        ["lock", "--offline", "out/demo"],
    ):
        line = one_line(cli(*args, cwd=work), 2)
        assert len(line) < 1100 and "characters left out" in line, line[:2000]
    assert everything(work) == before


@pytest.mark.parametrize(
    "unit",
    [
        "import a\nx = '''q'''\n",  # top-level imports between strings
        "def f():\n    import b\n    s = '''q'''\n",  # imports inside functions, between strings
        "def f():\n    x = (a := 1)\n    s = '''q'''\n",  # newer expressions between strings
    ],
)
def test_a_source_of_thousands_of_imports_and_strings_is_read_in_one_pass(
    work: Path, unit: str
) -> None:
    """Each import asked whether it sits in a string, each string asked again: 1.5 MB built so
    took hours. Read now in seconds (the timeout only catches a return of the square)."""
    project = work / "project"
    project.mkdir()
    (project / "big.py").write_text("import requests\n" + unit * (1_500_000 // len(unit)))
    before = everything(work)
    result = cli("init", project, "--dry-run", "--offline", "--no-input", cwd=work, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert everything(work) == before


@pytest.mark.parametrize(
    ("name", "content"),
    [
        # a requirements list named once, then named again and again
        ("setup.py", "requires = ['six']\n" + "install_requires=requires\n" * 80_000),
        ("setup.py", "extras = {'pg': ['psycopg2']}\n" + "extras_require=extras\n" * 80_000),
        # 100,000 requirements, each looked up for the line that declares it
        (
            "pyproject.toml",
            '[project]\nname = "x"\ndependencies = [\n'
            + "".join(f'"pkg{i}",\n' for i in range(100_000))
            + "]\n",
        ),
    ],
)
def test_a_manifest_built_to_be_slow_is_read_in_one_pass(
    work: Path, name: str, content: str
) -> None:
    """Each lookup searching the whole file again took minutes to hours on these (1.2 to 1.9 MB).
    The timeout only catches a return of the square."""
    project = work / "project"
    project.mkdir()
    (project / name).write_text(content)
    before = everything(work)
    result = cli("init", project, "--dry-run", "--offline", "--no-input", cwd=work, timeout=150)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert everything(work) == before
