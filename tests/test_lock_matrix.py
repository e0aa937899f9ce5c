"""Every catalog combination locks online: each Python with each stack, driver and option it does
not refuse, alone, and all of them together. Minutes long: `pytest -m matrix` runs it on its own.

The PyTorch CPU index cannot always be reached (a corporate network, or these test machines): a
lock needing it is skipped with that reason, and the fallback message is tested instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import run
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bootstrap.catalog import load
from bootstrap.index import reachable
from bootstrap.plan import make_plan

CATALOG = load([])


def _answers(python: str, stacks: list[str], drivers: list[str], options: list[str]) -> dict:
    return {
        "name": "m",
        "project": "m",
        "python": python,
        "stacks": stacks,
        "drivers": drivers,
        "options": options,
    }


def _refused(python: str, stacks: list[str], drivers: list[str], options: list[str]) -> bool:
    try:
        make_plan(_answers(python, stacks, drivers, options), CATALOG)
    except Exception:
        return True
    return False


def combinations() -> list[tuple[str, list[str], list[str], list[str]]]:
    out = []
    for python in CATALOG.pythons:
        each = []
        for rid in CATALOG.of("stack"):
            each.append(([rid], [], []))
        for rid in CATALOG.of("driver"):
            each.append(([], [rid], []))
        for kind in ("stack", "driver"):
            for rid, record in CATALOG.of(kind).items():
                for option in record.get("options", {}):
                    chosen = ([rid], [], []) if kind == "stack" else ([], [rid], [])
                    each.append((chosen[0], chosen[1], [f"{rid}:{option}"]))
        fits = [c for c in each if not _refused(python, *c)]
        out += [(python, *c) for c in fits]
        together = (
            sorted({s for c in fits for s in c[0]}),
            sorted({d for c in fits for d in c[1]}),
            [],
        )
        # all the stacks and drivers this Python takes, where they may be combined
        if not _refused(python, *together) and len(together[0]) + len(together[1]) > 1:
            out.append((python, *together))
    return out


def _id(combo: tuple[str, list[str], list[str], list[str]]) -> str:
    python, stacks, drivers, options = combo
    return "-".join([python, *stacks, *drivers, *(o.replace(":", "_") for o in options)])


COMBOS = combinations()


@pytest.mark.matrix
@pytest.mark.network
@pytest.mark.parametrize("combo", COMBOS, ids=[_id(c) for c in COMBOS])
def test_every_combination_locks_online(
    tmp_path: Path, combo: tuple[str, list[str], list[str], list[str]]
) -> None:
    python, stacks, drivers, options = combo
    plan = make_plan(_answers(python, stacks, drivers, options), CATALOG)
    for index in plan["pip_extra_index"]:
        if not reachable(index):
            pytest.skip(f"the package index {index} is not reachable from this machine")
    args = ["--python", python, "--stack", ",".join(stacks), "--driver", ",".join(drivers)]
    for option in options:
        args += ["--option", option]
    made = run(
        "new", "--no-input", "--name", "m", "--output-dir", tmp_path, "--offline", *args
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    locked = run("lock", tmp_path / "m")
    assert locked.returncode == 0, locked.stderr
    text = (tmp_path / "m" / "requirements.txt").read_text()
    assert not text.startswith("# NOT A FULL LOCK"), text[:400]
    locked_pins = {
        canonicalize_name(name): version
        for name, version in re.findall(r"^([A-Za-z0-9._-]+)==([^\s;]+)", text, re.MULTILINE)
    }
    for line in plan["pip"]:  # a new project keeps the catalog's tested pins
        requirement = Requirement(line)
        wanted = next(iter(requirement.specifier)).version
        assert locked_pins.get(canonicalize_name(requirement.name)) == wanted, line


def test_an_unreachable_extra_index_falls_back_naming_that_index(tmp_path: Path) -> None:
    """PyTorch's CPU index: where it cannot be reached, the lock says so, names it, and keeps the
    curated pins (not a full lock); nothing says "writing ... failed"."""
    torch = "https://download.pytorch.org/whl/cpu"
    if reachable(torch):
        pytest.skip(f"{torch} is reachable here: the fallback is not exercised")
    made = run(
        "new", "--no-input", "--name", "t", "--output-dir", tmp_path, "--python", "3.11",
        "--stack", "pytorch",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    said = made.stdout + made.stderr
    assert f"the package index {torch} is unreachable" in said
    assert "not a full lock" in said and "writing" not in said
    text = (tmp_path / "t" / "requirements.txt").read_text()
    curated = make_plan(_answers("3.11", ["pytorch"], [], []), CATALOG)["pip"]
    assert text.startswith("# NOT A FULL LOCK") and all(pin in text for pin in curated)
