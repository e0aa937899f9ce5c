"""`bootstrap init` over a folder of real checkouts: how many it adopts, why the others fail, and
how long a dry run takes on each, printed as a Markdown table.

Each checkout is copied (without .git) to a scratch folder, so the checkouts stay untouched. For
each: ``init --dry-run`` is timed (median of ``--runs``, alternating repositories so machine load
hits all alike; the CPU time of the process is shown beside the wall time, because on a shared
machine the wall time mostly measures the neighbours), then ``init --no-input`` adopts the copy.
A repository counts as adopted when init exits 0, ``bootstrap validate`` passes, every file the
project had is byte-identical, and the dry run listed the same requirements that were recorded.

Target: a dry run of a 2,400-file project (saleor 3.9.0) in at most 3 s.

    python benchmarks/init_real_repos.py FOLDER [--runs 3] [--offline] [--dry-only]
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
    adopted: bool = False
    reason: str = ""


def timed(args: list[str]) -> tuple[subprocess.CompletedProcess[str], float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result, wall, cpu


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
    args = parser.parse_args()
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
                result, wall, cpu = timed([*script(), "init", str(copy), "--dry-run", *extra])
                outcomes[name].wall.append(wall)
                outcomes[name].cpu.append(cpu)
                if result.returncode != 0:
                    outcomes[name].reason = f"dry run: {last_line(result)}"
                dry_out[name] = result.stdout
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
