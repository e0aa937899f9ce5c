"""Project folder names that work on every host: Windows' reserved device names and case-only
differences, which Linux allows but Windows and macOS (case-insensitive by default) do not."""

from __future__ import annotations

import os
from pathlib import Path

from bootstrap.errors import UsageError

#: Win32 device names, reserved in every folder and with any extension ("con.txt" too):
#: https://learn.microsoft.com/en-us/windows/win32/fileio/naming-a-file#naming-conventions
RESERVED = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{n}" for n in range(1, 10)}
    | {f"lpt{n}" for n in range(1, 10)}
)


def windows_reserved(name: str) -> str | None:
    """Why ``name`` cannot be a folder on Windows, or None when it can."""
    stem = name.split(".", 1)[0].rstrip(" ").lower()
    if stem in RESERVED:
        return (
            f"{name!r} is a device name reserved on Windows ({stem.upper()}): choose another name"
        )
    return None


def check_project_folder(output_dir: Path, folder: str) -> None:
    """Refuse, before any work, a folder name that Windows or macOS users could not check out."""
    reserved = windows_reserved(folder)
    if reserved:
        raise UsageError(f"project folder {reserved}")
    try:
        entries = os.listdir(output_dir)
    except OSError:
        return  # a folder that does not exist yet has nothing to collide with
    for entry in entries:
        if entry != folder and entry.casefold() == folder.casefold():
            raise UsageError(
                f"project folder {folder!r} differs only by case from {entry!r} in {output_dir}: "
                "Windows and macOS see one folder; choose another name or --output-dir"
            )
