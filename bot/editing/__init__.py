"""Changing the knowledge base from outside a text editor (Telegram, a spreadsheet): round-trip YAML edits that
keep staff's files as they wrote them, checked on a copy with the bot's own loader, written safely, reversible."""
