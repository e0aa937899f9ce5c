"""The catalog contributes ranges, the lock pins: projects' own pins against today's catalog.

Each fixture is modelled on a real project whose pins collide with the catalog's tested versions;
every one locks against the real index keeping every pin of the user's, or fails naming both sides.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import run, snapshot, write_tree

pytestmark = pytest.mark.network


def pins(project: Path) -> dict[str, str]:
    text = (project / "requirements.txt").read_text().replace("\\\n", " ")
    found = re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", text, re.MULTILINE)
    return {name.lower().replace("_", "-"): version for name, version in found}


def made(tmp_path: Path, name: str, *args: str) -> Path:
    result = run("new", "--no-input", "--name", name, "--output-dir", tmp_path, "--offline", *args)
    assert result.returncode == 0, result.stderr
    return tmp_path / name


def add_lines(project: Path, *lines: str) -> None:
    path = project / "requirements.in"
    path.write_text(path.read_text() + "".join(f"{line}\n" for line in lines))


def test_init_keeps_an_old_numpy_beside_the_pydata_stack(tmp_path: Path) -> None:
    project = write_tree(
        tmp_path / "oldnumpy",
        {
            ".python-version": "3.9\n",
            "requirements.txt": "numpy~=1.19.5\ntyping-extensions==3.7.4.3\n",
            "analysis.py": "import numpy\nimport pandas\nimport seaborn\n",
        },
    )
    result = run("init", project, "--no-input", "--stack", "pydata")
    assert result.returncode == 0, result.stderr
    lock = project / ".devcontainer" / "requirements.txt"
    text = lock.read_text()
    found = {k: v for k, v in re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", text, re.MULTILINE)}
    assert found["numpy"] == "1.19.5"
    assert found["typing-extensions"] == "3.7.4.3"
    assert "pandas" in found and "seaborn" in found
    # the catalog's lines say where they come from; the project's name its own file and line
    assert re.search(
        r"pandas==\S+ \\\n(?:    --hash=\S+(?: \\)?\n)+    # via pydata \(catalog\)", text
    )
    assert re.search(
        r"numpy==1\.19\.5 \\\n(?:    --hash=\S+(?: \\)?\n)+    # from requirements\.txt:1\n", text
    )
    assert re.search(
        r"typing-extensions==3\.7\.4\.3 \\\n(?:    --hash=\S+(?: \\)?\n)+"
        r"    # from requirements\.txt:2\n",
        text,
    )
    adopted = (project / ".devcontainer" / "requirements.in").read_text()
    assert "numpy~=1.19.5  # from requirements.txt:1\n" in adopted
    # bootstrap lock --why reads those comments back, chains included, and locks nothing
    before = snapshot(project)
    said = run("lock", project, "--why", "numpy")
    assert said.returncode == 0, said.stderr
    assert said.stdout.splitlines()[:2] == ["numpy==1.19.5", "  from requirements.txt:1"]
    assert "numpy <- pandas <- via pydata (catalog)" in said.stdout
    missing = run("lock", project, "--why", "no-such-package")
    assert missing.returncode == 2 and missing.stderr.startswith("error: no-such-package: not in")
    assert snapshot(project) == before


def test_a_new_project_keeps_the_tested_pins(tmp_path: Path) -> None:
    project = made(tmp_path, "fresh", "--python", "3.9", "--stack", "pydata")
    locked = run("lock", project)
    assert locked.returncode == 0, locked.stderr
    got = pins(project)
    assert (got["numpy"], got["pandas"], got["seaborn"]) == ("2.0.2", "2.3.3", "0.13.2")


def test_pandas_0_x_with_pydata_keeps_the_users_pin(tmp_path: Path) -> None:
    project = made(tmp_path, "oldpandas", "--python", "3.8", "--stack", "pydata")
    add_lines(project, "pandas==0.25.3")
    locked = run("lock", project)
    assert locked.returncode == 0, locked.stderr
    got = pins(project)
    assert got["pandas"] == "0.25.3"
    # a user pin never moves, and the other tested pins stay where they fit
    assert got["scikit-learn"] == "1.3.2"


def test_an_added_pin_that_conflicts_moves_the_catalog_not_the_user(tmp_path: Path) -> None:
    project = made(tmp_path, "adder", "--python", "3.9", "--stack", "pydata")
    added = run("add", project, "numpy==1.21.6")
    assert added.returncode == 0, added.stderr
    assert pins(project)["numpy"] == "1.21.6"


def test_rsa_4_9_with_aws_names_both_sides_and_the_ways_out(tmp_path: Path) -> None:
    """Every awscli release from 1.16 on caps rsa below 4.8 (the index's own metadata, as the
    resolver reports it): there is no lock, and the message says whose lines meet."""
    project = made(tmp_path, "rsa", "--python", "3.11", "--driver", "aws")
    add_lines(project, "rsa==4.9")
    number = (project / "requirements.in").read_text().splitlines().index("rsa==4.9") + 1
    before = snapshot(project)
    locked = run("lock", project)
    assert locked.returncode == 1
    error = [line for line in locked.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1, locked.stderr
    assert f"requirements.in:{number} pins rsa==4.9 conflicts with" in error[0]
    assert "record aws, range >=1.19.112" in error[0]
    # a made project changes its Python or drivers with update: lock has no such flags
    assert "bootstrap update --python X.Y" in error[0] and "leave out aws" in error[0]
    assert f"edit requirements.in:{number} (rsa==4.9)" in error[0]
    assert error[0].endswith("then run bootstrap lock")
    assert "Traceback" not in locked.stderr
    assert snapshot(project) == before


def test_init_names_the_users_own_file_and_line_and_its_own_flags(tmp_path: Path) -> None:
    """init has written nothing when the lock fails: the error names requirements.txt:3 (not a
    requirements.in the user has never seen), the catalog record and range, and init's flags."""
    project = write_tree(
        tmp_path / "oldrsa",
        {
            "requirements.txt": "boto3\nclick\nrsa==4.9\n",
            "sign.py": "import boto3, rsa\n",
        },
    )
    before = snapshot(project)
    result = run(
        "init", project, "--no-input", "--python", "3.11", "--stack", "", "--driver", "aws"
    )
    assert result.returncode == 1, result.stderr
    error = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1, result.stderr
    line = error[0]
    assert line.startswith("error: locking the requirements for Python 3.11 failed: ")
    assert "requirements.txt:3 pins rsa==4.9 conflicts with" in line
    assert "awscli>=1.19.112 (record aws, range >=1.19.112)" in line
    for way in (
        "bootstrap init --python X.Y",
        "leave out aws (bootstrap init --stack/--driver",
        "bootstrap init --answers FILE",
        "edit requirements.txt:3 (rsa==4.9)",
    ):
        assert way in line, way
    assert "requirements.in" not in line and line.endswith("then run bootstrap init again")
    assert "Traceback" not in result.stderr
    assert snapshot(project) == before


def test_an_sdist_only_requirement_locks_with_its_hash_and_is_never_built(tmp_path: Path) -> None:
    """pycrypto 2.6.1 publishes an sdist only, with no static metadata: the lock reads its
    PKG-INFO as text instead of running its setup.py, and records the sdist's sha256."""
    project = made(tmp_path, "sdist", "--python", "3.11", "--stack", "flask")
    add_lines(project, "pycrypto==2.6.1")
    locked = run("lock", project)
    assert locked.returncode == 0, locked.stderr
    text = (project / "requirements.txt").read_text()
    block = text.split("pycrypto==2.6.1", 1)[1].split("\n#", 1)[0]
    assert "--hash=sha256:f2ce1e989b272cfcb677616763e0a2e7ec659effa67a88aa92b3a65528f60a3c" in block


def test_a_local_project_is_left_out_of_the_lock_and_its_setup_py_never_runs(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "setup-py-ran"
    project = made(tmp_path, "local", "--python", "3.12", "--stack", "flask")
    (project / "setup.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\n"
        "from setuptools import setup\nsetup(name='local-app', version='1.0')\n"
    )
    add_lines(project, "-e .", f"local-app @ file://{project}")
    locked = run("lock", project)
    assert locked.returncode == 0, locked.stderr
    assert not marker.exists()
    assert "local-app" not in (project / "requirements.txt").read_text()


def test_update_locks_with_the_organisation_catalogs_lock_metadata(tmp_path: Path) -> None:
    """The organisation's record declares pycrypto's dependencies (here: six, which the real
    PKG-INFO does not name): update's lock follows the record, as new and lock do."""
    org = tmp_path / "org.toml"
    org.write_text(
        'kind = "stack"\nid = "acme"\nname = "ACME"\nsummary = "ACME tools"\n'
        'sources = ["ACME"]\n\n'
        '[[lock_metadata]]\nname = "pycrypto"\nversion = "2.6.1"\n'
        'requires_dist = ["six"]\nsource = "ACME review of the sdist"\n'
    )
    project = made(
        tmp_path, "orgproj", "--python", "3.11", "--stack", "flask", "--catalog", str(org)
    )
    add_lines(project, "pycrypto==2.6.1")
    updated = run("update", project, "--python", "3.12")
    assert updated.returncode == 0, updated.stderr
    text = (project / "requirements.txt").read_text()
    assert "pycrypto==2.6.1 \\" in text
    assert re.search(r"six==\S+ \\\n(?:    --hash=\S+(?: \\)?\n)+    # via .*pycrypto", text), text
