"""No string from an answer or a catalog becomes code: hostile values go in, every file still
parses, and the value comes out literally, in the one encoding its context needs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import json5
import pytest
import tomllib
from dockerfile_parse import DockerfileParser
from helpers import hadolint_errors, official_errors, run

from bootstrap.template_ext import comment

BASELINE = "BASELINE-DESCRIPTION"
DOCKER = os.environ.get("DOCKER", "/usr/bin/docker")

# Descriptions are free text (one line, no control characters): each must pass through literally.
HOSTILE_DESCRIPTIONS = [
    "{{ 7*7 }}",
    "{% for x in range(3) %}x{% endfor %}",
    "{# hidden #} shown {% raw %} {% endraw %}",
    "{{ cookiecutter.__class__.__init__.__globals__ }}",
    "$(touch PWNED) and `touch PWNED` and ${HOME} $PATH",
    '"; touch PWNED; echo "',
    'it\'s a "quoted" \\ backslash \\',
    '""" triple \'\'\' quotes r"""',
    "</script><!-- --> <b>bold</b> & &amp;",
    "%s %(x)s {0} {} \\n \\u0000 \\x1b",
    "// not a comment */ /* nor this #",
    "# heading? no: a description",
    "é ü ß 😀 中文 ﷽",
    "line\u2028separator\u2029paragraph\x85next line",
]


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def renderings(text: str) -> list[str]:
    """Every encoding a description may legitimately take in a generated file."""
    forms = [text, comment(text)]
    for form in (text, comment(text)):
        forms.append(json.dumps(form, ensure_ascii=False)[1:-1])
        forms.append(json.dumps(form)[1:-1])
    return forms


def make(cwd: Path, *args: str) -> Path:
    result = run(
        "new", "--no-input", "--offline", "--name", "demo", "--output-dir", "out", *args, cwd=cwd
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return cwd / "out" / "demo"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return tree(make(tmp_path_factory.mktemp("baseline"), "--description", BASELINE))


@pytest.mark.parametrize("description", HOSTILE_DESCRIPTIONS)
def test_hostile_description_round_trips(
    tmp_path: Path, baseline: dict[str, bytes], description: str
) -> None:
    project = make(tmp_path, "--description", description)
    recorded = json.loads((project / ".devcontainer/bootstrap.json").read_text(encoding="utf-8"))
    assert recorded["description"] == description
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert description in readme
    devcontainer = json5.loads(
        (project / ".devcontainer/devcontainer.json").read_text(encoding="utf-8")
    )
    assert devcontainer["name"] == "demo"
    assert official_errors(project / ".devcontainer/devcontainer.json") == []
    dockerfile = DockerfileParser(path=str(project / "Dockerfile"))
    assert dockerfile.structure[0]["instruction"] == "COMMENT"
    assert dockerfile.structure[0]["value"] == f"demo: {comment(description)}"
    assert hadolint_errors(project / "Dockerfile") == []
    assert run("validate", project).returncode == 0
    assert not list(tmp_path.rglob("PWNED"))

    # Where the description appears it takes one of its known encodings, and nothing else
    # differs from a project with a plain description: no instruction, key or line was added.
    hostile_forms = renderings(description)
    plain_forms = renderings(BASELINE)
    order = sorted(range(len(hostile_forms)), key=lambda i: -len(hostile_forms[i]))
    normalised = {}
    for name, data in tree(project).items():
        text = data.decode("utf-8")
        for i in order:
            text = text.replace(hostile_forms[i], plain_forms[i])
        normalised[name] = text.encode("utf-8")
    assert normalised.keys() == baseline.keys()
    for name in baseline:
        assert normalised[name] == baseline[name], name


HOSTILE_NAMES = ["a{{ 7*7 }}", "a$(id)", "a`id`", 'a"b', "a\nRUN id", "../etc", "a\\b", "a;b"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_are_refused(tmp_path: Path, name: str) -> None:
    result = run(
        "new", "--no-input", "--offline", "--name", name, "--output-dir", "out", cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: answers: name ")
    assert list(tmp_path.iterdir()) == []


HOSTILE_URLS = [
    "https://x/$(id)",
    "https://x/`id`",
    "https://x/${HOME}",
    'https://x/"',
    "https://x/'",
    "https://x/ a",
    "https://x/\\",
    "https://x/\nRUN id",
    "https://x/|e",
    "https://x/{{ 7*7 }}",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("flag", ["--pip-index-url", "--apt-mirror", "--artifact-mirror"])
@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_urls_are_refused(tmp_path: Path, flag: str, url: str) -> None:
    result = run("new", "--no-input", "--offline", flag, url, "--output-dir", "out", cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert "http(s) URL" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


# Unusual but valid URLs: they reach Dockerfile ARGs and the lock, and must arrive unchanged.
INDEX = "https://user:p%40ss@pypi.example:8443/simple/?a=1&b=(2);c=*#frag"
APT = "http://mirror.example/debian/~x/[v6]!+,;=@"
ARTIFACTS = "https://artifacts.example/remote?x=1&y=2"


def _url_project(tmp_path: Path) -> Path:
    tmp_path.mkdir(exist_ok=True)
    return make(
        tmp_path,
        "--pip-index-url",
        INDEX,
        "--apt-mirror",
        APT,
        "--artifact-mirror",
        ARTIFACTS,
        "--driver",
        "hadoop",
    )


def test_valid_urls_round_trip(tmp_path: Path) -> None:
    project = _url_project(tmp_path)
    recorded = json.loads((project / ".devcontainer/bootstrap.json").read_text())
    assert recorded["network"] == {
        "pip_index_url": INDEX,
        "apt_mirror": APT,
        "artifact_mirror": ARTIFACTS,
    }
    parser = DockerfileParser(path=str(project / "Dockerfile"), env_replace=False)
    args = {}
    for instruction in parser.structure:
        if instruction["instruction"] == "ARG" and "=" in instruction["value"]:
            key, _, value = instruction["value"].partition("=")
            args[key] = value
    assert args["PIP_INDEX_URL"] == INDEX
    assert args["APT_MIRROR"] == APT
    assert args["ARTIFACT_MIRROR"] == ARTIFACTS
    assert hadolint_errors(project / "Dockerfile") == []


ORG_RECORD = r'''
kind = "stack"
id = "corp"
name = "Corp {{ 7*7 }}"
summary = "an organisation stack with values that look like code"
sources = ["test"]
env = { CORP_X = "$(touch PWNED) `touch PWNED` \"q\" \\ ${HOME} $PATH 'x' #y {{ 7*7 }}", CORP_Z = "C:\\dir\\file" }
container_env = { CORP_Y = "\"}, \"x\": {\"a\": 1} // /* {{ 7*7 }}" }
remote_env = { CORP_R = "${localEnv:HOME}\\\" ]" }
ports = [{ port = 9999, label = "\"label\" {{ x }} \\ </script>" }]
readme = """
### Corp
{{ 7*7 }} {% raw %} $(touch PWNED) `id`
"""
files = [{ path = "corp/notes.txt", content = "{{ 7*7 }} {% if %} $(id)\n" }]

[secrets.CORP_TOKEN]
description = "token \"with quotes\" {{ 7*7 }} \\"
'''


def _org_project(tmp_path: Path) -> tuple[Path, dict]:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "org.toml").write_text(ORG_RECORD, encoding="utf-8")
    record = tomllib.loads(ORG_RECORD)
    return make(tmp_path, "--catalog", "org.toml", "--stack", "corp"), record


def test_organisation_catalog_values_stay_literal(tmp_path: Path) -> None:
    project, record = _org_project(tmp_path)
    devcontainer = json5.loads((project / ".devcontainer/devcontainer.json").read_text())
    assert devcontainer["containerEnv"]["CORP_Y"] == record["container_env"]["CORP_Y"]
    assert devcontainer["remoteEnv"]["CORP_R"] == record["remote_env"]["CORP_R"]
    assert devcontainer["portsAttributes"]["9999"]["label"] == record["ports"][0]["label"]
    assert devcontainer["secrets"]["CORP_TOKEN"] == record["secrets"]["CORP_TOKEN"]
    assert official_errors(project / ".devcontainer/devcontainer.json") == []
    readme = (project / "README.md").read_text()
    assert record["readme"].strip("\n") in readme
    assert (project / "corp/notes.txt").read_text() == record["files"][0]["content"]

    parser = DockerfileParser(path=str(project / "Dockerfile"), env_replace=False)
    envs = [
        context.line_envs
        for instruction, context in zip(parser.structure, parser.context_structure, strict=True)
        if instruction["instruction"] == "ENV" and "CORP_X" in instruction["value"]
    ]
    assert len(envs) == 1 and set(envs[0]) == {"CORP_X", "CORP_Z"}
    assert hadolint_errors(project / "Dockerfile") == []
    assert run("validate", project, "--catalog", tmp_path / "org.toml").returncode == 0
    assert not list(tmp_path.rglob("PWNED"))


def _docker_ready() -> bool:
    if not shutil.which(DOCKER):
        return False
    return subprocess.run([DOCKER, "info"], capture_output=True, check=False).returncode == 0


@pytest.mark.docker
def test_docker_reads_env_and_args_literally(tmp_path: Path) -> None:
    """Docker itself parses the generated ENV and ARG lines: the values arrive byte for byte.

    The lines are copied from the generated Dockerfiles into a FROM scratch image, which
    builds without pulling anything or running a shell.
    """
    if not _docker_ready():
        pytest.skip("no Docker engine")
    org, record = _org_project(tmp_path / "org")
    urls = _url_project(tmp_path / "urls")
    lines = ["FROM scratch"]
    for project, wanted in ((org, "CORP_X"), (urls, "ARG ")):
        parser = DockerfileParser(path=str(project / "Dockerfile"))
        for instruction in parser.structure:
            content = instruction["content"]
            if instruction["instruction"] in ("ENV", "ARG") and (
                wanted in content if wanted != "ARG " else content.startswith("ARG ")
            ):
                lines.append(content.rstrip("\n"))
    lines += [
        "ENV SEEN_INDEX=${PIP_INDEX_URL} SEEN_APT=${APT_MIRROR} SEEN_ARTIFACTS=${ARTIFACT_MIRROR}",
    ]
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text("\n".join(lines) + "\n")
    tag = f"bootstrap-test/injection:{os.getpid()}"
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    build = subprocess.run(
        [DOCKER, "build", "-q", "-t", tag, str(context)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    try:
        inspect = subprocess.run(
            [DOCKER, "image", "inspect", "--format", "{{json .Config.Env}}", tag],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        subprocess.run([DOCKER, "rmi", "-f", tag], capture_output=True, check=False)
    seen = dict(item.split("=", 1) for item in json.loads(inspect.stdout))
    assert seen["CORP_X"] == record["env"]["CORP_X"]
    assert seen["CORP_Z"] == record["env"]["CORP_Z"]
    assert seen["SEEN_INDEX"] == INDEX
    assert seen["SEEN_APT"] == APT
    assert seen["SEEN_ARTIFACTS"] == ARTIFACTS


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("ok\\u2028RUN touch PWNED", "cannot carry"),
        ("ok\\nRUN touch PWNED", "cannot carry"),
        ("C:\\\\dir\\\\", "backslash before a quote or at its end"),
        (r"say \\\"hi\\\"", "backslash before a quote or at its end"),
    ],
)
def test_catalog_env_values_a_dockerfile_cannot_hold_are_refused(
    tmp_path: Path, value: str, reason: str
) -> None:
    (tmp_path / "org.toml").write_text(
        'kind = "stack"\nid = "corp"\nname = "Corp"\nsummary = "x"\nsources = ["test"]\n'
        f'env = {{ CORP = "{value}" }}\n'
    )
    result = run(
        "new", "--no-input", "--offline", "--catalog", "org.toml", "--stack", "corp",
        "--output-dir", "out", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert reason in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_ca_file_names_cannot_reach_the_dockerfile(tmp_path: Path) -> None:
    pem = Path(os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")).read_bytes()
    hostile = tmp_path / '$(touch PWNED) "corp" `id`; x.pem'
    hostile.write_bytes(pem)
    project = make(tmp_path, "--ca-cert", str(hostile))
    recorded = json.loads((project / ".devcontainer/bootstrap.json").read_text())
    (name,) = recorded["network"]["ca_certs"]
    assert (project / ".devcontainer/certs" / name).read_bytes() == pem
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    dockerfile = (project / "Dockerfile").read_text()
    assert "PWNED" not in dockerfile and "COPY .devcontainer/certs/ " in dockerfile
    assert hadolint_errors(project / "Dockerfile") == []
    assert not list(tmp_path.rglob("PWNED"))
