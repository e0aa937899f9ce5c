"""Bad input, the way users type it: each case exits 2 with one line naming the value and the fix,
no traceback, and nothing written or changed anywhere under the working folder."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pexpect
import pytest
from helpers import BOOTSTRAP, all_pinned, run

# Root ignores file modes: such cases run the CLI with the capabilities that bypass them dropped.
SETPRIV = shutil.which("setpriv")
UNPRIVILEGED = (
    [SETPRIV, "--bounding-set=-dac_override,-dac_read_search", "--"]
    if os.geteuid() == 0 and SETPRIV
    else []
)
needs_file_modes = pytest.mark.skipif(
    os.geteuid() == 0 and not SETPRIV, reason="root without setpriv ignores file modes"
)


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder``: files with their bytes, folders as None (leftovers show)."""
    return {
        str(p.relative_to(folder)): (None if p.is_dir() else p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if not p.is_symlink()
    }


def one_line_error(stderr: str) -> str:
    """The one error line, last on stderr (progress lines may come before it)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], stderr
    return errors[0]


def cli(
    *args: str | os.PathLike[str],
    cwd: Path,
    prefix: Sequence[str] = (),
    preexec: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, *BOOTSTRAP, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        preexec_fn=preexec,
        timeout=300,
        check=False,
    )


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A working folder with an output folder that already holds the user's files."""
    out = tmp_path / "out"
    (out / "existing").mkdir(parents=True)
    (out / "keep.txt").write_text("mine\n")
    (out / "existing" / "notes.md").write_text("# notes\n")
    (tmp_path / "bad.yml").write_text("name: [unclosed\n")
    (tmp_path / "list.yml").write_text("- name\n- python\n")
    (tmp_path / "unknown.yml").write_text("name: demo\ncolour: blue\n")
    (tmp_path / "stacks-number.yml").write_text("stacks: 5\n")
    (tmp_path / "name-number.yml").write_text("name: 12\n")
    (tmp_path / "network-string.yml").write_text("network: proxy\n")
    (tmp_path / "python-float.yml").write_text("python: 3.12\n")
    (tmp_path / "python-tag.yml").write_text('name: !!python/object/apply:os.system ["id"]\n')
    (tmp_path / "latin1.yml").write_bytes("description: caf\xe9\n".encode("latin-1"))
    (tmp_path / "answers-dir").mkdir()
    (tmp_path / "not-a-cert.pem").write_text("hello\n")
    (tmp_path / "afile").write_text("a file, not a folder\n")
    (tmp_path / "conflict.toml").write_text(
        'kind = "stack"\nid = "corp"\nname = "Corp"\nsummary = "x"\nsources = ["test"]\n'
        'requires = { conflicts = ["jupyter"] }\n'
    )
    (tmp_path / "bad-env.toml").write_text(
        'kind = "stack"\nid = "corp"\nname = "Corp"\nsummary = "x"\nsources = ["test"]\n'
        'env = { "A=1 RUN" = "x" }\n'
    )
    (tmp_path / "newline-env.toml").write_text(
        'kind = "stack"\nid = "corp"\nname = "Corp"\nsummary = "x"\nsources = ["test"]\n'
        'env = { CORP = "a\\nRUN touch /tmp/pwned" }\n'
    )
    (tmp_path / "broken.toml").write_text("kind = \n")
    return tmp_path


NEW = ("new", "--no-input", "--offline", "--output-dir", "out")

# (id, arguments after NEW, what the message must name, a word of the fix)
NEW_CASES = [
    ("empty-name", ["--name", ""], "name ''", "use 1-64"),
    ("overlong-name", ["--name", "a" * 65], "a" * 65, "use 1-64"),
    ("non-ascii-name", ["--name", "café"], "café", "ASCII"),
    ("traversal-name", ["--name", "../x"], "../x", "starting with a letter"),
    ("absolute-name", ["--name", "/etc/x"], "/etc/x", "starting with a letter"),
    ("quote-name", ["--name", 'a"b'], "a\"b'", "use 1-64"),
    ("newline-name", ["--name", "a\nb"], "a\\nb", "use 1-64"),
    ("jinja-name", ["--name", "a{{ 7*7 }}"], "a{{ 7*7 }}", "use 1-64"),
    ("jinja-block-name", ["--name", "a{% if 1 %}"], "a{% if 1 %}", "use 1-64"),
    ("subshell-name", ["--name", "a$(id)"], "a$(id)", "use 1-64"),
    ("backtick-name", ["--name", "a`id`"], "a`id`", "use 1-64"),
    ("newline-description", ["--description", "one\ntwo"], "one\\ntwo", "one line"),
    ("escape-description", ["--description", "a\x1b[31mred"], "a\\x1b[31mred", "one line"),
    ("overlong-description", ["--description", "d" * 201], "longer than 200", "one line"),
    ("unknown-python", ["--python", "3.99"], "'3.99'", "choose one of"),
    ("short-python", ["--python", "3"], "'3'", "choose one of"),
    ("unknown-stack", ["--stack", "nope"], "'nope'", "choose from"),
    ("unknown-driver", ["--driver", "nope"], "'nope'", "choose from"),
    ("shell-stack", ["--stack", "jupyter;rm -rf ~"], "jupyter;rm -rf ~", "choose from"),
    ("too-old-python", ["--python", "2.7", "--stack", "polars"], "polars", "choose Python"),
    ("too-new-python", ["--python", "3.14", "--stack", "tensorflow"], "tensorflow", "or drop"),
    ("option-unchosen", ["--option", "pytorch:gpu"], "pytorch:gpu", "add --stack/--driver"),
    (
        "unknown-option",
        ["--stack", "pytorch", "--option", "pytorch:tpu"],
        "pytorch:tpu",
        "choose from",
    ),
    ("malformed-option", ["--stack", "pytorch", "--option", "gpu"], "'gpu'", "COMPONENT:OPTION"),
    (
        "conflict",
        ["--catalog", "conflict.toml", "--stack", "jupyter,corp"],
        "corp",
        "drop one of them",
    ),
    ("answers-missing", ["--answers", "missing.yml"], "missing.yml", "pass an existing"),
    ("answers-folder", ["--answers", "answers-dir"], "answers-dir", "pass a YAML or JSON file"),
    ("answers-malformed", ["--answers", "bad.yml"], "bad.yml", "fix the syntax"),
    ("answers-list", ["--answers", "list.yml"], "list.yml", "mapping"),
    ("answers-unknown-key", ["--answers", "unknown.yml"], "'colour'", "use only"),
    ("answers-stacks-type", ["--answers", "stacks-number.yml"], "stacks 5", "choose from"),
    ("answers-name-type", ["--answers", "name-number.yml"], "name 12", "use 1-64"),
    ("answers-network-type", ["--answers", "network-string.yml"], "'proxy'", "use a mapping"),
    ("answers-python-float", ["--answers", "python-float.yml"], "3.12", "quote it"),
    ("answers-python-tag", ["--answers", "python-tag.yml"], "python-tag.yml", "fix the syntax"),
    ("answers-not-utf8", ["--answers", "latin1.yml"], "latin1.yml", "UTF-8"),
    ("ca-missing", ["--ca-cert", "corp.pem"], "corp.pem", "pass the path"),
    ("ca-folder", ["--ca-cert", "out"], "--ca-cert out", "certificate file"),
    ("ca-not-pem", ["--ca-cert", "not-a-cert.pem"], "not-a-cert.pem", "export it as PEM"),
    ("index-subshell", ["--pip-index-url", "https://x/$(id)"], "$(id)", "http(s) URL"),
    ("index-backtick", ["--pip-index-url", "https://x/`id`"], "`id`", "http(s) URL"),
    ("index-quote", ["--pip-index-url", 'https://x/"a'], 'x/"a', "http(s) URL"),
    ("index-space", ["--pip-index-url", "https://x/ a"], "x/ a", "http(s) URL"),
    ("index-scheme", ["--pip-index-url", "file:///etc/passwd"], "file:///etc", "http(s) URL"),
    ("mirror-sed", ["--apt-mirror", "http://m|e"], "http://m|e", "'|'"),
    ("mirror-ampersand", ["--apt-mirror", "http://m/?a&b"], "a&b", "'&'"),
    ("artifact-newline", ["--artifact-mirror", "http://m\nRUN x"], "RUN x", "http(s) URL"),
    ("catalog-missing", ["--catalog", "org.toml"], "org.toml", "pass an existing path"),
    ("catalog-broken", ["--catalog", "broken.toml"], "broken.toml", "fix the file"),
    ("catalog-env-key", ["--catalog", "bad-env.toml", "--stack", "corp"], "A=1 RUN", "fix"),
    (
        "catalog-env-newline",
        ["--catalog", "newline-env.toml", "--stack", "corp"],
        "RUN touch",
        "fix the catalog record",
    ),
    ("output-is-file", ["--output-dir", "afile"], "afile", "pass a folder"),
    ("output-under-file", ["--output-dir", "afile/sub"], "afile", "pass a folder"),
    ("two-outputs", ["elsewhere"], "OUTPUT_DIR", "pass only one"),
    ("unknown-flag", ["--colour", "blue"], "--colour", "--help"),
    ("existing-project", ["--name", "existing"], "existing", "--force"),
]


@pytest.mark.parametrize(
    ("args", "named", "fix"), [c[1:] for c in NEW_CASES], ids=[c[0] for c in NEW_CASES]
)
def test_new_refuses(work: Path, args: list[str], named: str, fix: str) -> None:
    before = tree(work)
    result = cli(*NEW, *args, cwd=work)
    line = one_line_error(result.stderr)
    assert result.returncode == 2, line
    assert named in line, line
    assert fix in line, line
    assert result.stdout == ""
    assert tree(work) == before


OTHER_CASES = [
    ("validate-missing", ["validate", "nowhere"], "nowhere", "pass an existing folder"),
    ("validate-file", ["validate", "afile"], "afile", "pass a folder"),
    ("lock-missing", ["lock", "nowhere"], "nowhere", "pass an existing folder"),
    ("lock-not-a-project", ["lock", "out"], "out", "made by bootstrap new"),
    ("add-not-a-project", ["add", "out", "requests"], "out", "made by bootstrap new"),
    ("build-missing", ["build", "nowhere"], "nowhere", "pass an existing folder"),
    ("build-not-a-project", ["build", "out"], "bootstrap.json", "bootstrap new"),
    ("catalog-missing", ["catalog", "--catalog", "org.toml"], "org.toml", "existing path"),
    ("unknown-command", ["frobnicate"], "frobnicate", "--help"),
]


@pytest.mark.parametrize(
    ("args", "named", "fix"), [c[1:] for c in OTHER_CASES], ids=[c[0] for c in OTHER_CASES]
)
def test_other_commands_refuse(work: Path, args: list[str], named: str, fix: str | None) -> None:
    before = tree(work)
    result = cli(*args, cwd=work)
    line = one_line_error(result.stderr)
    assert result.returncode == 2, line
    assert named in line, line
    if fix:
        assert fix in line, line
    assert tree(work) == before


@needs_file_modes
def test_unreadable_ca_file(work: Path) -> None:
    ca = work / "corp.pem"
    ca.write_bytes(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    ca.chmod(0)
    before = tree(work)
    result = cli(*NEW, "--ca-cert", "corp.pem", cwd=work, prefix=UNPRIVILEGED)
    line = one_line_error(result.stderr)
    assert result.returncode == 2, line
    assert "corp.pem" in line and "permissions" in line, line
    assert tree(work) == before


@needs_file_modes
def test_output_folder_not_writable(work: Path) -> None:
    out = work / "out"
    out.chmod(0o555)
    try:
        before = tree(work)
        result = cli(*NEW, cwd=work, prefix=UNPRIVILEGED)
        line = one_line_error(result.stderr)
        assert result.returncode == 2, line
        assert "out" in line and "not writable" in line, line
        assert tree(work) == before
    finally:
        out.chmod(0o755)


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


def test_disk_full_on_a_small_file_system(work: Path) -> None:
    """A real full disk: a 64 KiB tmpfs with 16 KiB left, where the project needs more."""
    disk = work / "disk"
    if not _mount_tmpfs(disk, "64k"):
        pytest.skip("needs root and tmpfs mounts (test_disk_full_by_file_size_limit covers it)")
    try:
        (disk / "keep.txt").write_text("mine\n")
        (disk / "filler").write_bytes(b"\0" * 44 * 1024)
        before = tree(disk)
        result = cli("new", "--no-input", "--offline", "--output-dir", "disk", cwd=work)
        line = one_line_error(result.stderr)
        assert result.returncode == 2, line
        assert "No space left on device" in line and "free some disk space" in line, line
        assert tree(disk) == before
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def _file_size_limit() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))


def test_disk_full_by_file_size_limit(work: Path) -> None:
    """The same failure without privileges: no file may grow past 2 KiB."""
    before = tree(work)
    result = cli(*NEW, cwd=work, preexec=_file_size_limit)
    line = one_line_error(result.stderr)
    assert result.returncode == 2, line
    assert "File too large" in line and "nothing was written" in line, line
    assert tree(work) == before


def test_force_that_cannot_finish_restores_every_file(work: Path) -> None:
    """--force over a project where a folder sits where a file goes: all or nothing."""
    first = cli(*NEW, "--name", "demo", cwd=work)
    assert first.returncode == 0, first.stderr
    project = work / "out" / "demo"
    (project / "README.md").write_text("my own README\n")
    (project / "mine.py").write_text("print('mine')\n")
    (project / "requirements.txt").unlink()
    (project / "requirements.txt").mkdir()
    before = tree(work)
    result = cli(*NEW, "--name", "demo", "--python", "3.11", "--force", cwd=work)
    line = one_line_error(result.stderr)
    assert result.returncode == 2, line
    assert "requirements.txt is a folder" in line, line
    assert tree(work) == before


def test_no_terminal(work: Path) -> None:
    before = tree(work)
    result = cli("new", "--offline", "--output-dir", "out", cwd=work)
    line = one_line_error(result.stderr)
    assert result.returncode == 2, line
    assert "no terminal" in line and "--no-input" in line, line
    assert tree(work) == before


# Ctrl-C at each question of the wizard: (flags, answers before it, its prompt)
STEPS = [
    ([], [], "Project name"),
    ([], ["Project name"], "description"),
    ([], ["Project name", "description"], "Python version"),
    ([], ["Project name", "description", "Python version"], "Data-science stack"),
    (
        [],
        ["Project name", "description", "Python version", "Data-science stack"],
        "External drivers",
    ),
    (
        ["--stack", "pytorch"],
        ["Project name", "description", "Python version", "drivers", "Services beside"],
        "Options",
    ),
    (
        [],
        ["Project name", "description", "Python version", "Data-science stack", "drivers"],
        "Services beside",
    ),
    (
        [],
        [
            "Project name",
            "description",
            "Python version",
            "Data-science stack",
            "drivers",
            "Services beside",
        ],
        "corporate proxy",
    ),
    (
        [],
        [
            "Project name",
            "description",
            "Python version",
            "Data-science stack",
            "drivers",
            "Services beside",
            ("corporate proxy", "y"),
        ],
        "CA certificate files",
    ),
    (
        [],
        [
            "Project name",
            "description",
            "Python version",
            "Data-science stack",
            "drivers",
            "Services beside",
            "corporate proxy",
        ],
        "Create it",
    ),
]


@pytest.mark.parametrize(("flags", "before_it", "prompt"), STEPS, ids=[s[2] for s in STEPS])
def test_ctrl_c_at_each_wizard_step(
    tmp_path: Path, flags: list[str], before_it: list[str | tuple[str, str]], prompt: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine\n")
    before = tree(tmp_path)
    env = {**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bootstrap", "new", "--offline", "--output-dir", str(out), *flags],
        cwd=tmp_path,
        env=env,
        encoding="utf-8",
        dimensions=(40, 120),
        timeout=60,
    )
    for step in before_it:
        question, keys = step if isinstance(step, tuple) else (step, "\r")
        child.expect(question)
        child.send(keys)
    child.expect(prompt)
    child.send("\x03")
    child.expect(pexpect.EOF)
    child.close()
    screen = child.before or ""
    assert child.exitstatus in (1, 130), screen
    assert "Traceback" not in screen, screen
    assert "nothing was written" in screen, screen
    assert tree(tmp_path) == before


# What happens when the outside world fails: the index during locking, the Docker engine.


def test_index_unreachable_while_locking_falls_back(work: Path) -> None:
    dead = "http://127.0.0.1:9/simple"  # the discard port: nothing listens there
    result = cli(*NEW, "--name", "demo", cwd=work)
    assert result.returncode == 0, result.stderr
    result = run(
        "new",
        "--no-input",
        "--name",
        "fresh",
        "--pip-index-url",
        dead,
        "--output-dir",
        work / "out",
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "unreachable" in result.stdout + result.stderr
    assert all_pinned(work / "out" / "fresh" / "requirements.txt") == []
    project = work / "out" / "demo"
    locked = (project / "requirements.txt").read_bytes()
    result = run("lock", project, "--index-url", dead)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "unreachable" in result.stdout + result.stderr
    assert (project / "requirements.txt").read_bytes() == locked


def test_build_without_a_docker_engine(work: Path) -> None:
    result = cli(*NEW, "--name", "demo", cwd=work)
    assert result.returncode == 0, result.stderr
    before = tree(work)
    env = {**os.environ, "DOCKER_HOST": f"unix://{work}/no-docker.sock"}
    built = subprocess.run(
        [*BOOTSTRAP, "build", "out/demo"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    line = one_line_error(built.stderr)
    assert built.returncode == 1, line
    assert "Docker" in line, line
    assert tree(work) == before
