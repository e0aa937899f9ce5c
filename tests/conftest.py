from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import run


@pytest.fixture
def new_project(tmp_path: Path) -> Callable[..., Path]:
    """Make a project with `bootstrap new --no-input --offline` and return its folder."""

    def make(*args: str, name: str = "demo", offline: bool = True) -> Path:
        out = tmp_path / "out"
        flags = ["new", "--no-input", "--name", name, "--output-dir", str(out), *args]
        if offline:
            flags.append("--offline")
        result = run(*flags)
        assert result.returncode == 0, result.stderr
        return out / name

    return make
