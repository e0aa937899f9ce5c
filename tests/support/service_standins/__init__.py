"""Local stand-ins for the official service images a generated compose file names.

No registry is reachable from the test machines, so each image the catalog's service records pin is
built here from the same software's Debian package or PyPI release and tagged with the exact
reference the compose file names. An image of that name that is not a stand-in (a real pull) is
left alone. SQL Server and Oracle Free have no such source: they are not stood in.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

DOCKER = "/usr/bin/docker"
HERE = Path(__file__).parent
LABEL = "org.bootstrap.test.standin"
CA_BUNDLE = os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")


def _label(reference: str) -> str | None:
    result = subprocess.run(
        [DOCKER, "image", "inspect", "-f", f'{{{{index .Config.Labels "{LABEL}"}}}}', reference],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else None


def build(kind: str, reference: str, **build_args: str) -> str:
    """Build the stand-in ``kind`` (a folder here) as ``reference``, unless a real image has it."""
    from support.standins import ensure_image

    found = _label(reference)
    if found is not None and found != kind:
        return reference  # an image of that name that is not ours: use it as it is
    ensure_image("python:3.11-slim-bookworm")
    with tempfile.TemporaryDirectory() as tmp:
        context = Path(tmp) / kind
        shutil.copytree(HERE / kind, context)
        shutil.copyfile(CA_BUNDLE, context / "ca.crt")
        args = [f"--build-arg={key}={value}" for key, value in build_args.items()]
        result = subprocess.run(
            [DOCKER, "build", "--network", "host", *args, "-t", reference, str(context)],
            capture_output=True,
            text=True,
            env={**os.environ, "DOCKER_BUILDKIT": "1"},
            timeout=1800,
            check=False,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    return reference
