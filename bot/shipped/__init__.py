"""The data that ships with the program: the default knowledge base and the translation catalogs.

In a checkout (and an editable install) they are the repository's top-level `knowledge/` and `locales/`, the
folders staff edit. A built wheel carries copies of them inside this package (pyproject.toml maps them in), so a
plain `pip install .` runs from any folder. A configured `BOT_KNOWLEDGE_DIR` always wins over the shipped copy.
"""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """The installed copy when there is one, else the checkout's own folder."""
    packaged = _PACKAGE / name
    return packaged if packaged.is_dir() else _PACKAGE.parent.parent / name


KNOWLEDGE_DIR = shipped("knowledge")
LOCALES_DIR = shipped("locales")
