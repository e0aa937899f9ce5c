"""Runs when the dev container starts: says whether requirements.txt is what the image installed.

The image installs requirements.txt when it is built, so after `bootstrap add`, `bootstrap lock`
or a `git pull` that changed the lock, the container is out of date until it is rebuilt. Reads
only; fast; safe to run any number of times. Works on every Python the catalog offers (2.7 too).
"""
from __future__ import print_function

import os
import re
import sys

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)\s*(;[^\\]*)?(\\)?\s*$")


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def installed():
    try:
        from importlib import metadata
    except ImportError:  # Python < 3.8
        import pkg_resources

        return dict((canonical(d.project_name), d.version) for d in pkg_resources.working_set)
    return dict(
        (canonical(d.metadata["Name"]), d.version) for d in metadata.distributions() if d.metadata["Name"]
    )


def pins(path):
    wanted = {}
    with open(path) as handle:
        for line in handle:
            match = PIN.match(line.strip())
            if match:
                wanted[canonical(match.group(1))] = match.group(3)
    return wanted


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = next(
        (p for p in (os.path.join(here, "..", "requirements.txt"), os.path.join(here, "requirements.txt")) if os.path.isfile(p)),
        None,
    )
    if path is None:
        return 0
    have = installed()
    stale = sorted(
        "%s==%s (installed: %s)" % (name, version, have.get(name, "none"))
        for name, version in pins(path).items()
        if (have.get(name) or "").split("+")[0] != version.split("+")[0]
    )
    if stale:
        print("requirements.txt changed since this container was built:", ", ".join(stale[:5]) + (" ..." if len(stale) > 5 else ""))
        print("Rebuild it to install them: Dev Containers: Rebuild Container (or: bootstrap build .)")
    else:
        print("requirements.txt: installed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
