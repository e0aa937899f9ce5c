"""`bootstrap build`: build the project's image on a real Docker engine, then smoke-test it,
and with services, bring its compose stack up under a project name of its own, run each service's
checks in the app container, and take the stack down again (docker-compose, `down -v`).

The Docker SDK talks to the engine (is it there, image details, smoke containers). The SDK's build
API is the legacy builder, which rejects BuildKit syntax (`RUN --mount`, `COPY --chmod`) that the
generated Dockerfile uses for its pip cache, so such Dockerfiles are built with the docker CLI
through BuildKit; a Dockerfile without BuildKit syntax is built by the SDK itself.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import shutil
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bootstrap import report_json
from bootstrap.answers import read_recorded, validate
from bootstrap.engine import buildkit_cli, engine
from bootstrap.errors import BootstrapError
from bootstrap.inputs import existing_dir, load_catalog
from bootstrap.layout import dockerfile_path
from bootstrap.plan import make_plan
from bootstrap.safe_io import MAX_DOCKERFILE, read_in_project

#: Proxy variables Docker treats as predefined build args: used by the build, never stored.
PROXY_VARS = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "FTP_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "ftp_proxy",
    "no_proxy",
    "all_proxy",
)
BUILDKIT_SYNTAX = re.compile(r"^\s*(RUN|COPY|ADD)\s+.*--(mount|chmod|link)\b", re.MULTILINE | re.I)
STEP_PREFIX = re.compile(r"^#\d+ (\d+\.\d+ )?")
SMOKE_TIMEOUT = 600


@dataclass(frozen=True)
class Check:
    """One smoke test: a shell command in a fresh container; ``expect`` must be in its output."""

    component: str
    command: str
    expect: str | None = None


@dataclass(frozen=True)
class Outcome:
    check: Check
    passed: bool
    seconds: float
    output: str


def build_command(args: argparse.Namespace, report: dict[str, Any] | None = None) -> int:
    """Build, then smoke-test; ``report`` (for --json) receives the image and each outcome."""
    project = existing_dir(args.project_dir).resolve()
    recorded = read_recorded(project)
    catalog = load_catalog(args, recorded)
    plan = make_plan(validate(recorded, catalog, origin=".devcontainer/bootstrap.json"), catalog)
    dockerfile = dockerfile_path(project)  # the one devcontainer.json builds, as VS Code does
    if not dockerfile.is_file():
        raise BootstrapError(
            f"{dockerfile}: no Dockerfile: restore it from version control or run bootstrap update"
        )
    tag = args.tag or f"{plan['project']}:{args.target}"
    client = engine()
    if plan.get("service_smoke") and not args.no_smoke:
        compose_cli()  # said before a build of minutes, not after it
    host_network = needs_host_network(plan.get("network", {}), os.environ)
    started = time.monotonic()
    print(f"Building {tag} (target {args.target}) from {project}", file=sys.stderr, flush=True)
    text = read_in_project(project, dockerfile, MAX_DOCKERFILE, str(dockerfile))
    if BUILDKIT_SYNTAX.search(text.decode("utf-8", "replace")):
        cli, command = buildkit_cli()
        build_with_cli(cli, command, project, dockerfile, tag, args.target, host_network)
    else:
        build_with_sdk(client, project, dockerfile, tag, args.target, host_network)
    image = client.images.get(tag)
    size = image.attrs.get("Size", 0) / 1e6
    if report is not None:
        report.update(
            project=str(project),
            image=tag,
            image_id=image.id,
            size_bytes=int(image.attrs.get("Size", 0)),
            seconds=time.monotonic() - started,
        )
    print(
        f"Built {tag} ({image.short_id.removeprefix('sha256:')}, {size:.0f} MB) "
        f"in {time.monotonic() - started:.0f} s",
        flush=True,
    )
    if args.no_smoke:
        return 0
    checks = smoke_checks(plan)
    workspace = project if args.target == "dev" else None
    outcomes = [run_check(client, tag, check, workspace, host_network) for check in checks]
    if plan.get("compose") and plan.get("service_smoke"):
        outcomes += service_checks(client, project, plan, tag, args.target)
    if report is not None:
        report["smoke"] = outcomes
    print_table(outcomes)
    failed = [o for o in outcomes if not o.passed]
    if failed:
        names = ", ".join(sorted({o.check.component for o in failed}))
        raise BootstrapError(
            f"{len(failed)} of {len(outcomes)} smoke tests failed ({names}): see the table above"
        )
    return 0


def needs_host_network(network: Mapping[str, Any], environ: Mapping[str, str]) -> bool:
    """A mirror or proxy on this machine (127.0.0.1, localhost) is reachable only from the host network."""
    urls = [network.get(k) for k in ("pip_index_url", "apt_mirror", "artifact_mirror")]
    urls += [environ.get(name) for name in PROXY_VARS if "no_proxy" not in name.lower()]
    return any(_is_loopback(url) for url in urls if url)


def _is_loopback(url: str) -> bool:
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def proxy_environment(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    return {name: environ[name] for name in PROXY_VARS if environ.get(name)}


def build_with_cli(
    cli: str,
    command: list[str],
    project: Path,
    dockerfile: Path,
    tag: str,
    target: str,
    host_network: bool,
) -> None:
    """BuildKit through the docker CLI, its progress streamed line by line."""
    argv = [*command, "--progress=plain", "--file", str(dockerfile), "--target", target]
    argv += ["--tag", tag]
    for name in proxy_environment():
        argv += ["--build-arg", name]  # the value comes from the environment, never the image
    if host_network:
        argv += ["--network", "host"]
    argv.append(str(project))
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    tail: deque[str] = deque(maxlen=400)
    with subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stderr.write(line)
            sys.stderr.flush()
            tail.append(line.rstrip("\n"))
    if process.returncode != 0:
        raise BootstrapError(f"building {tag} failed: {failure_reason(tail)}")


def build_with_sdk(
    client: Any, project: Path, dockerfile: Path, tag: str, target: str, host_network: bool
) -> None:
    """The SDK's (legacy) builder, for Dockerfiles that use no BuildKit syntax."""
    tail: deque[str] = deque(maxlen=400)
    stream = client.api.build(
        path=str(project),
        dockerfile=str(dockerfile.relative_to(project)),
        tag=tag,
        target=target,
        rm=True,
        decode=True,
        buildargs=proxy_environment(),
        network_mode="host" if host_network else None,
    )
    for chunk in stream:
        if "error" in chunk:
            tail.append(str(chunk["error"]).strip())
            raise BootstrapError(f"building {tag} failed: {failure_reason(tail)}")
        text = chunk.get("stream")
        if text:
            sys.stderr.write(text)
            sys.stderr.flush()
            tail.extend(text.splitlines())


_TELLING = (
    re.compile(r"fetch-artifact: "),
    re.compile(r"CERTIFICATE_VERIFY_FAILED|certificate verify failed|SSL certificate problem"),
    re.compile(
        r"DO NOT MATCH THE HASHES|Could not find a version|No matching distribution|Hash mismatch for"
    ),
    re.compile(r"^(ERROR|E): ", re.I),
    re.compile(r"\berror\b", re.I),
)
TLS_HINT = (
    "TLS certificate verification failed (CERTIFICATE_VERIFY_FAILED): behind a TLS-intercepting "
    "proxy the image must trust its CA: make the project with --ca-cert FILE"
)


def failure_reason(lines: Iterable[str]) -> str:
    """The one line of a failed build that says why: vendor checksum, TLS, pip, apt, anything."""
    clean = [STEP_PREFIX.sub("", line).strip() for line in lines]
    clean = [line for line in clean if line and not line.startswith("------")]
    for index, pattern in enumerate(_TELLING):
        hits = [line for line in clean if pattern.search(line)]
        if hits:
            return TLS_HINT if index == 1 else hits[-1][:400]
    return clean[-1][:400] if clean else "the build failed without output"


def smoke_checks(plan: Mapping[str, Any]) -> list[Check]:
    """The Python version, then every chosen component's smoke commands from its record."""
    checks = [Check("python", "python --version", f"Python {plan['python']}.")]
    checks += [Check(item["component"], item["command"]) for item in plan.get("smoke", [])]
    return checks


def run_check(
    client: Any, image: str, check: Check, workspace: Path | None, host_network: bool
) -> Outcome:
    """One smoke test in a fresh container, as the image's user, removed afterwards."""
    started = time.monotonic()
    options: dict[str, Any] = {"environment": proxy_environment()}
    if workspace is not None:  # the dev container mounts the project like this
        target = f"/workspaces/{workspace.name}"
        options.update(volumes={str(workspace): {"bind": target, "mode": "ro"}}, working_dir=target)
    if host_network:
        options["network_mode"] = "host"
    container = client.containers.create(image, ["/bin/sh", "-c", check.command], **options)
    try:
        container.start()
        try:
            status = container.wait(timeout=SMOKE_TIMEOUT).get("StatusCode", 1)
        except Exception:
            status, timed_out = 124, True
        else:
            timed_out = False
        output = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        if timed_out:
            output += f"\n(timed out after {SMOKE_TIMEOUT} s)"
    finally:
        container.remove(force=True)
    passed = status == 0 and (check.expect is None or check.expect in output)
    return Outcome(check, passed, time.monotonic() - started, output)


def compose_cli() -> str:
    """docker-compose, which brings the services up for their smoke tests."""
    found = shutil.which("docker-compose") or (
        "/usr/bin/docker-compose" if os.path.exists("/usr/bin/docker-compose") else None
    )
    if found is None:
        raise BootstrapError(
            "docker-compose is missing, and the services' smoke tests need it: install it "
            "(apt-get install docker-compose) or build with --no-smoke"
        )
    return found


def compose_project_name(project: str) -> str:
    """A compose project of its own, so a running dev container's stack is never touched."""
    base = re.sub(r"[^a-z0-9_-]", "", project.lower()) or "project"
    return f"{base}-smoke-{os.getpid()}-{int(time.time())}"


def service_checks(
    client: Any, project: Path, plan: Mapping[str, Any], tag: str, target: str
) -> list[Outcome]:
    """The compose stack up under a project name of its own, each service's smoke commands run in
    the app container, and the stack torn down with its volumes whatever happens."""
    compose = compose_cli()
    file = project / ".devcontainer" / "compose.yaml"
    if not file.is_file():
        raise BootstrapError(
            f"{file}: no compose file: restore it from version control or run bootstrap update"
        )
    checks = [Check(s["component"], s["command"]) for s in plan["service_smoke"]]
    name = compose_project_name(plan["project"])
    base = [compose, "--project-directory", str(file.parent), "-f", str(file), "-p", name]
    # docker-compose builds through the docker client on PATH: Debian's, with BuildKit
    env = {
        **os.environ,
        "PATH": "/usr/bin:" + os.environ.get("PATH", ""),
        "DOCKER_BUILDKIT": "1",
        "COMPOSE_DOCKER_CLI_BUILD": "1",
    }
    up = [*base, "up", "-d"]
    app_image = plan["compose"]["services"]["app"].get("image")
    if target == "dev" and app_image:
        client.images.get(tag).tag(app_image)  # the image just built is the one compose runs
        up.append("--no-build")
    print(f"Starting the services ({', '.join(plan['services'])}) as {name}", file=sys.stderr)
    started = time.monotonic()
    try:
        result = _run(up, env, SMOKE_TIMEOUT)
        if result.returncode != 0:
            why = f"docker-compose up failed:\n{result.stdout}"
            return [Outcome(c, False, time.monotonic() - started, why) for c in checks]
        outcomes = []
        for check in checks:
            begun = time.monotonic()
            result = _run([*base, "exec", "-T", "app", "sh", "-c", check.command], env)
            outcomes.append(
                Outcome(check, result.returncode == 0, time.monotonic() - begun, result.stdout)
            )
        return outcomes
    finally:
        print(f"Removing {name} (docker-compose down -v)", file=sys.stderr, flush=True)
        _run([*base, "down", "-v", "--remove-orphans"], env, 300)


def _run(argv: list[str], env: Mapping[str, str], timeout: float = SMOKE_TIMEOUT) -> Any:
    """A compose command, its output and errors as one text; a timeout is a failure (124)."""
    try:
        return subprocess.run(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env),
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        out = expired.stdout or ""
        if isinstance(out, bytes):
            out = out.decode("utf-8", "replace")
        return subprocess.CompletedProcess(argv, 124, out + f"\n(timed out after {timeout:.0f} s)")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def print_table(outcomes: list[Outcome]) -> None:
    """PASS/FAIL per check; failures get their output's tail underneath."""
    width = shutil.get_terminal_size((120, 20)).columns
    rows = [("COMPONENT", "RESULT", "TIME", "CHECK", "OUTPUT")]
    for o in outcomes:
        command = o.check.command if len(o.check.command) <= 48 else o.check.command[:45] + "..."
        rows.append(
            (
                o.check.component,
                "pass" if o.passed else "FAIL",
                f"{o.seconds:.1f}s",
                command,
                _last_line(o.output),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    print()
    for row in rows:
        line = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4]
        print(line[: max(width, 80)].rstrip())
    for o in outcomes:
        if not o.passed:
            print(f"\n{o.check.component}: {o.check.command}", file=sys.stderr)
            if o.check.expect and o.check.expect not in o.output:
                print(f"  expected {o.check.expect!r} in the output", file=sys.stderr)
            for line in o.output.strip().splitlines()[-15:]:
                print(f"  {line}", file=sys.stderr)
    passed = sum(o.passed for o in outcomes)
    print(f"\n{passed} of {len(outcomes)} smoke tests passed", flush=True)


def build_json(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    """`build --json`: the image and every smoke test as one document."""
    result: dict[str, Any] = {}
    try:
        build_command(args, report=result)
    except BootstrapError as error:
        if "smoke" not in result:
            raise  # the build itself failed: the error document says why
        return report_json.build_document(args, result, error.message), error.exit_code
    return report_json.build_document(args, result, None), 0
