"""The one HTML splitter: every part is a message Telegram accepts, and together they say what the whole said."""

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram.splitting import MAX_MESSAGE_CHARS, split_html
from tests.support.bot_api import FakeBotAPI, make_user, parse_html

# -- well-formed Telegram HTML, as the bot and staff (through Telegram's own text_html) write it ------------------

_WORDS = st.sampled_from(
    ["deadline", "PMI", "è", "Puglia", "&amp;", "&lt;b&gt;", "&quot;", "&#128512;", "&#x1F4C5;", "😀", "𝔘", "a&b", "x"]
)
_GAPS = st.sampled_from([" ", " ", " ", "\n", "\n\n", "  ", "\t"])
_TEXT = st.lists(st.tuples(_WORDS, _GAPS), min_size=1, max_size=12).map(lambda pairs: "".join(a + b for a, b in pairs))
_INLINE = ["b", "i", "u", "s", "strong", "em", "ins", "del", "tg-spoiler"]


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    inline = st.tuples(st.sampled_from(_INLINE), children).map(lambda t: f"<{t[0]}>{t[1]}</{t[0]}>")
    link = children.map(lambda inner: f'<a href="https://example.org/a?x=1&amp;y=&quot;2&quot;">{inner}</a>')
    quote = children.map(lambda inner: f"<blockquote>{inner}</blockquote>")
    spoiler = children.map(lambda inner: f'<span class="tg-spoiler">{inner}</span>')
    code = _TEXT.map(lambda text: f"<code>{text}</code>")
    pre = _TEXT.map(lambda text: f"<pre>{text}</pre>")
    pre_code = _TEXT.map(lambda text: f'<pre><code class="language-python">{text}</code></pre>')
    return inline | link | quote | spoiler | code | pre | pre_code


_HTML = st.recursive(_TEXT, lambda inner: st.lists(inner | _element(inner), min_size=1, max_size=5).map("".join))


def _visible(html: str) -> str:
    return parse_html(html)[0]


@settings(max_examples=250, deadline=None)
@given(html=_HTML.filter(lambda h: _visible(h).strip()), limit=st.integers(min_value=8, max_value=160))
def test_every_part_is_valid_within_the_limit_and_nothing_is_lost(html: str, limit: int) -> None:
    parts = split_html(html, limit)
    for part in parts:
        text, _ = parse_html(part)  # raises, with Telegram's reason, on a tag or an entity cut in two
        assert 0 < len(text.encode("utf-16-le")) // 2 <= limit
        assert text.strip(), "Telegram refuses a message with no text"
    whole = "".join(_visible(html).split())
    assert "".join("".join(_visible(part).split()) for part in parts) == whole  # only whitespace at cuts goes


@settings(max_examples=200, deadline=None)
@given(html=_HTML)
def test_a_message_within_the_limit_is_left_alone(html: str) -> None:
    if len(_visible(html).encode("utf-16-le")) // 2 <= MAX_MESSAGE_CHARS and _visible(html).strip():
        assert split_html(html) == [html]


@settings(max_examples=300, deadline=None)
@given(html=_HTML | st.sampled_from(["", " ", "\n\n", " \t ", "<b> </b>", "<b></b>", "&", "<", "&#0;"]))
def test_the_shortcut_for_a_short_text_returns_what_the_full_pass_would(html: str) -> None:
    """split_html skips the cutting pass when the raw text fits; the pass itself must agree, blank text included."""
    from bot.telegram.splitting import _cut, _utf16_width

    limit = max(2, _utf16_width(html))
    assert split_html(html, limit) == _cut(html, limit) == [html]


def test_cuts_prefer_paragraphs_then_lines_then_spaces() -> None:
    paragraph = "word " * 30
    html = f"{paragraph.strip()}\n\n{paragraph.strip()}\nline two {paragraph}"
    first, *_ = split_html(html, 200)
    assert first == paragraph.strip()  # the paragraph break, though a line break and spaces come later


def test_a_long_pre_block_is_split_into_valid_blocks() -> None:
    """What /mydata used to send: a JSON dump in <pre>, longer than a message."""
    dump = "\n".join(f'  "question {n}": "quanto costa &lt;il&gt; biglietto del treno?",' for n in range(400))
    parts = split_html(f"Everything stored about you:\n<pre>{dump}</pre>")
    assert len(parts) > 1
    for part in parts:
        parse_html(part)
        assert part.count("<pre>") == part.count("</pre>") == 1


def test_tags_open_at_a_cut_are_reopened_with_their_attributes() -> None:
    html = '<b>bold <a href="https://example.org/x">' + "link text " * 20 + "</a> end</b>"
    parts = split_html(html, 50)
    assert all(p.startswith("<b>") and p.endswith("</b>") for p in parts)
    assert parts[1].startswith('<b><a href="https://example.org/x">')


def test_splitting_takes_linear_time() -> None:
    def seconds(size: int) -> float:
        html = "<b>" + ("parola &amp; 😀 " * (size // 16)) + "</b>" + "x" * size
        began = time.perf_counter()
        split_html(html)
        return time.perf_counter() - began

    small, large = min(seconds(100_000) for _ in range(3)), min(seconds(1_000_000) for _ in range(3))
    assert large < small * 25  # 10x the input: ~10x the time (quadratic would be ~100x)


async def test_a_long_pre_block_reaches_the_user_through_the_bot_api(api: FakeBotAPI) -> None:
    """End to end through the loopback Bot API, which refuses unbalanced HTML as Telegram does."""
    from telegram.ext import ExtBot

    from bot.telegram.app import DEFAULTS
    from bot.telegram.sending import send_html

    user = make_user(4242)
    dump = "\n".join(f'  "text": "domanda numero {n} sul bando &amp; le PMI",' for n in range(300))
    async with ExtBot(api.token, base_url=api.base_url, defaults=DEFAULTS) as bot:
        await send_html(bot, user["id"], f"Tutto ciò che è conservato su di te:\n<pre>{dump}</pre>")
    sent = api.sent_messages(user["id"])
    assert len(sent) >= 3
    assert all(message["entities"][-1]["type"] == "pre" for message in sent)
    assert "domanda numero 299" in sent[-1]["text"]
