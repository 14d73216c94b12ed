"""Matcher outcomes on a small knowledge base: typos, accents, elisions, mixed language, off-topic."""

from dataclasses import replace

import pytest

from bot.assistant import Assistant
from bot.matching.analyzer import Analyzer
from bot.matching.decision import Thresholds, near_declined
from bot.matching.index import Candidate
from bot.matching.spelling import SpellingCorrector
from bot.matching.text import fold, stem, words
from bot.outcome import Outcome


def test_folding_removes_case_accents_and_splits_elisions() -> None:
    assert fold("L’Aerospazio È") == "l’aerospazio e"
    assert words("L’Aerospazio, l'industria") == ["l", "aerospazio", "l", "industria"]
    assert words("dell'industria 4.0, nel 2016!") == ["dell", "industria", "4.0", "nel", "2016"]


def test_amounts_are_read_as_the_same_number_however_written() -> None:
    for written in ("350.000 euro", "350,000", "350k", "350 mila", "350mila"):
        assert words(written)[0] == "350000", written
    assert words("2.800.000") == ["2800000"]
    assert words("industria 4.0 nel 2020") == ["industria", "4.0", "nel", "2020"]  # not amounts


def test_stems_agree_across_languages_and_inflections() -> None:
    assert stem("partecipare") == stem("partecipa")
    assert stem("deadline") == stem("deadlines")
    assert stem("parchi") == stem("parco")


def test_synonym_phrases_become_one_concept() -> None:
    analyzer = Analyzer([["science park", "parco scientifico", "parchi scientifici"], ["deadline", "scadenza"]])
    it_terms = [t.key for t in analyzer.terms("I parchi scientifici e la scadenza")]
    en_terms = [t.key for t in analyzer.terms("science parks deadline")]
    assert it_terms == en_terms == ["~science_park", "~deadline"]


def test_a_phrase_whose_meaning_is_in_its_small_words_keeps_it() -> None:
    # "entro quando" is a deadline, though without its small word it would be any "quando"; "a cosa serve" is all
    # small words, and still asks for the purpose
    analyzer = Analyzer([["when", "quando"], ["deadline", "scadenza", "entro quando"], ["purpose", "a cosa serve"]])
    assert [t.key for t in analyzer.terms("entro quando si manda?")] == ["~deadline", stem("manda")]
    assert [t.key for t in analyzer.terms("quando si manda?")] == ["~when", stem("manda")]
    assert [t.key for t in analyzer.terms("ma a cosa serve?")] == ["~purpose"]
    assert [t.key for t in analyzer.terms("cosa serve?")] == []


def test_spelling_correction_within_edit_budget() -> None:
    corrector = SpellingCorrector(["scadenza", "partecipare", "parchi", "bando"])
    assert corrector.correct("scadneza") == "scadenza"  # swapped letters
    assert corrector.correct("partecpare") == "partecipare"  # dropped letter
    assert corrector.correct("bandx") == "bando"
    assert corrector.correct("pizza") is None
    assert corrector.correct("bnd") is None  # too short to correct safely


def test_a_correction_keeps_the_first_letter_or_swaps_the_first_two() -> None:
    corrector = SpellingCorrector(["finding", "match", "cosme"])
    assert corrector.correct("binding") is None  # another real word, not "finding" mistyped
    assert corrector.correct("watch") is None
    assert corrector.correct("ocsme") == "cosme"


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("Qual è la scadenza?", "deadline"),
        ("qual e la scadenza", "deadline"),  # no accents
        ("QUAL'È LA SCADENZA???", "deadline"),  # shouting, elision
        ("scadneza del bando", "deadline"),  # typo
        ("What's the deadline?", "deadline"),
        ("qual è la deadline del bando?", "deadline"),  # mixed language
        ("possono partecipare i parchi scientifici?", "eligibility"),
        ("can science parks take part?", "eligibility"),
        ("ciao ragazzi, chi può partecipare?", "eligibility"),  # greeting and filler inside a question
        ("ciao", "greeting"),
    ],
)
def test_answers(small_assistant: Assistant, question: str, entry: str) -> None:
    reply = small_assistant.reply(question)
    assert reply.kind is Outcome.ANSWER, (question, reply.candidates)
    assert reply.entry_id == entry


@pytest.mark.parametrize(
    "question",
    [
        "what is the deadline for Erasmus+?",
        "scadenza dichiarazione dei redditi",
        "what's the weather in Bari tomorrow",
        "write me a poem about the sea",
        "asdfghjkl",
    ],
)
def test_off_topic_is_never_answered(small_assistant: Assistant, question: str) -> None:
    reply = small_assistant.reply(question)
    assert not reply.answered, (question, reply.entry_id, reply.candidates)
    assert reply.needs_staff


def test_near_miss_offers_did_you_mean_not_an_answer(small_assistant: Assistant) -> None:
    reply = small_assistant.reply("what is the deadline for Erasmus+?")
    assert reply.kind is Outcome.SUGGEST
    assert [link.entry_id for link in reply.suggestions] == ["deadline"]
    assert reply.suggestions[0].label == "What is the deadline?"


@pytest.mark.parametrize("question", ["", "   ", "😀😀😀", "???", "\x00\x01"])
def test_nothing_to_read_asks_for_a_question(small_assistant: Assistant, question: str) -> None:
    reply = small_assistant.reply(question)
    assert reply.kind is Outcome.EMPTY
    assert not reply.needs_staff


def test_only_stop_words_is_unknown(small_assistant: Assistant) -> None:
    assert small_assistant.reply("what is it?").kind is Outcome.UNKNOWN


@pytest.mark.parametrize("question", ["who won the call?", "chi ha vinto il bando?", "which projects got funded?"])
def test_out_of_scope_entries_are_declined_without_suggestions(small_assistant: Assistant, question: str) -> None:
    reply = small_assistant.reply(question)
    assert reply.kind is Outcome.UNKNOWN
    assert reply.suggestions == ()
    assert reply.needs_staff


def test_out_of_scope_topics_are_not_browsable(small_assistant: Assistant) -> None:
    assert [topic_id for topic_id, _ in small_assistant.topics()] == ["calls"]
    assert small_assistant.menu_topic("out-of-scope") is None
    assert small_assistant.menu_topic("calls") is not None


def test_half_a_question_is_not_enough(small_assistant: Assistant) -> None:
    best = small_assistant.match("what is the deadline for Erasmus+?").ranking.candidates[0]
    assert best.entry_id == "deadline"
    assert best.explained < small_assistant.thresholds.min_explained


def test_the_sender_s_story_never_dilutes_how_well_an_entry_explains_the_question(
    small_assistant: Assistant,
) -> None:
    index = small_assistant.index
    question = index.analyse("when is the deadline?")
    story = index.analyse("we are a small cluster of furniture makers with many members abroad")
    alone = index.rank_parts([(question, 1.0)]).candidates[0]
    told = index.rank_parts([(question, 1.0), (story, 0.4)]).candidates[0]
    assert told.entry_id == alone.entry_id
    assert told.explained == alone.explained  # the story's words the entry does not use take nothing away


def test_term_information_is_log_n_minus_the_smoothed_entropy_of_its_uses() -> None:
    """The index computes every term's weight at once over arrays; here each one by the formula, term by term."""
    import math

    import numpy as np

    from bot.matching.index import _information

    uses = {0: {0: 3.0, 1: 1.0}, 1: {2: 0.5}, 2: {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0}}  # term -> entry -> evidence
    n_entries, prior = 4, 0.5
    term_of = np.array([t for t, by_entry in uses.items() for _ in by_entry])
    amounts = np.array([a for by_entry in uses.values() for a in by_entry.values()])
    expected = []
    for by_entry in uses.values():
        total = sum(by_entry.values()) + prior
        entropy = -sum(
            (c + prior / n_entries) / total * math.log((c + prior / n_entries) / total) for c in by_entry.values()
        )
        rest = prior / n_entries / total
        entropy -= (n_entries - len(by_entry)) * rest * math.log(rest)
        expected.append(max(math.log(n_entries) - entropy, 0.05))
    assert _information(term_of, amounts, 3, n_entries, prior).tolist() == pytest.approx(expected, rel=1e-12)
    assert expected[2] == 0.05  # used evenly everywhere: says nothing
    assert expected[0] > expected[1]  # used a lot in one entry beats used once
    assert _information(np.zeros(0, dtype=np.int64), np.zeros(0), 0, 1, prior).tolist() == []


def test_forms_of_to_be_would_and_should_are_small_words() -> None:
    analyzer = Analyzer()
    assert analyzer.content_words("se fosse possibile, cosa dovrebbe fare la partnership?") == [
        "possibile",
        "fare",
        "partnership",
    ]
    assert analyzer.content_words("we dont know what to do within the partnership") == ["partnership"]
    assert analyzer.content_words("in che modo? somebody saw the actual partnership") == ["partnership"]
    assert analyzer.content_words("nn ho capito, possiamo starci dentro da qualche parte?") == ["starci"]


def test_a_short_word_is_corrected_only_for_a_doubled_letter_typed_single() -> None:
    corrector = SpellingCorrector(["apply", "hello", "there", "agri"])
    assert corrector.correct("aply") == "apply" and corrector.correct("helo") == "hello"
    assert corrector.correct("ther") is None  # a letter left out, not a double: too many short words are one edit away
    assert corrector.correct("apri") is None  # not "agri"


def test_an_out_of_scope_entry_close_in_score_but_explaining_much_less_does_not_decline() -> None:
    thresholds = Thresholds()
    best = Candidate("funding-eoi", 0.61, explained=1.0)
    close = Candidate("other-programmes", 0.53, explained=0.5)  # shares "budget" only
    assert not near_declined([best, close], thresholds, {"other-programmes"})
    assert near_declined([best, replace(close, explained=0.9)], thresholds, {"other-programmes"})
    assert near_declined([close, best], thresholds, {"other-programmes"})  # the best itself is out of scope
