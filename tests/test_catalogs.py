"""Every text the bot says on its own exists, translated, in both catalogs; missing catalogs fail loudly."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import CatalogError, Catalogs
from tests.conftest import ROOT

#: gettext calls, and the knowledge-base problems (bot/knowledge/problems.py: `message`, model.py: `invalid`).
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "mark": None, "message": None, "invalid": None}


def messages_in_code() -> set[str]:
    found = set()
    for _, _, message, _, _ in extract_from_dir(ROOT / "bot", method_map=[("**.py", "python")], keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("lang", ["it", "en"])
def test_every_message_is_translated(lang: str) -> None:
    with (ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {}
    for message in catalog:
        if message.id:
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            translated[key] = all(strings)
    code = messages_in_code()
    assert len(code) > 20
    missing = sorted(m for m in code if not translated.get(m))
    assert not missing, f"untranslated in {lang}: {missing}"


def test_placeholders_survive_translation() -> None:
    italian = Catalogs()["it"]
    assert italian.gettext("closed on %(date)s", date="X") == "scaduta in data X"
    assert italian.ngettext("%(count)d day left", "%(count)d days left", 3) == "mancano 3 giorni"


def test_a_missing_catalog_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="not found"):
        Catalogs(tmp_path)
