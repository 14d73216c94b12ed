"""Command line: `python -m bot COMMAND`: run, chat, ask, validate, evaluate, unanswered, suggest, export, import,
health, backup, restore.

With no command the bot starts on Telegram when a token is configured, else the terminal chat, so the README's
single start command does something useful on a fresh machine.
"""

import argparse
import asyncio
import datetime as dt
import json
import logging
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.assistant import Assistant, Reply
from bot.config import Config, ConfigError, load_config
from bot.evaluation import Bars, CaseFileError, evaluate, format_report, load_all
from bot.heartbeat import health_report, heartbeat_path
from bot.knowledge import KnowledgeError, load_knowledge, validate
from bot.storage import StorageError
from bot.storage.backup import backup_database, restore_database

if TYPE_CHECKING:  # imported when used: `ask` and `chat` start without them
    from bot.matching.analyzer import Analyzer
    from bot.staff import QuestionGroup

EXIT_CONFIG = 2


def _assistant(config: Config) -> Assistant:
    return Assistant(load_knowledge(config.knowledge_dir), timezone=config.timezone)


def reply_json(reply: Reply) -> str:
    """The stable JSON shape other tools read (see DESIGN.md)."""
    return json.dumps(
        {
            "question": reply.question,
            "answered": reply.answered,
            "lang": reply.lang,
            "text": reply.text,
            "entry": reply.entry_id,
            "score": round(reply.score, 4),
            "suggestions": [link.entry_id for link in reply.suggestions],
        },
        ensure_ascii=False,
    )


def _questions(args: argparse.Namespace) -> Iterable[str]:
    if args.question is not None:
        yield args.question
        return
    for line in sys.stdin:
        yield line.rstrip("\r\n")


def _ask(args: argparse.Namespace, config: Config) -> int:
    assistant = _assistant(config)
    for question in _questions(args):
        reply = assistant.reply(question, chosen_lang=args.lang)
        print(reply_json(reply) if args.json else reply.text, flush=True)
    return 0


def _chat(args: argparse.Namespace, config: Config) -> int:
    assistant = _assistant(config)
    print("ESCP-S3 assistant. Ask a question (Italian or English); Ctrl-D or 'exit' to quit.\n")
    while True:
        try:
            question = input("> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if question.strip().lower() in ("exit", "quit", "esci"):
            return 0
        print(assistant.reply(question, chosen_lang=args.lang).text + "\n")


def _validate(args: argparse.Namespace, config: Config) -> int:
    directory = args.directory or config.knowledge_dir
    problems = validate(directory)
    for problem in problems:
        print(problem)
    if not problems:
        kb = load_knowledge(directory)
        print(f"{directory}: valid ({len(kb.entries)} entries, {len(kb.topics)} topics, {len(kb.dates)} dates)")
    return 1 if problems else 0


def _evaluate(args: argparse.Namespace, config: Config) -> int:
    cases = load_all(args.files)
    report = evaluate(_assistant(config), cases)
    print(format_report(report, show_failures=args.failures))
    missed = Bars(args.min_accuracy, args.max_false_answers, args.max_wrong_language, args.max_wrong_answers).missed(
        report
    )
    for problem in missed:
        print(f"FAIL {problem}")
    return 1 if missed else 0


async def _open_groups(config: Config, since: dt.datetime | None, analyzer: "Analyzer") -> "list[QuestionGroup]":
    from bot.staff import group_questions
    from bot.storage import Storage

    if not config.database.exists():
        return []
    async with await Storage.open(config.database) as storage:
        records = await storage.unanswered_questions(since=since, status="open", limit=100_000)
    return group_questions(records, analyzer)


def _since(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--since must be a date like 2026-11-01, got {value!r}") from exc
    return dt.datetime.combine(day, dt.time(0), dt.UTC)


def _unanswered(args: argparse.Namespace, config: Config) -> int:
    from bot.staff import unanswered_csv, unanswered_table

    analyzer = _assistant(config).index.analyzer
    groups = asyncio.run(_open_groups(config, args.since, analyzer))
    print(unanswered_csv(groups) if args.format == "csv" else unanswered_table(groups), end="")
    return 0


def _suggest(args: argparse.Namespace, config: Config) -> int:
    from bot.staff import suggest_stubs

    assistant = _assistant(config)
    groups = asyncio.run(_open_groups(config, args.since, assistant.index.analyzer))
    print(suggest_stubs(groups, existing_ids=set(assistant.kb.entries), limit=args.limit), end="")
    return 0


def _export(args: argparse.Namespace, config: Config) -> int:
    from bot.editing.changes import read_folder
    from bot.editing.workbook import export_workbook

    assistant = _assistant(config)
    groups = asyncio.run(_open_groups(config, None, assistant.index.analyzer))
    kb = assistant.kb
    data = export_workbook(kb, read_folder(config.knowledge_dir), groups, dt.datetime.now(dt.UTC))
    args.file.write_bytes(data)
    print(
        f"wrote {args.file}: {len(kb.entries)} entries, {len(kb.dates)} dates, {len(kb.sources)} sources, "
        f"{len(groups)} groups of unanswered questions"
    )
    return 0


def _import(args: argparse.Namespace, config: Config) -> int:
    """The workbook's changes: shown, confirmed (or --yes), checked, written, and recorded for /undo."""
    from bot.editing.changes import StaleChange, check_change, read_folder, write_change
    from bot.editing.merge import MergeError, workbook_change
    from bot.editing.summary import summarise, summary_lines
    from bot.editing.workbook import MAX_FILE_BYTES, WorkbookError, folder_version, read_workbook
    from bot.i18n import Catalogs

    directory = config.knowledge_dir
    if args.file.stat().st_size > MAX_FILE_BYTES:
        print(f"{args.file}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: not a workbook of the knowledge base")
        return 1
    try:
        content = read_workbook(args.file.read_bytes())
        if content.problems:
            raise MergeError(list(content.problems))
        folder = read_folder(directory)
        kb = load_knowledge(directory)
        change = workbook_change(folder, kb, content)
    except WorkbookError as exc:
        print(f"{args.file}: {exc}")
        return 1
    except MergeError as exc:
        print("\n".join(exc.problems))
        return 1
    after = check_change(directory, change)  # KnowledgeError: main() prints file:line: reason
    lines = summary_lines(summarise(kb, after), Catalogs()["en"])
    print("\n".join(lines))
    if change.empty:
        return 0
    if content.version and content.version != folder_version(folder):
        print("Note: the knowledge base changed since this workbook was exported; where they differ, the workbook wins")
    if not args.yes and input("Apply these changes? [y/N] ").strip().lower() not in ("y", "yes", "s", "si", "sì"):
        print("nothing was changed")
        return 1
    try:
        write_change(directory, change)
    except StaleChange as exc:
        print(f"{', '.join(exc.files)} changed meanwhile: nothing was written; run the import again")
        return 1
    print(f"applied to {directory}; a running bot reloads it within seconds (or send /reload)")
    if config.database.exists():
        change_id = asyncio.run(_record_import(config, "\n".join(lines), change.to_json()))
        print(f"recorded as change #{change_id}: /undo in Telegram reverses it")
    else:
        print(f"no database at {config.database}: the change is not recorded for /undo")
    return 0


async def _record_import(config: Config, summary: str, files: str) -> int:
    from bot.storage import Storage

    async with await Storage.open(config.database) as storage:
        now = dt.datetime.now(dt.UTC)
        change_id = await storage.create_change(
            user_id=None, kind="workbook", summary=summary, files=files, effects={}, now=now
        )
        await storage.mark_change_applied(change_id, now)
    return change_id


def _run(args: argparse.Namespace, config: Config) -> int:
    config.require_token()
    if getattr(args, "webhook", False) and not config.webhook_url:
        raise ConfigError("run --webhook needs BOT_WEBHOOK_URL, the public https:// address Telegram should call.")
    from bot.telegram.service import run_bot

    run_bot(config)
    return 0


def _health(args: argparse.Namespace, config: Config) -> int:
    healthy, line = health_report(heartbeat_path(config.database), dt.datetime.now(dt.UTC))
    print(line)
    return 0 if healthy else 1


def _backup(args: argparse.Namespace, config: Config) -> int:
    info = backup_database(config.database, args.file)
    print(f"backed up {config.database} to {info.path} ({info.bytes} bytes, schema version {info.schema_version})")
    return 0


def _restore(args: argparse.Namespace, config: Config) -> int:
    running, line = health_report(heartbeat_path(config.database), dt.datetime.now(dt.UTC))
    if running and not args.force:
        print(f"the bot is running on {config.database} ({line}): stop it first", file=sys.stderr)
        return 1
    info = restore_database(args.file, config.database)
    print(f"restored {args.file} into {info.path} (schema version {info.schema_version}); start the bot again")
    return 0


def _default(args: argparse.Namespace, config: Config) -> int:
    if config.token:
        return _run(args, config)
    print("TELEGRAM_BOT_TOKEN is not set: starting the terminal chat instead (see README to run on Telegram).\n")
    args.lang = None
    return _chat(args, config)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Assistant for the ESCP-S3 call.")
    parser.set_defaults(handler=_default)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help="start the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    run.add_argument(
        "--webhook", action="store_true", help="refuse to start unless BOT_WEBHOOK_URL is set (web process)"
    )
    run.set_defaults(handler=_run)

    chat = commands.add_parser("chat", help="talk to the assistant in the terminal")
    chat.add_argument("--lang", choices=["it", "en"], help="always reply in this language")
    chat.set_defaults(handler=_chat)

    ask = commands.add_parser("ask", help="print the reply to a question (or to each line of standard input)")
    ask.add_argument("question", nargs="?", help="the question; without it, one question per line of stdin")
    ask.add_argument("--lang", choices=["it", "en"], help="force the reply language")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.set_defaults(handler=_ask)

    check = commands.add_parser("validate", help="check the knowledge base; prints file:line: reason")
    check.add_argument("directory", nargs="?", type=Path, help="default: BOT_KNOWLEDGE_DIR or knowledge/")
    check.set_defaults(handler=_validate)

    score = commands.add_parser("evaluate", help="score answer quality on evaluation files")
    score.add_argument("files", nargs="+", type=Path)
    score.add_argument("--min-accuracy", type=float, help="fail if accuracy in a language is below this (0-1)")
    score.add_argument("--max-false-answers", type=float, help="fail if the false-answer rate is above this (0-1)")
    score.add_argument("--max-wrong-language", type=float, help="fail if the wrong-language rate is above this")
    score.add_argument(
        "--max-wrong-answers", type=float, help="fail if the share of answers lacking the expected facts is above this"
    )
    score.add_argument("--failures", type=int, default=50, help="how many failing cases to list (default 50)")
    score.set_defaults(handler=_evaluate)
    report = commands.add_parser("unanswered", help="staff: the questions the bot could not answer, grouped")
    report.add_argument("--since", type=_since, help="only questions asked on or after this date (YYYY-MM-DD)")
    report.add_argument("--format", choices=["table", "csv"], default="table")
    report.set_defaults(handler=_unanswered)

    stubs = commands.add_parser("suggest", help="staff: YAML entry stubs for the most asked unanswered questions")
    stubs.add_argument("--since", type=_since, help="only questions asked on or after this date (YYYY-MM-DD)")
    stubs.add_argument("--limit", type=int, default=10, help="how many stubs (default 10)")
    stubs.set_defaults(handler=_suggest)

    export = commands.add_parser("export", help="staff: the knowledge base as a spreadsheet (XLSX) to edit")
    export.add_argument("file", type=Path, help="the .xlsx file to write")
    export.set_defaults(handler=_export)
    load_workbook = commands.add_parser(
        "import", help="staff: apply an edited spreadsheet to the knowledge base (shows what changes first)"
    )
    load_workbook.add_argument("file", type=Path, help="an .xlsx file made by export")
    load_workbook.add_argument("--yes", action="store_true", help="apply without asking")
    load_workbook.set_defaults(handler=_import)

    health = commands.add_parser("health", help="operators: exit 0 if the running bot is healthy (fresh heartbeat)")
    health.set_defaults(handler=_health)
    save = commands.add_parser("backup", help="operators: a consistent copy of the database, taken while it runs")
    save.add_argument("file", type=Path, help="the new backup file")
    save.set_defaults(handler=_backup)
    load = commands.add_parser("restore", help="operators: replace the database with a backup (stop the bot first)")
    load.add_argument("file", type=Path, help="a file written by `backup`")
    load.add_argument("--force", action="store_true", help="restore even though the bot seems to be running")
    load.set_defaults(handler=_restore)
    return parser


def configure_logging(level: str) -> None:
    """BOT_LOG_LEVEL sets the bot's own logs; the libraries stay at WARNING unless it is DEBUG."""
    numeric = logging.getLevelName(level)
    logging.basicConfig(
        level=min(numeric, logging.WARNING) if level == "DEBUG" else max(numeric, logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("bot").setLevel(numeric)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config()
        configure_logging(config.log_level)
        return args.handler(args, config)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KnowledgeError as exc:
        print("the knowledge base is not valid:", file=sys.stderr)
        print(exc, file=sys.stderr)
        return 1
    except CaseFileError as exc:
        print(f"evaluation file error: {exc}", file=sys.stderr)
        return 1
    except StorageError as exc:
        print(f"database error: {exc}", file=sys.stderr)
        return 1
