"""The benchmarks measure what they say: the real processes, beside their baseline, on questions the knowledge base
does not contain. Tiny runs (a second or two of load), so the benchmarks keep working as the bot changes; the
figures themselves come from the full runs (see the README), never from tests."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.eval_questions import load_questions
from benchmarks.kb_generator import generate_knowledge, stamp_edition
from bot.knowledge import load_knowledge
from tests.conftest import ROOT

BENCHMARKS = ROOT / "benchmarks"


def run_benchmark(script: str, *args: str, timeout: float = 240) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_generated_knowledge_is_valid_and_its_held_out_questions_are_not_its_phrasings(tmp_path: Path) -> None:
    held_out = generate_knowledge(tmp_path, 60)
    kb = load_knowledge(tmp_path)
    phrasings = {q for entry in kb.entries.values() for lang in ("it", "en") for q in entry.questions[lang]}
    assert len(kb.entries) == 60
    assert len(held_out) == 60 * 2 + 6
    assert not {q.text for q in held_out} & phrasings


def test_an_edition_stamp_changes_the_content_and_keeps_it_valid(tmp_path: Path) -> None:
    generate_knowledge(tmp_path, 5)
    before = (tmp_path / "sources.yaml").read_text()
    stamp_edition(tmp_path, "1")
    stamp_edition(tmp_path, "2")
    after = (tmp_path / "sources.yaml").read_text()
    assert after != before and "[edition 2]" in after and "[edition 1]" not in after
    assert len(load_knowledge(tmp_path).entries) == 5


@pytest.mark.parametrize("name", ["sealed.yaml", "sealed4.yaml", "realistic_c.yaml", "realistic_i.yaml"])
def test_benchmarks_refuse_the_held_out_evaluation_sets(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("- q: never read\n  lang: en\n")
    with pytest.raises(SystemExit, match="held-out"):
        load_questions([tmp_path / name])


def test_load_measures_the_real_bot_process_beside_both_echo_bots(tmp_path: Path) -> None:
    out = run_benchmark(
        "load.py", "--repetitions", "1", "--seconds", "1.5", "--warmup-seconds", "0.5", "--json", str(tmp_path / "r")
    )
    runs = {run["kind"]: run for run in json.loads((tmp_path / "r").read_text())}
    assert set(runs) == {"bot", "echo", "echo-aiohttp"}
    assert runs["bot"]["command"].endswith("-m bot run")
    assert runs["echo"]["command"].endswith("benchmarks/echo_bot.py")
    assert runs["echo-aiohttp"]["command"].endswith("benchmarks/echo_bot.py")
    for run in runs.values():
        assert run["pid"] != run["server_pid"]
        assert run["completed"] > 0 and run["cpu_ms_per_update"] > 0 and run["idle_rss_mib"] > 10
        assert run["exit_code"] == 0 and not run["timed_out"] and not run["http_errors"] and not run["problems"]
    assert "text:answered" in runs["bot"]["outcomes"]
    assert "throughput at least 0.8 of the echo bot's" in out and "CPU per update at most 1.3x" in out
    assert "the bot against the echo bot through the bot's HTTP client (aiohttp)" in out


def test_answer_speed_reports_cold_and_warm_latency_and_rss(tmp_path: Path) -> None:
    out = run_benchmark(
        "answer_speed.py", "--sizes", "40", "--repetitions", "1", "--queries", "30", "--json", str(tmp_path / "r")
    )
    results = json.loads((tmp_path / "r").read_text())
    runs = [results[f"{base}, {way}"][0] for base in ("shipped", "generated 40") for way in ("built", "from the cache")]
    assert [run["from_cache"] for run in runs] == [False, True, False, True]  # the second process reads the first's
    for figures in runs:
        assert figures["questions"] == 30
        assert figures["cold_p99_ms"] > 0 and figures["warm_p99_ms"] > 0
        assert figures["rss_built_mib"] >= figures["rss_imports_mib"] > 10
    assert runs[0]["store_s"] > 0 and runs[1]["entries"] == runs[0]["entries"]
    assert "cold p50 / p99" in out and "warm p50 / p99" in out and "assistant from the cache" in out


def test_startup_times_the_process_to_its_first_poll_and_a_reload(tmp_path: Path) -> None:
    run_benchmark("startup.py", "--sizes", "--repetitions", "1", "--json", str(tmp_path / "r"))
    [figures] = json.loads((tmp_path / "r").read_text())["shipped"]
    assert 0 < figures["warm_ready_s"] < 60 and 0 < figures["cold_ready_s"] < 60
    assert figures["edited_reload_s"] > 0 and figures["ask_cold_s"] > 0
    assert f": {len(load_knowledge(ROOT / 'knowledge').entries)} " in figures["reload_reply"]
    assert not figures.get("problems")
