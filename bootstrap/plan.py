"""Planning: answers + catalog → one plan. Pure functions over plain data, no I/O.

Each chosen record contributes (apt packages, env, artifacts, pip requirements, ports, ...);
the variant matching the chosen Python and every chosen option add theirs; the template renders
the merged plan without knowing any component by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from bootstrap.catalog import Catalog, Record
from bootstrap.errors import UsageError

Plan = dict[str, Any]

LIST_KEYS = ("apt", "path", "run", "pip_extra_index", "extensions", "mounts", "run_args")
MAP_KEYS = ("env", "container_env", "remote_env", "secrets")
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
    return None


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


def _requirement_name(line: str) -> str:
    try:
        return canonicalize_name(Requirement(line).name)
    except InvalidRequirement:
        return line


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
        self.plan: Plan = {key: [] for key in LIST_KEYS}
        self.plan.update({key: {} for key in MAP_KEYS})
        self.plan.update(
            artifacts=[],
            pip=[],
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
            name = _requirement_name(line)
            plan["pip"] = [p for p in plan["pip"] if _requirement_name(p) != name]
            plan["pip"].append(line)
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

    plan = merger.plan
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
    plan.update(
        name=answers["name"],
        project=answers["project"],
        description=answers.get("description", ""),
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
    plan["apt"] = sorted({*plan["apt"], *answers.get("apt_packages", [])})  # apt.txt's too
    plan["pip"] = merge_requirements(plan["pip"], answers.get("requirements", []))
    plan["layout"] = layout(answers)
    plan["pip_unlocked"] = [line for line in plan["pip"] if not is_pinned(line)]
    return plan


def merge_requirements(catalog_lines: list[str], own: list[str]) -> list[str]:
    """The catalog's pins plus the project's own requirements (bootstrap init).

    One line per package: the project's line replaces the catalog's when it carries a version
    of its own, so the user's pins are kept; a bare name defers to the catalog's tested pin.
    """
    by_name: dict[str, list[str]] = {}
    for line in catalog_lines:
        by_name.setdefault(_requirement_name(line), []).append(line)
    for line in own:
        name = _requirement_name(line)
        if name in by_name and not _has_version(line):
            continue
        by_name.pop(name, None)  # the project's line replaces the catalog's (dicts keep order)
        by_name[name] = [line]
    return [line for lines in by_name.values() for line in lines]


def _has_version(line: str) -> bool:
    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return True
    return bool(requirement.specifier) or bool(requirement.url)


def is_pinned(line: str) -> bool:
    """``name==version`` (extras and markers allowed): a line the offline lock may keep."""
    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return False
    specs = list(requirement.specifier)
    return (
        not requirement.url
        and len(specs) == 1
        and specs[0].operator == "=="
        and "*" not in specs[0].version
    )


def layout(answers: Mapping[str, Any]) -> dict[str, str]:
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
