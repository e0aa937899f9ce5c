"""Time `bootstrap lock` against pip-tools' `pip-compile` and raw `uv pip compile` on the same
requirements.in.

All resolve every transitive dependency and write sha256 hashes, from scratch each run (the
previous output is removed, so neither reuses its pins). "cold" gives each run an empty cache
directory; "warm" reuses one filled by a first, untimed run. Prints a Markdown table.

pip-compile resolves for the interpreter running it, so the project is made for this machine's
Python; `bootstrap lock` resolves twice (Linux x86_64 and aarch64) and merges the results, and
raw uv is run the same two times (`--python-platform` each architecture), so the "raw uv" column
is the floor bootstrap's own work (parsing, ranges, merging, provenance) adds to. Target: bootstrap
lock within 1.2x of raw uv.

    python benchmarks/lock_vs_pip_compile.py [--runs 3] [--stacks jupyter,pydata] [--drivers aws,oracle]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_project(root: Path, python: str, stacks: str, drivers: str) -> Path:
    command = [sys.executable, "-m", "bootstrap", "new", "--no-input", "--offline", "--name"]
    command += ["bench", "--python", python, "--stack", stacks, "--output-dir", str(root)]
    if drivers:
        command += ["--driver", drivers]
    subprocess.run(command, check=True, capture_output=True, text=True)
    return root / "bench"


def clean_env(cache: Path) -> dict[str, str]:
    """No host pip configuration (find-links, constraints) for either tool; caches in ``cache``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        UV_CACHE_DIR=str(cache / "uv"),
        XDG_CACHE_HOME=str(cache / "xdg"),
    )
    return env


def bootstrap_lock(project: Path, cache: Path) -> list[str]:
    return [sys.executable, "-m", "bootstrap", "lock", str(project)]


def pip_compile(project: Path, cache: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "piptools",
        "compile",
        "--quiet",
        "--generate-hashes",
        "--strip-extras",
        "--cache-dir",
        str(cache / "pip-tools"),
        "--pip-args",
        f"--cache-dir {cache / 'pip'}",
        "--output-file",
        str(project / "requirements.txt"),
        str(project / "requirements.in"),
    ]


def raw_uv(project: Path, cache: Path) -> list[str]:
    """uv pip compile for the same targets as bootstrap lock: x86_64, then aarch64."""
    from bootstrap.index import uv_binary
    from bootstrap.lock import GLIBC, MACHINES

    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    runs = []
    for machine in MACHINES:
        output = project / ("requirements.txt" if machine == MACHINES[0] else f"{machine}.txt")
        runs.append(
            " ".join(
                [
                    uv_binary(), "pip", "compile", "--quiet", "--generate-hashes",
                    "--python-version", python,
                    "--python-platform", f"{machine}-manylinux_{GLIBC}",
                    "--output-file", str(output), str(project / "requirements.in"),
                ]
            )
        )  # fmt: skip
    return ["sh", "-c", " && ".join(runs)]


TOOLS = {"bootstrap lock": bootstrap_lock, "pip-compile": pip_compile, "raw uv": raw_uv}


def timed(tool: str, project: Path, cache: Path) -> tuple[float, int]:
    (project / "requirements.txt").unlink(missing_ok=True)
    start = time.perf_counter()
    result = subprocess.run(
        TOOLS[tool](project, cache), env=clean_env(cache), capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{tool} failed: {result.stderr.strip()[-2000:]}")
    text = (project / "requirements.txt").read_text()
    pins = sum(1 for line in text.splitlines() if "==" in line and not line.startswith("#"))
    return seconds, pins


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stacks", default="jupyter,pydata")
    parser.add_argument("--drivers", default="aws,oracle")
    parser.add_argument(
        "--tools",
        default=",".join(TOOLS),
        help="a comma-separated subset (pip-compile takes minutes per cold run)",
    )
    args = parser.parse_args()
    tools = [t for t in TOOLS if t in args.tools.split(",")]
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    rows: dict[tuple[str, str], list[float]] = {}
    pins: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="lock-bench-") as tmp:
        root = Path(tmp)
        project = make_project(root / "project", python, args.stacks, args.drivers)
        for tool in tools:
            warm = root / f"warm-{tool.replace(' ', '-')}"
            timed(tool, project, warm)  # fills the warm cache; not counted
            for run in range(args.runs):
                cold = root / f"cold-{run}"
                seconds, pins[tool] = timed(tool, project, cold)
                rows.setdefault((tool, "cold"), []).append(seconds)
                shutil.rmtree(cold)
                seconds, _ = timed(tool, project, warm)
                rows.setdefault((tool, "warm"), []).append(seconds)
    drivers = f", drivers {args.drivers}" if args.drivers else ""
    print(f"Python {python}, stacks {args.stacks}{drivers}; {args.runs} runs each; seconds\n")
    shown = [t for t in ("bootstrap lock", "raw uv", "pip-compile") if t in tools]
    pairs = (("bootstrap lock", "raw uv"), ("pip-compile", "bootstrap lock"))
    ratios = [(a, b) for a, b in pairs if a in tools and b in tools]
    print(
        "| cache | "
        + " | ".join(f"{t} (median)" for t in shown)
        + "".join(f" | {a} / {b}" for a, b in ratios)
        + " |"
    )
    print("| --- |" + " ---: |" * (len(shown) + len(ratios)))
    for cache in ("cold", "warm"):
        median = {t: statistics.median(rows[(t, cache)]) for t in shown}
        cells = [f"{median[t]:.1f}" for t in shown]
        cells += [f"{median[a] / median[b]:.2f}×" for a, b in ratios]
        print(f"| {cache} | " + " | ".join(cells) + " |")
    print("\nPackages pinned: " + ", ".join(f"{t} {pins[t]}" for t in shown) + ".")
    for (tool, cache), values in sorted(rows.items()):
        print(f"- {tool}, {cache}: " + ", ".join(f"{v:.1f}" for v in values))


if __name__ == "__main__":
    main()
