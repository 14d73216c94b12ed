"""The bot's own words from gettext catalogs, and dates in the reader's language, through Babel.

Only `.po` files are kept in the repository: they are compiled in memory at start-up, so a fresh clone needs no
compile step, and a missing catalog fails loudly instead of silently showing English to Italian users.
"""

import datetime as dt
import io
from gettext import GNUTranslations
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_location
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.knowledge.model import BABEL_LOCALES, LANGUAGES
from bot.shipped import LOCALES_DIR


def mark(message: str) -> str:
    """Marks a text for extraction into the catalogs where it is translated later, not here."""
    return message


class CatalogError(Exception):
    """A translation catalog is missing or broken."""


def _compile(path: Path) -> GNUTranslations:
    try:
        with path.open("rb") as handle:
            catalog = read_po(handle)
    except OSError as exc:
        raise CatalogError(f"translation catalog not found: {path}") from exc
    except Exception as exc:  # Babel raises several error types on a broken .po
        raise CatalogError(f"translation catalog {path} is broken: {exc}") from exc
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return GNUTranslations(buffer)


class Translator:
    """The bot's words in one language."""

    def __init__(self, lang: str, translations: GNUTranslations) -> None:
        self.lang = lang
        self._translations = translations

    def gettext(self, message: str, **values: object) -> str:
        text = self._translations.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, count: int, **values: object) -> str:
        return self._translations.ngettext(singular, plural, count) % {"count": count, **values}

    def date(self, day: dt.date) -> str:
        """'31 marzo 2017' / '31 March 2017'."""
        return format_date(day, format="long", locale=BABEL_LOCALES[self.lang])

    def time(self, moment: dt.time) -> str:
        return format_time(moment, format="short", locale=BABEL_LOCALES[self.lang])

    def zone_label(self, zone: str) -> str:
        """'Rome time' / 'ora di Roma': what a reader understands, unlike 'Europe/Rome' or 'CET'."""
        city = get_timezone_location(ZoneInfo(zone), locale=BABEL_LOCALES[self.lang], return_city=True)
        return self.gettext("%(city)s time", city=city)

    def moment(self, at: dt.datetime, zone: str) -> str:
        """'8 March 2018, 17:00 Rome time': an instant shown in the reader's zone, labelled plainly."""
        local = at.astimezone(ZoneInfo(zone))
        return f"{self.date(local.date())}, {self.time(local.time())} {self.zone_label(zone)}"


class Catalogs:
    """Translators for every supported language, compiled once."""

    def __init__(self, locales_dir: Path = LOCALES_DIR) -> None:
        self._translators = {
            lang: Translator(lang, _compile(locales_dir / lang / "LC_MESSAGES" / "messages.po")) for lang in LANGUAGES
        }

    def __getitem__(self, lang: str) -> Translator:
        return self._translators[lang]
