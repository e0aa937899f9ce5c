"""Detection as pure functions over text: Python 2 and newer syntax, declarations, requirements,
imports, notebooks, and the answers proposed from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run, write_tree

from bootstrap.catalog import load
from bootstrap.detect import propose, scan
from bootstrap.detect.imports import read_code
from bootstrap.detect.pypi_names import distribution, stdlib
from bootstrap.detect.python_version import Evidence, choose, declarations
from bootstrap.detect.requirements import declared
from bootstrap.detect.source import Unparsable, decode
from bootstrap.detect.source import scan as scan_source


def notebook(*cells: str) -> str:
    return json.dumps(
        {
            "cells": [{"cell_type": "code", "source": c.splitlines(True)} for c in cells],
            "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


@pytest.mark.parametrize(
    ("source", "marker", "line"),
    [
        ("import os\nprint 'hello'\n", "print statement", 2),
        ("print >>sys.stderr, 'x'\n", "print statement", 1),
        ("if x: print x\n", "print statement", 1),
        ("try:\n    pass\nexcept ValueError, e:\n    pass\n", "except E, e:", 3),
        ("y = `x`\n", "backticks", 1),
        ("os.chmod(p, 0777)\n", "octal literal 0777", 1),
        ("exec code in ns\n", "exec statement", 1),
        ("s = ur'abc'\n", "ur'' string", 1),
        ("raise ValueError, 'bad'\n", "raise E, message", 1),
        ("n = 10L\n", "long literal 10L", 1),
    ],
)
def test_python2_syntax_is_found_with_its_line(source: str, marker: str, line: int) -> None:
    info = scan_source(source)
    assert (line, marker) in [(m.line, m.what) for m in info.python2]


@pytest.mark.parametrize(
    ("source", "version", "line"),
    [
        ("x = 1\ny = f'{x}'\n", "3.6", 2),
        ("if (n := 10) > 5:\n    pass\n", "3.8", 1),
        ("def f(a, /, b):\n    pass\n", "3.8", 1),
        ("match command:\n    case 'go':\n        pass\n", "3.10", 1),
        ("try:\n    pass\nexcept* ValueError:\n    pass\n", "3.11", 3),
        ("x = 1\ntype Point = tuple[float, float]\n", "3.12", 2),
        ("def first[T](items: list[T]) -> T:\n    return items[0]\n", "3.12", 1),
    ],
)
def test_newer_syntax_raises_the_floor(source: str, version: str, line: int) -> None:
    info = scan_source(source)
    assert (version, line) in [(v, m.line) for v, m in info.floors]
    assert info.python2 == []


def test_python3_code_has_no_python2_markers() -> None:
    info = scan_source("from __future__ import print_function\nprint('x', file=sys.stderr)\n")
    assert info.python2 == [] and info.floors == []
    assert ("__future__", 1) in info.imports


def test_imports_are_read_from_python2_sources() -> None:
    info = scan_source(
        "import os, urllib2 as u\nfrom cx_Oracle import connect\nfrom . import sibling\nprint 'x'\n"
    )
    names = [name for name, _ in info.imports]
    assert {"os", "urllib2", "cx_Oracle", "cx_Oracle.connect"} <= set(names)
    assert not any(n.startswith(".") or n == "sibling" for n in names)


def test_garbage_is_unparsable() -> None:
    with pytest.raises(Unparsable):
        scan_source("def (:\n  ]]] ???\n")


def test_coding_line_is_honoured_and_bad_bytes_refused() -> None:
    assert "é" in decode("# -*- coding: latin-1 -*-\ns = 'é'\n".encode("latin-1"))
    with pytest.raises(UnicodeDecodeError):
        decode(b"s = '\xff\xfe'\n")


def test_declarations_from_every_file(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            ".python-version": "3.11.4\n",
            "runtime.txt": "python-3.11.9\n",
            "pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.10"\n',
            "setup.cfg": "[options]\npython_requires = >=3.9\n",
            "Pipfile": '[requires]\npython_version = "3.11"\n',
            "environment.yml": "dependencies:\n  - python=3.11\n",
            "tox.ini": "[tox]\nenvlist = py310, py311\n",
        },
    )
    found = {d.source.split(":")[0]: d for d in declarations(tmp_path, [])}
    assert set(found) == {
        ".python-version",
        "runtime.txt",
        "pyproject.toml",
        "setup.cfg",
        "Pipfile",
        "environment.yml",
        "tox.ini",
    }
    assert found["pyproject.toml"].source == "pyproject.toml:3"
    assert found["tox.ini"].versions == ("3.10", "3.11")


@pytest.mark.parametrize(
    ("line", "python"), [("python=2", "2.7"), ("python=3.*", "3.12"), ("python==3", "3.12")]
)
def test_a_conda_python_of_a_major_version_only_is_a_range(
    tmp_path: Path, line: str, python: str
) -> None:
    """repo2docker's conda/py2 fixture says `python=2`: a range of that major version (it was
    an invalid specifier '==None.*' and a crash)."""
    write_tree(tmp_path, {"environment.yml": f"dependencies:\n  - {line}\n  - numpy\n"})
    (found,) = declarations(tmp_path, [])
    assert (found.source, found.exact) == ("environment.yml:2", False)
    result = run("init", tmp_path, "--dry-run", "--offline")
    assert result.returncode == 0, result.stderr
    assert f"Python   {python}  — {line}, environment.yml:2" in result.stdout


def test_python2_setup_py_declares_its_version(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "setup.py": """\
                from setuptools import setup
                print "building"
                setup(
                    name="legacy",
                    install_requires=["requests<2.28", u"six"],
                    classifiers=[
                        "Programming Language :: Python :: 2.7",
                    ],
                )
            """
        },
    )
    (declaration,) = declarations(tmp_path, [])
    assert declaration.versions == ("2.7",) and declaration.source == "setup.py:7"
    assert [d.requirement for d in declared(tmp_path, [])] == ["requests<2.28", "six"]


def test_setup_py_install_requires_named_by_a_top_level_variable_is_read(tmp_path: Path) -> None:
    """``requires = [...]`` then ``install_requires=requires``: a common setup.py idiom."""
    write_tree(
        tmp_path,
        {
            "setup.py": """\
                from setuptools import setup
                requires = [
                    "SQLAlchemy>=2.0",
                    "docopt",  # the CLI
                ]
                def extra():
                    requires = ["never-read"]
                    return requires
                setup(name="tool", install_requires=requires, tests_require=extra())
            """
        },
    )
    found = declared(tmp_path, [])
    assert [(d.requirement, d.source) for d in found] == [
        ("SQLAlchemy>=2.0", "setup.py:3"),
        ("docopt", "setup.py:4"),
    ]
    write_tree(tmp_path, {"setup.py": "deps = compute()\nsetup(install_requires=deps)\n"})
    assert declared(tmp_path, []) == []  # computed by code: not guessed


def test_choose_keeps_declaration_and_shows_conflicting_code() -> None:
    pythons = load().pythons
    runtime = declarations_for({"runtime.txt": "python-2.7.18\n"})
    code = Evidence(floors=[("3.10", "match statement", "app/main.py:4")])
    choice = choose(pythons, "3.12", runtime, code)
    assert choice.python == "2.7"
    assert any("app/main.py:4" in c and "3.10" in c for c in choice.conflicts)


def declarations_for(files: dict[str, str]) -> list:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return declarations(write_tree(Path(folder), files), [])


def test_choose_from_code_alone() -> None:
    pythons = load().pythons
    py2 = choose(pythons, "3.12", [], Evidence(python2=[("print statement", "etl/load.py:12")]))
    assert py2.python == "2.7" and py2.reason == "print statement, etl/load.py:12"
    newer = choose(pythons, "3.12", [], Evidence(floors=[("3.13", "something", "a.py:1")]))
    assert newer.python == "3.13"
    nothing = choose(pythons, "3.12", [], Evidence())
    assert nothing.python == "3.12" and "default" in nothing.reason


def test_requirements_files_keep_pins_follow_includes_and_skip_options(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "requirements.txt": """\
                # comment
                -r requirements-base.txt
                -e .
                --index-url https://example.invalid/simple
                pandas==1.5.3  # pinned
                requests>=2,<3 \\
                    --hash=sha256:0000
                not a requirement !!
            """,
            "requirements-base.txt": "numpy==1.24.4\npandas\n",
            "pyproject.toml": '[project]\nname = "x"\ndependencies = ["httpx>=0.27"]\n',
            "environment.yml": (
                "dependencies:\n  - python=3.11\n  - pytorch=2.1\n  - libgcc-ng\n  - pip\n"
                "  - pip:\n    - rich==13.7.1\n"
            ),
        },
    )
    warnings: list[str] = []
    found = {d.requirement: d.source for d in declared(tmp_path, warnings)}
    assert found["numpy==1.24.4"] == "requirements-base.txt:1"
    assert found["pandas==1.5.3"] == "requirements.txt:5", "a pinned line wins over a bare name"
    assert "requests<3,>=2" in found
    assert {"httpx>=0.27", "rich==13.7.1", "torch==2.1.*"} <= set(found)
    assert not any(r.startswith(("libgcc", "pip", "python")) for r in found)
    assert any("requirements.txt:8" in w for w in warnings)


def test_a_pipfile_replaces_requirements_txt_as_repo2docker_reads_them(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "requirements.txt": "pandas==1.5.3\n",
            "Pipfile": '[packages]\nflask = "==2.3.3"\nclick = "*"\n[dev-packages]\npytest = "*"\n',
        },
    )
    found = {d.requirement: d.source for d in declared(tmp_path, [])}
    assert found == {
        "flask==2.3.3": "Pipfile:2",
        "click": "Pipfile:3",
        "pytest": "Pipfile:5 [dev-packages]",
    }


def test_notebooks_imports_and_pip_lines(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "nb/analysis.ipynb": notebook(
                "%pip install polars==1.8.2 -q\nimport pandas as pd\n",
                "%%bash\necho not python\n",
                "!ls\nfrom pyspark.sql import SparkSession\n",
            ),
            "nb/broken.ipynb": "{not json",
        },
    )
    code = read_code(tmp_path)
    assert code.notebooks == ["nb/analysis.ipynb"]
    assert code.imports["pandas"] == ["nb/analysis.ipynb cell 1, line 2"]
    assert code.imports["pyspark.sql"] == ["nb/analysis.ipynb cell 3, line 2"]
    assert code.pip_installs == [("polars==1.8.2", "nb/analysis.ipynb cell 1, line 1")]
    assert any("nb/broken.ipynb" in w and "JSON" in w for w in code.warnings)


def test_own_modules_and_virtualenvs_are_not_dependencies(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "src/mypkg/__init__.py": "",
            "src/mypkg/core.py": "import helpers\nimport mypkg.util\nimport requests\n",
            "src/mypkg/helpers.py": "",
            ".venv/lib/site.py": "import leaked_from_venv\n",
            "venv2/pyvenv.cfg": "home = /usr\n",
            "venv2/lib/x.py": "import also_leaked\n",
        },
    )
    facts = scan(tmp_path)
    assert {"mypkg", "helpers", "core"} <= facts.code.own_modules
    assert "leaked_from_venv" not in facts.code.imports
    assert "also_leaked" not in facts.code.imports
    proposal = propose(facts, load(), python="3.12")
    assert [a.requirement for a in proposal.added] == ["requests"]


def test_pypi_names_and_stdlib_per_python() -> None:
    assert distribution("sklearn.linear_model") == "scikit-learn"
    assert distribution("cv2") == "opencv-python-headless"
    assert distribution("yaml") == "PyYAML"
    assert distribution("MySQLdb") == "mysqlclient"
    assert distribution("PIL.Image") == "Pillow"
    assert distribution("bs4") == "beautifulsoup4"
    assert distribution("requests") == "requests"
    assert {"urllib2", "ConfigParser", "cPickle"} <= stdlib("2.7")
    assert not {"urllib2", "ConfigParser", "cPickle"} & stdlib("3.12")
    assert "tomllib" in stdlib("3.11") and "tomllib" not in stdlib("2.7")


def test_an_import_an_option_provides_turns_the_option_on(tmp_path: Path) -> None:
    write_tree(tmp_path, {"db.py": "import MySQLdb\n"})
    proposal = propose(scan(tmp_path), load(), python="3.12")
    assert proposal.answers["drivers"] == ["mysql"]
    assert proposal.answers["options"] == ["mysql:mysqlclient"]
    assert proposal.added == []


def test_driver_the_python_cannot_have_is_a_conflict_with_the_way_out(tmp_path: Path) -> None:
    write_tree(tmp_path, {"runtime.txt": "python-2.7.18\n", "fast.py": "import polars\n"})
    proposal = propose(scan(tmp_path), load())
    assert proposal.answers["python"] == "2.7"
    assert "polars" not in proposal.answers["stacks"]
    (conflict,) = [c for c in proposal.conflicts if "polars" in c]
    assert "fast.py:1" in conflict and "choose Python" in conflict


def test_organisation_catalog_driver_is_detected(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "org/acme.toml": """\
                kind = "driver"
                id = "acmedb"
                name = "ACME DB"
                summary = "ACME's database client."
                sources = ["test"]
                detect = { imports = ["acme_db"] }
                pip = ["six==1.16.0"]
            """,
            "proj/app.py": "import acme_db.client\n",
        },
    )
    catalog = load([tmp_path / "org" / "acme.toml"])
    proposal = propose(scan(tmp_path / "proj"), catalog)
    assert "acmedb" in proposal.answers["drivers"]
    assert proposal.evidence["drivers:acmedb"] == "import acme_db.client, app.py:1"


@pytest.mark.parametrize(
    ("source", "version", "what"),
    [
        ("import tomllib\n", "3.11", "import tomllib"),
        ("from zoneinfo import ZoneInfo\n", "3.9", "import zoneinfo"),
        ("name = path.removeprefix('src/')\n", "3.9", "str.removeprefix()"),
        ("merged = defaults | {'debug': True}\n", "3.9", "dict union (|)"),
    ],
)
def test_newer_standard_library_raises_the_floor(source: str, version: str, what: str) -> None:
    info = scan_source(source)
    assert [(v, m.what) for v, m in info.floors] == [(version, what)]


def test_guarded_imports_are_optional_and_raise_no_floor() -> None:
    source = (
        "import sys\n"
        "try:\n    import tomllib\nexcept ImportError:\n    import tomli as tomllib\n"
        "if TYPE_CHECKING:\n    from mypy_boto3_s3 import S3Client\n"
        "def f():\n    try:\n        import ujson as json\n    except Exception:\n        import json\n"
    )
    info = scan_source(source)
    assert info.floors == []
    assert [n for n, _ in info.imports] == ["sys"]
    optional = {n for n, _ in info.optional_imports}
    assert {"tomllib", "tomli", "mypy_boto3_s3", "ujson"} <= optional
    assert "json" in optional  # the fallback: the standard library, never a requirement anyway


def test_the_letter_f_in_quotes_is_no_f_string() -> None:
    assert scan_source("LETTERS = ['e', 'f', 'g']\nprint('f', \"f\")\n").floors == []
    assert [v for v, _ in scan_source("x = 1\nname = f'{x}'\n").floors] == ["3.6"]


def test_bitwise_or_of_numbers_is_no_floor() -> None:
    assert scan_source("flags = (a | b)\nmask = f(x) | 4\n").floors == []


@pytest.mark.parametrize(
    "source",
    [
        "import os, sys as system\nfrom a.b import (c,\n    d as e,  # note\n    f)\n",
        "from . import sibling\nfrom .pkg import x\nimport json\n",
        'TEMPLATE = """\nimport pyspark\n"""\nimport boto3\n',
        "import requests\ndef f():\n    import optional_thing\n",
        "import numpy\nprint 'x'\n",
        "import numpy\nif (n := 3):\n    pass\n",
        "import numpy\nx = 0755\n",
        "import numpy\nvalue = text.removeprefix('a')\n",
        "import numpy\n",
        # imports and print statements after a colon or a semicolon: on no line of their own
        "import a\ntry: import json\nexcept ImportError: import simplejson as json\n",
        "from __future__ import nested_scopes; import site\n",
        "import a\nif x: from b import c\n",
        "import a\nfor i in L: print i\n",
        # Python 2 octal literals after an operator or a keyword
        "import os\nok = st.st_mode & 0111 != 0\n",
        "import os\ndef mode():\n    return 0644\n",
        # commas in a tuple of exceptions or in a call are Python 3; after them, Python 2
        "import a\ntry:\n    pass\nexcept (ValueError, KeyError):\n    raise Error(a, b)\n",
        "import a\ntry:\n    pass\nexcept (ValueError, KeyError), e:\n    pass\n",
        "import a\ntry:\n    pass\nexcept ValueError, e:\n    pass\n",
        "import a\nraise ValueError, 'message'\n",
        "import a\ndef f():\n    raise E(str(x)), None, tb\n",
        # ur'' strings and long literals; and what only looks like them
        "import a\nx = ur'text'\n",
        "import a\nLANGUAGES = [('ur', 'Urdu'), (\"ur\", \"Urdu\")]\n",
        "import a\nbig = 10L\n",
        "import a\nsize = '10L' + name_10l\n",
    ],
)
def test_the_fast_path_reads_what_the_parser_reads(source: str) -> None:
    from bootstrap.detect.source import scan_fast

    fast, full = scan_fast(source), scan_source(source)
    assert sorted(set(fast.imports)) == sorted(set(full.imports))
    assert [v for v, _ in fast.floors] == [v for v, _ in full.floors]
    assert [m.what for m in fast.python2] == [m.what for m in full.python2]


@pytest.mark.parametrize(
    "source",
    [
        "import a\ndef f():\n    import b\n    try:\n        import c\n    except ImportError:\n"
        "        import d\nclass K:\n    def g(self):\n        from e import f\n",
        "import a\n@dec\ndef f():\n    if TYPE_CHECKING:\n        import b\n    else:\n"
        "        import c\n# a note\n",
        "import a\nif sys.version_info >= (3, 8):\n    import b\nelse:\n    import c\n",
        "import a\ndef f():\n    import b\nx = 1\ndef g():\n    import c\nasync def h():\n"
        "    from d import (\n        e,\n    )\n",
        'import a\nX = """\ndef f():\n    import fake\n"""\ndef g():\n    import real\n',
        'import a\ndef f():\n    """Doc\nif x:\n    pass"""\n    import b\n',
        "import a\ndef f():\n    import b\n    try: import c\n    except ImportError: pass\n",
        "import a\ndef f():\n    import b\n    x = 1; import c\n",
        "import a\ndef f():\n    s = f'{x}'\n    import b\n",
        "import a\ndef f(\n    self,\n    /,\n    x,\n):\n    import b\n",
        "import a\nfrom importlib import (\n    metadata,\n)\ndef f():\n    import b\n",
        "import a\ndef f(x):\n    match(x):\n        case 1:\n            pass\n    import b\n",
        "import a\nif x: print >>f, 'y'\ndef g():\n    import b\n",
        "import a\nx = 1\nif (n := 3):\n    pass\n",
        "import a\nd = {'a': 1} | other\ndef f():\n    return dict(a=1) | {'b': 2}\n",
        "import a\nclass K:\n    def f(self):\n        if (y := g()):\n            import b\n",
        "import a\ns = '''\nx := 1\n'''\ny = (z := 2)\n",
        "import a\ndef f():\n    v = w.removeprefix('x')\n    lam = lambda a, /: a\n",
        # newer expressions at the top level, in a comment or a string, or spread over lines
        "import a\nmerged = {'a': 1} | other\nif (n := 3):\n    pass\n",
        "import a\n# x := y, and {a} | b\nvalue = 1\n",
        "import a\nHELP = 'write a := b'\n",
        "import a\nmerged = (\n    {'a': 1}\n    | other\n)\n",
        '"""Use x := y."""\nimport a\ndef f():\n    return (y := 2)\n',
        "import a\n@decorator(n := 1)\ndef f():\n    pass\n",
    ],
)
def test_the_fast_path_reads_nested_imports_as_the_parser_does(source: str) -> None:
    """Imports inside functions and blocks, and newer expressions: the same names, lines, order,
    guards and floors as the parser's, though only some statements are parsed."""
    from bootstrap.detect.source import scan_fast

    fast, full = scan_fast(source), scan_source(source)
    assert fast.imports == full.imports
    assert fast.optional_imports == full.optional_imports
    assert fast.floors == full.floors
    assert fast.python2 == full.python2


@pytest.mark.parametrize(
    ("module", "requirement", "how"),
    [
        ("fitz", "PyMuPDF", "table"),
        ("rest_framework.views", "djangorestframework", "table"),
        ("onelogin.saml2.auth", "python3-saml", "table"),  # the index's onelogin is another SDK
        ("telegram.ext", "python-telegram-bot", "table"),
        ("google.cloud.firestore", "google-cloud-firestore", "namespace"),
        ("google.cloud.pubsub_v1", "google-cloud-pubsub", "namespace"),
        ("azure.storage.blob.BlobClient", "azure-storage-blob", "namespace"),
        ("azure.identity", "azure-identity", "namespace"),
        ("google.cloud", None, "namespace"),
        ("jaraco.classes", "jaraco-classes", "namespace"),
        ("backports.functools_lru_cache", "backports-functools-lru-cache", "namespace"),
        ("zope.interface.Interface", "zope-interface", "namespace"),
        ("sphinxcontrib.napoleon", "sphinxcontrib-napoleon", "namespace"),
        ("ruamel.yaml", "ruamel-yaml", "namespace"),
        ("flask_frozen", "Frozen_Flask", "pipreqs"),
        ("requests.adapters", "requests", "same name"),
        ("graphql", "graphql-core", "table"),  # the index's graphql is another project's sdists
    ],
)
def test_imports_resolve_to_distributions(module: str, requirement: str | None, how: str) -> None:
    from bootstrap.detect.pypi_names import resolve

    found = resolve(module)
    assert (found.requirement, found.how) == (requirement, how)


@pytest.mark.parametrize(
    ("module", "provides"),
    [
        ("google.cloud.pubsub_v1.types", "google.cloud.pubsub_v1"),
        ("azure.storage.blob.BlobClient", "azure.storage.blob"),
        ("requests.adapters", "requests"),
        ("fitz", ""),  # mapped by the table: nothing to check
    ],
)
def test_a_guess_names_the_import_its_distribution_must_provide(module: str, provides: str) -> None:
    from bootstrap.detect.pypi_names import resolve

    assert resolve(module).provides == provides


@pytest.mark.parametrize(
    ("poetry", "pep440"),
    [
        ("^1.21", ">=1.21,<2"),
        ("^0.3", ">=0.3,<0.4"),
        ("~1.2.3", ">=1.2.3,<1.3"),
        ("~1", ">=1,<2"),
        ("~=1.4", "~=1.4"),
        ("1.7.11", "==1.7.11"),
        ("*", ""),
    ],
)
def test_poetry_versions_become_pep440_ranges(poetry: str, pep440: str) -> None:
    from bootstrap.detect.requirements import _poetry_spec

    assert _poetry_spec(poetry) == pep440


def test_the_project_itself_is_kept_with_its_line_and_outside_paths_are_reported(
    tmp_path: Path,
) -> None:
    project = write_tree(
        tmp_path / "p",
        {
            "requirements.txt": "six==1.16.0\n-e .\n./libs/inner\n../elsewhere\n",
            "libs/inner/setup.py": "raise SystemExit('never run')\n",
            "setup.py": "raise SystemExit('never run')\n",
            "main.py": "import six\n",
        },
    )
    (tmp_path / "elsewhere").mkdir()
    facts = scan(project)
    assert [(d.requirement, d.source) for d in facts.local] == [
        ("-e .", "requirements.txt:2"),
        ("./libs/inner", "requirements.txt:3"),
    ]
    assert any(
        "requirements.txt:4" in w and "not a folder of this project" in w for w in facts.warnings
    )
    answers = propose(facts, load([]), python="3.12", stacks=[], drivers=[]).answers
    assert answers["local_requirements"] == ["-e .", "./libs/inner"]
    assert answers["requirement_sources"]["six==1.16.0"] == "requirements.txt:1"
    assert answers["requirement_sources"]["-e ."] == "requirements.txt:2"


@pytest.mark.parametrize(
    ("files", "source"),
    [
        (
            {
                "setup.py": "from setuptools import setup\nsetup(\n    name='tool',\n"
                "    extras_require={\n        'pg': ['psycopg2-binary'],\n"
                "        'xls': ['xlrd'],\n    },\n)\n"
            },
            "setup.py:5",
        ),
        (
            {
                "pyproject.toml": "[project]\nname = 'tool'\nversion = '1'\n"
                "[project.optional-dependencies]\npg = ['psycopg2-binary']\nxls = ['xlrd']\n"
            },
            "pyproject.toml:5",
        ),
        (
            {
                "setup.cfg": "[metadata]\nname = tool\n[options.extras_require]\n"
                "pg =\n    psycopg2-binary\nxls = xlrd\n"
            },
            "setup.cfg:5",
        ),
    ],
)
def test_the_project_itself_with_extras_is_kept_and_its_extras_requirements_too(
    tmp_path: Path, files: dict[str, str], source: str
) -> None:
    """``-e .[pg]`` in requirements.txt: the project, installed without dependencies in the
    image, and the pg extra's requirements in the lock; an extra the project lacks is reported."""
    project = write_tree(tmp_path / "p", {**files, "requirements.txt": "-e .[pg,nosuch]\npytest\n"})
    facts = scan(project)
    assert [(d.requirement, d.source) for d in facts.local] == [("-e .", "requirements.txt:1")]
    assert ("psycopg2-binary", source) in [(d.requirement, d.source) for d in facts.requirements]
    assert "xlrd" not in [d.requirement for d in facts.requirements]
    assert not any("not a folder" in w for w in facts.warnings)
    assert any("requirements.txt:1: the project has no extra 'nosuch'" in w for w in facts.warnings)


def test_an_import_declared_by_its_own_name_adds_no_second_distribution(tmp_path: Path) -> None:
    """psycopg2 declared and imported: the table's psycopg2-binary (the same module) is not added
    beside it, nor listed as missing where the import is optional; a namespace root declared
    (the index's google) does not cover google.cloud.storage."""
    project = write_tree(
        tmp_path / "p",
        {
            "requirements.txt": "psycopg2==2.9.9\ngoogle==3.0.0\n",
            "db.py": "import psycopg2\nfrom google.cloud import storage\n",
            "opt.py": "try:\n    import psycopg2.extras\nexcept ImportError:\n    pass\n",
        },
    )
    proposal = propose(scan(project), load([]), python="3.12", stacks=[], drivers=[])
    names = [r.split("=")[0] for r in proposal.answers["requirements"]]
    assert "psycopg2-binary" not in names and "psycopg2" in names
    assert "google-cloud-storage" in names
    (project / "db.py").unlink()  # psycopg2 imported only under try/except ImportError
    proposal = propose(scan(project), load([]), python="3.12", stacks=[], drivers=[])
    assert not any("psycopg2" in note for note in proposal.notes), proposal.notes


def test_optional_imports_of_another_python_s_standard_library_are_not_listed(
    tmp_path: Path,
) -> None:
    """``try: import urlparse / except ImportError:`` is the code's own 2-and-3 switch: no
    package installs urlparse, Queue or imp, so no note says to add one; ujson still gets one."""
    project = write_tree(
        tmp_path / "p",
        {
            "compat.py": "try:\n    import urlparse\n    import Queue\n    import imp\n"
            "    import ujson\nexcept ImportError:\n    pass\n",
        },
    )
    notes = propose(scan(project), load([]), python="3.12", stacks=[], drivers=[]).notes
    assert not any(m in n for n in notes for m in ("urlparse", "Queue", "imports imp ")), notes
    assert any("imports ujson only where" in n for n in notes), notes


def test_mysql_python_turns_mysqlclient_on_and_is_replaced_with_a_reason(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "legacy",
        {"requirements.txt": "MySQL-python==1.2.5\n", "app.py": "import os\n"},
    )
    proposal = propose(scan(project), load([]), python="2.7", stacks=[], drivers=["mysql"])
    assert proposal.answers["options"] == ["mysql:mysqlclient"]
    assert "MySQL-python==1.2.5" not in proposal.answers["requirements"]
    (note,) = [n for n in proposal.notes if "MySQL-python" in n]
    assert note.startswith("requirements.txt:1: MySQL-python==1.2.5: ")
    assert note.endswith("option mysql:mysqlclient installs mysqlclient==1.4.6 instead")
