"""The whole answer space: every Python with every stack and driver (and with all that fit at once)
generates a valid project; every refused combination is refused before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import all_pinned, hadolint_errors, official_errors, run

from bootstrap import catalog as catalog_mod
from bootstrap.answers import validate
from bootstrap.errors import UsageError
from bootstrap.pipeline import Made, Settings, make
from bootstrap.plan import make_plan, refusal

CATALOG = catalog_mod.builtin()
COMPONENTS = [(kind, rid) for kind in ("stack", "driver") for rid in CATALOG.of(kind)]


def _answers(
    python: str, stacks: list[str], drivers: list[str], options: list[str] | None = None
) -> dict:
    return validate(
        {
            "name": "space",
            "python": python,
            "stacks": stacks,
            "drivers": drivers,
            "options": options or [],
        },
        CATALOG,
    )


def _check(tmp_path: Path, answers: dict) -> None:
    made = _make(answers, tmp_path)
    project, lock, report = made.project, made.lock, made.report
    assert not lock.full and report.problems == []
    assert official_errors(project / ".devcontainer/devcontainer.json") == []
    assert hadolint_errors(project / "Dockerfile") == []
    assert all_pinned(project / "requirements.txt") == []


@pytest.mark.parametrize("python", CATALOG.pythons)
@pytest.mark.parametrize(("kind", "component"), COMPONENTS, ids=[c for _, c in COMPONENTS])
def test_every_single_component(tmp_path: Path, python: str, kind: str, component: str) -> None:
    record = CATALOG.find(component)
    stacks = [component] if kind == "stack" else []
    drivers = [component] if kind == "driver" else []
    if refusal(CATALOG, python, record, {component}):
        with pytest.raises(UsageError, match=r"choose Python|drop"):
            make_plan(_answers(python, stacks, drivers), CATALOG)
        return
    options = [f"{component}:{name}" for name in record.get("options", {})]
    _check(tmp_path, _answers(python, stacks, drivers, options))


@pytest.mark.parametrize("python", CATALOG.pythons)
def test_everything_that_fits_at_once(tmp_path: Path, python: str) -> None:
    fits = [(k, c) for k, c in COMPONENTS if not refusal(CATALOG, python, CATALOG.find(c), {c})]
    stacks = [c for k, c in fits if k == "stack"]
    drivers = [c for k, c in fits if k == "driver"]
    _check(tmp_path, _answers(python, stacks, drivers))


def test_refused_combination_through_the_cli_writes_nothing(tmp_path: Path) -> None:
    refused = [
        (p, c)
        for p in CATALOG.pythons
        for _, c in COMPONENTS
        if refusal(CATALOG, p, CATALOG.find(c), {c})
    ]
    assert refused, "the catalog refuses something (e.g. polars on 2.7)"
    for python, component in refused:
        kind = "--stack" if component in CATALOG.of("stack") else "--driver"
        result = run(
            "new",
            "--no-input",
            "--offline",
            "--name",
            "x",
            "--python",
            python,
            kind,
            component,
            "--output-dir",
            tmp_path / "o",
        )
        assert result.returncode == 2, (python, component, result.stderr)
        assert result.stderr.count("\n") == 1 and (
            "choose Python" in result.stderr or "drop" in result.stderr
        )
        assert not (tmp_path / "o").exists()


def _make(answers: dict, scratch: Path) -> Made:
    """Render, lock (offline) and validate, as every command does, into ``scratch``."""
    return make(answers, make_plan(answers, CATALOG), CATALOG, scratch, Settings(offline=True))
