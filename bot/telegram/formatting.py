"""Turn replies into Telegram HTML (sending.send_html splits it within Telegram's message limits)."""

from html import escape

from bot.assistant import AnswerPart, Reply, Source

MAX_BUTTON_LABEL = 60


def button_label(text: str, limit: int = MAX_BUTTON_LABEL) -> str:
    """Labels longer than a phone screen (or `limit`) are cut with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


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
