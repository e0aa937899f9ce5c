"""`bootstrap init` over a folder of real checkouts: how many it adopts, why the others fail, and
how long a dry run takes on each, printed as a Markdown table.

Each checkout is copied (without .git) to a scratch folder, so the checkouts stay untouched. For
each: ``init --dry-run`` is timed (median of ``--runs``, alternating repositories so machine load
hits all alike; the CPU time of the process is shown beside the wall time, because on a shared
machine the wall time mostly measures the neighbours), then ``init --no-input`` adopts the copy.
A repository counts as adopted when init exits 0, ``bootstrap validate`` passes, every file the
project had is byte-identical, and the dry run listed the same requirements that were recorded.

Target: a dry run of a 2,400-file project (saleor 3.9.0) in at most 3 s.

``--against SRC`` times the dry runs of another bootstrap source tree (a checkout of an older
commit, say) alternating with this one, and prints the ratio of the medians; ``--instructions``
adds the count of instructions of one dry run each (valgrind's cachegrind), which the machine's
load does not change.

    python benchmarks/init_real_repos.py FOLDER [--runs 3] [--offline] [--dry-only]
        [--against SRC] [--instructions]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

DRY_RUN_BUDGET = 3.0  # seconds, for the largest project


def script() -> list[str]:
    candidate = Path(sys.executable).parent / "bootstrap"
    return [str(candidate)] if candidate.is_file() else [sys.executable, "-m", "bootstrap"]


def snapshot(folder: Path) -> dict[str, str]:
    """Every regular file's digest, by relative path (bootstrap's own additions excluded later)."""
    out = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                out[path.relative_to(folder).as_posix()] = hashlib.sha256(
                    path.read_bytes()
                ).hexdigest()
    return out


@dataclass
class Outcome:
    name: str
    files: int = 0
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    other_wall: list[float] = field(default_factory=list)  # --against
    other_cpu: list[float] = field(default_factory=list)
    instructions: int = 0
    other_instructions: int = 0
    adopted: bool = False
    reason: str = ""


def timed(
    args: list[str], env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, timeout=1800, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result, wall, cpu


def instructions(args: list[str], env: dict[str, str] | None = None) -> int:
    """Instructions one run executes (cachegrind, no cache simulation): 0 without valgrind."""
    valgrind = shutil.which("valgrind")
    if not valgrind:
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "cachegrind.out"
        result = subprocess.run(
            [
                valgrind,
                "--tool=cachegrind",
                "--cache-sim=no",
                f"--cachegrind-out-file={out}",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=3600,
            env=env,
        )
    match = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    return int(match.group(1).replace(",", "")) if match else 0


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
    return lines[-1][:200] if lines else f"exit {result.returncode}"


def listed(dry_output: str) -> set[str]:
    """The requirement names the dry run showed (Keeps and Adds)."""
    names = set()
    for line in dry_output.splitlines():
        match = re.match(r"^\s+(?:Keeps|Adds)\s+(\S+)", line)
        if match:
            names.add(re.split(r"[<>=!~;\[ @]", match.group(1))[0].lower().replace("_", "-"))
    return names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a folder of checkouts, one per subfolder")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--offline", action="store_true", help="pass --offline to init")
    parser.add_argument("--dry-only", action="store_true", help="time dry runs; adopt nothing")
    parser.add_argument("--against", type=Path, help="another bootstrap source tree to compare")
    parser.add_argument(
        "--instructions", action="store_true", help="count one dry run's instructions (valgrind)"
    )
    args = parser.parse_args()
    other_env = None
    if args.against:
        other_env = {**os.environ, "PYTHONPATH": str(args.against.resolve())}
    repos = sorted(p for p in args.folder.iterdir() if p.is_dir())
    extra = ["--offline"] if args.offline else []
    outcomes = {repo.name: Outcome(repo.name) for repo in repos}
    scratch = Path(tempfile.mkdtemp(prefix="bootstrap-init-bench-"))
    try:
        copies = {}
        for repo in repos:
            copy = scratch / repo.name
            shutil.copytree(repo, copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
            copies[repo.name] = copy
            outcomes[repo.name].files = len(snapshot(copy))
        dry_out: dict[str, str] = {}
        for _ in range(args.runs):
            for name, copy in copies.items():
                dry = [*script(), "init", str(copy), "--dry-run", *extra]
                result, wall, cpu = timed(dry)
                outcomes[name].wall.append(wall)
                outcomes[name].cpu.append(cpu)
                if result.returncode != 0:
                    outcomes[name].reason = f"dry run: {last_line(result)}"
                dry_out[name] = result.stdout
                if other_env is not None:
                    _other, wall, cpu = timed(dry, other_env)
                    outcomes[name].other_wall.append(wall)
                    outcomes[name].other_cpu.append(cpu)
        if args.instructions:
            for name, copy in copies.items():
                dry = [*script(), "init", str(copy), "--dry-run", *extra]
                outcomes[name].instructions = instructions(dry)
                if other_env is not None:
                    outcomes[name].other_instructions = instructions(dry, other_env)
        if not args.dry_only:
            for name, copy in copies.items():
                adopt(outcomes[name], copy, dry_out.get(name, ""), extra)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("| repository | files | dry run (median wall / CPU) | adopted | reason |")
    print("| --- | ---: | ---: | --- | --- |")
    for item in outcomes.values():
        wall, cpu = statistics.median(item.wall), statistics.median(item.cpu)
        status = "yes" if item.adopted else ("not tried" if args.dry_only else "no")
        print(
            f"| {item.name} | {item.files} | {wall:.2f} s / {cpu:.2f} s | {status} "
            f"| {item.reason or '—'} |"
        )
    if other_env is not None or args.instructions:
        print(f"\nthis tree against {args.against or '(none)'}: medians of {args.runs} runs")
        print("| repository | CPU this / other | ratio | wall this / other | instructions ratio |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for item in outcomes.values():
            cpu = statistics.median(item.cpu)
            other = statistics.median(item.other_cpu) if item.other_cpu else 0.0
            wall = statistics.median(item.wall)
            other_wall = statistics.median(item.other_wall) if item.other_wall else 0.0
            count = f"{item.instructions / 1e9:.2f} G" if item.instructions else "—"
            if item.instructions and item.other_instructions:
                count += f" / {item.other_instructions / 1e9:.2f} G = "
                count += f"{item.instructions / item.other_instructions:.2f}"
            print(
                f"| {item.name} | {cpu:.2f} s / {other:.2f} s | "
                f"{cpu / other if other else 0:.2f} | {wall:.2f} s / {other_wall:.2f} s | {count} |"
            )
    adopted = sum(o.adopted for o in outcomes.values())
    print(f"\nadopted {adopted}/{len(outcomes)}")
    largest = max(outcomes.values(), key=lambda o: o.files)
    cpu = statistics.median(largest.cpu)
    print(
        f"largest ({largest.name}, {largest.files} files): dry run {cpu:.2f} s of CPU "
        f"(budget {DRY_RUN_BUDGET:.0f} s)"
    )
    ok = cpu <= DRY_RUN_BUDGET and (args.dry_only or adopted == len(outcomes))
    return 0 if ok else 1


def adopt(item: Outcome, copy: Path, dry_output: str, extra: list[str]) -> None:
    before = snapshot(copy)
    result, _wall, _cpu = timed([*script(), "init", str(copy), "--no-input", *extra])
    if result.returncode != 0:
        item.reason = f"init: {last_line(result)}"
        return
    after = snapshot(copy)
    changed = [p for p, digest in before.items() if after.get(p) != digest]
    if changed:
        item.reason = f"changed the project's files: {', '.join(changed[:3])}"
        return
    check = subprocess.run(
        [*script(), "validate", str(copy)], capture_output=True, text=True, timeout=600
    )
    if check.returncode != 0:
        item.reason = f"validate: {last_line(check)}"
        return
    answers = json.loads((copy / ".devcontainer" / "bootstrap.json").read_text(encoding="utf-8"))
    recorded = {
        re.split(r"[<>=!~;\[ @]", r)[0].lower().replace("_", "-")
        for r in answers.get("answers", answers).get("requirements", [])
    }
    shown = listed(dry_output)
    if recorded != shown:
        item.reason = (
            f"dry run and init disagree: only shown {sorted(shown - recorded)[:3]}, "
            f"only recorded {sorted(recorded - shown)[:3]}"
        )
        return
    item.adopted = True


if __name__ == "__main__":
    sys.exit(main())
