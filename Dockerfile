# The bot as a container: a small image, a non-root user, the database and the knowledge base on volumes.
# Build: docker build -t escp-s3-assistant .   Run: see compose.yaml and the README's "Deploy" section.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot/ bot/
COPY knowledge/ knowledge/
COPY locales/ locales/
RUN python -m venv /opt/venv && /opt/venv/bin/pip install .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    BOT_DATABASE=/data/bot.sqlite3 \
    BOT_KNOWLEDGE_DIR=/knowledge
RUN useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin bot \
    && mkdir /data /knowledge \
    && chown bot:bot /data /knowledge
COPY --from=build /opt/venv /opt/venv
# The shipped knowledge base seeds the volume on first use; staff then edit the volume (or bind-mount a folder).
COPY --chown=bot:bot knowledge/ /knowledge/
USER 10001:10001
WORKDIR /data
VOLUME ["/data", "/knowledge"]
# Webhook mode only (BOT_WEBHOOK_URL set): Telegram's calls and GET /health on $PORT.
EXPOSE 8443
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["escp-s3-assistant", "health"]
STOPSIGNAL SIGTERM
CMD ["escp-s3-assistant", "run"]
