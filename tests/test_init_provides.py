"""init keeps a guessed distribution only if the index's wheel of it provides the import.

The wheel's file list is read from the index (its zip's central directory, by byte range where the
index serves ranges): a loopback index holds crafted wheels, one that provides the import and one
that does not; one test asks the real index.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import run, write_tree
from support.local_index import sdist, serve, wheel

from bootstrap import provides

SOURCE = """\
    import gizmo
    import widget.parts
    import sprocket
    import nothere_xyz
    from google.cloud import gadget
    import hollow
    """


def _index(folder: Path) -> Path:
    folder.mkdir(parents=True)
    # gizmo's wheel is another project's: it holds gadgetry, not gizmo
    wheel(folder, "gizmo", "1.0", modules={"gadgetry/__init__.py": b""})
    # an older widget that lacked the package, then the newest that has it (with a large file, so
    # that reading the whole wheel shows in the bytes sent)
    wheel(folder, "widget", "0.9", modules={"other/__init__.py": b""})
    wheel(
        folder,
        "widget",
        "2.0",
        modules={"widget/__init__.py": b"", "widget/blob.bin": os.urandom(600_000)},
    )
    sdist(folder, "sprocket", "1.0", {"PKG-INFO": "Metadata-Version: 2.1\nName: sprocket\n"})
    wheel(folder, "google-cloud-gadget", "1.0", modules={"google/cloud/gadget/__init__.py": b""})
    wheel(folder, "hollow", "1.0", requires=["gizmo"])  # a meta-package: no module of its own
    return folder


def _unplaced(out: str) -> str:
    assert "Could not place" in out, out
    return out.split("Could not place")[1].split("\n\n")[0]


def test_a_guess_whose_wheel_lacks_the_import_is_left_out_and_listed(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "proj", {"app.py": SOURCE})
    with serve(_index(tmp_path / "index"), ranges=True) as index:
        result = run("init", project, "--dry-run", "--pip-index-url", index)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    unplaced = _unplaced(out)
    assert (
        "app.py:1: imports gizmo, but the index's gizmo does not provide gizmo "
        "(gizmo-1.0-py3-none-any.whl has gadgetry): left out" in unplaced
    )
    assert "app.py:4: imports nothere_xyz, not on the package index: left out" in unplaced
    assert "Adds     gizmo" not in out
    assert "Adds     widget  — import widget.parts, app.py:2" in out
    assert "Adds     google-cloud-gadget  — import google.cloud.gadget, app.py:5" in out
    # what cannot be told without a build, or from a wheel with no module, is kept and said so
    assert "Adds     sprocket  — import sprocket, app.py:3" in out
    assert (
        "note: app.py:3: imports sprocket: kept as sprocket; whether it provides sprocket is not "
        "checked: its releases are sdists only" in out
    )
    assert "Adds     hollow" in out
    assert "hollow-1.0-py3-none-any.whl holds no module (it only requires others)" in out
    assert "widget" not in unplaced and "sprocket" not in unplaced


def test_dry_run_json_lists_the_same(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "proj", {"app.py": SOURCE})
    with serve(_index(tmp_path / "index"), ranges=True) as index:
        result = run("init", project, "--dry-run", "--json", "--pip-index-url", index)
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    added = {a["requirement"] for a in document["requirements"]["added"]}
    assert added == {"widget", "sprocket", "google-cloud-gadget", "hollow"}
    assert any("the index's gizmo does not provide gizmo" in n for n in document["notes"])


def test_the_real_run_drops_what_the_dry_run_drops(tmp_path: Path) -> None:
    """Written (and locked against the loopback index), the requirements are the ones the dry run
    listed."""
    project = write_tree(tmp_path / "proj", {"app.py": "import gizmo\nimport widget\n"})
    with serve(_index(tmp_path / "index"), ranges=True) as index:
        dry = run("init", project, "--dry-run", "--pip-index-url", index)
        real = run("init", project, "--no-input", "--pip-index-url", index)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert real.returncode == 0, real.stdout + real.stderr
    line = "app.py:1: imports gizmo, but the index's gizmo does not provide gizmo"
    assert line in dry.stdout
    assert line in real.stdout + real.stderr, real.stdout + real.stderr
    wanted = (project / "requirements.in").read_text(encoding="utf-8")
    assert "widget" in wanted and "gizmo" not in wanted
    assert "widget==2.0" in (project / "requirements.txt").read_text(encoding="utf-8")


def test_the_wheel_is_read_by_range_not_downloaded(tmp_path: Path) -> None:
    folder = _index(tmp_path / "index")
    size = (folder / "widget-2.0-py3-none-any.whl").stat().st_size
    sent: list[int] = []
    with serve(folder, ranges=True, sent=sent) as index:
        answer = provides.provided(index, "widget", "3.12")
    assert answer.status == "wheel" and answer.provides("widget")
    assert answer.wheel == "widget-2.0-py3-none-any.whl"  # the newest, not 0.9
    assert sent and sum(sent) < size // 4, (sent, size)


def test_without_ranges_a_whole_wheel_is_read_up_to_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _index(tmp_path / "index")
    with serve(folder, ranges=False) as index:
        whole = provides.provided(index, "gizmo", "3.11")
        assert whole.status == "wheel" and whole.modules == {"gadgetry"}
        monkeypatch.setattr(provides, "MAX_WHEEL_BYTES", 100_000)
        big = provides.provided(index, "widget", "3.11")
    assert big.status == "unknown"
    assert "the index serves no byte ranges and the wheel is larger than" in big.why


def test_a_wheel_that_is_no_zip_keeps_the_guess_with_a_note(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    folder.mkdir()
    (folder / "mangled-1.0-py3-none-any.whl").write_bytes(b"not a zip" * 100)
    project = write_tree(tmp_path / "proj", {"app.py": "import mangled\n"})
    with serve(folder, ranges=True) as index:
        result = run("init", project, "--dry-run", "--pip-index-url", index)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Adds     mangled  — import mangled, app.py:1" in result.stdout
    assert (
        "note: app.py:1: imports mangled: kept as mangled; whether it provides mangled is not "
        "checked: mangled-1.0-py3-none-any.whl is not a readable zip" in result.stdout
    )


def test_offline_the_check_is_skipped_and_said(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "proj", {"app.py": "import gizmo\n"})
    result = run("init", project, "--dry-run", "--offline")
    assert result.returncode == 0, result.stderr
    assert "app.py:1: imports gizmo, not checked against the package index: left out" in _unplaced(
        result.stdout
    )


def test_names_a_wheel_provides() -> None:
    names = provides.modules_of(
        [
            "pkg/__init__.py",
            "pkg/sub/mod.py",
            "ns/part/data.json",  # a namespace package's folder, no __init__.py
            "single.py",
            "fast.cpython-312-x86_64-linux-gnu.so",
            "pkg-1.0.dist-info/RECORD",
            "pkg-1.0.data/purelib/extra/__init__.py",
            "pkg-1.0.data/scripts/tool",
            "README.md",
        ],
        top_level="listed\n",
    )
    assert names == {
        "pkg",
        "pkg.sub",
        "pkg.sub.mod",
        "ns",
        "ns.part",
        "single",
        "fast",
        "extra",
        "listed",
    }


@pytest.mark.network
def test_the_real_index_s_same_named_stranger_is_caught(tmp_path: Path) -> None:
    """On PyPI, `pymysql_pool` is a distribution whose wheel holds `pymysqlpool`: guessing it for
    `import pymysql_pool` would install the wrong project. tabulate is its own name and stays;
    fitz is mapped (PyMuPDF) and never guessed."""
    project = write_tree(
        tmp_path / "proj", {"app.py": "import pymysql_pool\nimport tabulate\nimport fitz\n"}
    )
    result = run("init", project, "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "app.py:1: imports pymysql_pool, but the index's pymysql-pool does not provide "
        "pymysql_pool" in _unplaced(result.stdout)
    )
    assert "Adds     tabulate  — import tabulate, app.py:2" in result.stdout
    assert "Adds     PyMuPDF  — import fitz, app.py:3" in result.stdout


def test_an_unreachable_index_leaves_the_guess_out_and_says_so(tmp_path: Path) -> None:
    """An index that does not answer is the same answer as offline."""
    project = write_tree(tmp_path / "proj", {"app.py": "import gizmo\n"})
    result = run("init", project, "--dry-run", "--pip-index-url", "http://127.0.0.1:9/simple")
    assert result.returncode == 0, result.stderr
    assert "app.py:1: imports gizmo, not checked against the package index: left out" in _unplaced(
        result.stdout
    )
