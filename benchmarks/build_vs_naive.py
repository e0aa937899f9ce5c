"""The generated Dockerfile against a naive one, side by side, in one run.

Naive: ``FROM <same base>``, ``COPY . .``, ``RUN pip install -r requirements.txt`` (plus ``--cert``
for the corporate CA when the project has one, or pip could not reach PyPI behind the proxy).
Both build the same project folder, the same base image and the same hashed requirements.txt; the
generated one is built to its ``runtime`` stage, the image comparable to the naive one.

Measured, each side in turn within every run, medians over ``--runs``:

- a cold build: ``--no-cache``, and the generated file's cache mounts emptied first. The engine's
  build cache is shared, so instead of pruning it the benchmark gives the cache mounts an id of
  its own (the only change to the generated file) and empties them;
- a rebuild after editing a source file (a warm build first, then one edit);
- a rebuild after adding one requirement (``bootstrap add``; a different package in every run);
- the image size;
- what bytecode costs: a cold build and size with ``--build-arg UV_COMPILE_BYTECODE=0`` (the
  ``bytecode`` stage then compiles nothing), and the
  time the runtime image takes to import the stack's modules, as a user who cannot write bytecode
  (like the runtime user), with and without the bytecode compiled at build time.

Prints Markdown tables.

    DOCKER_BUILDKIT=1 python benchmarks/build_vs_naive.py [--python 3.11] [--stack jupyter,pydata]
        [--runs 3] [--cold-only]
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

DOCKER = os.environ.get("BOOTSTRAP_DOCKER", "/usr/bin/docker")
ENV = {**os.environ, "DOCKER_BUILDKIT": "1"}
MOUNT = re.compile(r"--mount=type=cache,target=(\S+)")
#: small packages, none of them pulled in by the default stacks: one per run for the "add" row
ADDITIONS = ("tomli", "toolz", "cachetools", "humanize", "tabulate", "more-itertools", "xxhash")


def sh(*argv: str, cwd: Path | None = None) -> str:
    result = subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{result.stdout[-2000:]}{result.stderr[-3000:]}")
    return result.stdout


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


#: the 1-minute load average when each measured build or `up` starts (the machine may be shared)
LOADS: list[float] = []


def load_line() -> str:
    """The load averages seen during the run, for the report."""
    if not LOADS:
        return "load average: not sampled"
    return (
        f"1-minute load average at the start of each measurement: median {statistics.median(LOADS):.1f},"
        f" {min(LOADS):.1f}–{max(LOADS):.1f}, on {os.cpu_count()} cores"
    )


def build(project: Path, dockerfile: Path, tag: str, target: str | None, *extra: str) -> float:
    LOADS.append(os.getloadavg()[0])
    argv = [DOCKER, "build", "--progress=plain", "-f", str(dockerfile), "-t", tag, *extra]
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


def own_cache_ids(text: str, prefix: str = "bootstrap-bench") -> tuple[str, list[str]]:
    """The generated Dockerfile with cache mounts of the benchmark's own, and their targets.

    Each benchmark has its own ``prefix``, so that one running beside the other never empties its
    caches."""
    targets = sorted(set(MOUNT.findall(text)))
    return MOUNT.sub(lambda m: f"--mount=type=cache,id={prefix}{m[1]},target={m[1]}", text), (
        targets
    )


def empty_cache_mounts(
    work: Path, base: str, targets: list[str], prefix: str = "bootstrap-bench"
) -> None:
    """Empty the benchmark's own cache mounts (no other build's cache is touched)."""
    mounts = " ".join(f"--mount=type=cache,id={prefix}{t},target={t}" for t in targets)
    clean = " ".join(f"{t}/..?* {t}/.[!.]* {t}/*" for t in targets)
    folder = work / "empty"
    folder.mkdir(exist_ok=True)
    (folder / "Dockerfile").write_text(f"FROM {base}\nRUN {mounts} rm -rf {clean}\n")
    sh(DOCKER, "build", "--no-cache", "-q", "-t", f"{prefix}:empty", str(folder))
    subprocess.run([DOCKER, "rmi", f"{prefix}:empty"], capture_output=True, check=False)


def import_seconds(tag: str, modules: str) -> float:
    code = f"import time; t = time.perf_counter(); import {modules}; print(time.perf_counter() - t)"
    # a user who cannot write bytecode next to the modules, as the runtime user cannot
    nobody = ("--user", "65534:65534")
    return float(sh(DOCKER, "run", "--rm", *nobody, tag, "python", "-c", code).split()[-1])


def table(rows: list[tuple[str, list[float], list[float], str]]) -> None:
    print("| | generated (runtime stage) | naive | generated / naive |")
    print("| --- | ---: | ---: | ---: |")
    for label, ours, theirs, unit in rows:
        g, n = statistics.median(ours), statistics.median(theirs)
        digits = 1 if unit == "s" and g < 10 else 0
        print(f"| {label} | {g:.{digits}f} {unit} | {n:.0f} {unit} | {g / n:.2f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.11")
    parser.add_argument("--stack", default="jupyter,pydata")
    parser.add_argument("--driver", default="")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--imports", default="pandas, sklearn, matplotlib.pyplot, jupyterlab")
    parser.add_argument("--ca-cert", default=os.environ.get("SSL_CERT_FILE"))
    parser.add_argument(
        "--cold-only",
        action="store_true",
        help="only the cold builds and sizes (a few minutes), e.g. to measure again on a quiet machine",
    )
    args = parser.parse_args()

    bootstrap = [sys.executable, "-m", "bootstrap"]
    rows: dict[str, list[float]] = {}

    def record(key: str, value: float) -> None:
        rows.setdefault(key, []).append(value)
        log(f"{key}: {value:.2f}")

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
        text = (project / "Dockerfile").read_text()
        base = re.search(r"^ARG BASE_IMAGE=(\S+)", text, re.M)[1]  # type: ignore[index]
        generated, targets = own_cache_ids(text)
        ours = work / "Dockerfile.generated"
        ours.write_text(generated)
        naive = work / "Dockerfile.naive"
        naive.write_text(naive_dockerfile(project, base))
        sides = {
            "generated": (ours, "bootstrap-bench:generated", "runtime"),
            "naive": (naive, "bootstrap-bench:naive", None),
        }
        locked = (project / "requirements.txt").read_text().lower()
        additions = [a for a in ADDITIONS if f"\n{a}==" not in f"\n{locked}"]
        source = project / "src_module.py"
        try:
            for run in range(args.runs):
                for name, (dockerfile, tag, target) in sides.items():
                    log(f"run {run + 1}: {name}: cold build")
                    empty_cache_mounts(work, base, targets)
                    record(f"{name} cold", build(project, dockerfile, tag, target, "--no-cache"))
                    record(f"{name} size", size_mb(tag))
                if args.cold_only:
                    continue
                log(f"run {run + 1}: generated without bytecode: cold build")
                empty_cache_mounts(work, base, targets)
                plain = "bootstrap-bench:no-bytecode"
                no_bytecode = ("--no-cache", "--build-arg", "UV_COMPILE_BYTECODE=0")
                record("plain cold", build(project, ours, plain, "runtime", *no_bytecode))
                record("plain size", size_mb(plain))
                if args.imports:
                    record("generated import", import_seconds(sides["generated"][1], args.imports))
                    record("plain import", import_seconds(plain, args.imports))
                    record("naive import", import_seconds(sides["naive"][1], args.imports))
                subprocess.run([DOCKER, "rmi", plain], capture_output=True, check=False)
                source.write_text(f"VALUE = {run}\n")
                for dockerfile, tag, target in sides.values():
                    build(project, dockerfile, tag, target)  # the file in place: a warm baseline
                source.write_text(f"VALUE = {run + 100}\n")
                for name, (dockerfile, tag, target) in sides.items():
                    log(f"run {run + 1}: {name}: rebuild after a source edit")
                    record(f"{name} edit", build(project, dockerfile, tag, target))
                sh(*bootstrap, "add", str(project), additions[run % len(additions)])
                for name, (dockerfile, tag, target) in sides.items():
                    log(f"run {run + 1}: {name}: rebuild after adding a requirement")
                    record(f"{name} add", build(project, dockerfile, tag, target))
        finally:
            for _, tag, _ in sides.values():
                subprocess.run([DOCKER, "rmi", tag], capture_output=True, check=False)
            empty_cache_mounts(work, base, targets)
            shutil.rmtree(work, ignore_errors=True)

    label = f"Python {args.python}, {args.stack}{', ' + args.driver if args.driver else ''}"
    print(f"\n{label}, base {base}, {os.cpu_count()} cores, medians of {args.runs} runs")
    print(f"{load_line()}\n")
    g, n = "generated", "naive"
    if args.cold_only:
        table(
            [
                ("cold build", rows[f"{g} cold"], rows[f"{n} cold"], "s"),
                ("runtime image size", rows[f"{g} size"], rows[f"{n} size"], "MB"),
            ]
        )
        print("\nAll runs:", json.dumps({k: [round(x, 2) for x in v] for k, v in rows.items()}))
        return 0
    table(
        [
            ("cold build", rows[f"{g} cold"], rows[f"{n} cold"], "s"),
            ("rebuild after adding one requirement", rows[f"{g} add"], rows[f"{n} add"], "s"),
            ("rebuild after editing a source file", rows[f"{g} edit"], rows[f"{n} edit"], "s"),
            ("runtime image size", rows[f"{g} size"], rows[f"{n} size"], "MB"),
        ]
    )
    print("\nWhat bytecode costs (the build argument UV_COMPILE_BYTECODE):\n")
    print("| | compiled at build (default) | not compiled | naive (pip compiles) |")
    print("| --- | ---: | ---: | ---: |")
    for label, key, unit in (("cold build", "cold", "s"), ("runtime image size", "size", "MB")):
        values = [statistics.median(rows[f"{side} {key}"]) for side in (g, "plain", n)]
        print(f"| {label} | " + " | ".join(f"{v:.0f} {unit}" for v in values) + " |")
    if args.imports:
        values = [statistics.median(rows[f"{side} import"]) for side in (g, "plain", n)]
        print(
            f"| `import {args.imports}` at every start | "
            + " | ".join(f"{v:.2f} s" for v in values)
            + " |"
        )
    print("\nAll runs:", json.dumps({k: [round(x, 2) for x in v] for k, v in rows.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
