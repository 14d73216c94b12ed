"""Grouping unanswered questions: paraphrases, typos and both languages merge; different questions stay apart."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from bot.matching.analyzer import Analyzer
from bot.staff import QuestionGroup, group_candidates, group_questions
from bot.staff.grouping import typo_corrections
from bot.storage.records import UnansweredRecord

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

# A slice of knowledge/vocabulary.yaml, copied so that edits to the shipped vocabulary cannot move this test.
SYNONYMS = [
    ["scadenza", "scadenze", "deadline", "deadlines", "termine", "closing date", "data di scadenza", "scade"],
    ["proroga", "prorogata", "prorogato", "extension", "extended", "extend", "rinvio", "postponed"],
    ["budget", "dotazione", "dotazione finanziaria", "stanziamento"],
    ["finanziamento", "finanziamenti", "funding", "fondi", "funds", "contributo", "grant", "grants", "soldi"],
    ["candidarsi", "candidare", "apply", "applying", "partecipare", "participate", "take part", "join"],
    ["candidatura", "candidature", "application", "applications", "domanda di partecipazione"],
    ["azienda", "aziende", "impresa", "imprese", "company", "companies", "firm", "firms"],
    ["lingua", "lingue", "language", "languages"],
    ["conferenza", "conference", "convegno"],
    ["bruxelles", "brussels"],
    ["contatto", "contatti", "contact", "contacts", "referente", "contact person", "helpdesk"],
    ["email", "e-mail", "mail", "posta elettronica", "indirizzo email", "email address"],
    ["registrarsi", "registrazione", "register", "registration", "sign up", "iscriversi", "iscrizione"],
    ["workshop", "seminario", "seminar"],
    ["sito", "website", "web site", "sito web", "portale", "portal"],
]
IGNORE = ["ragazzi", "scusate", "guys", "kindly", "please", "plz", "btw"]

# (group, language, question): realistic messages as they reach the bot, oldest first.
CORPUS: list[tuple[str, str, str]] = [
    # the Erasmus deadline, in both languages, with paraphrases and typos
    ("erasmus-deadline", "en", "What is the deadline for Erasmus?"),
    ("erasmus-deadline", "en", "Erasmus deadline??"),
    ("erasmus-deadline", "it", "scadenza erasmus"),
    ("erasmus-deadline", "en", "erasmsu deadline"),
    ("erasmus-deadline", "it", "Qual è la scadenza dell'Erasmus?"),
    ("erasmus-deadline", "en", "When is the Erasmus deadline?"),
    ("erasmus-deadline", "it", "Quando scade l'Erasmus?"),
    ("erasmus-deadline", "en", "erasmus deadlnie"),
    ("erasmus-deadline", "it", "ragazzi scadenza per erasmus+ ??"),
    ("erasmus-deadline", "en", "erasmus deadlines"),
    ("erasmus-deadline", "it", "scadenze Erasmus"),
    # the Erasmus budget: shares "erasmus" with the deadline, but asks something else
    ("erasmus-budget", "en", "What is the budget of Erasmus?"),
    ("erasmus-budget", "en", "erasmus budget"),
    ("erasmus-budget", "it", "Qual è il budget di Erasmus?"),
    ("erasmus-budget", "en", "erasmus bugdet"),
    ("erasmus-budget", "it", "dotazione finanziaria erasmus"),
    ("erasmus-budget", "it", "dotazione Erasmus?"),
    # an extension of the Erasmus deadline: a third question on the same programme
    ("erasmus-extension", "en", "Will the Erasmus deadline be extended?"),
    ("erasmus-extension", "it", "la scadenza erasmus è stata prorogata?"),
    ("erasmus-extension", "en", "erasmus deadline extension"),
    ("erasmus-extension", "it", "proroga scadenza erasmus"),
    # another programme's deadline: shares "deadline" with the first group
    ("horizon-deadline", "en", "horizon europe deadline"),
    ("horizon-deadline", "it", "scadenza horizon europe"),
    ("horizon-deadline", "en", "When is the Horizon Europe deadline?"),
    ("horizon-deadline", "en", "horizon eruope deadline"),
    # off topic
    ("bitcoin-price", "en", "bitcoin price"),
    ("bitcoin-price", "en", "What's the price of bitcoin?"),
    ("bitcoin-price", "en", "BITCOIN PRICE!!!"),
    ("bitcoin-price", "en", "bitcoin prcie"),
    ("weather", "it", "che tempo fa a Bari?"),
    ("weather", "it", "Che tempo fa oggi a Bari"),
    ("football", "en", "who won the football match yesterday"),
    ("dog", "en", "can I bring my dog to the workshop?"),
    # Swiss companies: the same question in both languages, but no synonym links "Svizzera" to "Switzerland"
    ("swiss-en", "en", "Can companies from Switzerland apply?"),
    ("swiss-en", "en", "can a company from switzerland participate"),
    ("swiss-en", "en", "Can companies in Switzerland take part?"),
    ("swiss-it", "it", "Possono partecipare aziende della Svizzera?"),
    ("swiss-it", "it", "un'azienda svizzera può candidarsi?"),
    ("swiss-it", "it", "le imprese della svizzera possono partecipare"),
    # hotel near the conference, across languages through synonyms
    ("hotel", "en", "hotel in brussels for the conference?"),
    ("hotel", "en", "any hotel near the Brussels conference"),
    ("hotel", "it", "hotel a Bruxelles per la conferenza"),
    ("hotel", "it", "consigli hotel bruxelles conferenza?"),
    # language of the application
    ("application-language", "en", "In which language should the application be written?"),
    ("application-language", "it", "lingua candidatura?"),
    ("application-language", "en", "application language?"),
    ("application-language", "it", "lingua della candidatura"),
    # A known limit: "va" and "scritta" appear in no other question, so as the rarest terms they outweigh the two
    # the question shares with the group above. Lexical grouping cannot tell filler from a new subject.
    ("application-language-limit", "it", "In che lingua va scritta la candidatura?"),
    # who may apply and how to apply: same verb, different question words
    ("who-can-apply", "en", "Who can apply?"),
    ("who-can-apply", "it", "Chi può partecipare?"),
    ("who-can-apply", "en", "who can participate?"),
    ("how-to-apply", "en", "How do I apply?"),
    ("how-to-apply", "it", "Come si partecipa?"),
    ("how-to-apply", "en", "how to apply"),
    # just the programme's name: too vague to join any of the Erasmus questions above
    ("erasmus-alone", "en", "erasmus?"),
    ("erasmus-alone", "it", "Erasmus"),
    # helpdesk e-mail
    ("helpdesk-email", "en", "what is the email of the helpdesk"),
    ("helpdesk-email", "it", "indirizzo email dell'helpdesk"),
    ("helpdesk-email", "en", "helpdesk email address?"),
    ("helpdesk-email", "it", "mail helpdesk"),
    # registration to the workshop: shares "workshop" with the dog question
    ("workshop-registration", "en", "How do I register for the workshop?"),
    ("workshop-registration", "it", "come ci si iscrive al workshop?"),
    ("workshop-registration", "it", "iscrizione al seminario"),
    ("workshop-registration", "en", "workshop registration"),
    # the website is down
    ("website-down", "en", "the website is down"),
    ("website-down", "it", "il sito è down"),
    ("website-down", "en", "website down??"),
    # nothing to go on
    ("noise", "en", "???"),
    ("noise", "it", "?!"),
    ("ok", "en", "ok"),
    ("ok", "en", "OK!"),
    ("hello", "it", "ciao"),
]


def make_records(corpus: list[tuple[str, str, str]], start: datetime = T0) -> list[UnansweredRecord]:
    return [
        UnansweredRecord(
            id=i + 1,
            user_id=1000 + i,
            text=text,
            lang=lang,
            asked_at=start + timedelta(minutes=17 * i),
            candidates=(),
            status="open",
        )
        for i, (_, lang, text) in enumerate(corpus)
    ]


def partition(groups: list[QuestionGroup], corpus: list[tuple[str, str, str]]) -> set[frozenset[str]]:
    """Each group as the set of corpus texts it holds, to compare partitions whatever the order."""
    return {frozenset(corpus[i - 1][2] for i in group.ids) for group in groups}


def expected_partition(corpus: list[tuple[str, str, str]]) -> set[frozenset[str]]:
    by_label: dict[str, set[str]] = defaultdict(set)
    for label, _, text in corpus:
        by_label[label].add(text)
    return {frozenset(texts) for texts in by_label.values()}


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(SYNONYMS, IGNORE)


def test_groups_match_the_expected_partition(analyzer: Analyzer) -> None:
    groups = group_questions(make_records(CORPUS), analyzer)
    got = partition(groups, CORPUS)
    want = expected_partition(CORPUS)
    assert not want - got, f"missing: {sorted(map(sorted, want - got))}\nextra: {sorted(map(sorted, got - want))}"
    assert got == want


@pytest.mark.parametrize("threshold", [0.51, 0.53, 0.56])
def test_partition_holds_across_a_margin_of_thresholds(analyzer: Analyzer, threshold: float) -> None:
    """The default sits inside a window of thresholds, not on a knife edge."""
    groups = group_questions(make_records(CORPUS), analyzer, threshold=threshold)
    assert partition(groups, CORPUS) == expected_partition(CORPUS)


def test_a_shared_synonym_merges_the_languages(analyzer: Analyzer) -> None:
    """Adding "svizzera = switzerland" to the vocabulary is how staff would merge the two Swiss groups."""
    swiss = [row for row in CORPUS if row[0].startswith("swiss")]
    with_synonym = Analyzer([*SYNONYMS, ["svizzera", "switzerland", "swiss"]], IGNORE)
    assert len(group_questions(make_records(swiss), analyzer)) == 2
    assert len(group_questions(make_records(swiss), with_synonym)) == 1


def test_brief_examples_merge_and_differ(analyzer: Analyzer) -> None:
    same = ["what is the deadline for erasmus?", "Erasmus deadline??", "scadenza erasmus", "erasmsu deadline"]
    different = ["erasmus deadline", "erasmus budget", "bitcoin price"]
    corpus = [("x", "en", text) for text in same + different]
    groups = group_questions(make_records(corpus), analyzer)
    assert sorted(g.count for g in groups) == [1, 1, 5]


def test_a_bridging_question_does_not_chain_groups(analyzer: Analyzer) -> None:
    """A question on both programmes is close to either group; it joins one and does not merge the two."""
    corpus = [
        *[("erasmus", "en", "erasmus deadline")] * 3,
        *[("horizon", "en", "horizon deadline")] * 2,
        ("both", "en", "erasmus and horizon deadline"),
    ]
    groups = group_questions(make_records(corpus), analyzer)
    assert {frozenset(g.samples) for g in groups} == {
        frozenset({"erasmus deadline"}),
        frozenset({"erasmus and horizon deadline", "horizon deadline"}),  # the closer of the two
    }


def test_typos_are_corrected_towards_the_common_word(analyzer: Analyzer) -> None:
    contents = [["erasmus"], ["erasmus"], ["erasmsu"], ["bugdet"], ["budget"], ["banking"], ["banking"], ["ranking"]]
    corrections = typo_corrections(contents, analyzer)
    assert corrections["erasmsu"] == "erasmus"
    assert corrections["bugdet"] == "budget"  # the vocabulary knows "budget"
    assert "budget" not in corrections  # known words are never corrected
    assert "ranking" not in corrections  # one edit from the commoner "banking", but the first letter differs


def test_groups_are_sorted_most_asked_then_most_recent(analyzer: Analyzer) -> None:
    corpus = [
        ("a", "en", "bitcoin price"),
        ("b", "en", "hotel in brussels"),
        ("a", "en", "price of bitcoin"),
        ("c", "it", "che tempo fa a Bari"),
        ("b", "it", "hotel a Bruxelles"),
        ("d", "en", "football results"),
    ]
    groups = group_questions(make_records(corpus), analyzer)
    # a and b are asked twice (b more recently), c and d once (d more recently)
    assert [corpus[g.key - 1][2] for g in groups] == [
        "hotel in brussels",
        "bitcoin price",
        "football results",
        "che tempo fa a Bari",
    ]


def test_group_fields(analyzer: Analyzer) -> None:
    corpus = [
        ("a", "en", "Erasmus deadline??"),
        ("a", "it", "scadenza erasmus"),
        ("a", "en", "erasmus deadline"),  # same phrasing as the first: not a new sample
        ("a", "en", "What is the deadline for Erasmus?"),
        ("a", "it", "  Qual è la scadenza dell'Erasmus?  "),
    ]
    records = make_records(corpus)
    [group] = group_questions(list(reversed(records)), analyzer)
    assert group.ids == (1, 2, 3, 4, 5)
    assert group.key == 1
    assert group.count == 5
    assert group.first_asked == records[0].asked_at
    assert group.last_asked == records[-1].asked_at
    assert group.langs == ("en", "it")
    assert group.samples == (
        "Qual è la scadenza dell'Erasmus?",
        "What is the deadline for Erasmus?",
        "erasmus deadline",
    )
    assert group.sample_langs == ("it", "en", "en")


def test_key_is_stable_whatever_the_order(analyzer: Analyzer) -> None:
    records = make_records(CORPUS)
    forward = group_questions(records, analyzer)
    backward = group_questions(list(reversed(records)), analyzer)
    assert forward == backward


def test_empty_input_and_bad_threshold(analyzer: Analyzer) -> None:
    assert group_questions([], analyzer) == []
    with pytest.raises(ValueError):
        group_questions(make_records(CORPUS[:2]), analyzer, threshold=0)


def test_threshold_one_keeps_only_identical_term_sets(analyzer: Analyzer) -> None:
    corpus = [("x", "en", "erasmus deadline"), ("x", "it", "scadenza erasmus"), ("y", "en", "when is erasmus deadline")]
    groups = group_questions(make_records(corpus), analyzer, threshold=1.0)
    assert sorted(g.count for g in groups) == [1, 2]


def test_group_candidates_rank_the_entries_the_bot_had_in_mind_for_the_whole_group() -> None:
    asked = datetime(2026, 11, 25, tzinfo=UTC)
    records = [
        UnansweredRecord(1, None, "a", "it", asked, (("deadline", 0.4), ("eligibility", 0.45)), "open"),
        UnansweredRecord(2, None, "b", "en", asked, (("deadline", 0.3),), "open"),
        UnansweredRecord(3, None, "c", "en", asked, (), "open"),
    ]
    assert group_candidates(records) == ["deadline", "eligibility"]  # 0.7 over 0.45: it came up for more of them
    assert group_candidates([]) == []
