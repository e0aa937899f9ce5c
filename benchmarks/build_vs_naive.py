"""The generated Dockerfile against a naive one, side by side, in one run.

Naive: ``FROM <same base>``, ``COPY . .``, ``RUN pip install -r requirements.txt`` (plus ``--cert``
for the corporate CA when the project has one, or pip could not reach PyPI behind the proxy).
Both build the same project folder, the same base image and the same hashed requirements.txt; the
generated one is built to its ``runtime`` stage, the image comparable to the naive one.

Measured: a cold build (the BuildKit cache pruned first: this empties the engine's build cache),
a rebuild after editing a source file, a rebuild after adding one requirement (``bootstrap add``),
and the image size. Prints a Markdown table.

    DOCKER_BUILDKIT=1 python benchmarks/build_vs_naive.py [--python 3.11] [--stack jupyter,pydata]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DOCKER = os.environ.get("BOOTSTRAP_DOCKER", "/usr/bin/docker")
ENV = {**os.environ, "DOCKER_BUILDKIT": "1"}


def sh(*argv: str, cwd: Path | None = None) -> str:
    result = subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{result.stdout[-2000:]}{result.stderr[-3000:]}")
    return result.stdout


def build(project: Path, dockerfile: Path, tag: str, target: str | None) -> float:
    argv = [DOCKER, "build", "--progress=plain", "-f", str(dockerfile), "-t", tag]
    if target:
        argv += ["--target", target]
    started = time.monotonic()
    sh(*argv, str(project))
    return time.monotonic() - started


def size_mb(tag: str) -> float:
    return json.loads(sh(DOCKER, "image", "inspect", tag))[0]["Size"] / 1e6


def naive_dockerfile(project: Path, base: str) -> str:
    certs = sorted((project / ".devcontainer" / "certs").glob("*.crt"))
    cert = f"--cert .devcontainer/certs/{certs[0].name} " if certs else ""
    return f"FROM {base}\nWORKDIR /app\nCOPY . .\nRUN pip install {cert}-r requirements.txt\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.11")
    parser.add_argument("--stack", default="jupyter,pydata")
    parser.add_argument("--driver", default="")
    parser.add_argument("--add", default="tomli", help="the requirement added for the third row")
    parser.add_argument("--ca-cert", default=os.environ.get("SSL_CERT_FILE"))
    args = parser.parse_args()

    bootstrap = [sys.executable, "-m", "bootstrap"]
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        flags = ["new", "--no-input", "--name", "bench", "--python", args.python]
        flags += ["--output-dir", str(work), "--stack", args.stack]
        if args.driver:
            flags += ["--driver", args.driver]
        if args.ca_cert:
            flags += ["--ca-cert", args.ca_cert]
        sh(*bootstrap, *flags)
        project = work / "bench"
        base = next(
            line.split("=", 1)[1]
            for line in (project / "Dockerfile").read_text().splitlines()
            if line.startswith("ARG BASE_IMAGE=")
        )
        naive = work / "Dockerfile.naive"
        naive.write_text(naive_dockerfile(project, base))
        sides = {
            "generated": (project / "Dockerfile", "bench-bench:generated", "runtime"),
            "naive": (naive, "bench-bench:naive", None),
        }
        rows: dict[str, dict[str, float]] = {name: {} for name in sides}
        for name, (dockerfile, tag, target) in sides.items():
            print(f"[bench] {name}: cold build", file=sys.stderr, flush=True)
            sh(DOCKER, "builder", "prune", "--all", "--force")
            rows[name]["cold"] = build(project, dockerfile, tag, target)
            rows[name]["size"] = size_mb(tag)
        source = project / "src_module.py"
        source.write_text("VALUE = 1\n")
        for dockerfile, tag, target in sides.values():
            build(project, dockerfile, tag, target)  # the new file in place: a warm baseline
        source.write_text("VALUE = 2\n")
        for name, (dockerfile, tag, target) in sides.items():
            print(f"[bench] {name}: rebuild after a source edit", file=sys.stderr, flush=True)
            rows[name]["edit"] = build(project, dockerfile, tag, target)
        sh(*bootstrap, "add", str(project), args.add)
        for name, (dockerfile, tag, target) in sides.items():
            print(f"[bench] {name}: rebuild after adding {args.add}", file=sys.stderr, flush=True)
            rows[name]["add"] = build(project, dockerfile, tag, target)
        for _, tag, _ in sides.values():
            subprocess.run([DOCKER, "rmi", tag], capture_output=True, check=False)
        shutil.rmtree(work, ignore_errors=True)

    label = f"Python {args.python}, {args.stack}{', ' + args.driver if args.driver else ''}"
    print(f"\n{label}, base {base}, {os.cpu_count()} cores\n")
    print("| | generated (runtime stage) | naive |")
    print("|---|---|---|")
    g, n = rows["generated"], rows["naive"]
    print(f"| cold build | {g['cold']:.0f} s | {n['cold']:.0f} s |")
    print(f"| rebuild after editing a source file | {g['edit']:.1f} s | {n['edit']:.0f} s |")
    print(f"| rebuild after adding one requirement | {g['add']:.0f} s | {n['add']:.0f} s |")
    print(f"| image size | {g['size']:.0f} MB | {n['size']:.0f} MB |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
