"""Print the stacks' part of a hashed lock: the Dockerfile installs it as a layer of its own.

A pin belongs to the stacks when the lock says a catalog line needs it (`# via jupyter
(catalog)`) or when something that belongs needs it, transitively. Each pin is printed whole,
with its hashes and without comments, after the lock's index options. Adding a requirement of
your own then leaves this list (and the image layer built from it) unchanged; a requirement
that moves a shared pin changes it. A lock without hashes prints nothing.

    python stack-pins.py requirements.txt > stack.txt
"""

import re
import sys


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def main(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if "--hash=" not in text:
        return
    # a pin is its line and the indented lines under it (hashes, `# via` comments)
    blocks = re.findall(r"^[A-Za-z0-9].*(?:\n[ \t]+.*)*", text, re.M)
    needed_by = {}
    for block in blocks:
        name = canonical(re.match(r"[A-Za-z0-9._-]+", block).group(0))
        vias = re.findall(r"# via (.*)", block)
        needed_by[name] = {canonical(n) for line in vias for n in line.split(",")}
    stack = {name for name, by in needed_by.items() if any(v.endswith("(catalog)") for v in by)}
    while True:
        more = {name for name, by in needed_by.items() if by & stack} - stack
        if not more:
            break
        stack |= more
    options = re.findall(r"^-.*", text, re.M)
    kept = [b for b in blocks if canonical(re.match(r"[A-Za-z0-9._-]+", b).group(0)) in stack]
    for block in options + kept:
        for line in block.splitlines():
            if not line.lstrip().startswith("#"):
                sys.stdout.write(line + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
