"""Storage for staff edits: the change record with undo, answer requests delivered once, staff notes, migration 4."""

import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.storage import Storage
from bot.storage.migrations import MIGRATIONS, migrate
from bot.storage.staff_edits import UNDOABLE_CHANGES

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ALICE, BOB, STAFF = 1001, 2002, 3003


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Storage]:
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    yield storage
    await storage.close()


async def unanswered(store: Storage, user_id: int | None, text: str = "ci sono contributi?", lang: str = "it") -> int:
    return await store.log_question(
        user_id=user_id, text=text, lang=lang, outcome="unknown", entry_id=None, score=0.1, candidates=(), now=T0
    )  # type: ignore[arg-type]


async def test_migration_4_keeps_the_ledger_and_its_ids(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = await aiosqlite.connect(path, isolation_level=None)
    await conn.execute("PRAGMA foreign_keys = ON")
    await migrate(conn, MIGRATIONS[:3])
    stamp = T0.isoformat()
    for _ in range(3):
        await conn.execute(
            "INSERT INTO delivery_batches (kind, texts, created_at) VALUES ('broadcast', '{}', ?)", (stamp,)
        )
    await conn.execute("INSERT INTO deliveries (batch_id, chat_id, lang, updated_at) VALUES (2, 5, 'it', ?)", (stamp,))
    await conn.execute("INSERT INTO delivery_reports (batch_id, chat_id, lang) VALUES (2, 5, 'it')")
    await conn.execute("DELETE FROM delivery_batches WHERE id = 3")
    await conn.close()
    storage = await Storage.open(path)
    batch = await storage.enqueue_staff_note({"it": "x"}, [(STAFF, "it")], T0, subject="digest:test", state={})
    await storage.close()
    assert batch == 4  # the deleted batch's id is never reused
    with closing(sqlite3.connect(path)) as raw:
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        assert raw.execute("SELECT id, kind FROM delivery_batches ORDER BY id").fetchall() == [
            (1, "broadcast"),
            (2, "broadcast"),
            (4, "digest"),
        ]
        assert raw.execute("SELECT batch_id, chat_id FROM deliveries ORDER BY id").fetchall() == [(2, 5), (4, STAFF)]


async def test_a_change_is_applied_once_and_undone_once(store: Storage) -> None:
    first = await store.create_change(user_id=STAFF, kind="phrasing", summary="a", files="[]", effects={}, now=T0)
    assert await store.mark_change_applied(first, T0)
    assert not await store.mark_change_applied(first, T0)  # a second tap on Confirm
    second = await store.create_change(user_id=STAFF, kind="entry", summary="b", files="[]", effects={"x": 1}, now=T0)
    assert (await store.last_undoable_change()).id == first  # still pending: nothing to undo yet
    await store.mark_change_applied(second, T0)
    assert (await store.last_undoable_change()).id == second
    undo = await store.create_change(
        user_id=BOB, kind="undo", summary="c", files="[]", effects={}, now=T0, undoes=second
    )
    assert await store.mark_change_applied(undo, T0 + timedelta(minutes=1))
    undone = await store.knowledge_change(second)
    assert undone.state == "undone" and undone.undone_at == T0 + timedelta(minutes=1) and undone.effects == {"x": 1}
    assert (await store.last_undoable_change()).id == first
    assert [c.id for c in await store.recent_changes()] == [undo, second, first]
    cancelled = await store.create_change(
        user_id=STAFF, kind="workbook", summary="d", files='[["a.yaml", null, "x"]]', effects={}, now=T0
    )
    assert await store.cancel_change(cancelled) and not await store.cancel_change(cancelled)
    assert not await store.mark_change_applied(cancelled, T0)
    assert (await store.knowledge_change(cancelled)).files == "[]"


async def test_old_changes_keep_the_record_but_not_the_texts(store: Storage) -> None:
    ids = []
    for number in range(UNDOABLE_CHANGES + 2):
        change = await store.create_change(
            user_id=STAFF, kind="phrasing", summary=f"#{number}", files='[["a.yaml", "x", "y"]]', effects={}, now=T0
        )
        await store.mark_change_applied(change, T0)
        ids.append(change)
    records = {c.id: c for c in await store.recent_changes(limit=100)}
    assert [records[i].files for i in ids[:2]] == ["[]", "[]"]
    assert all(records[i].files != "[]" for i in ids[2:])
    assert records[ids[0]].summary == "#0"


async def test_answer_requests_are_queued_once_and_reach_non_subscribers(store: Storage) -> None:
    question = await unanswered(store, ALICE)
    assert await store.request_answer(ALICE, question, "it", T0) is True
    assert await store.request_answer(ALICE, question, "it", T0) is False
    assert await store.request_answer(BOB, question, "en", T0) is True
    await store.set_language(BOB, "it", T0)
    requests = await store.answer_requests_for([question])
    assert [(r.user_id, r.lang, r.question) for r in requests] == [
        (ALICE, "it", "ci sono contributi?"),
        (BOB, "it", "ci sono contributi?"),  # Bob chose Italian since
    ]
    notices = [(r, {"it": f"risposta {r.user_id}", "en": "answer"}) for r in requests]
    assert await store.enqueue_answers(notices, T0) == 2
    assert await store.enqueue_answers(notices, T0) == 0  # the requests are gone: nobody is told twice
    assert await store.answer_requests_for([question]) == []
    pending = await store.pending_deliveries()
    assert [(p.chat_id, p.text) for p in pending] == [(ALICE, f"risposta {ALICE}"), (BOB, f"risposta {BOB}")]
    assert await store.claim_delivery(pending[0].id, "run", T0)  # nobody here subscribed: still delivered


async def test_a_request_for_a_question_no_longer_open_is_refused(store: Storage) -> None:
    question = await unanswered(store, ALICE)
    await store.set_unanswered_status([question], "ignored")
    assert await store.request_answer(ALICE, question, "it", T0) is None
    assert await store.request_answer(ALICE, 999, "it", T0) is None


async def test_forgetting_removes_requests_and_the_questions_others_wait_on(store: Storage) -> None:
    alice_question = await unanswered(store, ALICE)
    bob_question = await unanswered(store, BOB, "and grants?", "en")
    await store.request_answer(ALICE, alice_question, "it", T0)
    await store.request_answer(BOB, alice_question, "en", T0)
    await store.request_answer(BOB, bob_question, "en", T0)
    await store.request_answer(ALICE, bob_question, "it", T0)
    assert len((await store.export_user_data(ALICE))["answer_requests"]) == 2
    await store.forget_user(ALICE)
    remaining = await store.answer_requests_for([alice_question, bob_question])
    assert [(r.user_id, r.unanswered_id) for r in remaining] == [(BOB, bob_question)]


async def test_requests_are_purged_after_the_retention_period(store: Storage) -> None:
    question = await unanswered(store, ALICE)
    await store.request_answer(ALICE, question, "it", T0)
    assert await store.purge_answer_requests_older_than(T0) == 0
    assert await store.purge_answer_requests_older_than(T0 + timedelta(seconds=1)) == 1


async def test_forgetting_a_staff_member_keeps_the_undo_of_their_change(store: Storage) -> None:
    theirs = await store.create_change(user_id=STAFF, kind="entry", summary="a", files="[]", effects={}, now=T0)
    await store.mark_change_applied(theirs, T0)
    undo = await store.create_change(
        user_id=BOB, kind="undo", summary="b", files="[]", effects={}, now=T0, undoes=theirs
    )
    await store.mark_change_applied(undo, T0)
    await store.save_draft(STAFF, {"step": "answers"}, T0)
    assert await store.forget_user(STAFF) == 2
    assert (await store.knowledge_change(undo)).undoes is None
    assert await store.draft(STAFF) is None


async def test_staff_notes_go_in_each_staff_members_language_with_their_bookkeeping(store: Storage) -> None:
    batch = await store.enqueue_staff_note(
        {"it": "riepilogo", "en": "digest"},
        [(STAFF, "it"), (BOB, "en")],
        T0,
        subject="digest:2026-11-25",
        state={"digest_day": "x"},
    )
    assert batch is not None
    assert sorted((p.chat_id, p.text) for p in await store.pending_deliveries()) == [
        (BOB, "digest"),
        (STAFF, "riepilogo"),
    ]
    assert await store.staff_state("digest_day") == "x"
    assert await store.enqueue_staff_note(None, [(STAFF, "it")], T0, subject="quiet", state={"digest_day": "y"}) is None
    assert await store.staff_state("digest_day") == "y"
    assert len(await store.pending_deliveries()) == 2
