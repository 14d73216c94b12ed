"""Reading a message before matching it: sentences, questions, the sender's context, greetings, details asked."""

import pytest

from bot.matching.asked import as_matched, only_confirms, reported, without_guesses
from bot.matching.details import asked_details, detail_gaps
from bot.matching.lexicon import says_little
from bot.matching.reading import (
    Question,
    Role,
    Words,
    announces_several,
    coordinated_subjects,
    greets,
    questions_of,
    read_message,
    refers_back,
    split_questions,
    split_sentences,
    without_roles,
)
from bot.matching.text import words

SOCIAL = {"ciao", "hi", "hello", "buongiorno", "salve", "grazie", "thanks", "grazie mille", "hi there"}


def words_of(text: str) -> Words:
    """A stand-in for the index's vocabulary: greetings are social, text without letters says nothing."""
    cleaned = " ".join(words(text))
    if not cleaned:
        return Words.NONE
    return Words.SOCIAL if cleaned in SOCIAL else Words.TOPIC


def roles(text: str) -> list[tuple[Role, str]]:
    return [(c.role, c.text) for c in read_message(text, words_of)]


def test_a_greeting_and_an_announcement_are_not_the_question() -> None:
    assert roles("hi there, quick question: what's the deadline?") == [
        (Role.SOCIAL, "hi there"),
        (Role.SOCIAL, "quick question"),
        (Role.QUESTION, "what's the deadline?"),
    ]
    assert roles("salve, una domanda veloce: qual è la scadenza?")[-1] == (Role.QUESTION, "qual è la scadenza?")
    assert roles("Ciao :) in cosa consiste la manifestazione?")[0] == (Role.SOCIAL, "Ciao :)")
    assert roles("Scusate il disturbo, qual è la scadenza?") == [
        (Role.SOCIAL, "Scusate il disturbo"),
        (Role.QUESTION, "qual è la scadenza?"),
    ]


def test_what_the_sender_needs_after_describing_themselves_is_what_they_ask_about() -> None:
    assert roles(
        "Lavoro in un'associazione a Taranto e devo spiegare ai soci l'obiettivo specifico. Me lo riassumete?"
    ) == [
        (Role.CONTEXT, "Lavoro in un'associazione a Taranto"),
        (Role.TOPIC, "e devo spiegare ai soci l'obiettivo specifico."),
        (Role.QUESTION, "Me lo riassumete?"),
    ]
    assert roles("Siamo un distretto di Lecce e dobbiamo preparare una nota sulla scadenza. Potete aiutarci?")[1] == (
        Role.TOPIC,
        "e dobbiamo preparare una nota sulla scadenza.",
    )


def test_a_formal_request_asks_from_its_cue_and_closes_with_its_salutation() -> None:
    clauses = roles(
        "Spettabile servizio, in qualità di responsabile di un distretto Le chiedo cortesemente di indicarmi il "
        "termine di chiusura dell'invito. Con osservanza, dott. Giuseppe Lanzillotti"
    )
    assert [role for role, _ in clauses] == [Role.SOCIAL, Role.CONTEXT, Role.QUESTION, Role.SOCIAL, Role.SOCIAL]
    assert clauses[2][1].startswith("di indicarmi il termine")
    assert (Role.QUESTION, "Il nostro CdA mi ha chiesto di spiegare qual è l'obiettivo specifico.") in roles(
        "Dirigo un distretto a Lecce. Il nostro CdA mi ha chiesto di spiegare qual è l'obiettivo specifico."
    )


def test_who_writes_here_is_context_and_a_polite_and_request_is_a_question() -> None:
    assert roles("ciao! cluster manager from Bari here, what's the deadline? and the official link pls, grazie") == [
        (Role.SOCIAL, "ciao!"),
        (Role.CONTEXT, "cluster manager from Bari here"),
        (Role.QUESTION, "what's the deadline?"),
        (Role.QUESTION, "and the official link pls, grazie"),
    ]
    assert roles("what's here, in the call?")[0] == (Role.QUESTION, "what's here, in the call?")


def test_a_run_on_message_asks_from_i_want_to_ask_about() -> None:
    clauses = roles(
        "hello i am writing from the cluster of renewable energy in timisoara i want to ask about the extension of "
        "the deadline i heard it was extended"
    )
    assert clauses[1] == (Role.CONTEXT, "i am writing from the cluster of renewable energy in timisoara")
    assert clauses[2][0] is Role.QUESTION and clauses[2][1].startswith("i want to ask about the extension")


def test_a_formal_letter_s_salutation_request_and_thanks_are_read_as_such() -> None:
    clauses = roles(
        "Egregi Signori, si chiede di voler indicare il titolo ufficiale dell'iniziativa, ai fini della redazione "
        "della delibera. Si ringrazia anticipatamente per la collaborazione."
    )
    assert clauses[0] == (Role.SOCIAL, "Egregi Signori")
    assert clauses[1] == (Role.QUESTION, "si chiede di voler indicare il titolo ufficiale dell'iniziativa")
    assert clauses[2] == (Role.CONTEXT, "ai fini della redazione della delibera.")
    assert clauses[3][0] is Role.SOCIAL
    assert roles("ok so like I'm an intern at a cluster in Malta. what does KETs stand for?")[0][0] is Role.CONTEXT
    letter = roles(
        "Spett.le Ufficio, siamo una rete di impresa di Putignano. Si chiede gentilmente di sapere se la "
        "manifestazione comporti un contributo. Con i migliori saluti, Ing. Vito Laterza"
    )
    assert [role for role, _ in letter] == [Role.SOCIAL, Role.CONTEXT, Role.QUESTION, Role.SOCIAL, Role.SOCIAL]
    assert roles("For our records I need the original closing date of the call.")[-1][0] is Role.QUESTION


def test_first_and_second_items_are_questions_of_their_own() -> None:
    assert [
        text
        for role, text in roles("Mi servono due cose: primo, qual è la scadenza, secondo, chi può partecipare.")
        if role is Role.QUESTION
    ] == ["qual è la scadenza", "chi può partecipare."]
    assert len(roles("Two questions. First, which sectors did it cover? Second, was there a page limit?")) == 3
    assert roles("la seconda fase quando inizia?") == [(Role.QUESTION, "la seconda fase quando inizia?")]
    assert roles("secondo me è chiuso, giusto?") == [(Role.QUESTION, "secondo me è chiuso, giusto?")]


def test_leading_an_organisation_is_the_sender_s_description() -> None:
    assert roles("guido un piccolo cluster di Taranto. Quali settori sono previsti?")[0][0] is Role.CONTEXT


def test_where_a_belief_comes_from_says_nothing_about_it() -> None:
    assert roles("ma chiudeva a gennaio 2017 giusto? me l'ha detto un collega")[-1] == (
        Role.SOCIAL,
        "me l'ha detto un collega",
    )
    assert roles("It closed in January, right? A colleague told me so.")[-1][0] is Role.SOCIAL
    assert roles("un collega mi ha detto che chiude a gennaio. è vero?")[0][0] is not Role.SOCIAL  # the belief


def test_an_apology_for_the_writing_is_not_a_question_about_language() -> None:
    assert roles("Hi, sorry for my english. Can we apply?")[1] == (Role.SOCIAL, "sorry for my english.")
    assert roles("Scusate il mio italiano. Possiamo partecipare?")[0] == (Role.SOCIAL, "Scusate il mio italiano.")
    assert roles("Is the EoI in English? Sorry for the typos")[0][0] is Role.QUESTION


def test_the_sender_describing_what_they_look_after_or_teach_is_context() -> None:
    assert roles("curo le relazioni internazionali di un centro tecnologico. Quali paesi?")[0][0] is Role.CONTEXT
    assert roles("insegno in un istituto tecnico di Lecce. A cosa serve la call?")[0][0] is Role.CONTEXT


def test_the_sender_describing_themselves_is_context() -> None:
    assert roles("We are a science park in Portugal. Is this for us?") == [
        (Role.CONTEXT, "We are a science park in Portugal."),
        (Role.QUESTION, "Is this for us?"),
    ]
    assert roles("sono il referente di un distretto, possiamo partecipare?") == [
        (Role.CONTEXT, "sono il referente di un distretto"),
        (Role.QUESTION, "possiamo partecipare?"),
    ]
    # what the sender is busy with ("sto preparando una newsletter") is their story too; "Gentile assistente," greets
    assert roles("Gentile assistente, sto preparando una newsletter per i soci. Quali settori erano ammessi?") == [
        (Role.SOCIAL, "Gentile assistente"),
        (Role.CONTEXT, "sto preparando una newsletter per i soci."),
        (Role.QUESTION, "Quali settori erano ammessi?"),
    ]


def test_statements_lead_up_to_the_question_they_precede() -> None:
    text = "Buongiorno. Nell'elenco dei settori non vedo il nostro comparto: siamo esclusi?"
    (question,) = questions_of(read_message(text, words_of))
    assert question.text == "siamo esclusi?"
    assert question.lead == "Nell'elenco dei settori non vedo il nostro comparto"


def test_info_in_front_of_a_subject_asks_about_the_subject() -> None:
    assert as_matched(Question("info scadenza")) == ("scadenza", "")
    assert as_matched(Question("informazioni sul workshop?")) == ("workshop?", "")
    assert as_matched(Question("info")) == ("info", "")  # alone, it asks for information: the links entry


def test_a_value_asked_to_be_confirmed_is_not_what_is_asked() -> None:
    assert words(without_guesses("la scadenza era il 30 giugno giusto?")) == ["la", "scadenza", "era", "il"]
    assert words(without_guesses("co-funding rate was 90% right?")) == ["co", "funding", "rate", "was"]
    assert "500k" not in without_guesses("il bando cosme quanto dava x progetto? 500k?")
    # a question word asks which: the values are what is asked
    assert without_guesses("10 or 10:30, which one is correct?") == "10 or 10:30, which one is correct?"
    assert "4.0" in without_guesses("industria 4.0 giusto?")  # a name, not a value
    assert "September" not in without_guesses("The press release came out in September 2016, no?")
    assert without_guesses("is there no fee?") == "is there no fee?"
    assert without_guesses("quando scade il 31 dicembre?") == "quando scade il 31 dicembre?"  # no confirmation


def test_a_reported_question_is_what_follows_the_report() -> None:
    assert reported("Un cliente mi chiede se la manifestazione dà diritto a un contributo?") == (
        "un cliente",
        "la manifestazione da diritto a un contributo",
    )
    assert reported("could you tell me when the workshop started?") == ("", "me when the workshop started")
    assert reported("what are the sectors, could you tell me?") is None  # nothing follows the report
    assert reported("quali sono i settori?") is None
    # "asks" and a question word: the question word stays in the question
    assert reported("my supervisor asks what DG GROW stands for") == ("my supervisor", "what dg grow stands for")
    assert reported("il mio capo chiede quando scade") == ("il mio capo", "quando scade")
    # a request for a thing, not only a question: "my manager wants the date of ...", "mi chiede il nome ..."
    assert reported("my manager wants the date of the press release") == ("my manager", "date of the press release")
    assert reported("la mia responsabile mi chiede il nome esatto della call") == (
        "la mia responsabile",
        "nome esatto della call",
    )
    assert reported("il mio capo mi ha girato il comunicato mi dite la scadenza precisa") == (
        "il mio capo mi ha girato il comunicato",
        "la scadenza precisa",
    )
    # a question asked again and again, or a gap the sender cannot fill, is a question too
    assert reported("The board keeps asking me whether the EoI came with money") == (
        "the board keeps",
        "the eoi came with money",
    )
    assert reported("our clusters keep asking me what the EoI leads to") == (
        "our clusters keep",
        "me what the eoi leads to",
    )
    assert roles("Quello che mi manca è l'obiettivo specifico della call") == [
        (Role.QUESTION, "Quello che mi manca è l'obiettivo specifico della call")
    ]
    (question,) = questions_of(read_message("Un cliente vuole sapere se il tessile rientra tra i temi", words_of))
    assert as_matched(question) == ("se il tessile rientra tra i temi", "un cliente")


@pytest.mark.parametrize(
    ("sentence", "parts"),
    [
        ("who can apply and when is the deadline?", ["who can apply", "when is the deadline?"]),
        ("chi può partecipare e fino a quando?", ["chi può partecipare", "fino a quando?"]),
        ("quando scade la manifestazione e a chi si rivolge?", ["quando scade la manifestazione", "a chi si rivolge?"]),
        ("Can SMEs and clusters apply?", ["Can SMEs and clusters apply?"]),  # one question about two subjects
        ("must it be in English or can it be in Italian?", ["must it be in English or can it be in Italian?"]),
        ("del 730, entro quando va presentato?", ["del 730, entro quando va presentato?"]),  # "del 730": no question
        # "a che ora", "che tipo": Italian asks "at which hour, which kind" with "che" and a noun
        ("a che ora iniziava e chi parlava?", ["a che ora iniziava", "chi parlava?"]),
        ("che tipo di progetti e chi li finanzia?", ["che tipo di progetti", "chi li finanzia?"]),
        (
            "di che si tratta esattamente e possiamo partecipare?",
            ["di che si tratta esattamente", "possiamo partecipare?"],
        ),
        (
            "whether technology centres are eligible, and through which platform is it published?",
            ["whether technology centres are eligible", "through which platform is it published?"],
        ),
        (
            "vorrei sapere se i parchi possono partecipare e se la scadenza è ancora il 31 dicembre",
            ["vorrei sapere se i parchi possono partecipare", "se la scadenza è ancora il 31 dicembre"],
        ),
    ],
)
def test_two_questions_in_one_sentence_are_split_only_when_both_ask(sentence: str, parts: list[str]) -> None:
    assert split_questions(sentence) == parts


def test_items_of_a_numbered_list_ask_and_an_announcement_does_not() -> None:
    assert roles("two things: 1) max grant per project 2) deadline of that call") == [
        (Role.SOCIAL, "two things"),
        (Role.QUESTION, "max grant per project"),
        (Role.QUESTION, "deadline of that call"),
    ]
    assert [role for role, _ in roles("please confirm (1) the closing date (2) the extension")][1:] == [
        Role.QUESTION,
        Role.QUESTION,
    ]
    # a closing ends the letter, but a question after it is still read
    assert roles("Many thanks. One more: where do we apply?")[-1] == (Role.QUESTION, "where do we apply?")


def test_a_colon_after_a_date_introduces_the_question_but_not_inside_a_time() -> None:
    assert [c.text for c in read_message("info sul workshop del 13/9: chi c'era?", words_of)] == [
        "info sul workshop del 13/9",
        "chi c'era?",
    ]
    assert [c.text for c in read_message("iniziava alle 10:30?", words_of)] == ["iniziava alle 10:30?"]


def test_numbered_questions_and_a_bare_until_when_are_questions() -> None:
    texts = [c.text for c in read_message("two things: 1) max grant per project 2) deadline of that call", words_of)]
    assert texts == ["two things", "max grant per project", "deadline of that call"]
    assert [c.text for c in read_message("a) max grant b) deadline", words_of)] == ["max grant", "deadline"]
    assert [c.text for c in read_message("industria 4.0 (KET) e ICT?", words_of)] == ["industria 4.0 (KET) e ICT?"]
    assert roles("rete d'impresa di Lecce, possiamo partecipare? e fino a quando")[-1] == (
        Role.QUESTION,
        "e fino a quando",
    )


def test_a_letter_s_salutation_closing_and_signature_are_not_questions() -> None:
    letter = roles(
        "Gent.mi, con la presente si chiede di conoscere la data di chiusura dell'invito. Distinti saluti. "
        "Dott. R. Rossi"
    )
    assert [role for role, _ in letter] == [
        Role.SOCIAL,
        Role.QUESTION,
        Role.SOCIAL,
        Role.SOCIAL,
        Role.SOCIAL,
        Role.SOCIAL,
    ]
    signed = roles("Could you list the themes in scope? Kind regards, J. Weber")
    assert signed[0] == (Role.QUESTION, "Could you list the themes in scope?")
    assert all(role is Role.SOCIAL for role, _ in signed[1:])
    # a reported question is a question, though it starts like the sender's description
    assert roles("My client would like to know which themes are in scope")[0][0] is Role.QUESTION
    assert roles("a chi si rivolge e quali sono i settori?") == [
        (Role.QUESTION, "a chi si rivolge"),
        (Role.QUESTION, "quali sono i settori?"),
    ]


def test_an_abbreviation_s_full_stop_ends_no_sentence_when_small_letters_follow() -> None:
    assert split_sentences("Siamo una società consortile a r.l. che gestisce un centro tecnologico. Possiamo?") == [
        "Siamo una società consortile a r.l. che gestisce un centro tecnologico.",
        "Possiamo?",
    ]
    assert split_sentences("Lavoriamo su ICT, cloud ecc. e vorremmo sapere la scadenza") == [
        "Lavoriamo su ICT, cloud ecc. e vorremmo sapere la scadenza"
    ]
    assert split_sentences("Ok. quando scade?") == ["Ok.", "quando scade?"]  # "ok" is a word, not an abbreviation
    assert split_sentences("(e.g. cloud) ok. fine") == ["(e.g. cloud) ok.", "fine"]


def test_a_pronoun_may_point_back_but_an_article_does_not() -> None:
    assert refers_back("chi lo promuoveva?") and refers_back("when was it held?")
    assert not refers_back("la scadenza della manifestazione?")


def test_of_several_statements_before_a_question_the_last_leads_up_to_it() -> None:
    assert [
        role for role, _ in roles("Salve. Non sono del settore. Viene nominato un certo Schierenbeck: chi era?")
    ] == [
        Role.SOCIAL,
        Role.CONTEXT,
        Role.TOPIC,
        Role.QUESTION,
    ]


def test_a_question_that_only_asks_to_confirm_has_no_subject_of_its_own() -> None:
    assert only_confirms("Is it true?") and only_confirms("è vero?") and only_confirms("giusto?")
    assert not only_confirms("is it true that the deadline moved?")


def test_why_the_sender_asks_after_the_question_is_context() -> None:
    assert roles("Vorrei sapere quali sono le aree prioritarie, così le cito nella scheda.") == [
        (Role.QUESTION, "Vorrei sapere quali sono le aree prioritarie"),
        (Role.CONTEXT, "così le cito nella scheda."),
    ]
    assert roles("I'd like to know the new closing date, because we are reviewing our files.")[-1] == (
        Role.CONTEXT,
        "because we are reviewing our files.",
    )
    # "perché" that asks, and a reason in a statement, stay as they are
    assert roles("ciao, perché hanno prorogato la scadenza?")[-1] == (
        Role.QUESTION,
        "perché hanno prorogato la scadenza?",
    )
    assert [role for role, _ in roles("Siamo in ritardo, perché il direttore è in ferie. Qual è la scadenza?")] == [
        Role.CONTEXT,
        Role.QUESTION,
    ]


def test_a_greeting_without_punctuation_is_apart_from_the_question() -> None:
    assert roles("ciao scadenza x la manifestazione di interesse?") == [
        (Role.SOCIAL, "ciao"),
        (Role.QUESTION, "scadenza x la manifestazione di interesse?"),
    ]
    assert roles("hello there what is the deadline")[0] == (Role.SOCIAL, "hello there")
    assert roles("ciao ragazzi come va") == [(Role.SOCIAL, "ciao ragazzi"), (Role.SOCIAL, "come va")]


def test_statements_after_the_last_question_are_the_sender_s_context() -> None:
    assert roles("Which sectors are covered? Two questions sorry, I'm filling in a sheet for our members") == [
        (Role.QUESTION, "Which sectors are covered?"),
        (Role.CONTEXT, "Two questions sorry, I'm filling in a sheet for our members"),
    ]


def test_a_question_word_alone_asks_about_the_question_before() -> None:
    assert [c.text for c in read_message("la regione dava un cofinanziamento? quanto?", words_of)] == [
        "la regione dava un cofinanziamento? quanto?"
    ]


def test_a_short_follow_up_without_a_question_word_adds_to_the_question_before() -> None:
    assert roles("c'è un modulo da compilare? un format ufficiale?") == [
        (Role.QUESTION, "c'è un modulo da compilare? un format ufficiale?")
    ]
    assert roles("will there be another workshop in 2017? maybe in Lecce?") == [
        (Role.QUESTION, "will there be another workshop in 2017? maybe in Lecce?")
    ]
    assert len(roles("quando scade? a chi si rivolge?")) == 2  # a question word: a question of its own
    # "anche se" is a condition on the question, not a second question
    assert [c.text for c in read_message("possiamo partecipare anche se non siamo pugliesi?", words_of)] == [
        "possiamo partecipare anche se non siamo pugliesi?"
    ]
    assert split_questions("Can we apply also if we are not from Puglia?") == [
        "Can we apply also if we are not from Puglia?"
    ]


def test_and_with_a_few_words_after_a_question_asks_the_same_of_something_else() -> None:
    assert roles("il turismo rientra tra i settori? e l'aerospazio") == [
        (Role.QUESTION, "il turismo rientra tra i settori?"),
        (Role.QUESTION, "e l'aerospazio"),
    ]
    assert roles("when was the workshop? and for science parks?") == [
        (Role.QUESTION, "when was the workshop?"),
        (Role.QUESTION, "and for science parks?"),
    ]
    # without a question before it, or longer, it is what it was
    assert roles("e l'aerospazio") == [(Role.QUESTION, "e l'aerospazio")]
    assert roles("which sectors? and we are a science park in Bari with many members")[1][0] is Role.CONTEXT


def test_a_statement_that_starts_like_a_yes_no_question_does_not_ask() -> None:
    assert roles("su quali programmi? Devo preparare un preventivo per l'assemblea.") == [
        (Role.QUESTION, "su quali programmi?"),
        (Role.CONTEXT, "Devo preparare un preventivo per l'assemblea."),
    ]
    assert roles("devo registrarmi prima")[0][0] is Role.QUESTION  # no full stop: it may well ask
    assert roles("Dobbiamo preparare una nota per le imprese. Chi promuove l'iniziativa?")[0] == (
        Role.CONTEXT,
        "Dobbiamo preparare una nota per le imprese.",
    )


def test_who_passed_the_news_on_is_the_sender_s_story() -> None:
    assert roles("Dear Madam or Sir, a colleague forwarded me the press release. Which sectors were covered?") == [
        (Role.SOCIAL, "Dear Madam or Sir"),
        (Role.CONTEXT, "a colleague forwarded me the press release."),
        (Role.QUESTION, "Which sectors were covered?"),
    ]


def test_especially_before_a_second_question_still_splits_it() -> None:
    assert split_questions("chi poteva partecipare e soprattutto quale era la scadenza?") == [
        "chi poteva partecipare",
        "soprattutto quale era la scadenza?",
    ]


def test_punctuation_dictated_as_words_is_punctuation() -> None:
    assert roles("io sono andato al workshop virgola a che ora cominciava punto interrogativo grazie mille") == [
        (Role.QUESTION, "io sono andato al workshop, a che ora cominciava?"),
        (Role.SOCIAL, "grazie mille"),
    ]
    assert split_sentences("il budget era 2 virgola 8 milioni") == ["il budget era 2 virgola 8 milioni"]


@pytest.mark.parametrize(
    ("letter", "expected"),
    [
        (
            "Dear Sir/Madam,\nI would be grateful if you could provide the Italian title of the call.\n"
            "With thanks,\nMargaret Ellis\nCluster Development Manager",
            [
                (Role.SOCIAL, "Dear Sir/Madam"),
                (Role.QUESTION, "I would be grateful if you could provide the Italian title of the call."),
                (Role.SOCIAL, "With thanks"),
                (Role.SOCIAL, "Margaret Ellis"),
                (Role.SOCIAL, "Cluster Development Manager"),
            ],
        ),
        (
            "Spett.le Regione,\ncon riferimento al workshop in Fiera, vi chiedo di confermare la data.\n"
            "Ringraziando per l'attenzione, porgo distinti saluti.\nDott.ssa Maria Rossi",
            [
                (Role.SOCIAL, "Spett.le Regione"),
                (Role.QUESTION, "con riferimento al workshop in Fiera, vi chiedo di confermare la data."),
                (Role.SOCIAL, "Ringraziando per l'attenzione, porgo distinti saluti."),
                (Role.SOCIAL, "Dott.ssa Maria Rossi"),
            ],
        ),
    ],
)
def test_a_letter_asks_politely_and_its_closing_and_signature_are_set_aside(
    letter: str, expected: list[tuple[Role, str]]
) -> None:
    assert roles(letter) == expected


def test_what_someone_says_or_believes_is_what_is_asked_about_not_the_sender_s_story() -> None:
    assert roles("My notes say it was held on 15 September 2016 in Bari. Is that right?") == [
        (Role.TOPIC, "My notes say it was held on 15 September 2016 in Bari."),
        (Role.QUESTION, "Is that right?"),
    ]
    assert roles("My company makes furniture in Bari. Can we take part?")[0][0] is Role.CONTEXT


def test_guesses_after_a_question_belong_to_it() -> None:
    text = "What is the minimum number of partners? Three? Five?"
    assert roles(text) == [(Role.QUESTION, "What is the minimum number of partners? Three? Five?")]


def test_a_message_that_asks_nothing_is_the_question_itself() -> None:
    assert roles("info scadenza") == [(Role.QUESTION, "info scadenza")]


def test_a_story_typed_without_stops_is_context_before_the_asking_phrase() -> None:
    text = (
        "ciao a tutti sono Marco lavoro in un distretto della meccanica qui a bari il mio capo mi ha girato un "
        "vecchio comunicato e io ho visto che parlava di fine anno ma di quale anno nn si capisce mi dite la "
        "scadenza precisa? grazie"
    )
    assert roles(text)[1:3] == [
        (
            Role.CONTEXT,
            "sono Marco lavoro in un distretto della meccanica qui a bari il mio capo mi ha girato un "
            "vecchio comunicato e io ho visto che parlava di fine anno ma di quale anno nn si capisce",
        ),
        (Role.QUESTION, "mi dite la scadenza precisa?"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "mi dite la scadenza precisa per la manifestazione di interesse dei cluster europei?",  # the cue comes first
        "sono il referente di un distretto e un cliente mi chiede quali attività si fanno insieme ai partner",
        "we are a small cluster in Porto and my boss wants to know which sectors are in the call of 2016",
    ],
)
def test_a_run_on_sentence_is_kept_whole_when_its_question_is_not_after_a_story(text: str) -> None:
    assert [role for role, _ in roles(text)] == [Role.QUESTION]


def test_roles_and_greetings_helpers() -> None:
    assert without_roles("sono il referente di un distretto") == "sono il di un distretto"
    assert greets("Buongiorno, volevo sapere...") and not greets("Volevo sapere, buongiorno")
    assert coordinated_subjects("deadline and eligibility in a nutshell") == ("deadline", "eligibility in a nutshell")
    assert coordinated_subjects("ESCP-S3 deadline + how to apply") == ("ESCP-S3 deadline", "how to apply")
    assert coordinated_subjects("settori ammessi, paesi, scadenza?") == ("settori ammessi", "paesi", "scadenza")
    # both of what follows "of": "the name of the official", "the e-mail of the official"
    assert coordinated_subjects("What's the name and email of the official who answered?") == (
        "What's the name of the official who answered?",
        "email of the official who answered?",
    )
    assert coordinated_subjects("data e luogo del workshop?") == ("data del workshop?", "luogo del workshop?")
    assert coordinated_subjects("sono un distretto pugliese, possiamo partecipare?") is None
    # a second verb alone is asked the way the first is
    assert coordinated_subjects("when did it open and close") == ("when did it open", "when did it close")
    assert coordinated_subjects("quali settori e paesi?") == ("quali settori", "quali paesi?")
    # each subject is matched on its own: a pasted list is not a list of subjects
    assert coordinated_subjects("x, e y, " * 100) is None


def test_numeric_dates_and_chat_shorthand_are_read_as_words() -> None:
    assert words("entro il 31/12 o no?") == ["entro", "il", "31", "dicembre", "o", "no"]
    assert words("nn ho capito x la scadenza") == ["non", "ho", "capito", "per", "la", "scadenza"]
    assert words("4.0 e 2.800.000") == ["4.0", "e", "2800000"]  # a version stays, an amount is a plain number
    assert words("soooo grazieeee") == ["so", "grazie"]  # a letter drawn out is the letter
    assert words("the 14th or the 1st") == ["the", "14", "or", "the", "1"]  # an ordinal day is its number


@pytest.mark.parametrize(
    ("question", "details"),
    [
        ("Do I need to register in advance for the Bari workshop?", ["registration"]),
        ("a che ora era il workshop?", ["time"]),
        ("c'è un indirizzo email?", ["email"]),
        ("was the workshop livestreamed?", ["streaming"]),
        ("quante pagine deve avere la manifestazione?", ["length"]),
        ("how much money does each partner get?", ["amount"]),
        ("what's ESCP-S3 in a few words?", []),
        ("what does ESCP-S3 stand for?", []),
        ("la registrazione al workshop era obbligatoria?", ["registration"]),
        ("ci sono le registrazioni del workshop?", ["streaming"]),
        ("ci sono slide del workshop da scaricare?", ["materials"]),
        ("where can I park near the Fiera?", ["logistics"]),
        ("qual era l'importo minimo per progetto?", ["minimum", "amount"]),
        ("dopo il 31 marzo 2017 c'è stata un'altra proroga?", ["further-extension"]),
        ("Is Switzerland in COSME?", ["country"]),
        ("we're a science park in Portugal, can we apply?", []),  # an EU country, and not about parking
        ("are advanced materials in scope?", []),  # a theme, not the workshop's materials
        ("ci sono i materiali del workshop?", ["materials"]),
        ("when exactly was the extension announced?", ["exact-day", "announcement-date"]),
        ("quanto poteva durare al massimo un progetto?", ["duration"]),
        ("who moderated the workshop?", ["moderator"]),
        ("posso inviare dopo la scadenza?", ["late"]),
        ("what did Schierenbeck say at the workshop?", ["quote"]),
        ("la piattaforma è in italiano?", ["site-language"]),
        ("when did the informal phase end exactly?", ["exact-day"]),
        ("chi ha scritto il comunicato?", ["author"]),
        ("la scadenza era alle 17 ora di Bruxelles?", ["time-zone"]),
        ("perché la scadenza è stata prorogata?", ["reason"]),
        ("nn ho capito perche hanno prorogato", ["reason"]),
        ("ciao, perché hanno prorogato la scadenza?", ["reason"]),
        # "perché" in the middle of a sentence is mostly "because"; writing from a phone asks for no phone number
        ("ci rientriamo? perche noi siamo un distretto della moda", []),
        ("se l'aerospazio era compreso, perché qui abbiamo parecchie aziende della filiera", []),
        ("le scrivo dal telefono, ci sono progetti pilota tra le attività?", []),
        ("numero di telefono dell'ufficio regionale?", ["phone"]),
        ("Is the workshop free, or do we need a ticket?", ["fee"]),
        ("Is the Bari workshop open to everyone or by invitation only?", ["registration"]),
        ("Avreste un suo recapito?", ["contact"]),
        ("Schierenbeck parla in italiano?", ["event-language"]),
        ("are the presentations from the workshop online anywhere?", ["materials"]),
        ("how many seats are there at the fair workshop?", ["capacity"]),
        ("What was the success rate of the COSME call?", ["uptake"]),
        ("quante domande sono arrivate per il bando COSME?", ["uptake"]),
        ("are staff costs and travel costs eligible in the COSME call?", ["eligible-costs"]),
        ("is VAT an eligible cost in the COSME follow-up call?", ["eligible-costs"]),
        ("la Capone poi c'era di persona al workshop?", ["in-person"]),
        ("How do I get in touch with the Regione Puglia Brussels office?", ["contact"]),
        ("name of someone at Regione Puglia I could talk to about this?", ["contact"]),
        ("who can I speak to at the Region?", ["contact"]),
        ("chi è il funzionario della Regione che segue questa iniziativa?", ["contact"]),
        ("who will speak to the participants at the workshop?", []),
        ("come mi iscrivo al workshop?", ["registration"]),
        ("invitalia helpline number for the workshop?", ["phone"]),
        ("Il workshop è stato registrato? Dove trovo il video?", ["streaming", "materials"]),
        ("were the slides shown at the Bari workshop published?", ["materials"]),
        ("il workshop era in italiano o in inglese?", ["event-language"]),
        ("On what date was the extension announced?", ["exact-day", "announcement-date"]),
        ("quando sono usciti i risultati del bando COSME?", ["exact-day", "results"]),
        ("was any Apulian cluster among the consortia funded in 2017?", ["results"]),
        ("what are the expected results of the partnership?", []),  # its purpose, not what came of it
        ("qual è il sito web dell'ufficio di Bruxelles?", ["website"]),
        ("pubblichiamo la manifestazione sul sito ECCP: come si aggregano gli altri?", []),  # a place, not asked
        ("in che giorno preciso la piattaforma ha annunciato la proroga?", ["exact-day", "announcement-date"]),
        ("quando è uscito il comunicato della Regione?", ["exact-day"]),  # a date the sources give
        ("When will the Commission announce which partnerships were accepted?", ["results"]),
        ("entro quando la Commissione comunica l'esito?", ["results"]),
        ("quanti distretti pugliesi hanno poi partecipato davvero?", ["uptake"]),
        ("Can a partnership include companies from the US?", ["country"]),
        ("is it open to us?", []),  # a pronoun, not a country
        ("chi dirige l'ufficio di Bruxelles della Regione?", ["head"]),
        ("Who ran the Bari workshop?", []),  # who organised it, which the sources say
        ("dove si trova esattamente la sede dell'ufficio di Bruxelles?", ["address"]),
        ("How many Apulian districts attended the workshop?", ["attendance"]),
        ("What happened to the partnerships after 2018?", ["results"]),
        ("Il comunicato stampa della Regione è stato aggiornato dopo la proroga?", ["updated"]),
        ("How do I withdraw an expression of interest we already posted?", ["withdrawal"]),
        ("come faccio a eliminare il profilo del cluster dalla piattaforma?", ["withdrawal"]),
        ("la DG GROW manda una ricevuta o una conferma?", ["receipt"]),
        ("Esiste una traduzione ufficiale in italiano del testo della call?", ["site-language"]),
        ("does our cluster have to be a non-profit association?", ["legal-form"]),
        ("che orari ha l'ufficio regionale?", ["time", "opening-hours"]),
        ("Nel bando COSME 2017 c era un prefinanziamento?", ["pre-financing"]),
        ("Schierenbeck è ancora alla DG GROW?", ["current"]),
        ("il bando è ancora aperto?", []),  # the status, which the answer gives
        ("Quanti anni ha l'assessore Capone?", ["age"]),
        ("Was the press release also published in English?", ["site-language"]),
        ("il comunicato stampa è disponibile in PDF?", ["file-format"]),
        ("ci sono foto del workshop in fiera?", ["materials"]),
        ("Can I get the attendee list of the workshop?", ["attendance"]),
        ("Il bando COSME 2017 ammette il subappalto?", ["eligible-costs"]),
        ("Any success stories you can share?", ["results"]),
        ("Quale regione ha presentato più manifestazioni di interesse?", ["uptake"]),
        ("Mi fai un riassunto della biografia di Schierenbeck?", ["person"]),
        ("what was the detailed agenda of the workshop?", ["agenda"]),
        ("does the EoI have to be signed by our legal representative?", ["signature"]),
        ("quali documenti servono per la fase formale?", ["documents"]),
        ("Which EU Commissioner opened the Smart Regions conference?", ["conference-speakers"]),
        ("who spoke at the workshop?", []),  # the press release names the speaker
        ("Will there be a new ESCP-S3 expression of interest in 2025 or later?", ["future-edition"]),
        ("how many partners from France took part in the 2016 call?", ["uptake"]),
        ("La Regione ha un elenco dei cluster pugliesi interessati?", ["uptake"]),
        ("What exactly was said in the Q&A session of the Bari workshop?", ["quote"]),
        ("How much did Regione Puglia spend on the workshop?", ["amount"]),
        ("Quanti distretti tecnologici ci sono in Puglia?", ["count-in-place"]),
        ("qual era la percentuale di successo delle candidature?", ["uptake"]),
        ("di cosa ha parlato esattamente Schierenbeck nel suo intervento a Bari?", ["quote"]),
        ("Quanto stanzia la Regione Puglia per sostenere i distretti?", ["amount"]),
        ("What happens if we miss the 31 March 2017 deadline?", ["late"]),
        ("Which Apulian districts were represented at the Bari workshop?", ["attendance"]),
        ("what was the budget of the Bari workshop?", ["amount"]),
        ("Can you put me in touch with Carsten Schierenbeck?", ["contact"]),
        ("Schierenbeck ha risposto alle domande del pubblico?", ["quote"]),
        ("Did the Region publish a press release about the results?", ["results"]),
        ("Quali costi erano ammissibili nel bando COSME 2017?", ["eligible-costs"]),
        ("Il distretto Puglia Creativa ha trovato partner europei grazie a ESCP-S3?", ["results"]),
        ("how many SMEs did the funded partnerships reach in total?", ["uptake"]),
        ("la Regione rilascia una lettera di sostegno ai distretti?", ["documents"]),
        ("il nome del responsabile di quell'ufficio e come contattarlo?", ["contact", "head"]),
        ("quanto tempo ci vuole perché il profilo venga approvato?", ["processing-time"]),
        ("what percentage of the eligible costs was covered?", []),  # the rate, which the sources give
        ("how many partners are there in a partnership?", []),  # not a count of a place
        ("do we need a confirmation that the deadline was extended?", []),  # "a confirmation" of a fact
    ],
)
def test_details_a_question_asks_for(question: str, details: list[str]) -> None:
    assert [d.id for d in asked_details(question)] == details


def test_an_answer_that_says_it_lacks_a_detail_is_read_with_its_apostrophes() -> None:
    answer = "La proroga fu annunciata dalla ECCP; le fonti non riportano la data dell'annuncio: 31 marzo 2017."
    gaps = detail_gaps("quando è stata annunciata esattamente la proroga?", answer)
    assert [g.detail.id for g in gaps] == ["exact-day", "announcement-date"] and all(g.declared for g in gaps)


def test_a_detail_the_answer_lacks_is_a_gap_and_one_it_gives_is_not() -> None:
    answer = "The workshop was on 13 September 2016 at the Fiera del Levante, from 10:30 to 13:30."
    assert [g.detail.id for g in detail_gaps("do I need to register for the workshop?", answer)] == ["registration"]
    assert detail_gaps("what time was the workshop?", answer) == []
    declared = "The call opened in May 2016; the sources do not confirm the exact day."
    (gap,) = detail_gaps("what was the exact launch day?", declared)
    assert gap.declared


def test_verb_forms_and_common_words_say_little_but_topic_words_do() -> None:
    for word in ("pushed", "uscire", "candidarsi", "pubblicata", "faremmo", "the", "quale", "14", "aprile"):
        assert says_little(word), word
    for word in ("livestream", "brindisi", "nautica", "seed", "ita", "2025"):  # a year may be another edition
        assert not says_little(word), word


def test_a_second_question_typed_on_is_split_only_where_its_words_ask() -> None:
    assert split_questions("chi l ha lanciata sta call quando scade") == ["chi l ha lanciata sta call", "quando scade"]
    assert split_questions("who organises it whats the deadline") == ["who organises it", "whats the deadline"]
    assert split_questions("chi ha lanciato la call c'è un sito") == ["chi ha lanciato la call", "c'è un sito"]
    assert split_questions("what is the deadline is there an extension") == [
        "what is the deadline",
        "is there an extension",
    ]
    for one_question in (
        "cosa succede quando scade il termine",  # too short a first question
        "possiamo candidarci anche noi in quanto parco",
        "Could you give me the name of the person at the Region who was in charge?",
        "we need to know what is required",  # no question word first
        "how many seats are there at the fair workshop?",  # "there are" ends "how many seats"
        "Can I see how many people viewed our partner search?",  # "see" embeds the question
        "quanti posti ci sono al workshop in fiera?",
        "mi dici fino a quando è aperta la call?",  # "fino a quando" is one phrase
        "Any info on how many people attended the Smart Regions conference?",  # no question after a preposition
    ):
        assert split_questions(one_question) == [one_question]


def test_a_sender_who_says_the_questions_are_separate_is_recognised() -> None:
    for text in ("two questions: is there a minimum?", "Ciao, due cose: 1) serve? 2) quali?", "ho 2 domande"):
        assert announces_several(text), text
    for text in ("is there a minimum number of partners?", "can two clusters apply together?"):
        assert not announces_several(text), text
