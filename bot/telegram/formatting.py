"""Turn replies into Telegram HTML within Telegram's message limits."""

from html import escape

from bot.assistant import AnswerPart, Reply, Source

MAX_MESSAGE_CHARS = 4096
MAX_BUTTON_LABEL = 60


def button_label(text: str) -> str:
    """Labels longer than a phone screen are cut with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_BUTTON_LABEL else text[: MAX_BUTTON_LABEL - 1].rstrip() + "…"


def source_html(source: Source, lang: str) -> str:
    title = escape(source.title.get(lang))
    return f'<a href="{escape(source.url, quote=True)}">{title}</a>' if source.url else title


def part_html(part: AnswerPart, lang: str) -> str:
    html = escape(part.body)
    if part.note:
        html = f"<b>{escape(part.note)}</b> {html}"
    if part.heading:
        html = f"<b>{escape(part.heading)}</b>\n{html}"
    if part.sources:
        links = "; ".join(source_html(s, lang) for s in part.sources)
        html += f"\n\n<i>{escape(part.source_label)}</i> {links}"
    return html


def reply_html(reply: Reply) -> str:
    sections = [escape(reply.body)] if reply.body else []
    sections += [part_html(part, reply.lang) for part in reply.parts]
    if reply.unanswered_note:
        sections.append(f"<i>{escape(reply.unanswered_note)}</i>")
    return "\n\n".join(sections)


def split_message(html: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Split at paragraph, then line, then space boundaries so no part exceeds `limit`.

    Tags the bot writes itself (<a>, <i>, <b>) never span a line break, so cutting at line breaks keeps them whole;
    escaped text has no raw '<' to cut in two.
    """
    parts: list[str] = []
    rest = html
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut <= limit // 4:
            cut = window.rfind(" ")
        if cut <= limit // 4:
            amp = window.rfind("&")
            cut = amp if amp > window.rfind(";") else limit  # never cut an entity such as &amp; in two
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest.strip() or not parts:
        parts.append(rest)
    return parts
