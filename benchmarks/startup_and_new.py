"""Start-up and project creation, side by side in one run, printed as a Markdown table.

Measured, each as a fresh process, alternating so that machine load hits all of them alike:

- ``python -c pass``: the bare interpreter, the floor for any Python CLI;
- ``bootstrap --help``: what a person waits for before anything happens;
- ``bootstrap new --no-input --offline``: a whole project, checked (schemas, pins, hadolint);
- ``cookiecutter --no-input`` on the same template: rendering alone, hooks included.

Targets: ``--help`` within 0.1 s of the bare interpreter; ``new --offline`` no slower than raw
cookiecutter. Exit status 1 when a target is missed.

    python benchmarks/startup_and_new.py [--runs 15]
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
from collections.abc import Callable
from pathlib import Path

HELP_BUDGET = 0.1  # seconds over the bare interpreter


def script(name: str) -> list[str]:
    """The console script installed beside this interpreter, as a user runs it."""
    candidate = Path(sys.executable).parent / name
    if candidate.is_file():
        return [str(candidate)]
    module = {"bootstrap": "bootstrap", "cookiecutter": "cookiecutter"}[name]
    return [sys.executable, "-m", module]


def timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        argv, cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL, check=False
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{result.stderr.decode(errors='replace')[-2000:]}")
    return elapsed


def _same_files(made: Path, rendered: Path) -> str:
    """Whether both commands wrote the same project (so the comparison is like for like)."""
    names = sorted(str(p.relative_to(made)) for p in made.rglob("*") if p.is_file())
    other = sorted(str(p.relative_to(rendered)) for p in rendered.rglob("*") if p.is_file())
    if names != other:
        return "DIFFERENT file lists"
    differ = [n for n in names if (made / n).read_bytes() != (rendered / n).read_bytes()]
    if not differ:
        return f"the same {len(names)} files"
    return f"the same {len(names)} files, {len(differ)} with other contents ({', '.join(differ)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    args = parser.parse_args()

    from bootstrap.render import TEMPLATE_DIR

    bootstrap = script("bootstrap")
    cookiecutter = script("cookiecutter")
    work = Path(tempfile.mkdtemp(prefix="bootstrap-bench-"))
    config = work / "cookiecutter.yml"  # keep cookiecutter's replay files out of $HOME
    config.write_text(f"replay_dir: {work / 'replay'}\ncookiecutters_dir: {work / 'cc'}\n")
    new = [*bootstrap, "new", "--no-input", "--offline", "--output-dir"]
    raw = [*cookiecutter, "--no-input", "--config-file", str(config), str(TEMPLATE_DIR), "-o"]
    commands: dict[str, Callable[[int], list[str]]] = {
        "python -c pass": lambda i: [sys.executable, "-c", "pass"],
        "bootstrap --help": lambda i: [*bootstrap, "--help"],
        "bootstrap new --no-input --offline": lambda i: [*new, str(work / f"new{i}")],
        "cookiecutter --no-input (same template)": lambda i: [*raw, str(work / f"cc{i}")],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    try:
        for argv in commands.values():  # one warm-up each: compiled bytecode, disk cache
            timed(argv(-1), work)
        for i in range(args.runs):
            for name, argv in commands.items():
                times[name].append(timed(argv(i), work))
        same = _same_files(work / "new0" / "my-project", work / "cc0" / "my-project")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    median = {name: statistics.median(values) for name, values in times.items()}
    floor = median["python -c pass"]
    baseline = median["cookiecutter --no-input (same template)"]
    print(f"{args.runs} runs each, median and [min–max]; Python {sys.version.split()[0]}, ", end="")
    print(f"{os.cpu_count()} CPUs; both made {same}\n")
    print("| command | median | min–max | vs `python -c pass` | vs raw cookiecutter |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, values in times.items():
        print(
            f"| `{name}` | {median[name]:.3f} s | {min(values):.3f}–{max(values):.3f} s "
            f"| +{median[name] - floor:.3f} s | {median[name] / baseline:.2f}× |"
        )
    help_over = median["bootstrap --help"] - floor
    new_ratio = median["bootstrap new --no-input --offline"] / baseline
    ok_help = help_over <= HELP_BUDGET
    ok_new = new_ratio <= 1.0
    print()
    print(
        f"- `--help` is {help_over * 1000:.0f} ms over the bare interpreter "
        f"(target ≤ {HELP_BUDGET * 1000:.0f} ms): {'met' if ok_help else 'MISSED'}"
    )
    print(
        f"- `new --offline` takes {new_ratio:.2f}× raw cookiecutter's time "
        f"(target ≤ 1.00×): {'met' if ok_new else 'MISSED'}"
    )
    return 0 if ok_help and ok_new else 1


if __name__ == "__main__":
    raise SystemExit(main())
