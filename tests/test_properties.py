"""Properties over the whole answer space (hypothesis): every accepted answer set gives a project
that validates against our schemas and the official ones, passes hadolint, is fully pinned and is
byte-for-byte the same when made twice; every refused set exits 2 and writes nothing.

Every Python with every single stack and driver is generated in test_answer_space.py; here the
draws mix several components, options, networks, names and free-text descriptions.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from helpers import BOOTSTRAP, all_pinned, hadolint_errors, official_errors
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bootstrap import catalog as catalog_mod
from bootstrap.answers import validate
from bootstrap.errors import UsageError
from bootstrap.pipeline import Made, Settings, make
from bootstrap.plan import make_plan, refusal

CATALOG = catalog_mod.builtin()
STACKS = list(CATALOG.of("stack"))
DRIVERS = list(CATALOG.of("driver"))
OPTIONS = {rid: list(CATALOG.find(rid).get("options", {})) for rid in STACKS + DRIVERS}
CONTROL = "".join(chr(c) for c in [*range(0x20), 0x7F])
URLS = {
    "pip_index_url": ["https://pypi.example/simple", "http://10.0.0.1:3141/root/pypi/+simple/"],
    "apt_mirror": ["http://mirror.example/debian", "https://m.example:8443/deb/"],
    "artifact_mirror": ["https://artifacts.example/remote", "http://a.example/x?y=1&z=2"],
}
PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def raw_answers(draw: st.DrawFn) -> dict[str, Any]:
    """Answers as a user could give them: any Python, any mix of stacks, drivers and options."""
    stacks = draw(st.lists(st.sampled_from(STACKS), unique=True, max_size=4))
    drivers = draw(st.lists(st.sampled_from(DRIVERS), unique=True, max_size=4))
    offered = [f"{rid}:{name}" for rid in stacks + drivers for name in OPTIONS[rid]]
    options = draw(st.lists(st.sampled_from(offered), unique=True)) if offered else []
    network = draw(
        st.fixed_dictionaries({}, optional={k: st.sampled_from(v) for k, v in URLS.items()})
    )
    return {
        "name": draw(st.from_regex(r"\A[A-Za-z][A-Za-z0-9 ._-]{0,30}\Z")),
        "description": draw(
            st.text(
                st.characters(blacklist_categories=["Cs"], blacklist_characters=CONTROL),
                max_size=60,
            )
        ),
        "python": draw(st.sampled_from(CATALOG.pythons)),
        "stacks": stacks,
        "drivers": drivers,
        "options": options,
        "network": network,
    }


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _accepted(raw: dict[str, Any]) -> dict[str, Any] | None:
    try:
        answers = validate(raw, CATALOG)
        make_plan(answers, CATALOG)
    except UsageError:
        return None
    return answers


@PROPERTY_SETTINGS
@given(raw=raw_answers())
def test_every_answer_set_is_made_or_refused(raw: dict[str, Any]) -> None:
    answers = _accepted(raw)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        if answers is None:
            event("refused")
            _check_refused(root, raw)
            return
        event("made")
        made = _make(answers, root / "one")
        first, lock, report = made.project, made.lock, made.report
        assert not lock.full
        assert report.problems == []
        assert official_errors(first / ".devcontainer/devcontainer.json") == []
        assert hadolint_errors(first / "Dockerfile") == []
        assert all_pinned(first / "requirements.txt") == []
        assert not [p for p in first.rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"]
        recorded = json.loads((first / ".devcontainer/bootstrap.json").read_text("utf-8"))
        assert validate(recorded, CATALOG) == answers
        assert raw["description"] in (first / "README.md").read_text("utf-8")
        second = _make(answers, root / "two").project
        assert tree(first) == tree(second)


def _check_refused(root: Path, raw: dict[str, Any]) -> None:
    """The CLI, given the same answers in a file, exits 2 with one line and writes nothing."""
    answers_file = root / "answers.json"
    answers_file.write_text(json.dumps(raw), encoding="utf-8")
    before = sorted(root.rglob("*"))
    command = [*BOOTSTRAP, "new", "--no-input", "--offline", "--answers", str(answers_file)]
    result = subprocess.run(
        [*command, "--output-dir", str(root / "out")],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1
    assert sorted(root.rglob("*")) == before


COMPONENTS = STACKS + DRIVERS
PAIRS = list(itertools.combinations(COMPONENTS, 2))


@pytest.mark.parametrize("python", CATALOG.pythons)
def test_every_pair_is_planned_or_refused_with_a_way_out(python: str) -> None:
    """All pairs on all Pythons (pure planning, no files): a plan, or a refusal that says why,
    and a pair is refused exactly when one of its components is refused on that Python."""
    for pair in PAIRS:
        raw = {
            "name": "pair",
            "python": python,
            "stacks": [c for c in pair if c in STACKS],
            "drivers": [c for c in pair if c in DRIVERS],
        }
        answers = validate(raw, CATALOG)
        single_refusals = [refusal(CATALOG, python, CATALOG.find(c), set(pair)) for c in pair]
        try:
            plan = make_plan(answers, CATALOG)
        except UsageError as error:
            assert any(single_refusals), (pair, error.message)
            assert "\n" not in error.message
            assert any(word in error.message for word in ("choose", "drop", "add")), error.message
            continue
        assert not any(single_refusals), pair
        assert plan["python"] == python
        assert set(plan["stacks"] + plan["drivers"]) == set(pair)


def test_the_cli_is_deterministic_across_runs(tmp_path: Path) -> None:
    """Two separate processes, same answers: byte-identical projects."""
    flags = [
        "new", "--no-input", "--offline", "--name", "Same Twice", "--description", "déjà vu {{ x }}",
        "--python", "3.11", "--stack", "jupyter,pydata,flask", "--driver", "oracle,hadoop,aws",
        "--option", "oracle:jdbc", "--pip-index-url", "https://pypi.example/simple",
    ]  # fmt: skip
    trees = []
    for run_name in ("one", "two"):
        result = subprocess.run(
            [*BOOTSTRAP, *flags, "--output-dir", str(tmp_path / run_name)],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        trees.append(tree(tmp_path / run_name / "same-twice"))
    assert trees[0] == trees[1]
    assert len(trees[0]) > 5


def _make(answers: dict, scratch: Path) -> Made:
    """Render, lock (offline) and validate, as every command does, into ``scratch``."""
    return make(answers, make_plan(answers, CATALOG), CATALOG, scratch, Settings(offline=True))
