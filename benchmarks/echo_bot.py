"""The baseline of benchmarks/load.py: a minimal python-telegram-bot echo bot, configured like the real bot.

Same PTB version, same environment variables, same long polling and the same number of updates processed at
once (ECHO_CONCURRENT_UPDATES, default 32 as bot/telegram/ordering.py), so the real bot's extra cost is its own.
With ECHO_TRANSPORT=aiohttp it talks to the Bot API through the bot's own HTTP client (bot/telegram/transport.py)
instead of python-telegram-bot's default (httpx): the baseline for what the bot's own work costs.
"""

import logging
import os

from telegram import Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(update.effective_message.text or "?")


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer()


logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
builder = (
    ApplicationBuilder()
    .token(os.environ["TELEGRAM_BOT_TOKEN"])
    .base_url(os.environ["TELEGRAM_API_BASE_URL"])
    .concurrent_updates(int(os.environ.get("ECHO_CONCURRENT_UPDATES", "32")))
)
if os.environ.get("ECHO_TRANSPORT") == "aiohttp":
    from bot.telegram.transport import AiohttpRequest

    builder = builder.request(AiohttpRequest()).get_updates_request(AiohttpRequest(connection_pool_size=1))
app = builder.build()
app.add_handler(MessageHandler(filters.ALL, echo))
app.add_handler(CallbackQueryHandler(press))
app.run_polling(allowed_updates=Update.ALL_TYPES)
