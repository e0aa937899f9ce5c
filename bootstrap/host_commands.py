"""devcontainer.json's initializeCommand runs on the user's machine, which may be Windows, macOS or
Linux: this finds host commands that can only work on one of them.

How the Dev Containers CLI runs it (devcontainers/cli, src/spec-node/utils.ts
``runInitializeCommand`` and src/spec-common/commonUtils.ts ``findLocalWindowsExecutable``):

- a string goes to ``/bin/sh -c`` on macOS and Linux, and to ``%ComSpec%`` (``cmd.exe /c``) on
  Windows;
- an array is run without a shell, from the workspace folder; on Windows its first element has its
  ``/`` turned into ``\\`` and is looked up with PATHEXT, so ``.devcontainer/x`` runs
  ``.devcontainer\\x.cmd`` there (the portable pattern vscode-remote-release#4721 tested);
- an object runs each of its values (strings or arrays) in parallel.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

#: Programs macOS and Linux have but a Windows host does not (cmd.exe lacks them as built-ins).
POSIX_ONLY = frozenset(
    [
        "sh",
        "bash",
        "zsh",
        "dash",
        "touch",
        "cp",
        "mv",
        "rm",
        "ln",
        "chmod",
        "chown",
        "cat",
        "test",
        "[",
        "true",
        "false",
        "ls",
        "grep",
        "sed",
        "awk",
        "export",
        "source",
        ".",
        "env",
        "id",
        "uname",
        "readlink",
        "realpath",
        "dirname",
        "basename",
        "tee",
        "xargs",
        "head",
        "tail",
    ]
)
#: cmd.exe built-ins that exist nowhere else; an array cannot run them on Windows either.
CMD_BUILTINS = frozenset(
    [
        "md",
        "rd",
        "del",
        "erase",
        "copy",
        "move",
        "ren",
        "setlocal",
        "call",
        "cls",
        "ver",
        "vol",
        "mklink",
        "assoc",
        "pushd",
        "popd",
    ]
)
#: Shared names that are built into cmd.exe (not programs) and take no POSIX-style options there.
SHARED_BUILTINS = frozenset({"mkdir", "rmdir", "echo", "cd"})
WINDOWS_PROGRAMS = frozenset(
    {"cmd", "powershell", "xcopy", "robocopy", "attrib", "icacls", "reg", "where", "wsl"}
)
WINDOWS_EXTENSIONS = (".cmd", ".bat", ".exe", ".com")
POSIX_SYNTAX = (
    (re.compile(r"\$\{?[A-Za-z_]"), "a $VARIABLE"),
    (re.compile(r"\$\("), "a $(...) substitution"),
    (re.compile(r"`"), "a `...` substitution"),
    (re.compile(r"(^|\s)~/"), "a ~/ path"),
    (re.compile(r"/dev/null"), "/dev/null"),
    (re.compile(r";"), "a ';' separator"),
)
WINDOWS_SYNTAX = (
    (re.compile(r"%[A-Za-z_][A-Za-z0-9_]*%"), "a %VARIABLE%"),
    (re.compile(r">\s*nul\b", re.I), "a redirection to nul"),
)
FIX = (
    "use the array form with a script pair, e.g. .devcontainer/setup (sh, executable) and "
    ".devcontainer/setup.cmd, as bootstrap's host-folders does, or remove it"
)


#: Variables the Dev Containers CLI replaces before anything runs: not the shell's to expand.
CLI_VARIABLE = re.compile(r"\$\{(localEnv|localWorkspaceFolder|containerEnv|devcontainerId)[^}]*\}")


def _substituted(text: str, project: Path) -> str:
    text = text.replace("${localWorkspaceFolder}", str(project))
    return CLI_VARIABLE.sub("X", text)


def check(value: Any, project: Path, where: str = "$.initializeCommand") -> list[str]:
    """One line per host command that works only on some hosts: where, why, and the fix."""
    if isinstance(value, dict):
        out: list[str] = []
        for name, command in value.items():
            out += check(command, project, f"{where}.{name}")
        return out
    if isinstance(value, str):
        reason = _string_reason(_substituted(value, project))
    elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        reason = _array_reason([_substituted(v, project) for v in value], project)
    else:
        return []
    if reason is None:
        return []
    shown = value if isinstance(value, str) else " ".join(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return [f"{where}: {shown!r} {reason}: {FIX} (rule: host-neutral)"]


def _words(command: str) -> list[list[str]]:
    """The simple commands of a shell line, each as words (a rough split; enough to judge)."""
    out = []
    for part in re.split(r"&&|\|\||[|&;\n]", command):
        try:
            words = shlex.split(part, posix=True)
        except ValueError:
            words = part.split()
        if words:
            out.append(words)
    return out


def _string_reason(command: str) -> str | None:
    for pattern, what in POSIX_SYNTAX:
        if pattern.search(command):
            return f"uses {what}, which cmd.exe on Windows hosts does not understand"
    for pattern, what in WINDOWS_SYNTAX:
        if pattern.search(command):
            return f"uses {what}, which /bin/sh on macOS and Linux hosts does not understand"
    for words in _words(command):
        name = words[0].lower()
        base = name.replace("\\", "/").rsplit("/", 1)[-1]
        if base in POSIX_ONLY:
            return f"runs {words[0]}, which Windows hosts (cmd.exe) do not have"
        if base in SHARED_BUILTINS and any(w.startswith("-") for w in words[1:]):
            flags = " ".join(w for w in words[1:] if w.startswith("-"))
            return f"runs {words[0]} {flags}, an option cmd.exe's {base} does not have (on Windows it is a name)"
        if base in CMD_BUILTINS or base.removesuffix(".exe") in WINDOWS_PROGRAMS:
            return f"runs {words[0]}, which macOS and Linux hosts do not have"
        if base.endswith((".cmd", ".bat", ".ps1")):
            return f"runs {words[0]}, a Windows script that macOS and Linux hosts cannot run"
        if base.endswith(".sh") or (words[0].startswith("./") and "." not in base):
            return f"runs {words[0]}, a shell script that cmd.exe on Windows hosts cannot run"
        if "/" in words[0]:
            return f"runs {words[0]}, whose '/' cmd.exe on Windows hosts reads as an option"
    return None


def _array_reason(argv: list[str], project: Path) -> str | None:
    program = argv[0]
    base = program.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if "/" in program or "\\" in program:
        return _script_reason(program, project)
    if base in POSIX_ONLY or base in SHARED_BUILTINS:
        return f"runs {program} without a shell, and Windows hosts have no such program"
    if base in CMD_BUILTINS:
        return f"runs the cmd.exe built-in {program} without a shell, which no host can"
    if base.removesuffix(".exe") in WINDOWS_PROGRAMS or base.endswith(WINDOWS_EXTENSIONS):
        return f"runs {program}, which macOS and Linux hosts do not have"
    return None  # a program such as docker, git or python: wherever it is installed


def _script_reason(program: str, project: Path) -> str | None:
    """A script in the project: macOS and Linux run the file itself, Windows NAME.cmd (or .bat)."""
    path = project / program.replace("\\", "/")
    lower = path.name.lower()
    if lower.endswith(WINDOWS_EXTENSIONS):
        return f"runs {program}, which macOS and Linux hosts cannot run"
    if lower.endswith(".ps1"):
        return f"runs {program}, which no host runs directly (Windows does not run .ps1 by path)"
    windows = [path.with_name(path.name + ext) for ext in (".cmd", ".bat", ".exe")]
    if not any(p.is_file() for p in windows):
        return f"runs {program}, which Windows hosts cannot (there is no {path.name}.cmd beside it)"
    if not path.is_file():
        return f"runs {program}, which macOS and Linux hosts cannot (there is no {path.name} beside {path.name}.cmd)"
    if not path.stat().st_mode & 0o111:
        return f"runs {program}, which is not executable on macOS and Linux (chmod +x, git update-index --chmod=+x)"
    return None


def check_mounts(mounts: Any) -> list[str]:
    """Mount sources under ${localEnv:HOME} alone: Windows sets USERPROFILE, not HOME."""
    out = []
    for index, mount in enumerate(mounts if isinstance(mounts, list) else []):
        source = mount.get("source", "") if isinstance(mount, dict) else ""
        text = mount if isinstance(mount, str) else str(source)
        if "${localEnv:HOME}" in text and "${localEnv:USERPROFILE}" not in text:
            out.append(
                f"$.mounts[{index}]: ${{localEnv:HOME}} is empty on Windows hosts: write "
                "${localEnv:HOME}${localEnv:USERPROFILE} (rule: host-neutral)"
            )
    return out
