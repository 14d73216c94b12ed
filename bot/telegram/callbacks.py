"""Callback data of inline buttons: short, parseable, and safe to receive forged or stale."""

import re
from dataclasses import dataclass

# One letter says what a button does; the rest names its target. Telegram allows 64 bytes.
ANSWER = "a"  # a:<entry id>
TOPIC = "t"  # t:<topic id>
TOPICS = "m"  # m:  (the topic menu)
LANGUAGE = "l"  # l:<it|en|auto>
FEEDBACK = "f"  # f:<+|->:<entry id>
SUBSCRIPTION = "s"  # s:<on|off>
BROADCAST = "b"  # b:<send|cancel>:<broadcast id>
PRIVACY = "p"  # p:<forget|keep>
UNANSWERED = "u"  # u:p:<page> | u:<r|i>:<group key>:<page>  (staff)

_PATTERN = re.compile(r"^([a-z]):([a-z0-9+\-:]{0,60})$")


@dataclass(frozen=True)
class Callback:
    action: str
    target: str


def encode(action: str, target: str = "") -> str:
    data = f"{action}:{target}"
    if not _PATTERN.match(data):
        raise ValueError(f"callback data out of format: {data!r}")
    return data


def decode(data: str | None) -> Callback | None:
    """The button's meaning, or None for data this bot never produces (forged, or from an older version)."""
    match = _PATTERN.match(data or "")
    return Callback(match.group(1), match.group(2)) if match else None
