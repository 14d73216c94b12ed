"""Whatever a user sends, the assistant replies without raising, within bounds, in a supported language."""

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.assistant import Assistant
from bot.cli import reply_json
from bot.outcome import Outcome

ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=("Cs",)), max_size=10_000)
HOSTILE = st.sampled_from(
    [
        "",
        "\x00" * 50,
        "\u200b\u200f\u202e" * 100,
        "😀" * 3000,
        "'; DROP TABLE users; --",
        "<b>bold</b> <script>alert(1)</script> *markdown* _x_ [link](http://x)",
        "qual è la scadenza? " * 600,
        "a" * 10_000,
    ]
)


def check_reply(assistant: Assistant, text: str) -> None:
    started = time.perf_counter()
    reply = assistant.reply(text)
    elapsed = time.perf_counter() - started
    assert reply.lang in ("it", "en")
    assert isinstance(reply.kind, Outcome)
    assert reply.text.strip()
    assert 0.0 <= reply.score <= 1.0
    assert elapsed < 2.0, f"reply took {elapsed:.2f}s"  # a bound against pathological blow-ups, not a benchmark
    document = json.loads(reply_json(reply))
    assert document["answered"] == reply.answered


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=ANY_TEXT)
def test_any_unicode_gets_a_reply(small_assistant: Assistant, text: str) -> None:
    check_reply(small_assistant, text)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(HOSTILE, ANY_TEXT))
def test_shipped_knowledge_base_never_raises(shipped_assistant: Assistant, text: str) -> None:
    check_reply(shipped_assistant, text)
