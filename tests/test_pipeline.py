"""One pipeline: each command makes its plan once and hands it to the template as data."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap import cli, plan


@pytest.fixture
def plans_made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every plan composed in this process, by its Python (one _Merger per plan)."""
    made: list[str] = []
    real = plan._Merger.__init__

    def counting(self: plan._Merger, python: str) -> None:
        made.append(python)
        real(self, python)

    monkeypatch.setattr(plan._Merger, "__init__", counting)
    return made


def test_new_makes_one_plan(tmp_path: Path, plans_made: list[str]) -> None:
    out = ["--output-dir", str(tmp_path)]
    code = cli.main(["new", "--no-input", "--offline", "--name", "p", "--python", "3.11", *out])
    assert code == 0
    assert plans_made == ["3.11"]
    assert (tmp_path / "p/Dockerfile").is_file()


def test_update_makes_one_plan(tmp_path: Path, plans_made: list[str]) -> None:
    args = ["new", "--no-input", "--offline", "--name", "p", "--output-dir", str(tmp_path)]
    assert cli.main(args) == 0
    plans_made.clear()
    assert cli.main(["update", str(tmp_path / "p"), "--python", "3.11", "--offline"]) == 0
    assert plans_made == ["3.11"]
    assert '"python": "3.11"' in (tmp_path / "p/.devcontainer/bootstrap.json").read_text()
