"""Problems found in the knowledge base, worded for the programme officer who has to fix them, in their language.

A problem is a place (`file:line`), a reason and, where a plain instruction helps, a hint. Reasons and hints are
`Message`s: an English template (a gettext msgid, translated in locales/*/messages.po) and its values, so the bottom
layer stays free of the catalogs and each shell renders them in its reader's language. Values quoted from the files
go through `quote`, which keeps a message short whatever the file holds.
"""

from collections.abc import Callable
from dataclasses import dataclass

Translate = Callable[[str], str]
#: How many characters of an offending value a message quotes.
QUOTE_CHARS = 40


def _untranslated(template: str) -> str:
    return template


class _Values(dict[str, object]):
    """A placeholder without a value stays visible instead of failing: a message is never lost."""

    def __missing__(self, key: str) -> str:
        return f"%({key})s"


@dataclass(frozen=True)
class Message:
    """Words to show, translated when shown. A value may itself be a Message (e.g. "entry 'x'")."""

    template: str
    values: tuple[tuple[str, object], ...] = ()

    def render(self, translate: Translate = _untranslated) -> str:
        text = translate(self.template)
        if not self.values and "%(" not in text:
            return text
        values = _Values((k, v.render(translate) if isinstance(v, Message) else v) for k, v in self.values)
        try:
            return text % values
        except (TypeError, ValueError):  # a translation with a broken placeholder: the English is still right
            return self.template % values

    def with_values(self, **values: object) -> "Message":
        return Message(self.template, (*self.values, *values.items()))

    def __str__(self) -> str:
        return self.render()


def message(template: str, **values: object) -> Message:
    """`template` is English with %(name)s placeholders (a literal % is written %%); extracted into the catalogs."""
    return Message(template, tuple(values.items()))


#: A language's name inside a message ("only 3 Italian phrasings").
LANGUAGE_NAMES = {"it": message("Italian"), "en": message("English")}


def quote(value: object, limit: int = QUOTE_CHARS) -> str:
    """A value as a message quotes it: on one line, at most `limit` characters, cut with "…"."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    return repr(text) if isinstance(value, str) else text


@dataclass(frozen=True)
class Problem:
    """Something wrong (an error) or worth a look (a warning) at one place of the knowledge base."""

    file: str
    line: int
    message: Message
    hint: Message | None = None

    @property
    def reason(self) -> str:
        """The reason in English, as `validate` prints it when no language is chosen."""
        return self.describe()

    def describe(self, translate: Translate = _untranslated) -> str:
        reason = self.message.render(translate)
        return f"{reason} — {self.hint.render(translate)}" if self.hint else reason

    def text(self, translate: Translate = _untranslated) -> str:
        """`file:line: reason — hint`, in the language of `translate`."""
        return f"{self.file}:{self.line}: {self.describe(translate)}"

    def __str__(self) -> str:
        return self.text()


def in_order(problems: list[Problem]) -> list[Problem]:
    """By file, then line, then reason: the order staff read a file in."""
    return sorted(problems, key=lambda p: (p.file, p.line, p.reason))
