"""Shared fixtures: a small knowledge base for the pure-core tests, and a fixed clock."""

import datetime as dt
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.assistant import Assistant
from bot.knowledge import load_knowledge
from tests.support.bot_api import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_KB = Path(__file__).resolve().parent / "fixtures" / "knowledge"
SHIPPED_KB = ROOT / "knowledge"
FIXED_NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    """A loopback Telegram Bot API server for one test (tests/support/bot_api.py)."""
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
def fixture_kb_dir(tmp_path: Path) -> Path:
    """A private copy of the small knowledge base, safe to edit in a test."""
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_KB, target)
    return target


@pytest.fixture(scope="session")
def small_assistant() -> Assistant:
    return Assistant(load_knowledge(FIXTURE_KB), clock=lambda: FIXED_NOW)


@pytest.fixture(scope="session")
def shipped_assistant() -> Assistant:
    return Assistant(load_knowledge(SHIPPED_KB), clock=lambda: FIXED_NOW)
