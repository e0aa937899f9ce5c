"""Planning: answers + catalog → one plan. Pure functions over plain data, no I/O.

Each chosen record contributes (apt packages, env, artifacts, pip requirements, ports, ...);
the variant matching the chosen Python and every chosen option add theirs; the template renders
the merged plan without knowing any component by name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypedDict

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from bootstrap import compose as compose_mod
from bootstrap.catalog import Catalog, Record, uv_pin
from bootstrap.errors import UsageError
from bootstrap.requirements import (
    catalog_comment,
    from_comment,
    has_version,
    is_pinned,
    name_of,
)


class Layout(TypedDict):
    """Where bootstrap's own files go in the project (init moves them beside the user's)."""

    dockerfile: str
    dockerfile_ref: str  # relative to .devcontainer/, as devcontainer.json names it
    requirements_in: str
    requirements_txt: str
    siblings: list[str]


class Plan(TypedDict):
    """Everything the template renders: the answers resolved against the catalog, merged.

    Plain lists and maps, handed to the template as they are.
    """

    # what the user chose
    name: str
    project: str
    description: str
    python: str
    stacks: list[str]
    drivers: list[str]
    services: list[str]
    options: list[str]
    network: dict[str, Any]
    github_repo: str
    layout: Layout
    # what the chosen records contribute (LIST_KEYS, MAP_KEYS and the rest of _Merger)
    apt: list[str]
    build_apt: list[str]  # needed only to build packages from source: the builder stage's
    path: list[str]
    run: list[str]
    pip_extra_index: list[str]
    extensions: list[str]
    mounts: list[Any]
    host_folders: list[str]
    run_args: list[str]
    compose_app: dict[str, Any]  # keys added to compose.yaml's app service (run_args' compose twin)
    env: dict[str, str]
    container_env: dict[str, str]
    remote_env: dict[str, str]
    secrets: dict[str, Any]
    artifacts: list[dict[str, Any]]
    pip: list[str]
    pip_unlocked: list[str]
    ports: list[dict[str, Any]]
    initialize: dict[str, list[str]]
    host_requirements: dict[str, Any]
    smoke: list[dict[str, str]]
    files: list[dict[str, Any]]
    readme: list[str]
    runtime: dict[str, Any] | None
    # derived
    image: str
    debian: str
    java: Any
    labels: dict[str, str]
    arch: list[str] | None
    user: str
    build_args: list[str]
    pip_from: dict[str, str]  # package → the record that contributed its line
    pip_ranges: dict[str, str]  # package → the versions its record accepts beside user pins
    pip_in: list[str]  # requirements.in's lines, catalog lines marked with their record and range
    installer: str  # "uv" (into a virtual environment) or "pip" (Python 2.7)
    uv: dict[str, Any] | None  # the pinned, hashed uv the builder stage installs
    venv: str | None
    # services beside the dev container (None without any): .devcontainer/compose.yaml's document
    # and what devcontainer.json says to open its app service
    compose: dict[str, Any] | None
    compose_keys: dict[str, Any] | None
    service_ports: list[dict[str, Any]]
    # each service's checks, run by `bootstrap build` in the app container with the stack up
    service_smoke: list[dict[str, str]]


LIST_KEYS = (
    "apt",
    "build_apt",
    "path",
    "run",
    "pip_extra_index",
    "extensions",
    "mounts",
    "host_folders",
    "run_args",
)
MAP_KEYS = ("env", "container_env", "remote_env", "secrets", "compose_app")
USER = "app"
ARTIFACT_DEFAULTS = {
    "sha256": None,
    "sha512": None,
    "sha256_arg": None,
    "extract": None,
    "strip": 0,
    "arch": None,
}


def _python_matches(spec: str | None, python: str) -> bool:
    return spec is None or Version(python) in SpecifierSet(spec)


def _variant(record: Record, python: str) -> Mapping[str, Any] | None:
    for variant in record.get("variants", []):
        if _python_matches(variant["python"], python):
            return variant
    return None


def _refuse(
    catalog: Catalog, python: str, record: Record, chosen: set[str]
) -> tuple[str, str | None] | None:
    """(reason, way out) when ``record`` cannot join a project on ``python`` with ``chosen``.

    A way out of None means "another Python": worked out only for the message, since finding
    the Pythons that fit asks this function again.
    """
    rid = record["id"]
    py = catalog.get("python", python)
    assert py is not None
    requires = record.get("requires", {})
    if not _python_matches(requires.get("python"), python):
        reason = requires.get("python_reason") or f"it needs Python {requires['python']}"
        return f"{rid} is not available on Python {python}: {reason}", None
    if record.get("variants"):
        variant = _variant(record, python)
        if variant is None:
            return f"{rid} has no release for Python {python}", None
        java = variant.get("java")
        if java and py.get("java") not in java:
            label = variant.get("label", rid)
            wanted = "/".join(str(j) for j in java)
            reason = (
                f"{rid} ({label}) needs Java {wanted}, and the Python {python} image "
                f"(Debian {py['debian']}) provides Java {py.get('java')}"
            )
            return reason, None
    for other in requires.get("records", []):
        if other not in chosen:
            return f"{rid} needs {other}", f"add {other}, or drop {rid}"
    for other in requires.get("conflicts", []):
        if other in chosen:
            return f"{rid} cannot be combined with {other}", "drop one of them"
    for owner, combo in _refused_combos(catalog, python, rid, chosen):
        together = " and ".join(sorted({owner, *combo["with"]}))
        reason = f"{together} cannot be combined on Python {python}: {combo['refuse']}"
        good = [p for p in catalog.pythons if not _python_matches(combo.get("python"), p)]
        others = " or ".join(sorted({owner, *combo["with"]} - {rid}))
        way_out = f"drop {others} or {rid}"
        return reason, (f"choose Python {_span(good)}, or {way_out}" if good else way_out)
    return None


def _combos(record: Record, python: str, chosen: set[str]) -> list[Mapping[str, Any]]:
    """The record's combinations whose partners are all chosen and whose Python matches."""
    return [
        combo
        for combo in record.get("combos", [])
        if set(combo["with"]) <= chosen and _python_matches(combo.get("python"), python)
    ]


def _refused_combos(
    catalog: Catalog, python: str, rid: str, chosen: set[str]
) -> list[tuple[str, Mapping[str, Any]]]:
    """Refusing combinations that involve ``rid``, declared by it or by a chosen partner."""
    found = []
    for owner in sorted(chosen | {rid}):
        record = catalog.find(owner)
        if record is None:
            continue
        for combo in _combos(record, python, chosen | {rid}):
            if combo.get("refuse") and (owner == rid or rid in combo["with"]):
                found.append((owner, combo))
    return found


def refusal(catalog: Catalog, python: str, record: Record, chosen: set[str]) -> str | None:
    """Why ``record`` cannot join a project on ``python`` with ``chosen``, or None."""
    refused = _refuse(catalog, python, record, chosen)
    return refused[0] if refused else None


def refusal_message(catalog: Catalog, python: str, record: Record, chosen: set[str]) -> str | None:
    """The refusal with its way out ("...: choose Python 3.8 or later, or drop polars"), or None."""
    refused = _refuse(catalog, python, record, chosen)
    if refused is None:
        return None
    reason, way_out = refused
    return f"{reason}: {way_out or _other_python(catalog, record)}"


def compatible_pythons(catalog: Catalog, record: Record) -> list[str]:
    return [p for p in catalog.pythons if refusal(catalog, p, record, {record["id"]}) is None]


def _other_python(catalog: Catalog, record: Record) -> str:
    good = compatible_pythons(catalog, record)
    return (
        f"choose Python {_span(good)}, or drop {record['id']}" if good else f"drop {record['id']}"
    )


def _span(versions: list[str]) -> str:
    if len(versions) == 1:
        return versions[0]
    return f"{versions[0]}–{versions[-1]}" if len(versions) > 2 else " or ".join(versions)


def _pip_lines(entries: list[Any], python: str) -> list[str]:
    lines = []
    for entry in entries:
        if isinstance(entry, str):
            lines.append(entry)
        elif _python_matches(entry.get("python"), python):
            lines.append(entry["requirement"])
    return lines


def _memory(value: str) -> int:
    return int(value.removesuffix("gb"))


class _Merger:
    """Accumulates contributions in order; later list items extend, later map items win."""

    def __init__(self, python: str) -> None:
        self.python = python
        self.plan: dict[str, Any] = {key: [] for key in LIST_KEYS}
        self.plan.update({key: {} for key in MAP_KEYS})
        self.plan.update(
            artifacts=[],
            pip=[],
            pip_from={},
            pip_ranges={},
            ports=[],
            initialize={},
            host_requirements={},
            smoke=[],
            files=[],
            readme=[],
            runtime=None,
        )

    def add(self, component: str, source: Mapping[str, Any]) -> None:
        plan = self.plan
        for key in source.get("override", []):
            if key == "smoke":
                plan["smoke"] = [s for s in plan["smoke"] if s["component"] != component]
            elif key == "pip_extra_index":
                plan["pip_extra_index"] = []
            elif key in LIST_KEYS:
                plan[key] = []
        for key in LIST_KEYS:
            for item in source.get(key, []):
                if item not in plan[key]:
                    plan[key].append(item)
        for key in MAP_KEYS:
            plan[key].update(source.get(key, {}))
        for artifact in source.get("artifacts", []):
            plan["artifacts"] = [a for a in plan["artifacts"] if a["dest"] != artifact["dest"]]
            plan["artifacts"].append({**ARTIFACT_DEFAULTS, **artifact, "component": component})
        for line in _pip_lines(source.get("pip", []), self.python):
            name = name_of(line)
            plan["pip"] = [p for p in plan["pip"] if name_of(p) != name]
            plan["pip"].append(line)
            plan["pip_from"][name] = component
        for line in source.get("ranges", []):
            plan["pip_ranges"][name_of(line)] = str(Requirement(line).specifier)
        for port in source.get("ports", []):
            if all(p["port"] != port["port"] for p in plan["ports"]):
                plan["ports"].append({"on_auto_forward": None, **port})
        if source.get("initialize"):
            plan["initialize"][component] = list(source["initialize"])
        hosts = plan["host_requirements"]
        for key, value in source.get("host_requirements", {}).items():
            if key == "cpus":
                hosts[key] = max(hosts.get(key, 0), value)
            elif key in ("memory", "storage"):
                current = hosts.get(key)
                hosts[key] = (
                    value if current is None or _memory(value) > _memory(current) else current
                )
            else:
                hosts[key] = value
        for command in source.get("smoke", []):
            plan["smoke"].append({"component": component, "command": command})
        for file in source.get("files", []):
            plan["files"] = [f for f in plan["files"] if f["path"] != file["path"]]
            plan["files"].append(dict(file))
        if source.get("readme"):
            plan["readme"].append(source["readme"].strip("\n"))
        runtime = source.get("runtime")
        if runtime and (
            plan["runtime"] is None or runtime["priority"] >= plan["runtime"]["priority"]
        ):
            plan["runtime"] = {"port": None, "healthcheck": None, **runtime}


def _parse_options(
    answers: Mapping[str, Any], chosen: list[str], catalog: Catalog
) -> dict[str, list[str]]:
    options: dict[str, list[str]] = {}
    for item in answers.get("options", []):
        component, _, name = item.partition(":")
        record = catalog.find(component)
        if component not in chosen or record is None:
            raise UsageError(
                f"option {item!r}: {component} is not chosen: add --stack/--driver {component} or drop the option"
            )
        if name not in record.get("options", {}):
            known = ", ".join(f"{component}:{o}" for o in record.get("options", {})) or "none"
            raise UsageError(
                f"option {item!r}: {component} has no option {name!r}: choose from {known}"
            )
        options.setdefault(component, []).append(name)
    return options


def _add_source_builds(plan: Any, requirements: list[str], catalog: Catalog) -> None:
    """What compiling the project's own sdist-only requirements takes (``source_builds``).

    A project's psycopg2 needs libpq's headers to build and libpq to run even when the postgres
    driver is not chosen (left out because its pins conflict with the project's, say).
    """
    wanted = {name_of(line) for line in requirements}
    for kind in ("stack", "driver"):
        for record in catalog.of(kind).values():
            for dist, needs in record.get("source_builds", {}).items():
                if dist not in wanted:
                    continue
                plan["build_apt"] += [p for p in needs["build_apt"] if p not in plan["build_apt"]]
                plan["apt"] += [p for p in needs["apt"] if p not in plan["apt"]]


def make_plan(answers: Mapping[str, Any], catalog: Catalog) -> Plan:
    """Compose the chosen records into one plan, or refuse with the reason and the way out."""
    python = answers["python"]
    py = catalog.get("python", python)
    if py is None:
        raise UsageError(
            f"python {python!r} is not in the catalog: choose one of {', '.join(catalog.pythons)}"
        )
    stacks = [s for s in catalog.of("stack") if s in answers.get("stacks", [])]
    drivers = [d for d in catalog.of("driver") if d in answers.get("drivers", [])]
    for kind, ids in (("stack", answers.get("stacks", [])), ("driver", answers.get("drivers", []))):
        for rid in ids:
            if rid not in catalog.of(kind):
                raise UsageError(
                    f"{kind} {rid!r} is not in the catalog: choose from {', '.join(catalog.of(kind))}"
                )
    chosen = stacks + drivers
    chosen_set = set(chosen)
    for rid in chosen:
        record = catalog.find(rid)
        assert record is not None
        message = refusal_message(catalog, python, record, chosen_set)
        if message:
            raise UsageError(message)
    options = _parse_options(answers, chosen, catalog)

    merger = _Merger(python)
    merger.add("python", py)
    for variant_source in [v for v in [_variant(py, python)] if v]:
        merger.add("python", variant_source)
    labels: dict[str, str] = {}
    for rid in chosen:
        record = catalog.find(rid)
        assert record is not None
        merger.add(rid, record)
        variant = _variant(record, python)
        if variant:
            merger.add(rid, variant)
            if variant.get("label"):
                labels[rid] = variant["label"]
            for implied in variant.get("implies", []):
                if implied not in options.get(rid, []):
                    options.setdefault(rid, []).append(implied)
        for name in options.get(rid, []):
            option = record["options"][name]
            requires = option.get("requires", {})
            if not _python_matches(requires.get("python"), python):
                raise UsageError(
                    f"option {rid}:{name} needs Python {requires['python']}: choose another Python or drop it"
                )
            merger.add(rid, option)
    # combinations last: what two chosen records need together (a JDBC jar for Spark) wins
    for rid in chosen:
        record = catalog.find(rid)
        assert record is not None
        for combo in _combos(record, python, chosen_set):
            merger.add(rid, combo)

    plan: Any = merger.plan
    arch = None
    for rid, names in options.items():
        for name in names:
            wanted = catalog.find(rid)["options"][name].get("requires", {}).get("arch")  # type: ignore[index]
            if wanted:
                arch = sorted(set(wanted) & set(arch)) if arch else sorted(wanted)
    network = dict(answers.get("network", {}))
    # downloads need curl and a trust store (debian:*-slim has neither), as do corporate CAs
    needs = (["curl", "ca-certificates"] if plan["artifacts"] else []) + (
        ["ca-certificates"] if network.get("ca_certs") else []
    )
    plan["apt"] += [package for package in dict.fromkeys(needs) if package not in plan["apt"]]
    _add_source_builds(plan, answers.get("requirements", []), catalog)
    plan.update(
        name=answers["name"],
        project=answers["project"],
        description=answers.get("description", ""),
        github_repo=answers.get("github_repo", ""),
        python=python,
        image=py["image"],
        debian=py["debian"],
        java=py.get("java") if any(a.startswith("default-jre") for a in plan["apt"]) else None,
        stacks=stacks,
        drivers=drivers,
        options=sorted(f"{rid}:{name}" for rid, names in options.items() for name in names),
        labels=labels,
        network=network,
        arch=arch,
        user=USER,
        build_args=sorted({a["sha256_arg"] for a in plan["artifacts"] if a.get("sha256_arg")}),
    )
    if plan["build_apt"]:
        plan["build_apt"] += [p for p in py.get("build_headers", []) if p not in plan["build_apt"]]
    installer = py.get("installer", "uv")
    if installer == "pip":
        # one stage installs everything: the packages sdists build with stay in the image
        plan["apt"] += [p for p in plan["build_apt"] if p not in plan["apt"]]
        plan["build_apt"] = []
    plan["installer"] = installer
    plan["uv"] = uv_pin() if installer == "uv" else None
    plan["venv"] = "/opt/venv" if installer == "uv" else None
    plan["apt"] = sorted({*plan["apt"], *answers.get("apt_packages", [])})  # apt.txt's too
    if any(_VCS_LINE.search(str(line)) for line in answers.get("requirements", [])):
        # a requirement from version control installs in the image's project step: with git
        plan["apt"] = sorted({*plan["apt"], "git"})
    plan["build_apt"] = sorted(p for p in plan["build_apt"] if p not in plan["apt"])
    catalog_pins = set(plan["pip"])
    plan["pip"] = merge_requirements(plan["pip"], answers.get("requirements", []))
    # requirements.in marks the catalog's lines, so the lock can relax them beside the user's
    sources = answers.get("requirement_sources", {})  # the user's FILE:LINE, from bootstrap init
    floors = {rid: _floors(catalog.find(rid) or py) for rid in set(plan["pip_from"].values())}
    plan["pip_in"] = [
        f"{line}  "
        + catalog_comment(
            plan["pip_from"][name],
            plan["pip_ranges"].get(name) or floors[plan["pip_from"][name]].get(name),
        )
        if line in catalog_pins and (name := name_of(line)) in plan["pip_from"]
        else f"{line}  {from_comment(sources[line])}"
        if line in sources
        else line
        for line in plan["pip"]
    ]
    plan["pip_in"] += [  # the project itself: the image installs it after the lock
        f"{line}  {from_comment(sources[line])}" if line in sources else line
        for line in answers.get("local_requirements", [])
    ]
    plan["layout"] = layout(answers)
    # repo2docker's scripts of the project (bootstrap init records them): run in the image only
    plan["post_build"] = answers.get("post_build")
    plan["start"] = answers.get("start")
    _services(plan, answers, catalog)
    plan["pip_unlocked"] = [line for line in plan["pip"] if not is_pinned(line)]
    return plan


_VCS_LINE = re.compile(r"(?:^|@\s*)git\+", re.IGNORECASE)


def _services(plan: Any, answers: Mapping[str, Any], catalog: Catalog) -> None:
    """The chosen services as the compose document, the keys devcontainer.json opens it with,
    and their README sections."""
    python = plan["python"]
    services = []
    for sid in answers.get("services", []):
        record = catalog.get("service", sid)
        if record is None:
            known = ", ".join(catalog.of("service"))
            raise UsageError(f"service {sid!r} is not in the catalog: choose from {known}")
        requires = record.get("requires", {})
        if not _python_matches(requires.get("python"), python):
            reason = requires.get("python_reason") or f"it needs Python {requires['python']}"
            raise UsageError(
                f"service {sid} is not available on Python {python}: {reason}: "
                f"choose Python {requires['python']}, or drop --service {sid}"
            )
        services.append(record)
    services.sort(key=lambda r: list(catalog.of("service")).index(r["id"]))
    plan["services"] = [r["id"] for r in services]
    plan["service_ports"] = []
    plan["service_smoke"] = [
        {"component": f"{r['id']} service", "command": command}
        for r in services
        for command in r.get("smoke", [])
    ]
    if not services:
        plan["compose"] = plan["compose_keys"] = None
        return
    merged = compose_mod.merge(services)
    plan["compose"] = compose_mod.document(
        merged,
        dockerfile=plan["layout"]["dockerfile"],
        project=plan["project"],
        app_keys=plan["compose_app"],
    )
    plan["compose_keys"] = compose_mod.devcontainer_keys(merged)
    plan["service_ports"] = merged["ports"]
    plan["readme"] += [r["readme"].strip("\n") for r in services if r.get("readme")]


def _floors(record: Record) -> dict[str, str]:
    """canonical name → ``>=V``, V the oldest release a record pins for it on any Python: the
    floor a record's range has unless it declares one (``ranges``)."""
    oldest: dict[str, Version] = {}
    sources = [record, *record.get("variants", []), *record.get("options", {}).values()]
    for source in sources:
        for entry in source.get("pip", []):
            line = entry if isinstance(entry, str) else entry["requirement"]
            try:
                requirement = Requirement(line)
                specs = list(requirement.specifier)
                if len(specs) != 1 or specs[0].operator != "==":
                    continue
                version = Version(specs[0].version)
            except (InvalidRequirement, ValueError):
                continue
            name = canonicalize_name(requirement.name)
            if name not in oldest or version < oldest[name]:
                oldest[name] = version
    return {name: f">={version}" for name, version in oldest.items()}


def merge_requirements(catalog_lines: list[str], own: list[str]) -> list[str]:
    """The catalog's pins plus the project's own requirements (bootstrap init).

    One line per package: the project's line replaces the catalog's when it carries a version
    of its own, so the user's pins are kept; a bare name defers to the catalog's tested pin.
    """
    by_name: dict[str, list[str]] = {}
    for line in catalog_lines:
        by_name.setdefault(name_of(line), []).append(line)
    for line in own:
        name = name_of(line)
        if name in by_name and not has_version(line):
            continue
        by_name.pop(name, None)  # the project's line replaces the catalog's (dicts keep order)
        by_name[name] = [line]
    return [line for lines in by_name.values() for line in lines]


def layout(answers: Mapping[str, Any]) -> Layout:
    """Where bootstrap's Dockerfile and requirements go, as paths the template writes."""
    chosen = answers.get("layout", {})
    dockerfile = chosen.get("dockerfile", "Dockerfile")
    moved = dockerfile.startswith(".devcontainer/")
    requirements_in = chosen.get("requirements", "requirements.in")
    folder = requirements_in.rpartition("/")[0]
    return {
        "dockerfile": dockerfile,
        # devcontainer.json names the Dockerfile relative to .devcontainer/
        "dockerfile_ref": "Dockerfile" if moved else "../Dockerfile",
        "requirements_in": requirements_in,
        "requirements_txt": f"{folder}/requirements.txt" if folder else "requirements.txt",
        "siblings": list(chosen.get("siblings", [])),
    }


def why_not(catalog: Catalog, answers: Mapping[str, Any], candidate: str) -> str | None:
    """The reason a wizard choice is disabled given earlier answers, or None when it fits."""
    record = catalog.find(candidate)
    if record is None:
        return "not in the catalog"
    chosen = set(answers.get("stacks", [])) | set(answers.get("drivers", [])) | {candidate}
    reason = refusal(catalog, answers["python"], record, chosen)
    if reason is None:
        return None
    return reason.split(": ", 1)[-1] if ": " in reason else reason
