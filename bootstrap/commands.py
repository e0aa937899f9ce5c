"""The commands that make and check projects: new, validate, catalog, lock, add."""

from __future__ import annotations

import argparse
import json
import re
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from bootstrap.answers import Answers, defaults, load_file, read_recorded, split_ids, validate
from bootstrap.catalog import Catalog, load
from bootstrap.cli import existing_dir
from bootstrap.errors import UsageError, ValidationFailed
from bootstrap.layout import requirements_dir
from bootstrap.safe_io import MAX_CERT, read_bytes

PEM_MARK = b"-----BEGIN CERTIFICATE-----"


def load_catalog(args: argparse.Namespace, recorded: Answers | None = None) -> Catalog:
    extra = list(getattr(args, "catalog", None) or [])
    if recorded:
        extra = [c for c in recorded.get("catalogs", []) if c not in extra] + extra
    return load(extra)


def read_ca_certs(paths: list[str] | None) -> dict[str, bytes]:
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


def answers_from_args(args: argparse.Namespace, base: Answers) -> Answers:
    """defaults < answers file < flags."""
    answers = dict(base)
    if getattr(args, "answers", None):
        answers.update(load_file(args.answers))
    for key in ("name", "description", "python", "github_repo"):
        value = getattr(args, key, None)
        if value is not None:
            answers[key] = value
    for key, flag in (("stacks", "stack"), ("drivers", "driver"), ("options", "option")):
        value = getattr(args, flag, None)
        if value is not None:
            answers[key] = split_ids(value)
    network = answers.get("network") or {}
    if not isinstance(network, dict):
        raise UsageError(
            f"answers: network {network!r} should be a mapping: use a mapping of "
            "pip_index_url, apt_mirror, artifact_mirror and ca_certs"
        )
    network = dict(network)
    for key in ("pip_index_url", "apt_mirror", "artifact_mirror"):
        value = getattr(args, key, None)
        if value is not None:
            network[key] = value
    answers["network"] = network
    return answers


def _interactive(args: argparse.Namespace) -> bool:
    if args.no_input:
        return False
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        raise UsageError(
            "no terminal to ask questions in: pass --no-input (with --name, --python, --stack, "
            "--driver or --answers FILE)"
        )
    return True


def new_command(args: argparse.Namespace) -> int:
    from bootstrap.pipeline import new_project

    if args.output and args.output_dir and args.output != args.output_dir:
        raise UsageError("OUTPUT_DIR and --output-dir differ: pass only one")
    output = Path(args.output_dir or args.output or ".")
    catalog = load_catalog(args)
    certs = read_ca_certs(args.ca_cert)
    answers = answers_from_args(args, defaults(catalog))
    if certs:
        answers["network"] = {**answers["network"], "ca_certs": sorted(certs)}
    if _interactive(args):
        from bootstrap.wizard import run_wizard

        answers = run_wizard(answers, catalog, asked=_asked(args))
        certs = {**certs, **read_ca_certs(answers["network"].pop("ca_cert_paths", None))}
        if certs:
            answers["network"]["ca_certs"] = sorted(certs)
    answers = validate(answers, catalog)
    from bootstrap.plan import make_plan

    make_plan(answers, catalog)  # refuse incompatible answers before any work
    outcome = new_project(
        answers,
        catalog,
        output,
        force=args.force,
        catalogs=args.catalog,
        ca_certs=certs,
        offline=args.offline,
        index_url=answers["network"].get("pip_index_url"),
        show_progress=True,
    )
    _summary(outcome)
    return 0


def _asked(args: argparse.Namespace) -> set[str]:
    """Questions a flag already answered: the wizard does not ask them again."""
    given = set()
    for key, flag in (
        ("name", "name"),
        ("description", "description"),
        ("python", "python"),
        ("stacks", "stack"),
        ("drivers", "driver"),
    ):
        if getattr(args, flag, None) is not None:
            given.add(key)
    return given


def _summary(outcome: Any) -> None:
    plan = outcome.plan
    parts = ", ".join(plan["stacks"] + plan["drivers"]) or "no stacks or drivers"
    print(f"Created {outcome.target} (Python {plan['python']}; {parts})")
    if outcome.lock.full:
        print(f"  requirements.txt: locked with hashes in {outcome.lock.seconds:.1f} s")
    else:
        print(f"  requirements.txt: {outcome.lock.message}")
    for warning in outcome.report.warnings:
        print(f"  note: {warning}")
    print("Next: open the folder in VS Code and run 'Dev Containers: Reopen in Container',")
    print(f"      or: docker build -t {plan['project']} {outcome.target}")


def validate_command(args: argparse.Namespace) -> int:
    from bootstrap.validate import validate_project

    project = existing_dir(args.project_dir)
    recorded = _recorded_or_none(project)
    catalog = load_catalog(args, recorded)
    report = validate_project(project, catalog)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if report.problems:
        raise ValidationFailed(report.problems)
    print(f"{project}: valid (devcontainer.json, requirements.txt, Dockerfile, answers)")
    return 0


def _recorded_or_none(project: Path) -> Answers | None:
    try:
        return read_recorded(project)
    except UsageError:
        return None


def catalog_command(args: argparse.Namespace) -> int:
    catalog = load_catalog(args)
    if args.json:
        json.dump(catalog.to_json(), sys.stdout, indent=2, ensure_ascii=False)
        print()
        return 0
    from bootstrap.plan import compatible_pythons

    rows = [("KIND", "ID", "NAME", "PYTHON OR IMAGE", "SUMMARY")]
    for record_id, record in catalog.of("python").items():
        rows.append(("python", record_id, record["name"], record["image"], record["summary"]))
    for kind in ("stack", "driver"):
        for record_id, record in catalog.of(kind).items():
            pythons = compatible_pythons(catalog, record)
            span = (
                pythons[0] + "–" + pythons[-1]
                if len(pythons) > 1
                else (pythons[0] if pythons else "none")
            )
            if len(pythons) != len(catalog.pythons) and len(pythons) > 1:
                missing = [p for p in catalog.pythons if p not in pythons]
                span += (
                    f" (not {', '.join(missing)})" if pythons[0] < missing[0] < pythons[-1] else ""
                )
            options = ", ".join(f"{record_id}:{o}" for o in record.get("options", {}))
            summary = record["summary"] + (f" Options: {options}." if options else "")
            rows.append((kind, record_id, record["name"], span, summary))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
    return 0


def _lock_and_report(project: Path, args: argparse.Namespace, **options: Any) -> Any:
    """Lock ``project`` for its recorded Python, with a spinner, and say how it went."""
    from bootstrap.lock import Spinner, catalog_metadata, lock_project

    recorded = read_recorded(project)
    python = recorded["python"]
    catalog = load_catalog(args, recorded)
    index = getattr(args, "index_url", None) or recorded.get("network", {}).get("pip_index_url")
    offline = bool(getattr(args, "offline", False))
    message = f"Locking {project / 'requirements.in'} for Python {python}"
    with nullcontext() if offline else Spinner(message):
        result = lock_project(
            project,
            python,
            offline=offline,
            index=index,
            metadata=catalog_metadata(catalog),
            **options,
        )
    if result.full:
        print(f"requirements.txt: locked with hashes for Python {python} in {result.seconds:.1f} s")
    else:
        print(f"warning: {result.message}", file=sys.stderr)
    return result


def lock_command(args: argparse.Namespace) -> int:
    project = existing_dir(args.project_dir)
    if not (requirements_dir(project) / "requirements.in").is_file():
        raise UsageError(
            f"{project}: no requirements.in: run bootstrap lock on a folder made by bootstrap new or init"
        )
    _lock_and_report(
        project, args, upgrade=args.upgrade, upgrade_packages=tuple(args.upgrade_package)
    )
    return 0


def add_command(args: argparse.Namespace) -> int:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    project = existing_dir(args.project_dir)
    path = requirements_dir(project) / "requirements.in"
    if not path.is_file():
        raise UsageError(
            f"{project}: no requirements.in: run bootstrap add on a folder made by bootstrap new or init"
        )
    added: list[Requirement] = []
    for package in args.packages:
        try:
            requirement = Requirement(package)
        except InvalidRequirement:
            raise UsageError(
                f"package {package!r} is not a valid requirement: use NAME, NAME==VERSION or NAME>=VERSION"
            ) from None
        if requirement.url:
            raise UsageError(
                f"package {package!r} is a URL: a hashed lock needs packages from the index, use NAME==VERSION"
            )
        added.append(requirement)
    from bootstrap.lock_legacy import read_in
    from bootstrap.safe_io import atomic_write, read_project_file, restoring

    read_in(path.parent)  # refuses what cannot be locked safely, before anything changes
    text = read_project_file(path, "requirements.in")
    names = {canonicalize_name(r.name) for r in added}
    kept = []
    for line in text.splitlines():
        stripped = line.split(" #", 1)[0].strip()
        if stripped and not stripped.startswith(("#", "-")):
            try:
                if canonicalize_name(Requirement(stripped).name) in names:
                    continue  # replaced by the new spec
            except InvalidRequirement:
                pass
        kept.append(line)
    new_text = "\n".join(kept).rstrip("\n") + "\n" + "".join(str(r) + "\n" for r in added)
    restore_in = restoring(path)
    restore_lock = restoring(path.parent / "requirements.txt")
    try:
        atomic_write(path, new_text)
        _lock_and_report(project, args)
    except BaseException:
        restore_in()
        restore_lock()
        raise
    print(f"added to requirements.in: {', '.join(str(r) for r in added)}")
    return 0
