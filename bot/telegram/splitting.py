"""Split Telegram HTML into messages Telegram accepts: each within the length limit, each valid on its own.

Every sender goes through `split_html` (sending.send_html). A part never ends inside a tag or an entity (`&amp;`),
and tags open at a cut are closed at the end of the part and opened again, with the same attributes, at the start
of the next, so a long `<pre>` block or a link across a cut stays valid (Telegram refuses a message whose tags do
not balance). Cuts fall at a paragraph break if there is one late enough in the part, else at a line break, else
at a space, else anywhere between two characters.

One pass, linear in the input: the text after a cut is read again at most once, and the open tags are a persistent
linked list, so remembering them at each possible cut costs nothing.
"""

import re
from dataclasses import dataclass

MAX_MESSAGE_CHARS = 4096  # Telegram's limit, counted on the text after parsing (tags removed, entities decoded)

# A start tag: its name, then attributes up to the first '>' that is not inside a quoted value.
_START_TAG = re.compile(r"""<([A-Za-z][A-Za-z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>""")
_END_TAG = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)?\s*>")
# What Telegram decodes: &lt; &gt; &amp; &quot; and numeric references; anything else after '&' is literal text.
_ENTITY = re.compile(r"&(?:([A-Za-z]+)|#[xX]([0-9a-fA-F]*)|#([0-9]*));?")
_NAMED = frozenset({"lt", "gt", "amp", "quot"})
_PLAIN = re.compile(r"[^<&\s]+")
_SPACE = re.compile(r"\s+")
_ANY_TAG = re.compile(r"""<(?:[^>"']|"[^"]*"|'[^']*')*>""")
_BREAKS = ("\n\n", "\n", " ")  # cut preferences, best first
_MIN_SHARE = 4  # a preferred cut must leave at least 1/4 of the limit in the part, or a worse kind is taken


@dataclass(frozen=True, slots=True)
class _Open:
    """An open tag and the tags open around it (a persistent stack: a snapshot is just a reference)."""

    name: str
    start_tag: str
    outer: "_Open | None"

    def start_tags(self) -> str:
        return "".join(tag.start_tag for tag in reversed(list(self._chain())))

    def end_tags(self) -> str:
        return "".join(f"</{tag.name}>" for tag in self._chain())

    def _chain(self) -> "list[_Open]":
        chain: list[_Open] = []
        tag: _Open | None = self
        while tag is not None:
            chain.append(tag)
            tag = tag.outer
        return chain


@dataclass(frozen=True, slots=True)
class _Cut:
    end: int  # the part ends here (exclusive)
    resume: int  # the next part starts here (whitespace at the cut is dropped: Telegram trims it anyway)
    open_tags: _Open | None


def split_html(html: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """`html` as one or more messages of at most `limit` characters of text each (counted in UTF-16 code units,
    as Telegram does), none of them blank."""
    if limit < 2:
        raise ValueError("limit must leave room for at least one character")
    if _utf16_width(html) <= limit:
        # Almost every reply fits. Tags count 0 and an entity at most its own length, so a text whose raw width
        # fits has nothing to cut: the full pass would return it as it is, whitespace-only text included.
        return [html]
    return _cut(html, limit)


def _cut(html: str, limit: int) -> list[str]:
    """The full pass of `split_html`."""
    parts: list[str] = []
    start, open_tags = 0, None
    while True:
        cut = _next_cut(html, start, open_tags, limit)
        reopened = open_tags.start_tags() if open_tags else ""
        if cut is None:
            parts.append(reopened + html[start:])
            break
        closed = cut.open_tags.end_tags() if cut.open_tags else ""
        parts.append(reopened + html[start : cut.end] + closed)
        start, open_tags = cut.resume, cut.open_tags
    shown = [part for part in parts if not _blank(part)]
    return shown or [html]  # nothing but whitespace: sent as is, for Telegram to refuse as it would anyway


def _next_cut(html: str, start: int, open_tags: _Open | None, limit: int) -> _Cut | None:
    """Where the part that starts at `start` must end, or None when the rest fits."""
    width = 0
    best: dict[str, _Cut] = {}
    i, n = start, len(html)
    while i < n:
        char = html[i]
        if char == "<":
            if match := _END_TAG.match(html, i):
                if open_tags is not None:
                    open_tags = open_tags.outer
                i = match.end()
                continue
            if match := _START_TAG.match(html, i):
                open_tags = _Open(match.group(1).lower(), match.group(0), open_tags)
                i = match.end()
                continue
            step, cost = 1, 1  # a '<' that starts no tag: Telegram refuses the text, and will do so still
        elif char == "&":
            match = _ENTITY.match(html, i)
            step = match.end() - i if match else 1
            cost = _entity_width(match) if match else 1
        elif char.isspace():
            end = _SPACE.match(html, i).end()  # type: ignore[union-attr]
            if width * _MIN_SHARE >= limit:
                kind = "\n\n" if html.count("\n", i, end) >= 2 else "\n" if "\n" in html[i:end] else " "
                best[kind] = _Cut(i, end, open_tags)
            cost = _utf16_width(html[i:end])
            if width + cost > limit:
                return _choose(best) or _Cut(i, end, open_tags)
            width += cost
            i = end
            continue
        else:
            match = _PLAIN.match(html, i, i + limit - width + 1)  # no further than the part can reach
            step = match.end() - i if match else 1
            cost = _utf16_width(html[i : i + step])
            if width + cost > limit:
                fits = i + _fitting_prefix(html[i : i + step], limit - width)
                return _choose(best) or _Cut(fits, fits, open_tags)
            width += cost
            i += step
            continue
        if width + cost > limit and width > 0:
            return _choose(best) or _Cut(i, i, open_tags)
        width += cost
        i += step
    return None


def _choose(best: dict[str, _Cut]) -> _Cut | None:
    return next((best[kind] for kind in _BREAKS if kind in best), None)


def _entity_width(match: re.Match[str]) -> int:
    """1 or 2 for a reference Telegram decodes; otherwise the '&' and what follows are literal text."""
    raw = match.group(0)
    if match.group(1) is not None:
        return 1 if match.group(1) in _NAMED else _utf16_width(raw)
    hexadecimal = match.group(2) is not None
    digits = match.group(2) if hexadecimal else match.group(3)
    code = int(digits, 16 if hexadecimal else 10) if digits else 0
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF or len(raw.rstrip(";")) >= 10:
        return len(raw)
    return 2 if code > 0xFFFF else 1


def _utf16_width(text: str) -> int:
    return len(text) if text.isascii() else len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _fitting_prefix(run: str, room: int) -> int:
    """How many characters of `run` fit in `room` UTF-16 code units."""
    if run.isascii():
        return room
    used = 0
    for index, ch in enumerate(run):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > room:
            return index
    return len(run)


def _blank(part: str) -> bool:
    return not _ANY_TAG.sub("", part).strip()
