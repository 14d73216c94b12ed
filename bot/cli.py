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
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.assistant import Assistant, Reply
from bot.assistant_cache import configured_cache, prepare
from bot.config import Config, ConfigError, load_config
from bot.evaluation import Bars, CaseFileError, evaluate, format_report, load_all
from bot.heartbeat import health_report, heartbeat_path
from bot.i18n import Catalogs, Translator, mark
from bot.knowledge import LANGUAGES, KnowledgeError, load_knowledge, read_knowledge_files
from bot.outcome import Outcome
from bot.storage import StorageError
from bot.storage.backup import backup_database, restore_database

if TYPE_CHECKING:  # imported when used: `ask` and `chat` start without them
    from bot.matching.analyzer import Analyzer
    from bot.staff import QuestionGroup

EXIT_CONFIG = 2
YES = ("y", "yes", "s", "si", "sì")
EXIT_KNOWLEDGE = 3  # the bot cannot start: its knowledge base has errors and no earlier version was ever served
#: The terminal logs nothing, so its "I don't know" must not say that staff were told (the Telegram one does).
TERMINAL_UNKNOWN = mark(
    "I don't know the answer to that yet: I only answer questions about the ESCP-S3 call. "
    "(Here in the terminal nothing is logged; on Telegram this question would be passed on to the programme staff.)"
)


def _assistant(config: Config, store_later: list[Callable[[], None]] | None = None) -> Assistant:
    """The assistant the bot would serve, from the cache the bot keeps when it holds this knowledge base (else
    built, and stored there: at once, or by running what is appended to `store_later`)."""
    files = read_knowledge_files(config.knowledge_dir)
    check, prepared = prepare(files, str(config.knowledge_dir), cache=configured_cache(config), store_later=store_later)
    if check.kb is None:
        raise KnowledgeError(list(check.errors))
    return Assistant(check.kb, timezone=config.timezone, prepared=prepared)


def staff_language(config: Config, environ: Mapping[str, str] | None = None) -> str:
    """The staff tools' language in the terminal: BOT_STAFF_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG) when
    it is Italian or English, else English."""
    if config.staff_lang:
        return config.staff_lang
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if value := environ.get(name, ""):
            lang = value[:2].lower()
            return lang if lang in LANGUAGES else "en"
    return "en"


def _staff_translator(args: argparse.Namespace, config: Config) -> Translator:
    return Catalogs()[getattr(args, "lang", None) or staff_language(config)]


def terminal_reply(reply: Reply, assistant: Assistant) -> Reply:
    """The reply as the terminal gives it: the same, except that it does not claim to pass anything on to staff."""
    if reply.kind is Outcome.UNKNOWN:
        return replace(reply, body=assistant.catalogs[reply.lang].gettext(TERMINAL_UNKNOWN))
    return reply


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
    store_later: list[Callable[[], None]] = []  # the answers first, then the cache for the next time
    assistant = _assistant(config, store_later)
    for question in _questions(args):
        reply = terminal_reply(assistant.reply(question, chosen_lang=args.lang), assistant)
        print(reply_json(reply) if args.json else reply.text, flush=True)
    for store in store_later:
        store()
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
        print(terminal_reply(assistant.reply(question, chosen_lang=args.lang), assistant).text + "\n")


def _validate(args: argparse.Namespace, config: Config) -> int:
    """Errors (the bot would refuse this version) then warnings, one `file:line: reason — hint` each, in the staff
    language; exit status 1 when there is an error."""
    from bot.staff.review import check_knowledge_directory

    tr = _staff_translator(args, config)
    directory = args.directory or config.knowledge_dir
    check = check_knowledge_directory(directory)
    for problem in check.errors:
        print(problem.text(tr.gettext))
    warning = tr.gettext("warning")
    for problem in check.warnings:
        print(f"{problem.file}:{problem.line}: {warning}: {problem.describe(tr.gettext)}")
    if check.kb is None:
        summary = tr.ngettext(
            "%(place)s: %(count)d error, the bot will not load this version",
            "%(place)s: %(count)d errors, the bot will not load this version",
            len(check.errors),
            place=directory,
        )
    else:
        summary = tr.gettext(
            "%(place)s: valid (%(entries)d entries, %(topics)d topics, %(dates)d dates)",
            place=directory,
            entries=len(check.kb.entries),
            topics=len(check.kb.topics),
            dates=len(check.kb.dates),
        )
    if check.warnings:
        summary += "; " + tr.ngettext("%(count)d warning", "%(count)d warnings", len(check.warnings))
    print(summary)
    return 1 if check.errors else 0


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


class MissingDatabase(Exception):
    """`unanswered`/`suggest` were pointed at a database that does not exist."""


async def _open_groups(config: Config, since: dt.datetime | None, analyzer: "Analyzer") -> "list[QuestionGroup]":
    from bot.staff import group_questions
    from bot.storage import Storage

    async with await Storage.open(config.database) as storage:
        records = await storage.unanswered_questions(since=since, status="open", limit=100_000)
    return group_questions(records, analyzer)


def _read_groups(args: argparse.Namespace, config: Config, analyzer: "Analyzer") -> "list[QuestionGroup]":
    """The open unanswered groups, after saying on stderr which database they come from (the bot's own, set by
    BOT_DATABASE: a wrong one would silently show nothing)."""
    tr = _staff_translator(args, config)
    path = config.database.resolve()
    if not config.database.is_file():
        print(
            tr.gettext(
                "There is no database at %(path)s: set BOT_DATABASE to the database file of the running bot.",
                path=path,
            ),
            file=sys.stderr,
        )
        raise MissingDatabase(str(path))
    print(tr.gettext("Reading the questions from %(path)s.", path=path), file=sys.stderr)
    return asyncio.run(_open_groups(config, args.since, analyzer))


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
    groups = _read_groups(args, config, analyzer)
    text = unanswered_csv(groups) if args.format == "csv" else unanswered_table(groups)
    if args.output:
        args.output.write_text(text, encoding="utf-8", newline="")
    else:
        print(text, end="")
    return 0


def _suggest(args: argparse.Namespace, config: Config) -> int:
    from bot.staff import suggest_stubs

    assistant = _assistant(config)
    groups = _read_groups(args, config, assistant.index.analyzer)
    print(suggest_stubs(groups, existing_ids=set(assistant.kb.entries), limit=args.limit), end="")
    return 0


def _export(args: argparse.Namespace, config: Config) -> int:
    from bot.editing.changes import read_folder
    from bot.editing.workbook import export_workbook

    tr = _staff_translator(args, config)
    assistant = _assistant(config)
    groups = []
    if config.database.is_file():  # opening a missing database would create one
        groups = asyncio.run(_open_groups(config, None, assistant.index.analyzer))
    kb = assistant.kb
    data = export_workbook(kb, read_folder(config.knowledge_dir), groups, dt.datetime.now(dt.UTC))
    args.file.write_bytes(data)
    print(
        tr.gettext(
            "Wrote %(file)s: %(entries)d entries, %(dates)d dates, %(sources)d sources, %(groups)d groups of "
            "unanswered questions (from %(database)s).",
            file=args.file,
            entries=len(kb.entries),
            dates=len(kb.dates),
            sources=len(kb.sources),
            groups=len(groups),
            database=config.database.resolve(),
        )
    )
    return 0


def _import(args: argparse.Namespace, config: Config) -> int:
    """The workbook's changes: shown, confirmed (or --yes), checked, written, and recorded for /undo."""
    from bot.editing.changes import StaleChange, check_change, read_folder, write_change
    from bot.editing.merge import MergeError, workbook_change
    from bot.editing.summary import summarise, summary_lines
    from bot.editing.workbook import MAX_FILE_BYTES, WorkbookError, folder_version, read_workbook

    tr = _staff_translator(args, config)
    directory = config.knowledge_dir
    if args.file.stat().st_size > MAX_FILE_BYTES:
        print(tr.gettext("That file is too large: a workbook of the knowledge base is well under 5 MB."))
        return 1
    try:
        content = read_workbook(args.file.read_bytes())
        if content.problems:
            raise MergeError(list(content.problems))
        folder = read_folder(directory)
        kb = load_knowledge(directory)
        change = workbook_change(folder, kb, content)
    except WorkbookError as exc:
        print(tr.gettext("Nothing was changed: %(reason)s.", reason=str(exc)))
        return 1
    except MergeError as exc:
        print(tr.gettext("Nothing was changed. Fix these cells and send the file again:"))
        print("\n".join(exc.problems))
        return 1
    try:
        after = check_change(directory, change)
    except KnowledgeError as exc:  # the workbook's errors, not the folder's: exit 1 like any refused input
        print(tr.gettext("Nothing was changed: the knowledge base would not be valid."))
        for problem in exc.problems:
            print(problem.text(tr.gettext))
        return 1
    assert after.kb is not None
    lines = summary_lines(summarise(kb, after.kb), tr)
    print("\n".join(lines))
    for warning in after.warnings:
        print(warning.text(tr.gettext))
    if change.empty:
        return 0
    if content.version and content.version != folder_version(folder):
        print(
            tr.gettext(
                "The knowledge base changed since this workbook was exported: where the two differ, the workbook "
                "wins. Check the summary."
            )
        )
    if not args.yes and input(tr.gettext("Apply these changes? [y/N] ")).strip().lower() not in YES:
        print(tr.gettext("Nothing was changed."))
        return 1
    try:
        write_change(directory, change)
    except StaleChange as exc:
        print(
            tr.gettext(
                "%(files)s changed since this preview (edited by hand, or another change came first): nothing was "
                "written. Prepare the change again.",
                files=", ".join(exc.files),
            )
        )
        return 1
    applied = tr.gettext(
        "Applied to %(folder)s: a running bot reloads it within seconds (or send /reload).", folder=directory
    )
    print(applied)
    if config.database.is_file():
        change_id = asyncio.run(_record_import(config, "\n".join(lines), change.to_json()))
        print(tr.gettext("Recorded as change #%(id)d: /undo in Telegram reverses it.", id=change_id))
    else:
        print(
            tr.gettext(
                "There is no database at %(path)s: the change is not recorded, so /undo cannot reverse it.",
                path=config.database.resolve(),
            )
        )
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
    check.add_argument("--lang", choices=LANGUAGES, help="language of the messages (default: BOT_STAFF_LANG, locale)")
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
    report.add_argument(
        "--format", choices=["table", "csv"], default="table", help="csv: for Excel (UTF-8 with BOM, ';' separated)"
    )
    report.add_argument("--output", "-o", type=Path, help="write to this file instead of the screen")
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
        tr = Catalogs()[staff_language(config)]
        print(tr.gettext("The knowledge base has errors (python -m bot validate explains them):"), file=sys.stderr)
        for problem in exc.problems:
            print(problem.text(tr.gettext), file=sys.stderr)
        return EXIT_KNOWLEDGE
    except CaseFileError as exc:
        print(f"evaluation file error: {exc}", file=sys.stderr)
        return 1
    except StorageError as exc:
        print(f"database error: {exc}", file=sys.stderr)
        return 1
    except MissingDatabase:
        return 1
