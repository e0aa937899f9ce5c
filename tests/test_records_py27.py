"""Python 2.7 in earnest: every catalog record that claims 2.7 builds on 2.7 and passes its smoke
test in a real container (`bootstrap build` runs the smoke table, as the user would).

One project per record (and per option) the 2.7 catalog does not refuse, locked online with the
proxy's CA, built on the Debian bullseye stand-in base. Tens of minutes: marked matrix, so
`pytest -m matrix tests/test_records_py27.py` runs it on its own. A record whose downloads need a
host these machines cannot reach (PyTorch's CPU index) is skipped with that reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from helpers import run
from test_lock_matrix import COMBOS, _id

from bootstrap.catalog import load
from bootstrap.index import reachable, ssl_context
from bootstrap.plan import make_plan

pytestmark = [pytest.mark.docker, pytest.mark.network, pytest.mark.matrix]

DOCKER = "/usr/bin/docker"
CA_BUNDLE = os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
BASE = "debian:bullseye-slim"  # what the 2.7 record builds FROM (a local stand-in here)

if os.environ.get("BOOTSTRAP_SKIP_DOCKER") == "1" or shutil.which(DOCKER) is None:
    pytest.skip("no Docker engine (run .ci/docker.sh)", allow_module_level=True)
if subprocess.run([DOCKER, "info"], capture_output=True, check=False).returncode != 0:
    pytest.skip("no Docker engine (run .ci/docker.sh)", allow_module_level=True)

#: each record (and option) alone: the all-together combination is the matrix lock's business
RECORDS = [c for c in COMBOS if c[0] == "2.7" and len(c[1]) + len(c[2]) == 1]


def _reachable(host: str) -> bool:
    request = urllib.request.Request(f"https://{host}/", method="HEAD")
    try:
        urllib.request.urlopen(request, timeout=15, context=ssl_context()).close()
    except urllib.error.HTTPError:
        return True  # it answered
    except (urllib.error.URLError, OSError):
        return False
    return True


@pytest.mark.parametrize("combo", RECORDS, ids=[_id(c) for c in RECORDS])
def test_every_27_record_builds_and_passes_its_smoke_test(
    tmp_path: Path, combo: tuple[str, list[str], list[str], list[str]]
) -> None:
    python, stacks, drivers, options = combo
    answers = {"name": "r", "project": "r", "python": python, "stacks": stacks}
    answers |= {"drivers": drivers, "options": options}
    plan = make_plan(answers, load([]))
    for index in plan["pip_extra_index"]:
        if not reachable(index):
            pytest.skip(f"the package index {index} is not reachable from this machine")
    from support.standins import ensure_image

    ensure_image(BASE)
    args = ["--python", python, "--stack", ",".join(stacks), "--driver", ",".join(drivers)]
    for option in options:
        args += ["--option", option]
    made = run(
        "new", "--no-input", "--name", "r", "--output-dir", tmp_path, "--ca-cert", CA_BUNDLE,
        *args, timeout=1200,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    project = tmp_path / "r"
    assert "NOT A FULL LOCK" not in (project / "requirements.txt").read_text()
    dockerfile = (project / "Dockerfile").read_text().splitlines()
    steps = "\n".join(line for line in dockerfile if not line.lstrip().startswith("#"))
    for host in sorted(set(re.findall(r"https://([A-Za-z0-9.-]+)/", steps))):
        if not _reachable(host):  # packages.microsoft.com, Oracle's and Apache's download sites
            pytest.skip(f"the record downloads from {host}, not reachable from this machine")
    tag = f"bootstrap-test-py27-{uuid.uuid4().hex[:10]}"
    try:
        built = run("build", project, "--tag", tag, env={"DOCKER_BUILDKIT": "1"}, timeout=3000)
        table = built.stdout
        assert built.returncode == 0, table + built.stderr[-4000:]
        assert "FAIL" not in table and "Python 2.7." in table, table
        for component in [*stacks, *drivers]:
            assert any(
                line.startswith(component + " ") and " pass " in line for line in table.splitlines()
            ), (component, table)
        expected = len(plan["smoke"]) + 1
        assert f"{expected} of {expected} smoke tests passed" in table, table
    finally:
        subprocess.run([DOCKER, "rmi", "-f", tag], capture_output=True, check=False)
