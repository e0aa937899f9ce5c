"""The command line: flags → answers, one line per failure, exit codes 0/1/2/130/143/129.

Start-up matters (people run this many times a day): only argparse is imported here; every
command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import Any, NoReturn

from bootstrap import __version__, report_json
from bootstrap.errors import BootstrapError, Interrupted, Terminated, UsageError
from bootstrap.last_resort import (
    handle_signals,
    restore_signals,
    silence_stdout,
    tolerant_output,
    unexpected,
)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}: see {self.prog} --help")


def _repeatable(parser: Any, flag: str, metavar: str, help: str | None = None) -> None:
    """A flag given once per value (``--stack a --stack b``); always a list, empty by default."""
    parser.add_argument(flag, action="append", metavar=metavar, help=help)


def _add_component_flags(parser: Any) -> None:
    """What the project is made of: the same flags for new, init and update."""
    parser.add_argument(
        "--python", metavar="X.Y", help="Python version (bootstrap catalog lists them)"
    )
    for flag, what in (("--stack", "data-science stack"), ("--driver", "external driver")):
        _repeatable(parser, flag, "ID", f"{what}; repeatable, comma-separated lists accepted")
    _repeatable(
        parser,
        "--service",
        "ID",
        "service beside the dev container through compose (postgres, mysql, mssql, oracle, s3, "
        "spark); repeatable, comma-separated lists accepted",
    )
    _repeatable(
        parser, "--option", "ID:OPTION", "component option, e.g. pytorch:gpu or oracle:jdbc"
    )
    parser.add_argument(
        "--github-repo",
        metavar="OWNER/REPO",
        help="the project's GitHub repository, for an Open in GitHub Codespaces badge",
    )


def _add_catalog_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalog",
        action="append",
        metavar="FILE",
        default=[],
        help="organisation catalog file or folder; repeatable (also BOOTSTRAP_CATALOG)",
    )


def _add_offline_flag(parser: argparse.ArgumentParser, help: str | None = None) -> None:
    parser.add_argument("--offline", action="store_true", help=help)


def _add_answer_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "answers (each skips its question; with --no-input, the rest take defaults)"
    )
    group.add_argument("--name", help="project name; the folder name is derived from it")
    group.add_argument("--description", help="one-line description")
    _add_component_flags(group)
    group.add_argument(
        "--answers", metavar="FILE", help="YAML or JSON file with the keys the wizard records"
    )
    net = parser.add_argument_group("corporate networks")
    _repeatable(net, "--ca-cert", "FILE", "CA certificate (PEM) to trust in the image; repeatable")
    net.add_argument(
        "--pip-index-url", metavar="URL", help="package index for the image and for locking"
    )
    net.add_argument("--apt-mirror", metavar="URL", help="Debian mirror for the image")
    net.add_argument(
        "--artifact-mirror",
        metavar="URL",
        help="mirror that replaces vendor download sites (Maven Central, Apache, ...)",
    )
    parser.add_argument(
        "--no-input", action="store_true", help="ask nothing: flags, --answers and defaults decide"
    )
    _add_offline_flag(parser, "never touch the network: curated pins instead of a full lock")
    _add_catalog_flag(parser)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bootstrap",
        description="Python projects in dev containers: VS Code, Codespaces and plain docker build.",
    )
    parser.add_argument("--version", action="version", version=f"bootstrap {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an unexpected error"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    new = sub.add_parser("new", help="make a new project (asks a few questions)")
    new.add_argument(
        "output", nargs="?", metavar="OUTPUT_DIR", help="where the project folder goes (default: .)"
    )
    new.add_argument("--output-dir", metavar="DIR", help="same as OUTPUT_DIR")
    new.add_argument(
        "--force", action="store_true", help="write into an existing, non-empty project folder"
    )
    _add_answer_flags(new)

    init = sub.add_parser(
        "init", help="add a dev container to an existing project, reading its code for the answers"
    )
    init.add_argument("project_dir", nargs="?", default=".", metavar="PROJECT_DIR")
    init.add_argument(
        "--dry-run",
        action="store_true",
        help="show the detected answers and the files it would add; write nothing",
    )
    _add_answer_flags(init)
    _add_json_flag(
        init, "with --dry-run: the detected answers, evidence and files as one JSON document"
    )

    validate = sub.add_parser("validate", help="check a project: schemas, pins, Dockerfile lint")
    validate.add_argument("project_dir", metavar="PROJECT_DIR")
    _add_catalog_flag(validate)
    _add_json_flag(validate, "problems and warnings as one JSON document on stdout")

    catalog = sub.add_parser("catalog", help="list Python versions, stacks and drivers")
    catalog.add_argument("--json", action="store_true", help="the whole catalog as JSON")
    _add_catalog_flag(catalog)

    lock = sub.add_parser("lock", help="re-lock requirements.txt from requirements.in")
    lock.add_argument("project_dir", metavar="PROJECT_DIR")
    lock.add_argument(
        "--upgrade", action="store_true", help="allow every package to move to its newest version"
    )
    lock.add_argument("--upgrade-package", action="append", default=[], metavar="NAME")
    lock.add_argument(
        "--index-url",
        metavar="URL",
        help="package index (default: PIP_INDEX_URL, UV_INDEX_URL, PyPI)",
    )
    _add_offline_flag(lock)
    lock.add_argument(
        "--why",
        metavar="NAME",
        help="say why the lock holds NAME (its requirements.in line or the pins that need it) "
        "and lock nothing",
    )
    _add_json_flag(lock, "the lock's outcome and pins as one JSON document on stdout")

    add = sub.add_parser("add", help="add packages to requirements.in and re-lock")
    add.add_argument("project_dir", metavar="PROJECT_DIR")
    add.add_argument("packages", nargs="+", metavar="PACKAGE")
    add.add_argument("--index-url", metavar="URL")

    build = sub.add_parser("build", help="build the image and smoke-test every component")
    build.add_argument("project_dir", metavar="PROJECT_DIR")
    build.add_argument("--no-smoke", action="store_true", help="build only")
    build.add_argument("--tag", metavar="IMAGE", help="image name (default: the project's)")
    build.add_argument("--target", default="dev", choices=["dev", "runtime"])
    _add_json_flag(build, "the image and each smoke test as one JSON document (logs on stderr)")

    update = sub.add_parser(
        "update", help="re-render from today's template and catalog, keeping your edits"
    )
    update.add_argument("project_dir", metavar="PROJECT_DIR")
    _add_component_flags(update)
    _repeatable(update, "--add-service", "ID", "add one service")
    _repeatable(update, "--remove-service", "ID", "remove one service")
    update.add_argument("--dry-run", action="store_true")
    update.add_argument(
        "--force", action="store_true", help="update even with uncommitted git changes"
    )
    _add_offline_flag(update)
    _add_catalog_flag(update)

    doctor = sub.add_parser(
        "doctor", help="check this machine: Docker, BuildKit, VS Code, the Dev Containers CLI, disk"
    )
    _add_json_flag(doctor, "each check as one JSON document on stdout")

    completion = sub.add_parser(
        "completion", help="print a tab-completion script for bash, zsh or fish"
    )
    completion.add_argument("shell", choices=["bash", "zsh", "fish"], metavar="SHELL")
    for command in sub.choices.values():
        # accepted after the command too; SUPPRESS keeps a --debug given before it
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
    return parser


def _add_json_flag(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--json", action="store_true", help=help)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    tolerant_output()
    previous = handle_signals()
    try:
        return _main(words)
    finally:
        restore_signals(previous)


def _main(words: list[str]) -> int:
    args: argparse.Namespace | None = None
    try:
        args = build_parser().parse_args(words)
        if args.command is None:
            build_parser().print_help()
            return 0
        if getattr(args, "json", False) and args.command in JSON_COMMANDS:
            return report_json.run(args, _command(JSON_COMMANDS[args.command]))
        return int(_dispatch(args) or 0)
    except Terminated as stop:
        print(f"{stop.reason}: nothing was written", file=sys.stderr)
        return stop.exit_code
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        return Interrupted.exit_code
    except UsageError as error:
        print(f"error: {_shown(error.message)}", file=sys.stderr)
        if "--json" in words and args is None:
            # a usage error before any command ran: scripts still get their JSON document
            command = next((w for w in words if w in JSON_COMMANDS), None)
            report_json.emit(report_json.error_document(command, error.message, error.exit_code))
        return error.exit_code
    except BootstrapError as error:
        print(f"error: {_shown(error.message)}", file=sys.stderr)
        return error.exit_code
    except RecursionError:
        # a structure nested deeper than any parser limit caught: bad input, not a bug
        print("error: input nested too deeply: flatten the file bootstrap read", file=sys.stderr)
        return UsageError.exit_code
    except BrokenPipeError:
        silence_stdout()
        return 1
    except OSError as error:
        return _os_error(error)
    except Exception as error:
        return unexpected(error, debug=bool(getattr(args, "debug", False)) or "--debug" in words)


def _shown(message: str, limit: int = 1000) -> str:
    """One readable line however long the input it quotes (a 100,000-character name)."""
    if len(message) <= limit:
        return message
    keep = limit // 2
    return f"{message[:keep]} ... ({len(message) - 2 * keep} characters left out) ... {message[-keep:]}"


def _os_error(error: OSError) -> int:
    """A file that vanished or cannot be read or written mid-command: one line, not a traceback.

    A path no file system can hold, or a folder bootstrap may not change, is an unusable path the
    user named (exit 2); anything else (a full disk, an I/O error) is the environment (exit 1).
    """
    name = str(error.filename or "")
    where = f"{name[:97] + '...' if len(name) > 100 else name}: " if name else ""
    if error.errno in (errno.ENAMETOOLONG, errno.ELOOP):
        print(f"error: {where}{error.strerror}: use a shorter path", file=sys.stderr)
        return UsageError.exit_code
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        print(
            f"error: {where}{error.strerror}: make it writable or use a copy; nothing was changed",
            file=sys.stderr,
        )
        return UsageError.exit_code
    print(
        f"error: {where}{error.strerror or error}: check the path and its permissions",
        file=sys.stderr,
    )
    return 1


#: Commands whose --json prints one document (bootstrap/report_json.py); catalog --json is the catalog.
JSON_COMMANDS = {
    "validate": ("bootstrap.commands", "validate_json"),
    "init": ("bootstrap.init", "init_json"),
    "lock": ("bootstrap.commands", "lock_json"),
    "build": ("bootstrap.build", "build_json"),
    "doctor": ("bootstrap.doctor", "doctor_json"),
}

# command → (module, function): each module is imported only when its command runs
COMMANDS = {
    "new": ("bootstrap.commands", "new_command"),
    "init": ("bootstrap.init", "init_command"),
    "validate": ("bootstrap.commands", "validate_command"),
    "catalog": ("bootstrap.commands", "catalog_command"),
    "lock": ("bootstrap.commands", "lock_command"),
    "add": ("bootstrap.commands", "add_command"),
    "build": ("bootstrap.build", "build_command"),
    "update": ("bootstrap.update", "update_command"),
    "doctor": ("bootstrap.doctor", "doctor_command"),
    "completion": ("bootstrap.completion", "completion_command"),
}


def _command(where: tuple[str, str]) -> Any:
    """A command's function, importing its module only now (start-up stays light)."""
    module, function = where
    return getattr(import_module(module), function)


def _dispatch(args: argparse.Namespace) -> int | None:
    return _command(COMMANDS[args.command])(args)
