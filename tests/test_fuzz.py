"""Every file parser on hostile contents (hypothesis): random bytes, random text, plain data of the
right and the wrong shapes in JSON, YAML and TOML, deep nesting and huge values. A parser may
refuse (a BootstrapError, which the CLI prints as one line) or return a result; any other
exception is a traceback a user would see. Each example has a time bound (the deadline), so a
parser that hangs or explodes on its input fails too.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bootstrap import answers as answers_mod
from bootstrap import catalog as catalog_mod
from bootstrap.base import read_base
from bootstrap.detect import python_version, requirements
from bootstrap.detect import scan as scan_project
from bootstrap.detect.imports import Code, read_notebook, read_python
from bootstrap.errors import BootstrapError
from bootstrap.layout import dockerfile_path
from bootstrap.lock_legacy import read_in
from bootstrap.safe_io import read_jsonc

CATALOG = catalog_mod.builtin()
FUZZ = settings(
    max_examples=40,
    deadline=timedelta(seconds=10),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Keys the parsers look for, so generated data reaches their code paths, not only the top level.
KEYS = [
    "name", "python", "stacks", "drivers", "options", "network", "requirements", "layout",
    "siblings", "project", "dependencies", "requires-python", "tool", "poetry", "packages",
    "requires", "python_version", "pip", "cells", "cell_type", "source", "metadata", "kernelspec",
    "language", "files", "paths", "bootstrap_version", "kind", "id", "image", "summary",
    "sources", "variants", "build", "dockerfile", "options", "install_requires", "description",
]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["3.12", "2.7", ">=3.8", "banana", "../x", "/etc/passwd", "code", "python"])
    | st.text(min_size=1, max_size=20).map(lambda t: t * 20_000)  # a huge value
)
plain = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=25,
)


def _toml(data: Any) -> str:
    """A rough TOML writer: enough to reach the parsers with tables of the wrong shapes."""
    if not isinstance(data, dict):
        return f"value = {json.dumps(data)}\n"
    lines, tables = [], []
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{json.dumps(key)} = {json.dumps(value)}")
    for key, value in tables:
        lines.append(f"[{json.dumps(key)}]")
        lines += [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in value.items() if v is not None]
    return "\n".join(lines) + "\n"


def _deep(opening: str, closing: str) -> st.SearchStrategy[str]:
    return st.integers(min_value=60, max_value=20_000).map(lambda n: opening * n + closing * n)


contents = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=2000),
    plain.map(json.dumps),
    plain.map(lambda d: yaml.safe_dump(d, allow_unicode=True)),
    plain.map(_toml),
    _deep("[", "]"),
    _deep('{"a": ', "}"),
    _deep("- ", "").map(lambda s: s + "x"),
    _deep("a = [", "]"),
    _deep("(", ")").map(lambda s: "x = " + s),
    st.just("a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n"),
    st.just("name: 2024-01-01\nstacks: !!set {a, b}\n"),
    st.just("dependencies:\n  - python=3.12\n  - pip: 5\n  - {pip: [3, null]}\n"),
    st.just('{"cells": [{"cell_type": "code", "source": 5}], "metadata": {"kernelspec": null}}'),
    st.just(
        '[project]\ndependencies = "x"\nrequires-python = 5\n[tool.poetry]\ndependencies = 3\n'
    ),
)


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_bytes(content)
    return path


def _refuses_or_returns(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except BootstrapError as exc:
        assert exc.message.strip(), "a refusal says what is wrong"
        return None


def _in_project(name: str, content: str | bytes, check: Callable[[Path, Path], Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        path = _write(project, name, content)
        _refuses_or_returns(lambda: check(project, path))


@FUZZ
@given(contents)
def test_answers_file(content: str | bytes) -> None:
    def check(_project: Path, path: Path) -> Any:
        data = answers_mod.load_file(path)
        return answers_mod.validate({**answers_mod.defaults(CATALOG), **data}, CATALOG)

    _in_project("answers.yml", content, check)


@FUZZ
@given(contents)
def test_recorded_answers(content: str | bytes) -> None:
    def check(project: Path, _path: Path) -> Any:
        data = answers_mod.read_recorded(project)
        return answers_mod.validate(data, CATALOG, origin="bootstrap.json")

    _in_project(".devcontainer/bootstrap.json", content, check)


@FUZZ
@given(contents)
def test_catalog_file(content: str | bytes) -> None:
    _in_project("org.toml", content, lambda _p, path: catalog_mod.load([path], use_env=False))


@FUZZ
@given(contents)
def test_stored_base(content: str | bytes) -> None:
    _in_project(
        ".devcontainer/bootstrap-base.json",
        content,
        lambda project, _p: read_base(project),
    )


@FUZZ
@given(contents)
def test_devcontainer_json(content: str | bytes) -> None:
    def check(project: Path, path: Path) -> Any:
        try:
            read_jsonc(path)
        except ValueError:
            pass  # the caller reports it as a problem
        except UnicodeDecodeError:
            pass
        return dockerfile_path(project)

    _in_project(".devcontainer/devcontainer.json", content, check)


@FUZZ
@given(contents)
def test_requirements_in(content: str | bytes) -> None:
    _in_project("requirements.in", content, lambda project, _p: read_in(project))


#: Each project file and the detectors that read it; detectors never raise: they warn.
DETECTED = {
    "requirements.txt": lambda p, w: requirements.read_requirements_txt(
        p, p / "requirements.txt", w
    ),
    "pyproject.toml": requirements.from_pyproject,
    "setup.py": requirements.from_setup_py,
    "setup.cfg": requirements.from_setup_cfg,
    "Pipfile": requirements.from_pipfile,
    "environment.yml": requirements.from_environment_yml,
    "runtime.txt": python_version.declarations,
    ".python-version": python_version.declarations,
    "tox.ini": python_version.declarations,
}


@FUZZ
@given(st.sampled_from(sorted(DETECTED)), contents)
def test_detectors(name: str, content: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        _write(project, name, content)
        warnings: list[str] = []
        DETECTED[name](project, warnings)
        if name in ("pyproject.toml", "Pipfile", "environment.yml", "setup.py", "setup.cfg"):
            python_version.declarations(project, warnings)


@FUZZ
@given(st.sampled_from(["main.py", "notebook.ipynb"]), contents)
def test_code_readers(name: str, content: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        path = _write(project, name, content)
        reader = read_python if name.endswith(".py") else read_notebook
        reader(project, path, Code())


@settings(FUZZ, max_examples=25)
@given(
    st.dictionaries(st.sampled_from([*sorted(DETECTED), "a.py", "n.ipynb"]), contents, max_size=4)
)
def test_init_scan_of_a_whole_project(files: dict[str, str | bytes]) -> None:
    from bootstrap.detect import propose

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "app"
        project.mkdir()
        for name, content in files.items():
            _write(project, name, content)
        facts = scan_project(project)
        _refuses_or_returns(lambda: propose(facts, CATALOG))
