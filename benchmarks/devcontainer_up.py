"""Cold `devcontainer up` of a generated project against the dev-container-template way.

The template way, as the Python dev container template sets a project up: the Python image itself
(``"image"``, here the same base image as the generated Dockerfile's) and
``pip install -r requirements.txt`` in ``postCreateCommand`` (with ``--cert`` for the corporate CA
when the project has one). Both sides open the same project folder with the same hashed
requirements.txt through the reference Dev Containers CLI (``bash .ci/docker.sh | tail -1`` prints
it; or DEVCONTAINER_CLI), and `up` returns once postCreateCommand has finished, as VS Code waits.

Cold: the generated side builds with ``--build-no-cache`` and its cache mounts emptied first (the
engine's build cache is shared, so the benchmark gives the cache mounts an id of its own, the only
change to the generated Dockerfile); the template side starts a new container, with pip's cache
empty. Each side in turn within every run; medians over ``--runs``.

    DOCKER_BUILDKIT=1 DEVCONTAINER_CLI=... python benchmarks/devcontainer_up.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# run as a script, this folder is on sys.path
from build_vs_naive import DOCKER, LOADS, empty_cache_mounts, load_line, log, own_cache_ids, sh

#: cache mounts of this benchmark's own, apart from build_vs_naive's
PREFIX = "bootstrap-bench-up"


def cli() -> str:
    found = os.environ.get("DEVCONTAINER_CLI") or shutil.which("devcontainer")
    if not found:
        sys.exit(
            "the Dev Containers CLI is missing: export DEVCONTAINER_CLI=$(bash .ci/docker.sh | tail -1 | cut -d= -f2)"
        )
    return found


def remove(folder: Path) -> None:
    """The containers and images `up` made for ``folder``."""
    ids = sh(DOCKER, "ps", "-aq", "--filter", f"label=devcontainer.local_folder={folder}").split()
    images = [json.loads(sh(DOCKER, "inspect", i))[0]["Config"]["Image"] for i in ids]
    if ids:
        subprocess.run([DOCKER, "rm", "-f", *ids], capture_output=True, check=False)
    for image in images:
        if image.startswith("vsc-"):
            # the -uid image (updateRemoteUserUID) first, then the image it was built on
            built = [image, image.removesuffix("-uid")] if image.endswith("-uid") else [image]
            for tag in built:
                subprocess.run([DOCKER, "rmi", tag], capture_output=True, check=False)


def up(folder: Path, *extra: str) -> float:
    argv = [cli(), "up", "--workspace-folder", str(folder), "--docker-path", DOCKER]
    argv += ["--remove-existing-container", *extra]
    LOADS.append(os.getloadavg()[0])
    started = time.monotonic()
    sh(*argv)
    return time.monotonic() - started


def template_way(project: Path, folder: Path, base: str) -> None:
    """The same project, opened the template's way."""
    shutil.copytree(project, folder)
    shutil.rmtree(folder / ".devcontainer")
    (folder / ".devcontainer").mkdir()
    certs = sorted((project / ".devcontainer" / "certs").glob("*.crt"))
    cert = f"--cert /workspaces/{folder.name}/.devcontainer/certs/{certs[0].name} " if certs else ""
    if certs:
        shutil.copytree(project / ".devcontainer" / "certs", folder / ".devcontainer" / "certs")
    config = {
        "name": "template way",
        "image": base,
        "postCreateCommand": f"pip install {cert}-r requirements.txt",
    }
    (folder / ".devcontainer" / "devcontainer.json").write_text(json.dumps(config, indent=2))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.11")
    parser.add_argument("--stack", default="jupyter,pydata")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ca-cert", default=os.environ.get("SSL_CERT_FILE"))
    args = parser.parse_args()
    cli()

    times: dict[str, list[float]] = {"generated": [], "template": []}
    with tempfile.TemporaryDirectory(prefix="bench-up-") as tmp:
        work = Path(tmp)
        flags = ["new", "--no-input", "--name", "bench-up", "--python", args.python]
        flags += ["--output-dir", str(work), "--stack", args.stack]
        if args.ca_cert:
            flags += ["--ca-cert", args.ca_cert]
        sh(sys.executable, "-m", "bootstrap", *flags)
        project = work / "bench-up"
        dockerfile = project / "Dockerfile"
        base = re.search(r"^ARG BASE_IMAGE=(\S+)", dockerfile.read_text(), re.M)[1]  # type: ignore[index]
        text, targets = own_cache_ids(dockerfile.read_text(), PREFIX)
        dockerfile.write_text(text)
        template = work / "bench-up-template"
        template_way(project, template, base)
        try:
            for run in range(args.runs):
                log(f"run {run + 1}: generated: cold devcontainer up")
                empty_cache_mounts(work, base, targets, PREFIX)
                times["generated"].append(up(project, "--build-no-cache"))
                log(f"generated: {times['generated'][-1]:.1f} s")
                remove(project)
                log(f"run {run + 1}: template way: cold devcontainer up")
                times["template"].append(up(template))
                log(f"template way: {times['template'][-1]:.1f} s")
                remove(template)
        finally:
            remove(project)
            remove(template)
            empty_cache_mounts(work, base, targets, PREFIX)

    g, t = statistics.median(times["generated"]), statistics.median(times["template"])
    print(
        f"\nPython {args.python}, {args.stack}, base {base}, {os.cpu_count()} cores, medians of {args.runs} runs"
    )
    print(f"{load_line()}\n")
    print("| cold `devcontainer up` | median | runs | / template way |")
    print("| --- | ---: | --- | ---: |")
    for label, key, value in (
        ("generated (dev stage)", "generated", g),
        ("template way", "template", t),
    ):
        runs = ", ".join(f"{x:.0f}" for x in times[key])
        print(f"| {label} | {value:.0f} s | {runs} s | {value / t:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
