"""The plan's merge rules, as pure functions over plain data (no files, no template)."""

from __future__ import annotations

import pytest

from bootstrap.catalog import load
from bootstrap.errors import UsageError
from bootstrap.plan import _Merger, layout, make_plan, merge_requirements

CATALOG = load([], use_env=False)


def _merged(*sources: tuple[str, dict]) -> dict:
    merger = _Merger("3.12")
    for component, source in sources:
        merger.add(component, source)
    return merger.plan


def test_lists_extend_in_order_without_repeats() -> None:
    plan = _merged(("a", {"apt": ["curl", "git"]}), ("b", {"apt": ["git", "jq"]}))
    assert plan["apt"] == ["curl", "git", "jq"]


def test_override_clears_what_came_before() -> None:
    plan = _merged(("a", {"apt": ["curl"]}), ("b", {"override": ["apt"], "apt": ["wget"]}))
    assert plan["apt"] == ["wget"]


def test_maps_take_the_later_value() -> None:
    plan = _merged(("a", {"env": {"X": "1", "Y": "a"}}), ("b", {"env": {"Y": "b"}}))
    assert plan["env"] == {"X": "1", "Y": "b"}


def test_pip_lines_are_one_per_package_and_the_later_wins() -> None:
    plan = _merged(
        ("a", {"pip": ["numpy==1.26.4", "pandas==2.2.2"]}),
        ("b", {"pip": ["NumPy==2.0.0", {"requirement": "six==1.16.0", "python": "<3"}]}),
    )
    assert plan["pip"] == ["pandas==2.2.2", "NumPy==2.0.0"]  # six is for Python 2 only


def test_an_artifact_replaces_the_one_with_its_destination() -> None:
    first = {"name": "a.jar", "dest": "/opt/jars/x.jar", "sha256": "1" * 64}
    second = {"name": "b.jar", "dest": "/opt/jars/x.jar", "sha256": "2" * 64}
    plan = _merged(("a", {"artifacts": [first]}), ("b", {"artifacts": [second]}))
    assert [a["name"] for a in plan["artifacts"]] == ["b.jar"]
    assert plan["artifacts"][0]["component"] == "b"


def test_ports_are_kept_once_and_host_requirements_take_the_largest() -> None:
    plan = _merged(
        ("a", {"ports": [{"port": 8888}], "host_requirements": {"cpus": 2, "memory": "8gb"}}),
        ("b", {"ports": [{"port": 8888}], "host_requirements": {"cpus": 4, "memory": "4gb"}}),
    )
    assert [p["port"] for p in plan["ports"]] == [8888]
    assert plan["host_requirements"] == {"cpus": 4, "memory": "8gb"}


def test_the_runtime_with_the_highest_priority_wins() -> None:
    plan = _merged(
        ("a", {"runtime": {"cmd": ["a"], "priority": 5}}),
        ("b", {"runtime": {"cmd": ["b"], "priority": 1}}),
    )
    assert plan["runtime"]["cmd"] == ["a"]


def test_smoke_override_drops_only_that_components_checks() -> None:
    plan = _merged(
        ("a", {"smoke": ["a1"]}),
        ("b", {"smoke": ["b1"]}),
        ("b", {"override": ["smoke"], "smoke": ["b2"]}),
    )
    assert [s["command"] for s in plan["smoke"]] == ["a1", "b2"]


def test_the_users_pin_beats_the_catalogs_and_a_bare_name_defers() -> None:
    lines = merge_requirements(["numpy==2.1.0", "pandas==2.2.3"], ["numpy~=1.19.5", "pandas"])
    assert lines == ["pandas==2.2.3", "numpy~=1.19.5"]


def test_layout_defaults_to_the_root_and_follows_init() -> None:
    assert layout({})["dockerfile_ref"] == "../Dockerfile"
    moved = layout({"layout": {"dockerfile": ".devcontainer/Dockerfile", "siblings": ["a.md"]}})
    assert moved["dockerfile_ref"] == "Dockerfile"
    assert moved["siblings"] == ["a.md"]


def test_a_plan_is_plain_data_the_template_can_take() -> None:
    import json

    answers = {
        "name": "p",
        "project": "p",
        "python": "3.12",
        "stacks": ["jupyter"],
        "drivers": [],
        "options": [],
        "network": {},
    }
    plan = make_plan(answers, CATALOG)
    assert json.loads(json.dumps(plan)) == plan


def test_an_unknown_python_is_refused_with_the_choices() -> None:
    answers = {"name": "p", "project": "p", "python": "3.99", "network": {}}
    with pytest.raises(UsageError, match="choose one of"):
        make_plan(answers, CATALOG)


@pytest.mark.parametrize(
    "choice",
    [
        {"stacks": ["jupyter", "pydata"], "drivers": []},
        {"stacks": [], "drivers": ["aws", "oracle"], "options": ["oracle:jdbc"]},
        {"stacks": ["flask"], "drivers": ["spark"], "network": {"ca_certs": ["corp.crt"]}},
    ],
)
def test_the_files_a_render_writes_are_known_before_rendering(tmp_path, choice: dict) -> None:
    """init lists (and places) files by rendered_names: it must match what the render writes."""
    from bootstrap.answers import validate
    from bootstrap.layout import rendered_names
    from bootstrap.pipeline import Settings, make

    answers = validate({"name": "p", "python": "3.12", **choice}, CATALOG)
    planned = make_plan(answers, CATALOG)
    certs = {
        name: b"-----BEGIN CERTIFICATE-----\n"
        for name in choice.get("network", {}).get("ca_certs", [])
    }
    made = make(answers, planned, CATALOG, tmp_path, Settings(offline=True, ca_certs=certs))
    written = sorted(
        p.relative_to(made.project).as_posix() for p in made.project.rglob("*") if p.is_file()
    )
    assert rendered_names(planned) == written


def _answers(python: str, requirements: list[str], drivers: list[str] | None = None) -> dict:
    return {
        "name": "shop",
        "project": "shop",
        "python": python,
        "stacks": [],
        "drivers": drivers or [],
        "requirements": requirements,
    }


def test_a_projects_own_psycopg2_brings_what_compiling_it_takes_without_the_driver() -> None:
    plan = make_plan(_answers("3.9", ['psycopg2==2.9.5; python_version >= "3.9"']), CATALOG)
    assert {"libpq-dev", "gcc", "libc6-dev"} <= set(plan["build_apt"])
    assert "libpq5" in plan["apt"], "the module loads libpq at run time"
    assert "libpq-dev" not in plan["apt"], "headers stay in the build stage"


def test_the_binary_wheel_and_other_projects_need_no_compiler() -> None:
    for requirements in (["psycopg2-binary==2.9.5"], ["requests"], []):
        plan = make_plan(_answers("3.12", requirements), CATALOG)
        assert plan["build_apt"] == [] and "libpq5" not in plan["apt"], requirements


def test_on_python_27_the_build_packages_stay_in_the_one_stage_with_the_headers() -> None:
    plan = make_plan(_answers("2.7", ["psycopg2==2.8.6"], ["postgres"]), CATALOG)
    assert plan["build_apt"] == []
    assert {"libpq-dev", "gcc", "libc6-dev", "libpq5", "python2.7-dev"} <= set(plan["apt"])
