"""The deployment file and the README's Quick start say what the project actually runs."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _railway(name: str = "railway.toml") -> dict[str, dict[str, object]]:
    with (ROOT / name).open("rb") as file:
        return tomllib.load(file)


def _touchline_args(command: str) -> list[str]:
    """The arguments after the `touchline` executable in a shell command line."""
    words = shlex.split(command)
    executables = [i for i, word in enumerate(words) if Path(word).name == "touchline"]
    assert executables, f"no touchline executable in {command!r}"
    return words[executables[0] + 1 :]


def test_railway_starts_touchline_serve_on_port() -> None:
    deploy = _railway()["deploy"]
    args = _touchline_args(str(deploy["startCommand"]))

    assert args[0] == "serve"
    assert args[args.index("--port") + 1] == "$PORT"
    assert args[args.index("--host") + 1] == "0.0.0.0"


def test_railway_migrates_before_deploy() -> None:
    commands = _railway()["deploy"]["preDeployCommand"]

    assert isinstance(commands, list)
    assert [_touchline_args(command) for command in commands] == [["db", "upgrade"]]


def test_railway_health_check_is_readiness() -> None:
    assert _railway()["deploy"]["healthcheckPath"] == "/readyz"


def test_the_retention_cron_job_runs_the_retention_command_daily() -> None:
    config = _railway("railway.retention.toml")
    deploy = config["deploy"]

    assert _touchline_args(str(deploy["startCommand"])) == ["data", "retention"]
    minute, hour, *every = str(deploy["cronSchedule"]).split()
    assert minute.isdigit() and hour.isdigit() and every == ["*", "*", "*"]
    # A cron job exits when done; restarting it would run it again at once.
    assert deploy["restartPolicyType"] == "NEVER"
    assert config["build"] == _railway()["build"]


@pytest.mark.parametrize("name", ["railway.toml", "railway.retention.toml"])
def test_railway_uses_only_documented_keys(name: str) -> None:
    config = _railway(name)
    # Railway's config-as-code reference; an unknown key is silently ignored there.
    assert set(config) <= {"build", "deploy", "environments"}
    assert set(config["build"]) <= {
        "builder",
        "watchPatterns",
        "buildCommand",
        "dockerfilePath",
        "railpackVersion",
    }
    assert config["build"]["builder"] in {"RAILPACK", "DOCKERFILE"}
    assert set(config["deploy"]) <= {
        "startCommand",
        "preDeployCommand",
        "multiRegionConfig",
        "healthcheckPath",
        "healthcheckTimeout",
        "restartPolicyType",
        "restartPolicyMaxRetries",
        "cronSchedule",
        "overlapSeconds",
        "drainingSeconds",
    }


def _quick_start_block() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"^```[^\n]*\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert block is not None, "no fenced block under ## Quick start"
    return block.group(1).splitlines()


def test_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    lines = _quick_start_block()
    ci = (ROOT / ".ci" / "run").read_text()
    ci_commands = [
        line.strip() for line in ci.splitlines() if line.strip() and not line.startswith("#")
    ]

    assert len(lines) == 2
    assert all(line.strip() for line in lines)
    assert any(command.startswith(lines[1].strip()) for command in ci_commands), ci_commands
