"""The one exception family the CLI turns into a single line and an exit code."""

from __future__ import annotations


class BootstrapError(Exception):
    """A failure the user can act on; ``message`` names the value and the fix."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(BootstrapError):
    """Bad input: a value, a flag, a file or a combination the user chose."""

    exit_code = 2


class LockConflict(BootstrapError):
    """The resolver found the user's requirements and a catalog record's lines incompatible;
    ``records`` are the ids of those records, ``cause`` the resolver's reason in one line."""

    def __init__(self, message: str, records: list[str], cause: str) -> None:
        super().__init__(message)
        self.records = records
        self.cause = cause


class MissingRelease(BootstrapError):
    """The user pins a release the index does not have (deleted, or never published)."""

    def __init__(self, message: str, name: str, version: str) -> None:
        super().__init__(message)
        self.name = name
        self.version = version


class ValidationFailed(BootstrapError):
    """A generated or existing project breaks a rule; each problem is one line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            f"{len(problems)} problem(s):\n" + "\n".join(f"  {p}" for p in problems)
            if len(problems) > 1
            else problems[0]
        )
        self.problems = problems


class Interrupted(BootstrapError):
    """Ctrl-C: nothing was written."""

    exit_code = 130


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: handled like Ctrl-C (a KeyboardInterrupt, so every cleanup runs),
    exiting 128 + the signal's number as shells expect."""

    def __init__(self, reason: str, signum: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.exit_code = 128 + signum
