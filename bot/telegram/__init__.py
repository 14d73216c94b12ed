"""The Telegram channel: python-telegram-bot handlers, one module per feature, assembled by app.py."""
