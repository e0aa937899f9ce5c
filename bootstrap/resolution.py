"""What the resolver said, in the user's terms: where each pin comes from, and why a lock failed.

Shared by the uv lock and the Python 2.7 lock, so both name both sides of a conflict alike.
"""

from __future__ import annotations

import re

from packaging.utils import canonicalize_name

from bootstrap.errors import BootstrapError, LockConflict, MissingRelease
from bootstrap.requirements import Line, RequirementsIn, is_pinned

VCS = re.compile(r"^(-e\s+)?(\S+\s*@\s*)?(git|hg|svn|bzr)\+", re.IGNORECASE)
_UNREACHABLE = re.compile(
    r"(?:Failed to fetch|Could not connect|error sending request|dns error|tcp connect error|"
    r"Connection refused|timed out|Network is unreachable)[^`]*`?(https?://[^`\s]+)?",
    re.IGNORECASE,
)


#: uv's "there is no version of codecov{marker}==2.1.12", pip's "No matching distribution found
#: for codecov==2.1.12": a pinned release the index does not serve
_NO_VERSION = re.compile(
    r"(?:there is no version of|No matching distribution found for) "
    r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\{[^}]*\})?==([A-Za-z0-9.+!-]+)"
)


def origins_of(parsed: RequirementsIn, where: str = "requirements.in") -> dict[str, str]:
    """canonical name → where requirements.in's line for it comes from, for the lock's comments."""
    out = {}
    for line in parsed.requirements():
        assert line.name is not None
        out[line.name] = (
            f"via {line.catalog} (catalog)"
            if line.catalog
            else f"from {line.source or f'{where}:{line.number}'}"
        )
    return out


def _where(line: Line, where: str) -> str:
    """The user's own file and line (bootstrap init's ``# from``), else requirements.in's."""
    return line.source or f"{where}:{line.number}"


def _ways_to_change(command: str, records: list[str]) -> list[str]:
    """Commands that exist for ``command``: new and init take the choices as flags; a project
    already made changes them with bootstrap update."""
    dropped = " or ".join(records)
    if command in ("new", "init"):
        return [
            f"another Python (bootstrap {command} --python X.Y)",
            f"leave out {dropped} (bootstrap {command} --stack/--driver naming only the others, "
            "'' for none)",
            f"another choice in an answers file (bootstrap {command} --answers FILE)",
        ]
    return [
        "another Python (bootstrap update --python X.Y)",
        f"leave out {dropped} (bootstrap update --stack/--driver naming only the others)",
    ]


#: uv's last step, naming the requirements.in lines that cannot live together however long the
#: chain of dependencies between them ("And because you require jupyterlab>=4 and
#: python-dateutil==2.8.0, we can conclude that your requirements are unsatisfiable.")
_CONCLUSION = re.compile(r"(?:And because|Because) you require ([^\n]+?), we can conclude[^\n]*")


def _cause(stderr: str) -> str:
    """The resolver's reason in one line: its first steps, and its conclusion when the chain is
    longer (the conclusion names the user's line and the catalog's line that collide)."""
    lines = [line.strip() for line in stderr.splitlines()]
    wanted = [
        line.removeprefix("cause:").strip()
        for line in lines
        if line and not line.startswith(("×", "╰", "help:", "hint:", "error:", "Error:"))
    ]
    text = " ".join(wanted[:4]) or next((ln for ln in lines if ln), "unknown error")
    conclusion = _CONCLUSION.search(stderr)
    if conclusion and conclusion.group(0) not in text:
        text += " ... " + conclusion.group(0).removeprefix("And ").strip()
    return text.removeprefix("error: ").strip()


def explain_failure(
    stderr: str,
    parsed: RequirementsIn,
    python: str,
    where: str = "requirements.in",
    command: str = "lock",
) -> BootstrapError:
    """The resolver's refusal in the user's terms: which of their lines (their own file and line
    when bootstrap init adopted it), which catalog record and range, and the ways out, as
    commands of ``command`` that exist. Before new or init has written requirements.in, only the
    user's own files are named."""
    unreachable = _UNREACHABLE.search(stderr)
    if unreachable and "No solution found" not in stderr:
        urls = re.findall(r"https?://[^\s`'\")]+", stderr)
        url = next(
            (i for u in urls for i in parsed.extra_index_urls if u.startswith(i.rstrip("/"))),
            urls[0] if urls else "requirements.in names",
        )
        return BootstrapError(
            f"the package index {url} is unreachable: "
            f"{_cause(stderr)}: check the network or the index URL, then run bootstrap lock"
        )
    written = command not in ("new", "init")
    cause = _cause(stderr).rstrip(".")
    words = {canonicalize_name(w) for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9._-]*", cause)}
    mine = [ln for ln in parsed.requirements() if ln.user and ln.name in words]
    named = {ln.name for ln in parsed.requirements() if ln.user}
    theirs = [
        ln
        for ln in parsed.requirements()
        if ln.catalog and ln.name in words and not (parsed.relaxing() and ln.name in named)
    ]
    ways = []
    if theirs or not written:
        records = sorted({ln.catalog for ln in theirs if ln.catalog}) or ["the stacks and drivers"]
        ways += _ways_to_change(command, records)
    for line in mine:
        ways.append(f"edit {_where(line, where)} ({line.text})")
    if not ways:
        ways.append(f"edit {where} (a version that exists for this Python)")
    sides = []
    if mine:
        sides.append(
            ", ".join(
                f"{_where(ln, where)} {'pins' if is_pinned(ln.text) else 'asks for'} {ln.text}"
                for ln in mine
            )
        )
    if theirs:
        sides.append(
            "the catalog's "
            + ", ".join(
                f"{ln.relaxed() if mine else ln.text} (record {ln.catalog}, "
                f"{('range ' + ln.range) if ln.range else 'any version'})"
                for ln in theirs
            )
        )
    conflict = (" conflicts with ".join(sides) + ": ") if len(sides) == 2 else ""
    again = "run bootstrap lock" if written else f"run bootstrap {command} again"
    what = where if written else "the requirements"
    message = (
        f"locking {what} for Python {python} failed: {conflict}{cause}: "
        f"ways out: {'; '.join(ways)}; then {again}"
    )
    missing = _NO_VERSION.search(stderr)
    if missing and any(ln.name == canonicalize_name(missing.group(1)) for ln in mine):
        return MissingRelease(message, missing.group(1), missing.group(2))
    if mine and theirs:
        records = sorted({ln.catalog for ln in theirs if ln.catalog})
        return LockConflict(message, records, f"{conflict}{cause}".rstrip(": "))
    return BootstrapError(message)
