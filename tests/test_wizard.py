"""The wizard as a person drives it: a real pseudo-terminal, keys and Enter."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pexpect
from helpers import all_pinned, hadolint_errors, official_errors

QUESTIONS = [
    "Project name",
    "description",
    "Python version",
    "Data-science stack",
    "External drivers",
    "Services beside the container",
]


def spawn(*args: str, cwd: Path | None = None) -> pexpect.spawn:
    env = {
        **os.environ,
        "TERM": "xterm",
        "PROMPT_TOOLKIT_NO_CPR": "1",
        "COLUMNS": "120",
        "LINES": "40",
    }
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bootstrap", *args],
        cwd=cwd,
        env=env,
        encoding="utf-8",
        dimensions=(40, 120),
        timeout=60,
    )
    return child


def answer(child: pexpect.spawn, prompt: str, keys: str = "\r") -> str:
    child.expect(prompt)
    seen = child.before + child.after
    child.send(keys)
    return seen


def screen_until(child: pexpect.spawn, prompt: str) -> str:
    child.expect(prompt)
    return child.before


def test_enter_at_every_question_makes_a_working_project(tmp_path: Path) -> None:
    child = spawn("new", "--offline", "--output-dir", str(tmp_path))
    for question in [*QUESTIONS, "corporate proxy", "Create it"]:
        answer(child, question)
    child.expect(pexpect.EOF, timeout=120)
    child.close()
    assert child.exitstatus == 0, child.before
    project = tmp_path / "my-project"
    assert official_errors(project / ".devcontainer/devcontainer.json") == []
    assert all_pinned(project / "requirements.txt") == []
    assert hadolint_errors(project / "Dockerfile") == []
    recorded = json.loads((project / ".devcontainer/bootstrap.json").read_text())
    assert recorded["python"] == "3.12" and recorded["stacks"] == ["jupyter", "pydata"]


def test_choices_typed_and_toggled(tmp_path: Path) -> None:
    child = spawn("new", "--offline", "--output-dir", str(tmp_path))
    child.expect("Project name")
    child.send("\x15")  # Ctrl-U clears the default
    child.send("Churn Model\r")
    child.expect("folder: churn-model/")
    answer(child, "description", "\x15Predicts churn\r")
    # Python list is newest first: 3.14, 3.13, 3.12 (default) ... ; one down from the default is 3.11
    answer(child, "Python version", "\x1b[B\r")
    answer(child, "Data-science stack", "\r")
    answer(child, "External drivers", " \r")  # space toggles the first driver: spark
    answer(child, "Services beside", " \r")  # and the first service: postgres (compose)
    answer(child, "corporate proxy", "\r")
    summary = screen_until(child, "Create it")
    assert "Churn Model" in summary and "3.11" in summary and "spark" in summary
    assert "Services postgres" in summary
    child.send("\r")
    child.expect(pexpect.EOF, timeout=120)
    child.close()
    assert child.exitstatus == 0
    recorded = json.loads((tmp_path / "churn-model/.devcontainer/bootstrap.json").read_text())
    assert recorded["description"] == "Predicts churn"
    assert recorded["python"] == "3.11"
    assert recorded["drivers"] == ["spark", "postgres"]  # the service brings its driver
    assert recorded["services"] == ["postgres"]
    assert (tmp_path / "churn-model/.devcontainer/compose.yaml").is_file()


def test_incompatible_choices_are_shown_disabled_with_the_reason(tmp_path: Path) -> None:
    child = spawn("new", "--offline", "--output-dir", str(tmp_path), "--python", "2.7")
    answer(child, "Project name")
    answer(child, "description")
    screen = answer(child, "Data-science stack", "\x03")
    # the checkbox is drawn after the title: read what follows until the screen settles
    child.expect(pexpect.EOF, timeout=30)
    screen += child.before
    assert "polars" in screen and "Polars never supported Python 2" in screen
    child.close()
    assert child.exitstatus in (1, 130)
    assert list(tmp_path.iterdir()) == []


def test_no_at_the_summary_writes_nothing(tmp_path: Path) -> None:
    child = spawn("new", "--offline", "--output-dir", str(tmp_path))
    for question in [*QUESTIONS, "corporate proxy"]:
        answer(child, question)
    answer(child, "Create it", "n")
    child.expect(pexpect.EOF, timeout=30)
    child.close()
    assert child.exitstatus != 0
    assert "nothing was written" in child.before
    assert list(tmp_path.iterdir()) == []


def test_corporate_network_questions(tmp_path: Path) -> None:
    ca = tmp_path / "corp.pem"
    ca.write_text(
        Path(os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")).read_text()
    )
    out = tmp_path / "o"
    child = spawn("new", "--offline", "--output-dir", str(out))
    for question in QUESTIONS:
        answer(child, question)
    answer(child, "corporate proxy", "y")
    answer(child, "CA certificate files", f"{ca}\r")
    answer(child, "package index", "https://pypi.corp.example/a|b\r")
    child.expect("without spaces")  # refused on the spot, by the answers schema's own rule
    child.send("\x15https://pypi.corp.example/simple\r")
    answer(child, "Debian mirror", "\r")
    answer(child, "Vendor download mirror", "\r")
    answer(child, "Create it")
    child.expect(pexpect.EOF, timeout=120)
    child.close()
    assert child.exitstatus == 0, child.before
    project = out / "my-project"
    assert (project / ".devcontainer/certs/corp.crt").read_bytes() == ca.read_bytes()
    dockerfile = (project / "Dockerfile").read_text()
    assert "ARG PIP_INDEX_URL=https://pypi.corp.example/simple" in dockerfile
    assert "update-ca-certificates" in dockerfile


def test_typing_replaces_the_default_and_enter_takes_it(tmp_path: Path) -> None:
    """As in cookiecutter and copier: the default is shown, typing replaces it, Enter keeps it."""
    child = spawn("new", "--offline", "--output-dir", str(tmp_path))
    screen = screen_until(child, "Project name")
    child.expect("my-project")  # the default is on screen
    child.send("Sales Forecast\r")
    child.expect(r"folder: (\S+)/")
    assert child.match.group(1) == "sales-forecast"
    answer(child, "description", "\r")  # Enter: the default description
    for question in [*QUESTIONS[2:], "corporate proxy", "Create it"]:
        answer(child, question)
    child.expect(pexpect.EOF, timeout=120)
    child.close()
    assert child.exitstatus == 0, screen + child.before
    assert [p.name for p in tmp_path.iterdir()] == ["sales-forecast"]
    recorded = json.loads((tmp_path / "sales-forecast/.devcontainer/bootstrap.json").read_text())
    assert recorded["name"] == "Sales Forecast"
    assert recorded["description"] == "A Python project in a dev container"


def test_a_name_reserved_on_windows_is_refused_on_the_spot(tmp_path: Path) -> None:
    child = spawn("new", "--offline", "--output-dir", str(tmp_path))
    answer(child, "Project name", "Con\r")
    child.expect("reserved on Windows")
    child.send("\x15Console\r")
    child.expect("folder: console/")
    child.expect("One-line description")  # Ctrl-C at the next question, not between two
    child.sendcontrol("c")
    child.expect(pexpect.EOF, timeout=30)
    child.close()
    assert list(tmp_path.iterdir()) == []
