"""A loopback fake of the Telegram Bot API for end-to-end tests of the bot.

``FakeBotAPI`` is an aiohttp server bound to 127.0.0.1 that speaks the Bot API wire protocol closely
enough for an unmodified python-telegram-bot (PTB) ``Bot`` or ``Application`` to run against it::

    async with FakeBotAPI() as server:
        app = ApplicationBuilder().token(server.token).base_url(server.base_url).build()
        ...
        user = make_user(42)
        server.push_update(server.text_message(user, "ciao"))
        [reply] = await server.wait_for_messages(42)

What it emulates (checked against PTB 22.8 and the behaviour of api.telegram.org):

* URLs ``/bot<token>/<method>`` (also ``/bot<token>/test/<method>``), GET or POST, with parameters in
  the query string, a form (``application/x-www-form-urlencoded`` or ``multipart/form-data``, without
  files: the bot sends none) or a JSON body. Form values arrive as strings; values that are not strings
  in the API (numbers, booleans, objects, arrays) are JSON-decoded, parameters whose API type is String
  never are.
  Method names are case-insensitive, as on Telegram.
* Answers ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N, "description": ...,
  "parameters": {...}}`` with HTTP status N. A wrong but well-formed token gets 401 "Unauthorized",
  a malformed token or path 404 "Not Found", a method the fake does not implement 404
  "Not Found: method not found" (PTB turns 401/404 into ``InvalidToken``, or into
  ``EndPointNotFound`` in ``Bot.do_api_request`` once the bot is initialised).
* ``getUpdates`` long polling: ``offset`` confirms (drops) older updates, negative offsets, ``limit``,
  ``timeout`` (returns as soon as an update is pushed), ``allowed_updates`` with Telegram's default
  (everything except ``chat_member``, ``message_reaction`` and ``message_reaction_count``); a second
  concurrent ``getUpdates`` ends the first with 409 Conflict; ``getUpdates`` while a webhook is set
  is a 409 too.
* Sent text goes through Telegram's formatting: ``parse_mode`` HTML (the only mode the bot uses) is parsed
  into text + entities with Telegram's error messages (``Bad Request: can't parse entities: ...``),
  the text is trimmed, empty text and text over 4096 characters are rejected, and URLs, mentions,
  hashtags, cashtags, e-mails and bot commands are detected as entities. Inline keyboards are
  validated (``callback_data`` of 1-64 bytes, one action per button) and echoed in the result.
* ``sendDocument`` takes an uploaded file (multipart), its caption parsed like a text (at most 1024
  characters); the file's bytes are kept in ``documents_to(chat_id)``.
* Files users send: ``document_message(user, content=b"...")`` makes a document with real bytes;
  ``getFile`` answers its ``file_path`` (400 "invalid file_id" for an unknown id, "file is too big" over
  Telegram's 20 MB download limit) and ``GET /file/bot<token>/<file_path>`` serves the bytes, as
  api.telegram.org does (404 for an unknown path, 401 for a wrong token). Downloads are recorded in
  ``downloads``.
* ``editMessageText``/``editMessageReplyMarkup`` know the messages of each chat, answer "message is
  not modified" like Telegram, and editing the text without ``reply_markup`` drops the keyboard.

Everything the server receives is recorded as a ``Call``; faults (errors, blocked or missing chats,
rate limits, slow methods) can be injected. It keeps every handler O(1) in the number of calls so
that it can take many thousands of requests. Only the methods the bot calls are emulated (getMe, webhooks,
getUpdates, sendMessage, sendDocument, getFile, editMessageText/ReplyMarkup, answerCallbackQuery, setMyCommands,
sendChatAction); any other answers 404, so a new call in the bot shows up in the tests at once.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import logging
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "Call",
    "FakeBotAPI",
    "FormattingError",
    "channel_chat",
    "detect_entities",
    "group_chat",
    "make_user",
    "parse_html",
    "private_chat",
]

_LOGGER = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:TEST-token"

#: Largest message text after entity parsing, in characters (Unicode code points).
MAX_MESSAGE_LENGTH = 4096

_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_PATH_RE = re.compile(r"^/bot([^/]*)/(?:test/)?([^/]+)/?$")
_FILE_PATH_RE = re.compile(r"^/file/bot([^/]*)/(.+)$")
#: The largest file a bot may download through getFile.
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
_INT_RE = re.compile(r"^-?\d+$")
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# Parameters whose Bot API type is String: form values for them are never JSON-decoded, so that a text
# such as "42" or "true" stays a string.
_STRING_PARAMS = frozenset(
    {
        "action",
        "address",
        "animation",
        "audio",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "certificate",
        "currency",
        "custom_emoji_id",
        "custom_title",
        "description",
        "document",
        "emoji",
        "error_message",
        "explanation",
        "explanation_parse_mode",
        "file_id",
        "first_name",
        "format",
        "foursquare_id",
        "foursquare_type",
        "game_short_name",
        "gift_id",
        "google_place_id",
        "google_place_type",
        "icon_custom_emoji_id",
        "inline_message_id",
        "inline_query_id",
        "invite_link",
        "ip_address",
        "language_code",
        "last_name",
        "message_effect_id",
        "name",
        "next_offset",
        "parse_mode",
        "payload",
        "performer",
        "phone_number",
        "photo",
        "pre_checkout_query_id",
        "provider_data",
        "provider_token",
        "query",
        "question",
        "question_parse_mode",
        "secret_token",
        "set_name",
        "shipping_query_id",
        "short_description",
        "start_parameter",
        "sticker",
        "sticker_set_name",
        "switch_pm_parameter",
        "switch_pm_text",
        "text",
        "text_parse_mode",
        "thumbnail",
        "title",
        "url",
        "vcard",
        "video",
        "video_note",
        "voice",
        "web_app_query_id",
    }
)
# String parameters that may also carry JSON (sendMediaGroup/editMessageMedia "media").
_JSON_OR_STRING_PARAMS = frozenset({"media"})

# Update kinds Telegram delivers when a bot never specified allowed_updates (or sent an empty list).
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

_MESSAGE_KEYS = ("message", "edited_message", "channel_post", "edited_channel_post", "business_message")


# --------------------------------------------------------------------------------------------------------
# Errors and records
# --------------------------------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answer of the Bot API. Raise it from a custom handler (see ``FakeBotAPI.handle``)."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {description}")
        self.status = status
        self.description = description
        self.parameters = dict(parameters or {})
        if retry_after is not None:
            self.parameters["retry_after"] = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class FormattingError(ValueError):
    """Text that Telegram cannot parse in the given parse_mode (the message is Telegram's, unprefixed)."""


def _bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def _chat_not_found() -> ApiError:
    return _bad_request("chat not found")


@dataclass(eq=False)
class Call:
    """One request the server received. ``status`` is None while the request is being answered, 499 when
    the client closed the connection before the answer (as PTB does with its long poll on shutdown)."""

    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() at arrival
    status: int | None = None
    description: str | None = None
    result: Any = None
    http_method: str = "POST"

    @property
    def ok(self) -> bool:
        return self.status == 200

    def __repr__(self) -> str:
        state = "pending" if self.status is None else str(self.status)
        extra = f" {self.description!r}" if self.description else ""
        return f"Call({self.method} -> {state}{extra}, params={_short(self.params)})"


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------------------------------------
# Update builders that do not need a server
# --------------------------------------------------------------------------------------------------------


def make_user(
    user_id: int,
    first_name: str = "Ada",
    language_code: str | None = "it",
    username: str | None = None,
    *,
    last_name: str | None = None,
    is_bot: bool = False,
    is_premium: bool | None = None,
) -> dict[str, Any]:
    """A Telegram ``User`` as it appears in updates."""
    user: dict[str, Any] = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
    if last_name:
        user["last_name"] = last_name
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    if is_premium:
        user["is_premium"] = True
    return user


def private_chat(user: dict[str, Any]) -> dict[str, Any]:
    """The private ``Chat`` between the bot and ``user``."""
    chat: dict[str, Any] = {"id": user["id"], "type": "private", "first_name": user.get("first_name", "")}
    for key in ("last_name", "username"):
        if user.get(key):
            chat[key] = user[key]
    return chat


def group_chat(chat_id: int, title: str = "Test group", *, username: str | None = None) -> dict[str, Any]:
    """A group ``Chat``: a supergroup when the id has the -100... form, else a basic group."""
    if chat_id >= 0:
        raise ValueError("group chat ids are negative")
    chat_type = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type, "title": title}
    if username:
        chat["username"] = username
    return chat


def channel_chat(chat_id: int, title: str = "Test channel", *, username: str | None = None) -> dict[str, Any]:
    """A channel ``Chat`` (ids of the -100... form)."""
    if chat_id > -1_000_000_000_000:
        raise ValueError("channel chat ids have the form -100xxxxxxxxxx")
    chat: dict[str, Any] = {"id": chat_id, "type": "channel", "title": title}
    if username:
        chat["username"] = username
    return chat


def _chat_type_for_id(chat_id: int) -> str:
    if chat_id > 0:
        return "private"
    return "supergroup" if chat_id <= -1_000_000_000_000 else "group"


# --------------------------------------------------------------------------------------------------------
# Text formatting: Telegram's parse modes and automatic entities
# --------------------------------------------------------------------------------------------------------

_WS = " \t\r\n\v\0"
_TRIM = " \t\r\n"


def _cu(ch: str) -> int:
    """UTF-16 code units of one character."""
    return 2 if ord(ch) > 0xFFFF else 1


def _utf16_len(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _html_entity(text: str, pos: int) -> tuple[str | None, int]:
    """Decode the HTML entity at ``text[pos] == '&'`` like Telegram (named: lt, gt, amp, quot; numeric).

    Returns (character, position after it) or (None, pos) when it is not an entity (the '&' is literal).
    """
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        code = 0
        if end < n and text[end] in "xX":
            end += 1
            start = end
            while end < n and text[end] in "0123456789abcdefABCDEF":
                end += 1
            digits = text[start:end]
            code = int(digits, 16) if digits else 0
        else:
            start = end
            while end < n and text[end].isascii() and text[end].isdigit():
                end += 1
            digits = text[start:end]
            code = int(digits) if digits else 0
        if code == 0 or code >= 0x10FFFF or end - pos >= 10 or 0xD800 <= code <= 0xDFFF:
            return None, pos
        char = chr(code)
    else:
        start = end
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        char = _HTML_NAMED.get(text[start:end])
        if char is None:
            return None, pos
    if end < n and text[end] == ";":
        end += 1
    return char, end


_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
        "tg-time",
    }
)
_HTML_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_URL_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://", re.ASCII)
_HOST_RE = re.compile(
    r"(?:[A-Za-z0-9\u00a1-\uffff](?:[A-Za-z0-9\u00a1-\uffff-]*[A-Za-z0-9\u00a1-\uffff])?\.)+"
    r"[A-Za-z\u00a1-\uffff][A-Za-z0-9\u00a1-\uffff-]*[A-Za-z0-9\u00a1-\uffff]"
    r"|\d{1,3}(?:\.\d{1,3}){3}|localhost"
)


def _check_link(url: str) -> str | None:
    """Roughly tdlib's LinkManager::check_link: the normalised URL for a text_link entity, or None when
    Telegram would drop the link (unsupported scheme, no valid host)."""
    url = url.strip()
    if not url:
        return None
    match = _URL_SCHEME_RE.match(url)
    if match:
        scheme = match.group(1).lower()
        if scheme in ("tg", "ton"):
            return url
        if scheme not in ("http", "https"):
            return None
        rest = url[match.end() :]
    else:
        rest = url
        url = "http://" + url
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    host = authority.rsplit("@", 1)[-1]
    host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if not _HOST_RE.fullmatch(host):
        return None
    if authority == rest:
        url += "/"
    return url


def _link_entity(url: str, offset: int, length: int, users: dict[int, dict[str, Any]] | None) -> dict | None:
    match = re.match(r"^tg://user\?id=(\d+)$", url.strip())
    if match:
        user_id = int(match.group(1))
        user = (users or {}).get(user_id) or {"id": user_id, "is_bot": False, "first_name": ""}
        return {"type": "text_mention", "offset": offset, "length": length, "user": dict(user)}
    checked = _check_link(url)
    if checked is None:
        return None
    return {"type": "text_link", "offset": offset, "length": length, "url": checked}


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    offset: int  # UTF-16 offset in the result
    out_index: int  # index into the output chunk list
    byte_offset: int


def parse_html(text: str, *, users: dict[int, dict[str, Any]] | None = None) -> tuple[str, list[dict]]:
    """Parse ``parse_mode="HTML"`` text like Telegram (tdlib's parse_html).

    Returns (plain text, entities with UTF-16 offsets) or raises ``FormattingError`` with Telegram's
    reason, e.g. ``Unsupported start tag "br" at byte offset 5``.
    """
    out: list[str] = []
    entities: list[dict] = []
    stack: list[_OpenTag] = []
    u16 = 0
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "&":
            char, after = _html_entity(text, i)
            if char is not None:
                out.append(char)
                u16 += _cu(char)
                i = after
                continue
        if c != "<":
            out.append(c)
            u16 += _cu(c)
            i += 1
            continue
        begin = i
        i += 1
        if i < n and text[i] == "/":
            if not stack:
                raise FormattingError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
            i += 1
            start = i
            while i < n and text[i] not in _WS and text[i] != ">":
                i += 1
            end_name = text[start:i].lower()
            while i < n and text[i] in _WS:
                i += 1
            if i >= n or text[i] != ">":
                raise FormattingError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
            i += 1
            tag = stack.pop()
            if end_name and end_name != tag.name:
                raise FormattingError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{tag.name}>", found "</{end_name}>"'
                )
            length = u16 - tag.offset
            if length > 0:
                _close_html_tag(tag, length, "".join(out[tag.out_index :]), entities, users)
            continue

        start = i
        while i < n and text[i] not in _WS and text[i] != ">":
            i += 1
        if i >= n:
            raise FormattingError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        name = text[start:i].lower()
        if name not in _HTML_TAGS:
            raise FormattingError(f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, begin)}')
        attrs: dict[str, str] = {}
        while True:
            while i < n and text[i] in _WS:
                i += 1
            if i >= n:
                raise FormattingError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            if text[i] == ">":
                i += 1
                break
            attr_begin = i
            while i < n and text[i] not in _WS and text[i] not in "=>":
                i += 1
            attr_name = text[attr_begin:i].lower()
            if not attr_name:
                where = _byte_offset(text, attr_begin)
                raise FormattingError(f'Empty attribute name in the tag "{name}" at byte offset {where}')
            while i < n and text[i] in _WS:
                i += 1
            if i >= n:
                raise FormattingError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            if text[i] != "=":
                if name == "blockquote" and attr_name == "expandable":
                    attrs[attr_name] = ""
                    continue
                raise FormattingError(
                    f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                    f"at byte offset {_byte_offset(text, attr_begin)}"
                )
            i += 1
            while i < n and text[i] in _WS:
                i += 1
            if i >= n:
                raise FormattingError(f'Unclosed start tag "{name}" at byte offset {_byte_offset(text, begin)}')
            quote = text[i]
            if quote in "'\"":
                i += 1
                value_chars: list[str] = []
                while i < n and text[i] != quote:
                    if text[i] == "&":
                        char, after = _html_entity(text, i)
                        if char is not None:
                            value_chars.append(char)
                            i = after
                            continue
                    value_chars.append(text[i])
                    i += 1
                if i < n:
                    i += 1
                value = "".join(value_chars)
            else:
                value_begin = i
                while i < n and text[i].isascii() and (text[i].isalnum() or text[i] in ".-"):
                    i += 1
                value = text[value_begin:i].lower()
                if i < n and text[i] not in _WS and text[i] != ">":
                    raise FormattingError(
                        f"Unexpected end of name token at byte offset {_byte_offset(text, value_begin)}"
                    )
            if i >= n:
                raise FormattingError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            attrs.setdefault(attr_name, value)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise FormattingError(f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}')
        stack.append(_OpenTag(name, attrs, u16, len(out), _byte_offset(text, begin)))
    if stack:
        raise FormattingError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return "".join(out), _sort_entities(entities)


def _close_html_tag(
    tag: _OpenTag, length: int, inner: str, entities: list[dict], users: dict[int, dict[str, Any]] | None
) -> None:
    offset = tag.offset
    name = tag.name
    if name in _HTML_SIMPLE:
        entities.append({"type": _HTML_SIMPLE[name], "offset": offset, "length": length})
    elif name == "a":
        entity = _link_entity(tag.attrs.get("href") or inner, offset, length, users)
        if entity:
            entities.append(entity)
    elif name == "code":
        entity = {"type": "code", "offset": offset, "length": length}
        language = tag.attrs.get("class", "")
        if language.startswith("language-") and len(language) > 9:
            entity["_language"] = language[9:]
        entities.append(entity)
    elif name == "pre":
        entity = {"type": "pre", "offset": offset, "length": length}
        if (
            entities
            and entities[-1]["type"] == "code"
            and entities[-1]["offset"] == offset
            and (entities[-1]["length"] == length)
        ):
            inner_code = entities.pop()
            if inner_code.get("_language"):
                entity["language"] = inner_code["_language"]
        entities.append(entity)
    elif name == "blockquote":
        kind = "expandable_blockquote" if "expandable" in tag.attrs else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})
    elif name == "tg-emoji":
        emoji_id = tag.attrs.get("emoji-id", "")
        if not _INT_RE.match(emoji_id) or int(emoji_id) == 0:
            raise FormattingError("Invalid custom emoji identifier specified")
        entities.append({"type": "custom_emoji", "offset": offset, "length": length, "custom_emoji_id": emoji_id})
    elif name == "tg-time":
        unix = tag.attrs.get("unix", "")
        if _INT_RE.match(unix):
            entity = {"type": "date_time", "offset": offset, "length": length, "unix_time": int(unix)}
            if tag.attrs.get("format"):
                entity["date_time_format"] = tag.attrs["format"]
            entities.append(entity)


_V2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_V2_TYPE_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


_ENTITY_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}


def _sort_entities(entities: list[dict]) -> list[dict]:
    for entity in entities:
        entity.pop("_language", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"], _ENTITY_PRIORITY.get(e["type"], 50)))
    return entities


_TLDS = "com|org|net|eu|it|io|gov|edu|int|info|me|dev|app|uk|de|fr|es|be|nl|at|ch|pt|pl|ru|us|ai|co|tv|ly|gl|to"
_AUTO_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "email",
        re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?!\w)"),
    ),
    (
        "url",
        re.compile(
            r"(?<![\w@/.])(?:(?:https?|tg|ton)://[^\s<>\"']+|www\.[^\s<>\"']+"
            rf"|(?:[A-Za-z0-9-]+\.)+(?:{_TLDS})(?![\w-])(?:[/?#][^\s<>\"']*)?)(?<![.,;:!?'\")\]])",
            re.IGNORECASE,
        ),
    ),
    ("bot_command", re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{2,32}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#])#(?=\w*[^\W\d_])\w{1,256}(?![\w#])")),
    ("cashtag", re.compile(r"(?<![\w$])\$[A-Z]{1,8}(?![\w$])")),
)


def detect_entities(text: str) -> list[dict]:
    """Entities Telegram finds by itself: url, email, bot_command, mention, hashtag, cashtag."""
    if not any(ch in text for ch in "/@#$.:"):
        return []
    found: list[tuple[int, int, str]] = []
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < other_end and other_start < end for other_start, other_end, _ in found):
                continue
            found.append((start, end, kind))
    if not found:
        return []
    found.sort()
    astral = not text.isascii() and any(ord(ch) > 0xFFFF for ch in text)
    result = []
    for start, end, kind in found:
        if astral:
            offset = _utf16_len(text[:start])
            length = _utf16_len(text[start:end])
        else:
            offset, length = start, end - start
        result.append({"type": kind, "offset": offset, "length": length})
    return result


def _trim(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Strip leading/trailing whitespace like Telegram does, moving and clipping the entities."""
    stripped = text.strip(_TRIM)
    if stripped == text:
        return text, entities
    lead = _utf16_len(text[: len(text) - len(text.lstrip(_TRIM))])
    total = _utf16_len(stripped)
    clipped = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            clipped.append({**entity, "offset": start, "length": end - start})
    return stripped, clipped


_NO_AUTO_OVERLAP = frozenset({"code", "pre", "text_link", "text_mention", "custom_emoji"})


def format_text(
    text: Any,
    parse_mode: Any = None,
    entities: Any = None,
    *,
    users: dict[int, dict[str, Any]] | None = None,
) -> tuple[str, list[dict]]:
    """Text and entities of a message as Telegram stores it. Raises ``ApiError`` (400) like Telegram."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        text = json.dumps(text) if not isinstance(text, int | float) else str(text)
    mode = parse_mode.strip().lower() if isinstance(parse_mode, str) else ""
    try:
        if mode in ("", "none"):
            plain = text
            parsed = [dict(e) for e in entities] if isinstance(entities, list) else []
        elif mode == "html":
            plain, parsed = parse_html(text, users=users)
        else:  # the bot writes HTML only; MarkdownV2 and Markdown are not emulated
            raise _bad_request("unsupported parse_mode")
    except FormattingError as exc:
        raise _bad_request(f"can't parse entities: {exc}") from None
    plain, parsed = _trim(plain, parsed)
    auto = detect_entities(plain)
    if auto:
        blocked = [(e["offset"], e["offset"] + e["length"]) for e in parsed if e["type"] in _NO_AUTO_OVERLAP]
        taken = {(e["offset"], e["length"], e["type"]) for e in parsed}
        for entity in auto:
            start, end = entity["offset"], entity["offset"] + entity["length"]
            if (start, entity["length"], entity["type"]) in taken:
                continue
            if any(start < b_end and b_start < end for b_start, b_end in blocked):
                continue
            parsed.append(entity)
        parsed = _sort_entities(parsed)
    return plain, parsed


# --------------------------------------------------------------------------------------------------------
# Value decoding
# --------------------------------------------------------------------------------------------------------


def _decode_value(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key in _STRING_PARAMS:
        return value
    stripped = value.strip()
    if not stripped:
        return value
    if key in _JSON_OR_STRING_PARAMS and stripped[0] not in "[{":
        return value
    if stripped[0] in '{["-0123456789' or stripped in ("true", "false", "null"):
        try:
            return json.loads(stripped)
        except ValueError:
            return value
    return value


def _as_int(value: Any, default: int, name: str) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        return int(value)
    raise _bad_request(f'field "{name}" must be of type Integer')


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


# --------------------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------------------

Handler = Callable[[dict[str, Any], Call], Any]


@dataclass
class _Fault:
    status: int
    description: str
    parameters: dict[str, Any]
    times: int


class FakeBotAPI:
    """A fake Telegram Bot API server on 127.0.0.1 for PTB end-to-end tests.

    Pass ``server.base_url`` to ``ApplicationBuilder().base_url(...)`` or ``telegram.Bot(base_url=...)``.

    ``strict_chats=True`` makes sending to a chat the fake has never seen (in a pushed update or with
    ``add_chat``) fail with 400 "chat not found"; by default such chats are made up (a private chat for
    positive ids, a group for negative ones).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_user_id: int = 999000,
        username: str = "escp_test_bot",
        first_name: str = "ESCP-S3 Test Bot",
        host: str = "127.0.0.1",
        port: int = 0,
        strict_chats: bool = False,
    ) -> None:
        if host not in _LOOPBACK_HOSTS:
            raise ValueError(f"FakeBotAPI only listens on the loopback interface, not {host!r}")
        self.token = token
        self.bot_user_id = bot_user_id
        self.username = username
        self.first_name = first_name
        self.host = host
        self._port = port
        self.strict_chats = strict_chats

        self._runner: web.AppRunner | None = None
        self._stopping = False
        self._stopped: asyncio.Future[None] | None = None

        # recording
        self.calls: list[Call] = []
        self._calls_by_method: dict[str, list[Call]] = {}
        self._messages_by_chat: dict[int | str, list[dict[str, Any]]] = {}
        self._sent_by_chat: dict[int | str, list[dict[str, Any]]] = {}
        self._documents_by_chat: dict[int | str, list[tuple[str, bytes]]] = {}
        self._files: dict[str, tuple[str, str, bytes]] = {}  # file_id -> (file_unique_id, file_path, bytes)
        self.downloads: list[str] = []  # file paths downloaded, in order
        self._watchers: list[asyncio.Future[None]] = []
        self.unknown_methods: list[str] = []
        self.dropped_updates: list[dict[str, Any]] = []

        # updates
        self._updates: deque[dict[str, Any]] = deque()
        self._next_update_id = 1
        self._poll_waiter: asyncio.Future[str] | None = None
        self.allowed_updates: list[str] | None = None
        self.webhook_url = ""
        self._webhook_options: dict[str, Any] = {}

        # Telegram-side state
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self._usernames: dict[str, int] = {}
        self._last_message_id: dict[int, int] = {}
        self._store: dict[tuple[int, int], dict[str, Any]] = {}
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._ids = itertools.count(1)

        # faults
        self._faults: dict[str, deque[_Fault]] = {}
        self._blocked: dict[int, str | None] = {}
        self._missing: set[int] = set()
        self._delays: dict[str, float] = {}
        self._after_effects: dict[str, deque[float | None]] = {}  # per method: answer late (seconds) or drop (None)
        self._rate_per_second: float | None = None
        self._rate_retry_after = 1
        self._rate_window: deque[float] = deque()
        self._rate_capacity = 0
        self._rate_period = 1.0
        self._per_chat_limit = False
        self._rate_methods: frozenset[str] = frozenset({"sendMessage"})
        self._last_chat_send: dict[int, float] = {}
        self.too_many_requests_sent = 0

        self._handlers: dict[str, tuple[str, Handler]] = {}
        for name, func in (
            ("getMe", self._get_me),
            ("logOut", self._true),
            ("close", self._true),
            ("deleteWebhook", self._delete_webhook),
            ("setWebhook", self._set_webhook),
            ("getWebhookInfo", self._get_webhook_info),
            ("getUpdates", self._get_updates),
            ("sendMessage", self._send_message),
            ("sendDocument", self._send_document),
            ("getFile", self._get_file),
            ("editMessageText", self._edit_message_text),
            ("editMessageReplyMarkup", self._edit_message_reply_markup),
            ("answerCallbackQuery", self._answer_callback_query),
            ("setMyCommands", self._set_my_commands),
            ("sendChatAction", self._send_chat_action),
        ):
            self._handlers[name.lower()] = (name, func)

    # ------------------------------------------------------------------------------------------ life cycle

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("FakeBotAPI has no port yet: await start() first")
        return self._port

    @property
    def base_url(self) -> str:
        """The URL to give PTB as base_url: ``http://127.0.0.1:<port>/bot`` (PTB appends the token)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/bot"

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot as it appears in the ``from`` field of its messages."""
        return {
            "id": self.bot_user_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    async def start(self) -> None:
        """Start listening. After ``stop()``, listens again on the same port, with all state kept."""
        if self._runner is not None:
            return
        loop = asyncio.get_running_loop()
        self._stopping = False
        self._stopped = loop.create_future()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=1.0, handle_signals=False, handler_cancellation=True
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._port, reuse_address=True)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._port = runner.addresses[0][1]
        self._runner = runner
        _LOGGER.debug("FakeBotAPI listening on %s", self.base_url)

    async def stop(self) -> None:
        """Stop listening, as if the server went away: pending long polls and delayed requests get
        502 Bad Gateway, later connections are refused. Updates, chats and records are kept."""
        runner = self._runner
        if runner is None:
            return
        self._stopping = True
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("stopping")
        if self._stopped is not None and not self._stopped.done():
            self._stopped.set_result(None)
        self._runner = None
        await runner.cleanup()
        self._notify()

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------------------------------ recording

    def calls_to(self, method: str) -> list[Call]:
        """Every request to ``method`` (any outcome), oldest first."""
        return list(self._calls_by_method.get(self._canonical(method) or method, ()))

    def messages_to(self, chat_id: int | str) -> list[dict[str, Any]]:
        """Decoded parameters of the successful sendMessage calls to a chat (reply_markup is a dict)."""
        return list(self._messages_by_chat.get(self._lookup_key(chat_id), ()))

    def texts_to(self, chat_id: int | str) -> list[str]:
        """The texts (as Telegram shows them, after parse_mode) of the messages sent to a chat."""
        return [message.get("text", "") for message in self.sent_messages(chat_id)]

    def sent_messages(self, chat_id: int | str) -> list[dict[str, Any]]:
        """The ``Message`` results of the successful sendMessage calls to a chat, parallel to
        ``messages_to`` (as returned at send time; see ``message()`` for the current state)."""
        return list(self._sent_by_chat.get(self._lookup_key(chat_id), ()))

    def last_sent(self, chat_id: int | str) -> dict[str, Any]:
        """The current state of the last message sent with sendMessage to a chat."""
        sent = self._sent_by_chat.get(self._lookup_key(chat_id))
        if not sent:
            raise AssertionError(f"no message was sent to chat {chat_id}\n{self.dump()}")
        key = (sent[-1]["chat"]["id"], sent[-1]["message_id"])
        return self._store.get(key, sent[-1])

    def message(self, chat_id: int | str, message_id: int) -> dict[str, Any] | None:
        """The current state of a message (after edits), or None if unknown or deleted."""
        return self._store.get((self._lookup_key(chat_id), message_id))  # type: ignore[arg-type]

    def clear_calls(self) -> None:
        """Forget recorded calls and messages (not the chat state: message ids, edits, commands...)."""
        self.calls.clear()
        self._calls_by_method.clear()
        self._messages_by_chat.clear()
        self._sent_by_chat.clear()
        self.unknown_methods.clear()

    async def wait_for(self, predicate: Callable[[FakeBotAPI], Any], timeout: float = 5.0, *, what: str = "") -> Any:
        """Wait until ``predicate(self)`` is truthy and return its value; AssertionError after timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate(self)
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate!r}\n{self.dump()}")
            waiter: asyncio.Future[None] = loop.create_future()
            self._watchers.append(waiter)
            try:
                await asyncio.wait((waiter,), timeout=min(remaining, 0.1))
            finally:
                if not waiter.done():
                    waiter.cancel()

    async def wait_for_messages(
        self, chat_id: int | str, count: int = 1, timeout: float = 5.0, *, since: int = 0
    ) -> list[dict[str, Any]]:
        """Wait until at least ``count`` messages were sent to the chat after the first ``since``; return
        all of them (``messages_to(chat_id)[since:]``)."""

        def enough(server: FakeBotAPI) -> list[dict[str, Any]] | None:
            messages = server.messages_to(chat_id)[since:]
            return messages if len(messages) >= count else None

        return await self.wait_for(enough, timeout, what=f"{count} message(s) to chat {chat_id} (since #{since})")

    async def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until ``count`` calls to ``method`` were answered; return all calls to it."""

        def enough(server: FakeBotAPI) -> list[Call] | None:
            calls = server.calls_to(method)
            return calls if sum(1 for c in calls if c.status is not None) >= count else None

        return await self.wait_for(enough, timeout, what=f"{count} answered call(s) to {method}")

    def dump(self, last: int = 25) -> str:
        """A readable summary of recent activity, for assertion messages."""
        lines = []
        interesting = [c for c in self.calls if c.method != "getUpdates"]
        polls = len(self.calls) - len(interesting)
        lines.append(
            f"FakeBotAPI {'running on ' + self.base_url if self.running else 'stopped'}: "
            f"{len(self.calls)} call(s) ({polls} getUpdates), {len(self._updates)} pending update(s)"
        )
        if self.unknown_methods:
            lines.append(f"  unknown methods called: {sorted(set(self.unknown_methods))}")
        for call in interesting[-last:]:
            lines.append(f"  {call!r}")
        if len(interesting) > last:
            lines.insert(1, f"  ... {len(interesting) - last} earlier call(s) not shown")
        return "\n".join(lines)

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._calls_by_method.setdefault(call.method, []).append(call)

    def _notify(self) -> None:
        if self._watchers:
            watchers, self._watchers = self._watchers, []
            for waiter in watchers:
                if not waiter.done():
                    waiter.set_result(None)

    # ------------------------------------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next ``times`` calls to ``method`` with an error (after the token check).

        ``description`` defaults to Telegram's wording for the status (e.g. "Too Many Requests: retry after
        N" for 429). ``retry_after``/``parameters`` go into the response's ``parameters``.
        """
        params = dict(parameters or {})
        if retry_after is not None:
            params["retry_after"] = retry_after
        if description is None:
            description = {
                400: "Bad Request",
                401: "Unauthorized",
                403: "Forbidden",
                404: "Not Found",
                409: "Conflict",
                429: f"Too Many Requests: retry after {retry_after if retry_after is not None else 1}",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(status, "Error")
        name = self._canonical(method) or method
        self._faults.setdefault(name, deque()).append(_Fault(status, description, params, times))

    def block_chat(self, chat_id: int, description: str | None = None) -> None:
        """Sending to the chat (send*, sendChatAction, edits) answers 403, e.g. "Forbidden: bot was
        blocked by the user" for a private chat, "Forbidden: bot was kicked from the group chat"..."""
        self._blocked[chat_id] = description

    def missing_chat(self, chat_id: int) -> None:
        """Every method addressing the chat answers 400 "Bad Request: chat not found"."""
        self._missing.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        """Undo ``block_chat`` and ``missing_chat``."""
        self._blocked.pop(chat_id, None)
        self._missing.discard(chat_id)

    def rate_limit(
        self,
        per_second: float | None,
        retry_after: int = 1,
        *,
        per_chat_limit: bool = False,
        methods: Iterable[str] = ("sendMessage",),
    ) -> None:
        """Limit the sending methods: at most ``per_second`` accepted requests in any sliding window (None:
        no global limit) and, with ``per_chat_limit``, one message per chat per second. Requests over the
        limit get 429 "Too Many Requests: retry after N" with ``parameters.retry_after = N``."""
        self._rate_per_second = per_second
        self._rate_retry_after = retry_after
        self._per_chat_limit = per_chat_limit
        self._rate_methods = frozenset(self._canonical(m) or m for m in methods)
        self._rate_window.clear()
        self._last_chat_send.clear()
        if per_second is not None:
            if per_second <= 0:
                raise ValueError("per_second must be positive (or None for no limit)")
            self._rate_capacity = max(1, round(per_second))
            self._rate_period = self._rate_capacity / per_second

    def delay(self, method: str, seconds: float | None) -> None:
        """Answer ``method`` (or every method but getUpdates, with "*") ``seconds`` late; None/0 removes."""
        name = method if method == "*" else self._canonical(method) or method
        if seconds:
            self._delays[name] = seconds
        else:
            self._delays.pop(name, None)

    def answer_late(self, method: str, seconds: float, *, times: int = 1) -> None:
        """The next ``times`` calls to ``method`` are carried out, but their answer leaves ``seconds`` later (a
        client with a shorter read timeout cannot know that Telegram took the request)."""
        name = self._canonical(method) or method
        self._after_effects.setdefault(name, deque()).extend([seconds] * times)

    def drop_connection(self, method: str, *, times: int = 1) -> None:
        """The next ``times`` calls to ``method`` are carried out, then the connection closes without an answer."""
        name = self._canonical(method) or method
        self._after_effects.setdefault(name, deque()).extend([None] * times)

    def reset_faults(self) -> None:
        """Remove every injected fault, blocked/missing chat, delay and rate limit."""
        self._after_effects.clear()
        self._faults.clear()
        self._blocked.clear()
        self._missing.clear()
        self._delays.clear()
        self.rate_limit(None)

    def handle(self, method: str, handler: Handler | None) -> None:
        """Implement (or override; None removes) a method: ``handler(params, call)`` returns the result,
        may be async, and may raise ``ApiError``."""
        key = method.lower()
        if handler is None:
            self._handlers.pop(key, None)
        else:
            self._handlers[key] = (method, handler)

    # ------------------------------------------------------------------------------------------ updates

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates (waking a pending long poll); assigns and returns its update_id."""
        update_id = self._next_update_id
        self._next_update_id += 1
        update = {**update, "update_id": update_id}
        self._learn_from_update(update)
        self._updates.append(update)
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("update")
        return update_id

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    def add_chat(self, chat: dict[str, Any]) -> dict[str, Any]:
        """Make a chat known (see ``strict_chats``); returns it."""
        self.chats[chat["id"]] = chat
        if chat.get("username"):
            self._usernames[chat["username"].lower()] = chat["id"]
        return chat

    def _learn_user(self, user: dict[str, Any] | None) -> None:
        if not user or (user.get("is_bot") and user.get("id") == self.bot_user_id):
            return
        self.users[user["id"]] = user
        if user["id"] not in self.chats and not user.get("is_bot"):
            self.add_chat(private_chat(user))

    def _learn_message(self, message: dict[str, Any], *, store: bool) -> None:
        chat = message.get("chat")
        if chat:
            self.add_chat(chat)
            message_id = message.get("message_id")
            if isinstance(message_id, int):
                if message_id > self._last_message_id.get(chat["id"], 0):
                    self._last_message_id[chat["id"]] = message_id
                if store:
                    self._store[(chat["id"], message_id)] = message
        self._learn_user(message.get("from"))

    def _learn_from_update(self, update: dict[str, Any]) -> None:
        for key in _MESSAGE_KEYS:
            if key in update:
                self._learn_message(update[key], store=True)
        callback = update.get("callback_query")
        if callback:
            self._learn_user(callback.get("from"))
        for key in ("my_chat_member", "chat_member", "chat_join_request"):
            if key in update:
                self.add_chat(update[key]["chat"])
                self._learn_user(update[key].get("from"))
        for key in ("inline_query", "chosen_inline_result", "shipping_query", "pre_checkout_query"):
            if key in update:
                self._learn_user(update[key].get("from"))

    def _next_message_id(self, chat_id: int) -> int:
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        return message_id

    # ------------------------------------------------------------------------------------------ builders

    def _user_message(
        self,
        user: dict[str, Any],
        chat: dict[str, Any] | None,
        *,
        message_id: int | None = None,
        date: int | None = None,
        reply_to: dict[str, Any] | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        chat = chat if chat is not None else private_chat(user)
        message: dict[str, Any] = {
            "message_id": message_id if message_id is not None else self._next_message_id(chat["id"]),
            "from": user,
            "chat": chat,
            "date": date if date is not None else int(time.time()),
        }
        if reply_to is not None:
            message["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "reply_to_message"}
        message.update(content)
        return message

    def text_message(
        self,
        user: dict[str, Any],
        text: str,
        *,
        chat: dict[str, Any] | None = None,
        entities: list[dict[str, Any]] | None = None,
        reply_to: dict[str, Any] | None = None,
        message_id: int | None = None,
        date: int | None = None,
    ) -> dict[str, Any]:
        """A ``message`` update with text. ``entities=None`` detects them like Telegram (bot_command at
        the start, mentions, URLs, hashtags...); ``chat`` defaults to the user's private chat;
        ``reply_to`` is the message replied to (e.g. ``server.last_sent(chat_id)``)."""
        content: dict[str, Any] = {"text": text}
        found = detect_entities(text) if entities is None else entities
        if found:
            content["entities"] = found
        return {
            "message": self._user_message(user, chat, message_id=message_id, date=date, reply_to=reply_to, **content)
        }

    def command(
        self,
        user: dict[str, Any],
        command: str,
        args: str | None = None,
        *,
        chat: dict[str, Any] | None = None,
        mention_bot: bool = False,
    ) -> dict[str, Any]:
        """A command message: ``command(user, "/start", args="deadlines")`` is "/start deadlines".
        ``mention_bot`` writes "/start@<bot username>" as in groups."""
        command = command if command.startswith("/") else "/" + command
        if mention_bot:
            command = f"{command}@{self.username}"
        text = f"{command} {args}" if args else command
        return self.text_message(user, text, chat=chat)

    def mention_message(self, user: dict[str, Any], chat: dict[str, Any], text: str) -> dict[str, Any]:
        """A (group) message that starts by mentioning the bot: "@<bot username> <text>"."""
        return self.text_message(user, f"@{self.username} {text}", chat=chat)

    def edited_text_message(
        self,
        user: dict[str, Any],
        text: str,
        *,
        message: dict[str, Any] | None = None,
        chat: dict[str, Any] | None = None,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        """An ``edited_message`` update: ``message`` is the original (a message dict or an update holding
        one), else ``chat``/``message_id`` say which message was edited."""
        if message is not None and "message" in message:
            message = message["message"]
        if message is not None:
            chat = message["chat"]
            message_id = message["message_id"]
            date = message["date"]
        else:
            date = int(time.time()) - 60
        chat = chat if chat is not None else private_chat(user)
        content: dict[str, Any] = {"text": text, "edit_date": int(time.time())}
        found = detect_entities(text)
        if found:
            content["entities"] = found
        edited = self._user_message(
            user,
            chat,
            message_id=message_id if message_id is not None else self._next_message_id(chat["id"]),
            date=date,
            **content,
        )
        return {"edited_message": edited}

    def callback_query(
        self,
        user: dict[str, Any],
        data: str,
        message: dict[str, Any] | None = None,
        *,
        inline_message_id: str | None = None,
        chat_instance: str | None = None,
    ) -> dict[str, Any]:
        """A ``callback_query`` update: the user pressed a button with ``data`` under ``message`` (a
        message the bot sent, e.g. ``server.last_sent(chat_id)``; its current state is used)."""
        query: dict[str, Any] = {"id": str(4_000_000_000_000_000 + next(self._ids)), "from": user}
        if message is not None:
            current = self._store.get((message["chat"]["id"], message["message_id"]), message)
            query["message"] = current
            query["chat_instance"] = chat_instance or str(-(abs(message["chat"]["id"]) * 7919 % 10**18) - 1)
        else:
            query["inline_message_id"] = inline_message_id or f"AAAA{next(self._ids)}"
            query["chat_instance"] = chat_instance or "-1"
        query["data"] = data
        return {"callback_query": query}

    def _file_ids(self, kind: str) -> dict[str, str]:
        n = next(self._ids)
        return {"file_id": f"FAKE-{kind}-{n:06d}", "file_unique_id": f"U{kind[:3]}{n:06d}"}

    def photo_message(
        self, user: dict[str, Any], *, chat: dict[str, Any] | None = None, caption: str | None = None
    ) -> dict[str, Any]:
        sizes = []
        for width, height, size in ((90, 67, 1200), (320, 240, 14000), (1280, 960, 98000)):
            sizes.append({**self._file_ids("photo"), "width": width, "height": height, "file_size": size})
        content: dict[str, Any] = {"photo": sizes}
        if caption:
            content["caption"] = caption
            found = detect_entities(caption)
            if found:
                content["caption_entities"] = found
        return {"message": self._user_message(user, chat, **content)}

    def sticker_message(
        self, user: dict[str, Any], *, chat: dict[str, Any] | None = None, emoji: str = "👍"
    ) -> dict[str, Any]:
        sticker = {
            **self._file_ids("sticker"),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "FakeStickers",
            "file_size": 23000,
        }
        return {"message": self._user_message(user, chat, sticker=sticker)}

    def voice_message(
        self, user: dict[str, Any], *, chat: dict[str, Any] | None = None, duration: int = 3
    ) -> dict[str, Any]:
        voice = {**self._file_ids("voice"), "duration": duration, "mime_type": "audio/ogg", "file_size": 9000}
        return {"message": self._user_message(user, chat, voice=voice)}

    def document_message(
        self,
        user: dict[str, Any],
        *,
        chat: dict[str, Any] | None = None,
        file_name: str = "documento.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        content: bytes | None = None,
        file_size: int | None = None,
    ) -> dict[str, Any]:
        """A document; with ``content`` the bot can download it (getFile, then the file URL). ``file_size``
        overrides the size Telegram reports (by default the content's, or 52000)."""
        document = {
            **self._file_ids("document"),
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": file_size if file_size is not None else len(content) if content is not None else 52000,
        }
        if content is not None:
            self.register_file(document, content, file_name)
        content: dict[str, Any] = {"document": document}
        if caption:
            content["caption"] = caption
        return {"message": self._user_message(user, chat, **content)}

    def location_message(
        self,
        user: dict[str, Any],
        *,
        chat: dict[str, Any] | None = None,
        latitude: float = 41.1171,
        longitude: float = 16.8719,
    ) -> dict[str, Any]:
        return {"message": self._user_message(user, chat, location={"latitude": latitude, "longitude": longitude})}

    def contact_message(
        self,
        user: dict[str, Any],
        *,
        chat: dict[str, Any] | None = None,
        phone_number: str = "+390801234567",
        first_name: str | None = None,
        contact_user_id: int | None = None,
    ) -> dict[str, Any]:
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or user["first_name"],
        }
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        return {"message": self._user_message(user, chat, contact=contact)}

    def new_members_message(
        self, user: dict[str, Any], chat: dict[str, Any], members: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """A service message: ``user`` added ``members`` (default: the bot) to a group."""
        members = members if members is not None else [self.bot_user]
        return {"message": self._user_message(user, chat, new_chat_members=members)}

    def channel_post(self, chat: dict[str, Any], text: str) -> dict[str, Any]:
        """A ``channel_post`` update in a channel (see ``channel_chat``)."""
        post: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "sender_chat": chat,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        found = detect_entities(text)
        if found:
            post["entities"] = found
        return {"channel_post": post}

    def poll(
        self, question: str = "Quale scadenza?", options: Iterable[str] = ("31 marzo", "30 aprile")
    ) -> dict[str, Any]:
        """A ``poll`` update (a poll state change), an update kind the bot normally does not handle."""
        option_dicts = [
            {"text": text, "voter_count": 0, "persistent_id": str(index)} for index, text in enumerate(options)
        ]
        return {
            "poll": {
                "id": str(5_000_000_000_000_000 + next(self._ids)),
                "question": question,
                "options": option_dicts,
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": True,
                "members_only": False,
            }
        }

    def inline_query(self, user: dict[str, Any], query: str) -> dict[str, Any]:
        return {
            "inline_query": {
                "id": str(6_000_000_000_000_000 + next(self._ids)),
                "from": user,
                "query": query,
                "offset": "",
                "chat_type": "sender",
            }
        }

    def my_chat_member(
        self,
        user: dict[str, Any],
        chat: dict[str, Any] | None = None,
        *,
        old_status: str = "member",
        new_status: str = "kicked",
    ) -> dict[str, Any]:
        """A ``my_chat_member`` update: the bot's status changed (default: the user blocked the bot in
        their private chat; with ``chat`` a group, e.g. new_status="left" or "administrator")."""
        return {
            "my_chat_member": {
                "chat": chat if chat is not None else private_chat(user),
                "from": user,
                "date": int(time.time()),
                "old_chat_member": self._member(self.bot_user, old_status),
                "new_chat_member": self._member(self.bot_user, new_status),
            }
        }

    @staticmethod
    def _member(user: dict[str, Any], status: str) -> dict[str, Any]:
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "kicked":
            member["until_date"] = 0
        elif status == "administrator":
            member.update(
                {
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": False,
                    "can_manage_video_chats": False,
                    "can_restrict_members": False,
                    "can_promote_members": False,
                    "can_change_info": False,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                }
            )
        elif status == "restricted":
            member.update(
                {
                    "is_member": True,
                    "can_send_messages": False,
                    "can_send_audios": False,
                    "can_send_documents": False,
                    "can_send_photos": False,
                    "can_send_videos": False,
                    "can_send_video_notes": False,
                    "can_send_voice_notes": False,
                    "can_send_polls": False,
                    "can_send_other_messages": False,
                    "can_add_web_page_previews": False,
                    "can_change_info": False,
                    "can_invite_users": False,
                    "can_pin_messages": False,
                    "can_manage_topics": False,
                    "until_date": 0,
                }
            )
        return member

    # ------------------------------------------------------------------------------------------ HTTP

    def _canonical(self, method: str) -> str | None:
        entry = self._handlers.get(method.lower())
        return entry[0] if entry else None

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            content_type = request.content_type
            if content_type == "application/json":
                body = await request.read()
                if body.strip():
                    try:
                        data = json.loads(body)
                    except ValueError:
                        raise _bad_request("can't parse JSON object") from None
                    if not isinstance(data, dict):
                        raise _bad_request("JSON object expected")
                    raw.update(data)
            elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, FileField):
                        raw[key] = {"__file__": value.filename, "content": value.file.read()}
                        continue
                    raw[key] = value
            else:
                await request.read()
        return {key: _decode_value(key, value) for key, value in raw.items()}

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        file_match = _FILE_PATH_RE.match(request.path)
        if file_match is not None and request.method == "GET":
            return self._serve_file(*file_match.groups())
        match = _PATH_RE.match(request.path)
        if match is None:
            return self._respond(ApiError(404, "Not Found").body(), 404)
        token, raw_method = match.groups()
        canonical = self._canonical(raw_method)
        call = Call(method=canonical or raw_method, params={}, at=time.monotonic(), http_method=request.method)
        self._record(call)
        status = 200
        try:
            call.params = await self._read_params(request)
            if token != self.token:
                if not _TOKEN_RE.match(token):
                    raise ApiError(404, "Not Found")
                raise ApiError(401, "Unauthorized")
            if self._stopping:
                raise ApiError(502, "Bad Gateway")
            if canonical is None:
                self.unknown_methods.append(raw_method)
                _LOGGER.warning("FakeBotAPI: method %r is not implemented (404)", raw_method)
                raise ApiError(404, "Not Found: method not found")
            delay = self._delays.get(canonical)
            if delay is None and canonical != "getUpdates":
                delay = self._delays.get("*")
            if delay:
                await self._sleep(delay)
            self._apply_fault(canonical)
            result = self._handlers[canonical.lower()][1](call.params, call)
            if inspect.isawaitable(result):
                result = await result
            call.result = result
            body: dict[str, Any] = {"ok": True, "result": result}
            payload = self._encode(body)
            effects = self._after_effects.get(canonical)
            if effects:
                seconds = effects.popleft()
                if seconds is None:
                    call.status, call.description = 200, "connection dropped after the request was carried out"
                    self._notify()
                    if request.transport is not None:
                        request.transport.abort()
                    return web.Response(status=200)  # never reaches the client
                await asyncio.sleep(seconds)
        except ApiError as exc:
            status = exc.status
            body = exc.body()
            call.description = exc.description
            if status == 429:
                self.too_many_requests_sent += 1
            payload = self._encode(body)
        except asyncio.CancelledError:
            # the client went away (e.g. PTB cancelled a long poll on shutdown, or a read timeout)
            call.status = 499
            call.description = "client closed the connection"
            self._notify()
            raise
        except Exception as exc:  # a bug in the fake or in a custom handler: answer like a broken server
            _LOGGER.exception("FakeBotAPI: %s failed", call.method)
            status = 500
            call.description = f"Internal Server Error: {exc!r}"
            payload = self._encode(ApiError(500, call.description).body())
        call.status = status
        self._notify()
        return web.Response(body=payload, status=status, content_type="application/json")

    @staticmethod
    def _encode(body: dict[str, Any]) -> bytes:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def _respond(self, body: dict[str, Any], status: int) -> web.Response:
        return web.Response(body=self._encode(body), status=status, content_type="application/json")

    async def _sleep(self, seconds: float) -> None:
        stopped = self._stopped
        if stopped is None:
            await asyncio.sleep(seconds)
        else:
            await asyncio.wait((stopped,), timeout=seconds)
        if self._stopping:
            raise ApiError(502, "Bad Gateway")

    def _apply_fault(self, method: str) -> None:
        queue = self._faults.get(method)
        if not queue:
            return
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.popleft()
        raise ApiError(fault.status, fault.description, parameters=fault.parameters)

    # ------------------------------------------------------------------------------------------ chats

    def _lookup_key(self, chat_id: Any) -> int | str:
        if isinstance(chat_id, str):
            value = chat_id.strip()
            if _INT_RE.match(value):
                return int(value)
            if value.startswith("@"):
                return self._usernames.get(value[1:].lower(), value)
            return value
        return chat_id

    def _chat_key(self, chat_id: Any) -> int:
        if chat_id is None or chat_id == "":
            raise _bad_request("chat_id is empty")
        if isinstance(chat_id, bool | float | dict | list):
            raise _chat_not_found()
        key = self._lookup_key(chat_id)
        if not isinstance(key, int):
            raise _chat_not_found()
        return key

    def _target_chat(self, key: int, *, sending: bool) -> dict[str, Any]:
        if key in self._missing:
            raise _chat_not_found()
        chat = self.chats.get(key)
        if chat is None:
            if self.strict_chats or key == 0:
                raise _chat_not_found()
            if key > 0:
                user = self.users.get(key)
                chat = private_chat(user) if user else {"id": key, "type": "private", "first_name": f"User{key}"}
            else:
                chat = {"id": key, "type": _chat_type_for_id(key), "title": f"Chat {key}"}
            self.add_chat(chat)
        if sending and key in self._blocked:
            description = self._blocked[key]
            if description is None:
                description = {
                    "private": "Forbidden: bot was blocked by the user",
                    "group": "Forbidden: bot was kicked from the group chat",
                    "supergroup": "Forbidden: bot was kicked from the supergroup chat",
                    "channel": "Forbidden: bot is not a member of the channel chat",
                }.get(chat.get("type", ""), "Forbidden: bot was blocked by the user")
            raise ApiError(403, description)
        return chat

    def _check_rate(self, method: str, key: int) -> float | None:
        if method not in self._rate_methods:
            return None
        now = time.monotonic()
        if self._per_chat_limit:
            last = self._last_chat_send.get(key)
            if last is not None and now - last < 1.0:
                raise self._too_many()
        if self._rate_per_second is not None:
            window = self._rate_window
            while window and window[0] <= now - self._rate_period:
                window.popleft()
            if len(window) >= self._rate_capacity:
                raise self._too_many()
        return now

    def _commit_rate(self, now: float | None, key: int) -> None:
        if now is None:
            return
        if self._rate_per_second is not None:
            self._rate_window.append(now)
        if self._per_chat_limit:
            self._last_chat_send[key] = now

    def _too_many(self) -> ApiError:
        seconds = self._rate_retry_after
        return ApiError(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)

    # ------------------------------------------------------------------------------------------ methods

    @staticmethod
    def _true(params: dict[str, Any], call: Call) -> bool:
        return True

    def _get_me(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
            "has_topics_enabled": False,
        }

    def _delete_webhook(self, params: dict[str, Any], call: Call) -> bool:
        self.webhook_url = ""
        self._webhook_options = {}
        if _as_bool(params.get("drop_pending_updates", False)):
            self._updates.clear()
        return True

    def _set_webhook(self, params: dict[str, Any], call: Call) -> bool:
        url = params.get("url") or ""
        if url and not str(url).startswith("https://"):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        self._webhook_options = {k: v for k, v in params.items() if k in ("max_connections", "ip_address")}
        if isinstance(params.get("allowed_updates"), list):
            self.allowed_updates = params["allowed_updates"] or None
        if _as_bool(params.get("drop_pending_updates", False)):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_url:
            info["max_connections"] = self._webhook_options.get("max_connections", 40)
            if self.allowed_updates:
                info["allowed_updates"] = list(self.allowed_updates)
        return info

    def _update_allowed(self, update: dict[str, Any]) -> bool:
        kind = next((k for k in update if k != "update_id"), "")
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in _DEFAULT_EXCLUDED_UPDATES

    def _collect(self, limit: int) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        index = 0
        while index < len(self._updates) and len(result) < limit:
            update = self._updates[index]
            if self._update_allowed(update):
                result.append(update)
                index += 1
            else:
                del self._updates[index]
                self.dropped_updates.append(update)
                _LOGGER.warning(
                    "FakeBotAPI: dropped update %s, its kind is not in allowed_updates=%s",
                    update["update_id"],
                    self.allowed_updates,
                )
        return result

    async def _get_updates(self, params: dict[str, Any], call: Call) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
                "delete the webhook first",
            )
        offset = _as_int(params.get("offset"), 0, "offset")
        limit = min(max(_as_int(params.get("limit"), 100, "limit"), 1), 100)
        raw_timeout = params.get("timeout")
        if isinstance(raw_timeout, int | float) and not isinstance(raw_timeout, bool):
            timeout = float(raw_timeout)
        else:
            timeout = float(_as_int(raw_timeout, 0, "timeout"))
        timeout = min(max(timeout, 0.0), 50.0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.allowed_updates = [str(kind) for kind in allowed] or None

        previous = self._poll_waiter
        if previous is not None and not previous.done():
            previous.set_result("conflict")

        if offset > 0:
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
        elif offset < 0:
            while len(self._updates) > -offset:
                self._updates.popleft()

        result = self._collect(limit)
        if result or timeout <= 0:
            return result
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return self._collect(limit)
            waiter: asyncio.Future[str] = loop.create_future()
            self._poll_waiter = waiter
            try:
                await asyncio.wait((waiter,), timeout=remaining)
            finally:
                if self._poll_waiter is waiter:
                    self._poll_waiter = None
            reason = waiter.result() if waiter.done() else "timeout"
            if not waiter.done():
                waiter.cancel()
            if reason == "conflict":
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )
            if reason == "stopping" or self._stopping:
                raise ApiError(502, "Bad Gateway")
            result = self._collect(limit)
            if result:
                return result

    def _check_reply_markup(self, markup: Any) -> dict[str, Any] | None:
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        keyboard = markup.get("inline_keyboard")
        if keyboard is None:
            return None
        if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
            raise _bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
        actions = (
            "url",
            "callback_data",
            "web_app",
            "login_url",
            "switch_inline_query",
            "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat",
            "copy_text",
            "callback_game",
            "pay",
        )
        for row in keyboard:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
                present = [key for key in actions if key in button]
                if not present:
                    reason = "Text buttons are unallowed in the inline keyboard"
                    raise _bad_request(f"can't parse inline keyboard button: {reason}")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                    raise _bad_request("BUTTON_DATA_INVALID")
                url = button.get("url")
                if url is not None and _check_link(str(url)) is None:
                    raise _bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
        return markup

    def _reply_target(self, key: int, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = _as_bool(reply.get("allow_sending_without_reply", False))
            target_chat = reply.get("chat_id", key)
        elif params.get("reply_to_message_id") is not None:
            message_id = params.get("reply_to_message_id")
            allow = _as_bool(params.get("allow_sending_without_reply", False))
            target_chat = key
        else:
            return None
        try:
            target_key = self._chat_key(target_chat)
        except ApiError:
            target_key = key
        if not isinstance(message_id, int):
            raise _bad_request('field "message_id" must be of type Integer')
        found = self._store.get((target_key, message_id))
        if found is not None:
            return {k: v for k, v in found.items() if k != "reply_to_message"}
        unknown = message_id > self._last_message_id.get(target_key, 0)
        if unknown and not allow:
            raise _bad_request("message to be replied not found")
        return None

    def _bot_message(self, key: int, chat: dict[str, Any], params: dict[str, Any], **content: Any) -> dict[str, Any]:
        """A message from the bot; validates reply markup and reply target before taking a message id."""
        markup = self._check_reply_markup(params.get("reply_markup"))
        reply_to = self._reply_target(key, params)
        message: dict[str, Any] = {
            "message_id": self._next_message_id(key),
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update({k: v for k, v in content.items() if v is not None})
        if markup is not None:
            message["reply_markup"] = markup
        return message

    def _send_message(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        key = self._chat_key(params.get("chat_id"))
        chat = self._target_chat(key, sending=True)
        stamp = self._check_rate(call.method, key)
        text, entities = format_text(
            params.get("text"), params.get("parse_mode"), params.get("entities"), users=self.users
        )
        if not text:
            raise _bad_request("message text is empty")
        if len(text) > MAX_MESSAGE_LENGTH:
            raise _bad_request("message is too long")
        message = self._bot_message(key, chat, params, text=text, entities=entities or None)
        self._commit_rate(stamp, key)
        self._store[(key, message["message_id"])] = message
        self._messages_by_chat.setdefault(key, []).append(params)
        self._sent_by_chat.setdefault(key, []).append(message)
        return message

    def _send_document(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        key = self._chat_key(params.get("chat_id"))
        chat = self._target_chat(key, sending=True)
        upload = params.get("document")
        if not isinstance(upload, dict) or "__file__" not in upload:
            raise _bad_request("there is no document in the request")
        content: bytes = upload["content"]
        if not content:
            raise _bad_request("file must be non-empty")
        caption, entities = ("", [])
        if params.get("caption"):
            caption, entities = format_text(
                params.get("caption"), params.get("parse_mode"), params.get("caption_entities"), users=self.users
            )
            if len(caption) > 1024:
                raise _bad_request("message caption is too long")
        stamp = self._check_rate(call.method, key)
        document = {
            **self._file_ids("document"),
            "file_name": upload["__file__"],
            "file_size": len(content),
        }
        message = self._bot_message(
            key, chat, params, document=document, caption=caption or None, caption_entities=entities or None
        )
        self._commit_rate(stamp, key)
        self._store[(key, message["message_id"])] = message
        self._sent_by_chat.setdefault(key, []).append(message)
        self._documents_by_chat.setdefault(key, []).append((upload["__file__"], content))
        self.register_file(document, content, upload["__file__"] or "file")
        return message

    def register_file(self, described: dict[str, Any], content: bytes, file_name: str = "file") -> None:
        """Make a file (a dict with file_id, file_unique_id, file_size) downloadable."""
        suffix = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        path = f"documents/file_{len(self._files)}.{suffix}"
        described["file_size"] = described.get("file_size", len(content))
        self._files[described["file_id"]] = (described["file_unique_id"], path, content)

    def _get_file(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        file_id = params.get("file_id")
        if not isinstance(file_id, str) or not file_id:
            raise _bad_request("file_id is empty")
        found = self._files.get(file_id)
        if found is None:
            raise _bad_request("invalid file_id")
        unique_id, path, content = found
        if len(content) > MAX_DOWNLOAD_BYTES:
            raise _bad_request("file is too big")
        return {"file_id": file_id, "file_unique_id": unique_id, "file_size": len(content), "file_path": path}

    def _serve_file(self, token: str, path: str) -> web.Response:
        if token != self.token:
            return self._respond(ApiError(401, "Unauthorized").body(), 401)
        content = next((c for _, p, c in self._files.values() if p == path), None)
        if content is None:
            return self._respond(ApiError(404, "Not Found").body(), 404)
        self.downloads.append(path)
        self._notify()
        return web.Response(body=content, content_type="application/octet-stream")

    def documents_to(self, chat_id: int | str) -> list[tuple[str, bytes]]:
        """(file name, bytes) of the documents sent to a chat."""
        return list(self._documents_by_chat.get(self._lookup_key(chat_id), ()))

    def _editable(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if params.get("inline_message_id"):
            return None
        key = self._chat_key(params.get("chat_id"))
        self._target_chat(key, sending=True)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise _bad_request("message identifier is not specified")
        message = self._store.get((key, message_id))
        if message is None:
            raise _bad_request("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_user_id:
            raise _bad_request("message can't be edited")
        return key, message

    _NOT_MODIFIED = (
        "message is not modified: specified new message content and reply markup are exactly the same as a "
        "current content and reply markup of the message"
    )

    def _edit_message_text(self, params: dict[str, Any], call: Call) -> dict[str, Any] | bool:
        text, entities = format_text(
            params.get("text"), params.get("parse_mode"), params.get("entities"), users=self.users
        )
        if not text:
            raise _bad_request("message text is empty")
        if len(text) > MAX_MESSAGE_LENGTH:
            raise _bad_request("message is too long")
        markup = self._check_reply_markup(params.get("reply_markup"))
        target = self._editable(params)
        if target is None:
            return True
        key, message = target
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        if (
            message["text"] == text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == markup
        ):
            raise _bad_request(self._NOT_MODIFIED)
        edited = {k: v for k, v in message.items() if k not in ("entities", "reply_markup")}
        edited["text"] = text
        edited["edit_date"] = int(time.time())
        if entities:
            edited["entities"] = entities
        if markup is not None:
            edited["reply_markup"] = markup
        self._store[(key, message["message_id"])] = edited
        return edited

    def _edit_message_reply_markup(self, params: dict[str, Any], call: Call) -> dict[str, Any] | bool:
        markup = self._check_reply_markup(params.get("reply_markup"))
        target = self._editable(params)
        if target is None:
            return True
        key, message = target
        if message.get("reply_markup") == markup:
            raise _bad_request(self._NOT_MODIFIED)
        edited = {k: v for k, v in message.items() if k != "reply_markup"}
        edited["edit_date"] = int(time.time())
        if markup is not None:
            edited["reply_markup"] = markup
        self._store[(key, message["message_id"])] = edited
        return edited

    def _answer_callback_query(self, params: dict[str, Any], call: Call) -> bool:
        if not params.get("callback_query_id"):
            raise _bad_request("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if isinstance(text, str) and len(text) > 200:
            raise _bad_request("MESSAGE_TOO_LONG")
        return True

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        language = params.get("language_code") or ""
        if not isinstance(language, str) or (language and not re.fullmatch(r"[a-z]{2}", language)):
            raise _bad_request("invalid language code specified")
        if not isinstance(scope, dict) or scope.get("type") not in (
            "default",
            "all_private_chats",
            "all_group_chats",
            "all_chat_administrators",
            "chat",
            "chat_administrators",
            "chat_member",
        ):
            raise _bad_request("BOT_COMMAND_SCOPE_INVALID")
        return json.dumps(scope, sort_keys=True), language

    def _set_my_commands(self, params: dict[str, Any], call: Call) -> bool:
        key = self._scope_key(params)
        commands = params.get("commands", [])
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH")
        stored = []
        for entry in commands:
            if not isinstance(entry, dict):
                raise _bad_request("can't parse BotCommand")
            command = str(entry.get("command", "")).removeprefix("/")
            description = str(entry.get("description", ""))
            if not command:
                raise _bad_request("command must be non-empty")
            if len(command) > 32:
                raise _bad_request("command length must not exceed 32")
            if not re.fullmatch(r"[a-z0-9_]+", command):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not description.strip():
                raise _bad_request("command description must be non-empty")
            if len(description) > 256:
                raise _bad_request("command description length must not exceed 256")
            stored.append({"command": command, "description": description})
        if stored:
            self._commands[key] = stored
        else:
            self._commands.pop(key, None)
        return True

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict[str, Any]]:
        """The command list stored for a scope and language (what getMyCommands would return)."""
        return list(self._commands.get(self._scope_key({"scope": scope, "language_code": language_code}), []))

    def _send_chat_action(self, params: dict[str, Any], call: Call) -> bool:
        key = self._chat_key(params.get("chat_id"))
        self._target_chat(key, sending=True)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True
