"""The real `python -m bot run`, started three times on one database: the first start builds the knowledge base and
keeps it in the cache beside the database, the second starts from the cache, and after staff edited an answer
while the bot was down the third serves the edit, never the cached version, through Telegram."""

import asyncio
import shutil
import signal
from pathlib import Path

from tests.conftest import FIXTURE_KB
from tests.support.bot_api import FakeBotAPI, make_user
from tests.test_run_subprocess import bot_env, start_bot_process

ANNA = make_user(5252, "Anna", "it")
QUESTION = "Chi può partecipare?"
ANSWER = "Possono partecipare distretti e parchi scientifici."
EDITED = "Possono partecipare distretti, cluster e parchi scientifici."


async def answer_once(api: FakeBotAPI, env: dict[str, str], workdir: Path) -> tuple[str, str]:
    """Start the bot, ask, stop it: (the answer, what it logged)."""
    before = len(api.sent_messages(ANNA["id"]))
    since = len(api.calls_to("getUpdates"))
    process = await start_bot_process(env, workdir)
    try:
        await api.wait_for(lambda s: len(s.calls_to("getUpdates")) > since, timeout=60)
        api.push_update(api.text_message(ANNA, QUESTION))
        sent = await api.wait_for_messages(ANNA["id"], count=before + 1, timeout=30)
    finally:
        process.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err.decode()
    return sent[before]["text"], err.decode()


async def test_a_restart_uses_the_cache_and_an_edit_made_while_down_is_served(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_KB, knowledge)
    async with FakeBotAPI() as api:
        env = bot_env(
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_BASE_URL=api.base_url,
            BOT_DATABASE=str(tmp_path / "data" / "bot.sqlite3"),
            BOT_KNOWLEDGE_DIR=str(knowledge),
            BOT_LOG_LEVEL="DEBUG",  # the cache says whether it built or read the knowledge base
        )
        first, log = await answer_once(api, env, tmp_path)
        assert ANSWER in first
        assert "checked and indexed" in log and "read from the cache" not in log
        assert len(list((tmp_path / "data" / "cache").iterdir())) == 1

        again, log = await answer_once(api, env, tmp_path)
        assert again == first
        assert "read from the cache" in log and "checked and indexed" not in log

        calls = knowledge / "calls.yaml"
        calls.write_text(calls.read_text(encoding="utf-8").replace(ANSWER, EDITED), encoding="utf-8")
        edited, log = await answer_once(api, env, tmp_path)
        assert EDITED in edited and ANSWER not in edited
        assert "checked and indexed" in log
