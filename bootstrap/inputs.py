"""What the command line hands the pipeline: flags as an answers layer, folders, catalogs, CA files.

Every command reads its inputs through here, so a flag means the same thing to `new`, `init` and
`update`. Nothing in this module imports a command; the commands import it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bootstrap.answers import Answers, layered, load_file, split_ids
from bootstrap.catalog import Catalog, load
from bootstrap.errors import UsageError
from bootstrap.safe_io import MAX_CERT, read_bytes

PEM_MARK = b"-----BEGIN CERTIFICATE-----"

#: answers key → the flag that sets it (argparse dest)
TEXT_FLAGS = {
    "name": "name",
    "description": "description",
    "python": "python",
    "github_repo": "github_repo",
}
LIST_FLAGS = {"stacks": "stack", "drivers": "driver", "services": "service", "options": "option"}
NETWORK_FLAGS = ("pip_index_url", "apt_mirror", "artifact_mirror")


def existing_dir(value: str, what: str = "project folder") -> Path:
    """A folder the user named, or exit 2 saying what is wrong with it."""
    path = Path(value)
    if not path.exists():
        raise UsageError(f"{what} {value} does not exist: pass an existing folder")
    if not path.is_dir():
        raise UsageError(f"{what} {value} is a file: pass a folder")
    return path


def load_catalog(args: argparse.Namespace, recorded: Answers | None = None) -> Catalog:
    """The built-in records, the ones a project recorded, then ``--catalog`` (later wins)."""
    extra = list(getattr(args, "catalog", None) or [])
    if recorded:
        extra = [c for c in recorded.get("catalogs", []) if c not in extra] + extra
    return load(extra)


def flag_answers(args: argparse.Namespace) -> Answers:
    """The answers the flags give, and only those: the top layer over every other source."""
    answers: Answers = {}
    for key, flag in TEXT_FLAGS.items():
        value = getattr(args, flag, None)
        if value is not None:
            answers[key] = value
    for key, flag in LIST_FLAGS.items():
        value = getattr(args, flag, None)
        if value is not None:
            answers[key] = split_ids(value)
    network = {
        key: getattr(args, key) for key in NETWORK_FLAGS if getattr(args, key, None) is not None
    }
    if network:
        answers["network"] = network
    return answers


def asked_by_flags(args: argparse.Namespace) -> set[str]:
    """Questions a flag already answered: the wizard does not ask them again."""
    return {
        key for key in ("name", "description", "python", "stacks", "drivers", "services")
    } & set(flag_answers(args))


def interactive(args: argparse.Namespace) -> bool:
    """Whether to ask questions: not with --no-input, and never without a terminal."""
    if args.no_input:
        return False
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        raise UsageError(
            "no terminal to ask questions in: pass --no-input (with --name, --python, --stack, "
            "--driver or --answers FILE)"
        )
    return True


def read_ca_certs(paths: Iterable[str] | None) -> dict[str, bytes]:
    """CA files as they will be named in the image; exit 2 for a missing or non-PEM file."""
    certs: dict[str, bytes] = {}
    for raw in paths or []:
        path = Path(raw)
        try:
            data = read_bytes(path, MAX_CERT, "--ca-cert", "PEM CA certificate file")
        except FileNotFoundError:
            raise UsageError(
                f"--ca-cert {raw}: no such file: pass the path of a PEM CA certificate"
            ) from None
        except IsADirectoryError:
            raise UsageError(
                f"--ca-cert {raw}: is a folder: pass a PEM CA certificate file"
            ) from None
        except OSError as exc:
            raise UsageError(
                f"--ca-cert {raw}: cannot be read ({exc.strerror}): check its permissions"
            ) from None
        if PEM_MARK not in data:
            raise UsageError(
                f"--ca-cert {raw}: not a PEM certificate (no BEGIN CERTIFICATE line): export it as PEM"
            )
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem).strip("-.") or "ca"
        name = f"{stem}.crt"
        index = 2
        while name in certs:
            name = f"{stem}-{index}.crt"
            index += 1
        certs[name] = data
    return certs


def with_certs(answers: Answers, certs: dict[str, bytes]) -> Answers:
    """The answers naming the CA files the image will trust (their bytes travel beside them)."""
    if not certs:
        return answers
    network: dict[str, Any] = dict(answers.get("network") or {})
    network["ca_certs"] = sorted(certs)
    return {**answers, "network": network}


class Inputs:
    """The answers the command line gives, layered once, and the CA files they name.

    ``new`` lays them over the catalog's defaults, ``init`` over what detection proposes; both then
    ask (or not) the same way.
    """

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.filed: Answers = load_file(args.answers) if args.answers else {}
        self.flags: Answers = flag_answers(args)
        self.certs: dict[str, bytes] = read_ca_certs(args.ca_cert)

    def over(self, base: Answers) -> Answers:
        """defaults (or detection) < answers file < flags, naming the CA files."""
        return with_certs(layered(base, self.filed, self.flags), self.certs)

    def ask(
        self, answers: Answers, catalog: Catalog, evidence: dict[str, str] | None = None
    ) -> Answers:
        """The wizard's answers, with any CA file it was given read like ``--ca-cert``."""
        from bootstrap.wizard import run_wizard  # questionary loads only when questions are asked

        answers = run_wizard(answers, catalog, asked=asked_by_flags(self.args), evidence=evidence)
        self.certs = {**self.certs, **read_ca_certs(answers["network"].pop("ca_cert_paths", None))}
        return with_certs(answers, self.certs)
