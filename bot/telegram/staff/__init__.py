"""Staff-only features, one module each. Only the Telegram user ids in BOT_STAFF_IDS reach them (filters.User);
anyone else falls through to fallback.py and gets what an unknown command or button gets."""
