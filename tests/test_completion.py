"""Tab completion as a shell user meets it: the script loads in a real shell and completes
subcommands, flags, choices and folders."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import run

#: Drives bash's completion the way readline does: COMP_WORDS and COMP_CWORD, then the function
#: that `complete -p bootstrap` names, then prints COMPREPLY.
DRIVE_BASH = r"""
source "$1"; shift
spec=$(complete -p bootstrap) || exit 3
fn=$(sed -E 's/.*-F ([^ ]+).*/\1/' <<<"$spec")
COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
"$fn" bootstrap "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""


#: Drives zsh's completion in a real interactive zsh on a pseudo-terminal (zsh/zpty): compinit
#: finds _bootstrap on fpath, the line is typed with a Tab, and a compadd wrapper writes every
#: offered match to a file. Arguments: fpath folder, output file, command line, settle seconds.
DRIVE_ZSH = r"""
zmodload zsh/zpty || exit 3
wait_for() { for i in {1..300}; do [[ -e $1 ]] && return 0; sleep 0.1; done; return 1; }
zpty z zsh -f -i
zpty -w z "fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -d $2.zcd"
zpty -w z "compadd() { local -a _m; builtin compadd -O _m \"\$@\"; (( \${#_m} )) && print -rl -- \$_m >> $2; builtin compadd \"\$@\"; }"
zpty -w z ": > $2.ready"
wait_for $2.ready || exit 4
sleep $4
zpty -w -n z "$3"$'\t'
zpty -w z $'\x15'": > $2.done"
wait_for $2.done || exit 5
zpty -d z
"""


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("completion")
    out = {}
    for shell in ("bash", "zsh", "fish"):
        result = run("completion", shell)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        name = "_bootstrap" if shell == "zsh" else f"bootstrap.{shell}"
        out[shell] = folder / shell / name
        out[shell].parent.mkdir()
        out[shell].write_text(result.stdout)
    return out


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    (tmp_path / "my-project").mkdir()
    (tmp_path / "notes.txt").write_text("")
    return tmp_path


def bash_complete(script: Path, cwd: Path, *words: str) -> list[str]:
    result = subprocess.run(
        [
            "bash",
            "--norc",
            "--noprofile",
            "-c",
            DRIVE_BASH,
            "drive",
            str(script),
            "bootstrap",
            *words,
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line]


def test_bash_registers_a_completion_function(scripts: dict[str, Path]) -> None:
    result = subprocess.run(
        ["bash", "--norc", "-c", f'source "{scripts["bash"]}" && complete -p bootstrap'],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and "-F " in result.stdout, result.stderr


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (
            [""],
            {"new", "init", "validate", "catalog", "lock", "add", "build", "update", "doctor"}
            | {"completion"},
        ),
        (["va"], {"validate"}),
        (["validate", "--"], {"--json", "--catalog", "--help"}),
        (["lock", "--up"], {"--upgrade", "--upgrade-package"}),
        (["build", "--target", ""], {"dev", "runtime"}),
        (["new", "--python", "3.1"], {"3.10", "3.11", "3.12", "3.13", "3.14"}),
        (["new", "--driver", "a"], {"aws"}),
        (["completion", ""], {"bash", "zsh", "fish"}),
    ],
)
def test_bash_completes_subcommands_flags_and_choices(
    scripts: dict[str, Path], cwd: Path, words: list[str], expected: set[str]
) -> None:
    assert set(bash_complete(scripts["bash"], cwd, *words)) == expected


def test_bash_offers_folders_for_a_project_folder(scripts: dict[str, Path], cwd: Path) -> None:
    offered = [w.rstrip("/") for w in bash_complete(scripts["bash"], cwd, "validate", "")]
    assert offered == ["my-project"]  # notes.txt is a file, not a project folder


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("bootstrap ", {"new", "init", "validate", "build", "doctor", "completion"}),
        ("bootstrap build --target ", {"dev", "runtime"}),
        ("bootstrap doctor --j", {"--json"}),
        ("bootstrap validate ", {"my-project/"}),
    ],
)
def test_fish_completes(scripts: dict[str, Path], cwd: Path, line: str, expected: set[str]) -> None:
    result = subprocess.run(
        ["fish", "--no-config", "-c", f"source {scripts['fish']}; complete -C {line!r}"],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    offered = {entry.split("\t", 1)[0] for entry in result.stdout.splitlines()}
    assert expected <= offered, offered
    if line.endswith("validate "):
        assert "notes.txt" not in offered


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("bootstrap va", {"validate"}),
        ("bootstrap build --target ", {"dev", "runtime"}),
        ("bootstrap doctor --", {"--json", "--help"}),
        ("bootstrap new --python 3.1", {"3.10", "3.11", "3.12", "3.13", "3.14"}),
        ("bootstrap validate ", {"my-project"}),
    ],
)
def test_zsh_completes(
    scripts: dict[str, Path], cwd: Path, tmp_path: Path, line: str, expected: set[str]
) -> None:
    folder = scripts["zsh"].parent
    offered: set[str] = set()
    for attempt, settle in enumerate(("0.3", "1", "3")):  # zle may drop keys typed before it starts
        out = tmp_path / f"matches-{attempt}"
        result = subprocess.run(
            ["zsh", "-f", "-c", DRIVE_ZSH, "drive", str(folder), str(out), line, settle],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=90,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        offered = set(out.read_text().split()) if out.exists() else set()
        if offered:
            break
    assert offered == expected


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_script_is_found_by_compinit(scripts: dict[str, Path], tmp_path: Path) -> None:
    folder = scripts["zsh"].parent
    check = subprocess.run(["zsh", "-n", str(scripts["zsh"])], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    result = subprocess.run(
        [
            "zsh",
            "-fc",
            f"fpath=({folder} $fpath); autoload -U compinit; compinit -u -d {tmp_path}/zcompdump;"
            " print -r -- ${_comps[bootstrap]}",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.stdout.strip() == "_bootstrap", result.stderr


def test_unknown_shell_is_exit_2() -> None:
    result = run("completion", "powershell")
    assert result.returncode == 2
    assert "invalid choice: 'powershell'" in result.stderr
