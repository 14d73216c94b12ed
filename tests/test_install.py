"""`pip install .` (not editable, as in a container image or with pipx) into a fresh venv, then the installed bot
run from a folder that is not the checkout: it must find its knowledge base and catalogs inside the package."""

import json
import os
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_KB, ROOT

NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "data")


def run(command: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=540, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A fresh venv with the project installed from a copy of the source (the build leaves nothing in the checkout)."""
    base = tmp_path_factory.mktemp("install")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    venv.create(base / "venv", with_pip=True)
    bin_dir = base / "venv" / "bin"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_", "PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    done = run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(source)], cwd=base, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    shutil.rmtree(source)  # the installed bot must not lean on the source folder
    outside = base / "elsewhere"
    outside.mkdir()
    return outside, env


def test_the_installed_console_script_answers_from_the_shipped_knowledge(installed) -> None:
    outside, env = installed
    done = run(["escp-s3-assistant", "ask", "--json", "What is the deadline?"], cwd=outside, env=env)
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert reply["answered"] and reply["lang"] == "en" and "2017" in reply["text"]
    italian = run(["escp-s3-assistant", "ask", "ciao"], cwd=outside, env=env)
    assert italian.returncode == 0 and "Ciao" in italian.stdout, italian.stderr  # the catalogs came along


def test_the_installed_bot_validates_its_shipped_knowledge_and_runs_as_a_module(installed) -> None:
    outside, env = installed
    done = run(["escp-s3-assistant", "validate"], cwd=outside, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "valid (" in done.stdout and "site-packages" in done.stdout  # the copy inside the package
    module = run(["python", "-m", "bot", "ask", "--json", "deadline?"], cwd=outside, env=env)
    assert module.returncode == 0 and json.loads(module.stdout)["answered"], module.stderr
    where = run(["python", "-c", "import bot; print(bot.__file__)"], cwd=outside, env=env)
    assert str(ROOT) not in where.stdout and "site-packages" in where.stdout


def test_a_configured_knowledge_dir_wins_over_the_shipped_one(installed) -> None:
    outside, env = installed
    own = {**env, "BOT_KNOWLEDGE_DIR": str(FIXTURE_KB)}
    done = run(["escp-s3-assistant", "validate"], cwd=outside, env=own)
    assert done.returncode == 0 and str(FIXTURE_KB) in done.stdout, done.stdout + done.stderr
    missing = run(["escp-s3-assistant", "ask", "deadline?"], cwd=outside, env={**env, "BOT_KNOWLEDGE_DIR": "nowhere"})
    assert missing.returncode != 0  # a wrong setting is reported, never silently replaced by the shipped copy


def test_the_wheel_lists_every_package_of_the_checkout() -> None:
    """pyproject.toml names the packages one by one (the shipped data needs it): a new one must be added there."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "bot").rglob("__init__.py")} | {
        "bot.shipped.knowledge",
        "bot.shipped.locales",
    }
    assert listed == found
