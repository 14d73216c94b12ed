"""Messages as people really write them, on the shipped knowledge base (issue 9's examples)."""

import re

import pytest

from bot.assistant import Assistant
from bot.knowledge import LANGUAGES, load_knowledge
from bot.knowledge.model import BARE_VERDICT
from bot.matching.text import words
from bot.outcome import Outcome
from tests.conftest import SHIPPED_KB


def test_a_greeting_in_front_of_a_question_does_not_swallow_it(shipped_assistant: Assistant) -> None:
    english = shipped_assistant.reply("hi there, quick question: what's the deadline?")
    assert english.answered and english.lang == "en"
    assert english.text.startswith("Hello!") and "31 March 2017" in english.text
    italian = shipped_assistant.reply("salve, una domanda veloce: qual è la scadenza?")
    assert italian.answered and italian.lang == "it"
    assert italian.text.startswith("Ciao!") and "31 marzo 2017" in italian.text


def test_context_before_a_question_informs_it_but_is_not_the_question(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply(
        "Buongiorno, rappresento un consorzio di imprese agroalimentari della provincia di Foggia. Nell'elenco dei "
        "settori del comunicato non vedo il nostro comparto: siamo esclusi?"
    )
    assert reply.answered and reply.entry_id == "sectors-other"
    assert "non esclusivo" in reply.text
    referente = shipped_assistant.reply("sono il referente di un distretto, possiamo partecipare?")
    assert referente.answered and referente.entry_id == "eligibility-who"  # not "contacts" for "referente"


def test_a_reported_question_is_matched_without_who_asks_it(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply(
        "Salve, lavoro per una società di consulenza di Lecce che segue vari distretti produttivi. Un cliente mi "
        "chiede se la manifestazione di interesse dà diritto a un contributo economico e, se no, a cosa serve in "
        "pratica. Potete chiarire?"
    )
    assert reply.answered and reply.entry_id == "funding-eoi"


def test_a_detail_asked_in_a_second_question_about_the_same_subject_is_not_lost(
    shipped_assistant: Assistant,
) -> None:
    # both questions go to the workshop entry: the reply says what the sources lack for either of them
    reply = shipped_assistant.reply("quando era il workshop di Bari? e per il workshop bisognava iscriversi?")
    assert reply.answered and reply.entry_id == "workshop-when-where" and reply.not_in_sources
    assert "iscrizione" in reply.parts[0].note


def test_a_long_description_of_the_sender_does_not_drown_a_clear_question(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply(
        "Buonasera, scrivo per conto dell'ufficio Europa di una camera di commercio. Dobbiamo preparare una nota "
        "informativa per le imprese associate. Potete indicarci chi promuove l'iniziativa, a chi si rivolge e quali "
        "sono i settori? Grazie e cordiali saluti."
    )
    assert reply.answered
    assert {"call-who-launched", "sectors-list"} <= {p.entry_id for p in reply.parts}


def test_a_wrong_belief_to_confirm_gets_the_right_value(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply("the deadline was june 30 right?")
    assert reply.answered and "31 March 2017" in reply.text
    italian = shipped_assistant.reply("il bando cosme 2017 quanto dava x progetto? 500k?")
    assert italian.answered and "350.000" in italian.text


def test_a_question_asked_again_in_other_words_gets_one_answer(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply(
        "la regione puglia cofinanzia i distretti pugliesi che partecipano? c'è un contributo regionale?"
    )
    assert [p.entry_id for p in reply.parts] == ["funding-regional"] and reply.not_in_sources


def test_short_follow_ups_of_a_declined_question_are_declined_too(shipped_assistant: Assistant) -> None:
    for text in (
        "Is there a 2024 edition of this call? When does it open?",
        "Which partnerships were selected in the end? Did any Apulian cluster get in?",
    ):
        reply = shipped_assistant.reply(text)
        assert reply.kind is Outcome.UNKNOWN and not reply.parts, text


def test_a_short_follow_up_of_a_question_the_sources_do_not_answer_gets_the_honest_answer(
    shipped_assistant: Assistant,
) -> None:
    reply = shipped_assistant.reply("what language must the EoI be written in? can it be in Polish?")
    assert [p.entry_id for p in reply.parts] == ["application-language"] and reply.not_in_sources


def test_what_a_speaker_said_is_not_in_the_sources_but_capone_s_words_are(shipped_assistant: Assistant) -> None:
    schierenbeck = shipped_assistant.reply("what did Schierenbeck say at the workshop?")
    assert schierenbeck.not_in_sources and "Schierenbeck" in schierenbeck.text
    capone = shipped_assistant.reply("cosa ha detto la Capone?")
    assert capone.answered and not capone.not_in_sources and "cooperazione industriale" in capone.text


@pytest.mark.parametrize("question", ["how do I unsubscribe?", "come smetto di ricevere gli avvisi?"])
def test_asking_about_reminders_in_words_explains_the_commands(shipped_assistant: Assistant, question: str) -> None:
    reply = shipped_assistant.reply(question)
    assert reply.entry_id == "smalltalk-reminders" and "/unsubscribe" in reply.text


def test_two_questions_get_two_answers_under_their_headings(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply("who can apply and when is the deadline?")
    assert [p.entry_id for p in reply.parts] == ["eligibility-who", "deadline-closing"]
    assert all(p.heading for p in reply.parts)
    assert "science parks" in reply.text and "31 March 2017" in reply.text


def test_and_with_a_subject_after_a_question_gets_its_own_answer(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply("il turismo rientra tra i settori? e l'aerospazio")
    assert reply.answered and reply.lang == "it"
    assert [p.entry_id for p in reply.parts] == ["sectors-tourism-culture", "sectors-aerospace"]
    assert all(p.heading for p in reply.parts)


def test_a_long_story_around_a_clear_question_does_not_turn_it_into_a_did_you_mean(
    shipped_assistant: Assistant,
) -> None:
    italian = shipped_assistant.reply(
        "Buongiorno, sono la coordinatrice di un distretto del turismo e della cultura nel Salento. Spesso queste "
        "iniziative europee sono pensate solo per la manifattura e l'alta tecnologia e noi restiamo sempre fuori. "
        "Anche questa volta era così, o il turismo e le industrie creative erano tra i settori? Lo chiedo perché "
        "vorremmo proporre qualcosa con partner spagnoli e greci."
    )
    assert italian.answered and italian.entry_id == "sectors-tourism-culture"
    english = shipped_assistant.reply(
        "Dear colleagues, I'm a consultant in Lyon helping an industry 4.0 cluster. After the 2016 expression of "
        "interest there was a formal COSME call on strategic cluster partnerships for smart specialisation "
        "investments. My client missed it but wants to know for reference when the deadline was, including the "
        "time. Merci beaucoup, Julien"
    )
    assert english.answered and english.lang == "en"
    assert "8 March 2018" in english.text and "17:00" in english.text


def test_a_list_of_subjects_gets_an_answer_for_each(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply("settori ammessi, paesi, scadenza")
    assert [p.entry_id for p in reply.parts] == ["sectors-list", "eligibility-countries", "deadline-closing"]
    assert all(p.heading for p in reply.parts) and "31 marzo 2017" in reply.text


def test_a_question_after_a_story_typed_without_stops_is_answered(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply(
        "ciao a tutti sono Marco lavoro in un distretto della meccanica qui a bari il mio capo mi ha girato un vecchio "
        "comunicato della regione su questa partnership europea tra cluster e mi ha detto di vedere se facciamo ancora "
        "in tempo io ho visto che parlava di fine anno ma di quale anno nn si capisce bene mi dite la scadenza "
        "precisa? grazie"
    )
    assert reply.answered and reply.lang == "it"
    assert "31 dicembre 2016" in reply.text and "31 marzo 2017" in reply.text


def test_is_it_a_horizon_2020_call_is_answered_with_what_it_is(shipped_assistant: Assistant) -> None:
    italian = shipped_assistant.reply("ma è un bando Horizon 2020?")
    assert italian.answered and "manifestazione di interesse" in italian.text
    english = shipped_assistant.reply("so it's a Horizon 2020 call?")
    assert english.answered and english.lang == "en" and "expressions of interest" in english.text


def test_the_later_funded_call_is_the_cosme_call(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply("tetto massimo a progetto nel bando COSME uscito dopo?")
    assert reply.answered and reply.entry_id == "funding-cosme-call" and "350.000" in reply.text


def test_a_rare_word_no_longer_outweighs_the_subject(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply("quali settori sono coinvolti?")
    assert reply.entry_id != "eligibility-min-partners"
    assert reply.answered and reply.entry_id == "sectors-list"


def test_an_eligible_applicant_never_reads_a_bare_no(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply("We are a science park in Puglia. Can we take part?")
    assert reply.answered
    assert not BARE_VERDICT.match(reply.parts[0].body)
    assert "science parks" in reply.text


def test_no_shipped_answer_opens_with_a_bare_yes_or_no() -> None:
    kb = load_knowledge(SHIPPED_KB)
    for entry in kb.entries.values():
        for lang in LANGUAGES:
            if entry.answer:
                assert not BARE_VERDICT.match(entry.answer.get(lang)), (entry.id, lang)


def test_a_detail_the_sources_lack_is_said_plainly_first(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply("Do I need to register in advance for the Bari workshop?")
    assert reply.text.startswith("The sources do not say whether registration was needed.")
    assert reply.not_in_sources
    assert "13 September 2016" in reply.text  # and what the sources do say about the workshop


def test_the_maximum_per_project_of_the_cosme_call_is_answered(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply("how much funding per project in the COSME call")
    assert reply.answered and reply.entry_id == "funding-cosme-call"
    assert "350,000" in reply.text and not reply.not_in_sources


def test_english_chat_shorthand_is_only_a_weak_sign_of_english(shipped_assistant: Assistant) -> None:
    assert shipped_assistant.reply("LINK PIATTAFORMA ECCP PLS").lang == "it"  # Italians type "pls" too
    assert shipped_assistant.reply("link pls").lang == "en"  # nothing else to tell


@pytest.mark.parametrize("question", ["deadline??", "max grant per project"])
def test_short_english_messages_get_english(shipped_assistant: Assistant, question: str) -> None:
    assert shipped_assistant.reply(question).lang == "en"


@pytest.mark.parametrize(
    "question",
    [
        "quando scade il 730 quest'anno?",
        "quick question about the deadline of my tax return - when is it due?",
        "Horizon 2020 deadlines in general?",
        "what's the weather in Bari tomorrow?",
        "quanto aglio ci va?",  # "aglio" (garlic) is a word, not a mistyped "agli"
        # who took part in the end is not who may apply
        "which Apulian companies ended up in the partnerships? I need names",
        "quanti distretti pugliesi hanno aderito?",
        # "until" alone is no deadline: "how long until we hear back"
        "after submitting, how long until we hear back from the Commission?",
    ],
)
def test_near_misses_and_off_topic_are_not_answered(shipped_assistant: Assistant, question: str) -> None:
    reply = shipped_assistant.reply(question)
    assert reply.kind in (Outcome.UNKNOWN, Outcome.SUGGEST) or reply.not_in_sources, (question, reply.entry_id)


def test_answers_keep_their_sources(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply("Chi può partecipare al bando?")
    assert re.search(r"Fonti?:", reply.text)


def test_every_phrasing_typed_as_written_gets_its_own_entry(shipped_assistant: Assistant) -> None:
    """What staff write as a phrasing of an entry is what that question gets, whatever the ranking makes of its
    words ("My sector isn't listed, can we still take part?" reads, word by word, like "can we still apply?").
    Case, accents and punctuation aside; a phrasing two entries share, and an out-of-scope entry's, excepted."""
    kb = shipped_assistant.kb
    wordings: dict[str, set[str]] = {}
    for entry in kb.entries.values():
        for lang in LANGUAGES:
            for phrasing in entry.questions[lang]:
                wordings.setdefault(" ".join(words(phrasing)), set()).add(entry.id)
    checked = 0
    for entry in kb.entries.values():
        for lang in LANGUAGES:
            for phrasing in entry.questions[lang]:
                if len(wordings[" ".join(words(phrasing))]) > 1:  # the same words as the bot reads them
                    continue
                reply = shipped_assistant.reply(phrasing.upper() + "!!", chosen_lang=lang)
                if entry.declined:
                    assert not reply.answered, phrasing
                else:
                    assert reply.answered and reply.entry_id == entry.id, (phrasing, reply.entry_id)
                checked += 1
    assert checked > 2000


def test_the_match_alone_decides_when_exact_wording_is_off(shipped_assistant: Assistant) -> None:
    """The staff review asks each phrasing as if in other words, so conflicts between entries stay visible."""
    question = "how do I join someone else's initiative"  # a phrasing `validate` warns goes to another entry
    assert shipped_assistant.reply(question).entry_id == "application-join-existing"
    assert shipped_assistant.reply(question, exact=False).entry_id != "application-join-existing"


@pytest.mark.parametrize("text", ["ok", "va bene", "d'accordo", "okay", "got it", "ok?"])
def test_an_acknowledgement_is_small_talk_not_a_question_for_staff(shipped_assistant: Assistant, text: str) -> None:
    reply = shipped_assistant.reply(text)
    assert reply.answered and reply.entry_id == "smalltalk-thanks" and not reply.needs_staff


def test_a_mistyped_small_word_is_left_out_like_the_small_word(shipped_assistant: Assistant) -> None:
    index = shipped_assistant.index
    assert index.analyse("what is escp-s3 exaclty").unknown == ()  # "exactly", mistyped
    assert index.analyse("si possono scaricare le slide?").unknown == ("slide",)  # a word, not a typo of "side"
    reply = shipped_assistant.reply("wat is escp-s3 exaclty")
    assert reply.answered and reply.entry_id == "call-overview"


def test_the_sender_s_story_never_answers_a_question_staff_want_declined(shipped_assistant: Assistant) -> None:
    for message in (
        "We are a science park in Portugal. Erasmus+ deadline?",
        "Siamo un parco scientifico portoghese. Elenco dei vincitori?",
    ):
        reply = shipped_assistant.reply(message)
        assert not reply.answered, message


def test_names_in_a_description_that_is_all_there_is_to_match_do_not_sink_it(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply(
        "Hello! We are a science park in northern Portugal (Vila Real area), mostly agri-tech and forestry start-ups. "
        "A colleague forwarded this call to me. Is this for us?"
    )
    assert reply.suggestions and reply.suggestions[0].entry_id == "eligibility-parks-centres"


@pytest.mark.parametrize(
    "question",
    [
        "Is the Bari workshop open to everyone or by invitation only?",
        "Is the workshop free, or do we need a ticket?",
        "quanti posti ci sono al workshop in fiera?",
        "come mi iscrivo al workshop del 13 settembre?",
        "invitalia helpline number for the workshop?",
        "Il workshop è stato registrato? Dove trovo il video?",
        "Can I get the attendee list of the 13 September workshop?",
    ],
)
def test_a_workshop_detail_the_sources_lack_is_said_plainly(shipped_assistant: Assistant, question: str) -> None:
    reply = shipped_assistant.reply(question)
    assert reply.answered and reply.not_in_sources and reply.parts[0].note


def test_a_follow_up_of_a_question_the_sources_do_not_answer_shares_its_honest_answer(
    shipped_assistant: Assistant,
) -> None:
    reply = shipped_assistant.reply("When will results be announced? How do we know if our EoI was accepted?")
    assert reply.answered and reply.not_in_sources
    assert [part.entry_id for part in reply.parts] == ["application-evaluation"]


@pytest.mark.parametrize(
    ("question", "dates"),
    [
        ("viene prima la conferenza Smart Regions o il comunicato della Regione?", ["giugno 2016", "5 agosto 2016"]),
        ("tra il bando cosme e la manifestazione di interesse, cosa è venuto prima?", ["2017", "8 marzo 2018"]),
    ],
)
def test_which_came_first_gets_the_dates_to_compare(
    shipped_assistant: Assistant, question: str, dates: list[str]
) -> None:
    reply = shipped_assistant.reply(question)
    assert reply.answered and not reply.parts[0].note
    assert all(date in reply.text for date in dates)


def test_a_long_message_its_questions_find_no_sure_answer_for_offers_their_did_you_mean(
    shipped_assistant: Assistant,
) -> None:
    """The whole message read together finds nothing, but its questions do: "did you mean", not "I don't know"."""
    reply = shipped_assistant.reply(
        "uè ciao, allora sta cosa dei cluster europei scade quando? perché mio zio che tiene il consorzio dei frantoi "
        "a Bitonto m'ha detto di guardarci, però io mo' sto vedendo il comunicato ed è del 2016, quindi boh, se uno si "
        "iscrive mo' fa ancora in tempo o è tutto chiuso da un pezzo?"
    )
    assert reply.kind is Outcome.SUGGEST and reply.suggestions[0].entry_id == "deadline-status"
    assert shipped_assistant.reply("Is there a 2024 edition of the ESCP-S3 call? When does it open?").kind is (
        Outcome.UNKNOWN  # declined questions stay "I don't know"
    )


def test_a_question_without_an_answer_that_asks_a_detail_of_the_answer_next_to_it_joins_it(
    shipped_assistant: Assistant,
) -> None:
    reply = shipped_assistant.reply("Il bando COSME 2017 ammette il subappalto? Fino a che percentuale del budget?")
    assert [part.entry_id for part in reply.parts] == ["funding-cosme-call"]
    assert reply.not_in_sources and not reply.unanswered
    assert "categorie di costo" in reply.parts[0].note


def test_a_question_that_points_back_is_read_with_what_it_points_to(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply(
        "Buonasera, sono il referente internazionalizzazione di una camera di commercio e stiamo preparando la "
        "newsletter per le imprese associate. Vorrei riassumere bene l'evento di settembre alla Fiera. Mi conferma chi "
        "lo promuoveva e in che giorno si teneva esattamente?"
    )
    assert not (reply.answered and reply.entry_id == "call-who-launched")


def test_a_formal_request_for_two_things_joined_by_nonche_gets_both(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply(
        "Spett.le Regione, il sottoscritto, in qualità di Direttore del Parco Scientifico e Tecnologico con sede in "
        "provincia di Lecce, chiede cortesemente di conoscere i soggetti ammissibili alla manifestazione di interesse "
        "in oggetto nonché le modalità di presentazione della stessa. Distinti saluti."
    )
    assert reply.answered and len(reply.parts) == 2


def test_we_were_wondering_asks(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply(
        "Ciao! Sono Valentina, lavoro per un distretto produttivo pugliese delle industrie culturali e creative "
        "(musica, audiovisivo, spettacolo dal vivo, design). Ci chiedevamo se il nostro settore rientri davvero tra "
        "quelli della partnership europea o se è roba solo per la manifattura."
    )
    assert reply.answered and "creativ" in reply.text


def test_is_it_true_asks_about_the_statement_before_it(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply("Somebody told us the call was only for Italian districts. Is it true?")
    assert reply.answered and reply.entry_id in ("eligibility-countries", "eligibility-puglia-only")
    # with a short question after it, "is that true" is still about the statement
    reply = shipped_assistant.reply(
        "Hey, I coordinate a network of SMEs in Flanders. Someone told me the deadline was pushed back. Is that true, "
        "and until when?"
    )
    assert reply.answered and "31 March 2017" in reply.text


@pytest.mark.parametrize(
    ("message", "entry_id"),
    [
        # an unknown verb form says how something is asked, not what: it weighs like a common word
        pytest.param("they pushed the deadline to end of June 2017, correct?", "deadline-closing", id="pushed"),
        pytest.param(
            "in soldoni a cosa serve sta manifestazione, cosa ne deve uscire alla fine?",
            "application-purpose",
            id="uscire",
        ),
        # a question that finds no answer alone is read as about the sender
        pytest.param(
            "we're a university research group in Bari - how do we fit into this?",
            "eligibility-universities",
            id="about-the-sender",
        ),
        pytest.param(
            "sorry for my english. we are business network from romania, 12 companies of furniture. is possible for "
            "us to participate or only clusters?",
            "eligibility-business-networks",
            id="about-the-sender-networks",
        ),
        # why the sender asks, after the question, does not dilute it
        pytest.param(
            "Buongiorno, sto preparando una scheda per il sindaco. Mi servirebbe sapere quali sono esattamente le aree "
            "di innovazione prioritaria, così le cito correttamente nella scheda.",
            "puglia-smart-puglia-2020",
            id="reason-after-the-question",
        ),
        # a small word mistyped (letters swapped, one left out) is a typo, not a name
        pytest.param("wen is teh dedline??", "deadline-closing", id="teh"),
        pytest.param("is ther any money for the EoI itself or not", "funding-eoi", id="ther"),
        # "capito", "parte", "dovrebbe": small words that say nothing about the topic
        pytest.param("ke cos e sta escp s3 nn ho capito bene", "call-overview", id="capito"),
        pytest.param("bisogna registrarsi da qualche parte prima?", "application-account-profile", id="qualche-parte"),
        pytest.param(
            "una volta messo su il partenariato, cosa dovrebbe fare concretamente?",
            "application-activities",
            id="dovrebbe",
        ),
        # "like an account or something else?": examples of what the question before asks belong to it
        pytest.param(
            "Do I need anything on the ECCP before I can post? Like an account or something else?",
            "application-account-profile",
            id="like-examples",
        ),
        # "replicano", "nuova edizione": another workshop, which the sources do not report
        pytest.param("ma il workshop lo replicano anche a Lecce?", "workshop-other-events", id="replicano"),
        pytest.param(
            "ci sarà una nuova edizione del workshop in Fiera nel 2017?", "workshop-other-events", id="nuova-edizione"
        ),
        # a question with words of its own after a longer lead-up that blurs it: its own confident answer
        pytest.param(
            "Salve, mi occupo di europrogettazione per un'associazione di categoria. Rileggendo il comunicato "
            "regionale sull'iniziativa europea per i cluster ho notato un passaggio sulle fasi temporali. Il mio "
            "direttore vuole sapere in quante fasi era suddivisa l'iniziativa e in che anni cadevano.",
            "phases-overview",
            id="longer-lead-up",
        ),
        # statements before a vague question are its subject; the sender's description only helps to pick
        pytest.param(
            "Buongiorno, lavoro per un'agenzia di sviluppo locale e devo fare una presentazione ai sindaci della zona. "
            "Mi serve il titolo ufficiale dell'invito in italiano, così come è scritto nel comunicato. Me lo potete "
            "dare?",
            "call-title",
            id="led-by-statements",
        ),
        # what the sender's people ask about is the subject, not the sender's description
        pytest.param(
            "Hello, I work at the Apulian branch of a national business association. Our members are asking about "
            "the Bari workshop on EU cluster policy: who organised it together with the Region?",
            "workshop-when-where",
            id="asking-about",
        ),
        # a day the sender believes says little about what is asked: the answer gives the true one
        pytest.param("wait, wasnt the bari workshop on the 14th?", "workshop-when-where", id="the-14th"),
        pytest.param("mi confermi che la proroga era al 30 aprile 2017?", "deadline-extension", id="30-aprile"),
        # a drawn-out word is not a rare unknown word that sinks the question
        pytest.param("soooo who can actually take part? clusters only?", "eligibility-who", id="soooo"),
        # a question clear by itself is not blurred by the statements before it
        pytest.param(
            "Buongiorno. Vi scrivo perché il nostro distretto tecnologico (nanotecnologie, area di Brindisi) sta "
            "valutando di pubblicare una manifestazione di interesse. Domanda pratica: una volta pubblicata sulla "
            "piattaforma, come fanno gli altri cluster a unirsi o a seguirla?",
            "application-join-existing",
            id="clear-by-itself",
        ),
        # of several statements before a question, the last says what it is about
        pytest.param(
            "Salve, una curiosità dopo aver letto il comunicato della Regione del 2016. Non sono del settore, quindi "
            "perdonate la domanda banale. Viene nominato un certo Carsten Schierenbeck: chi era e per quale struttura "
            "lavorava?",
            "workshop-speakers",
            id="last-statement-leads",
        ),
    ],
)
def test_a_message_gets_the_entry_its_question_asks_for(
    shipped_assistant: Assistant, message: str, entry_id: str
) -> None:
    reply = shipped_assistant.reply(message)
    assert reply.answered and reply.entry_id == entry_id


@pytest.mark.parametrize(
    ("message", "entries"),
    [
        # a second question typed on without a stop
        pytest.param(
            "chi l ha lanciata sta call quando scade", ["call-who-launched", "deadline-closing"], id="typed-on"
        ),
        pytest.param("who launched it whats the deadline", ["call-who-launched", "deadline-closing"], id="typed-on-en"),
        # the how-to-apply answer mentions a deadline, but not its date
        pytest.param("deadline + where to apply?", ["deadline-closing", "application-how"], id="two-subjects"),
        # a second question on a subject of its own, however far the whole message's ranking puts it
        pytest.param(
            "chi organizza il workshop in fiera? e il link per candidarsi?",
            ["workshop-when-where", "links-details"],
            id="subject-of-its-own",
        ),
        # "a r.l." ends no sentence; "possa" is a small word
        pytest.param(
            "Egregi, siamo una società consortile a r.l. che gestisce un centro tecnologico per i materiali "
            "compositi a Brindisi. Chiediamo se la tematica dei materiali avanzati rientri tra quelle ammesse e se il "
            "centro possa presentare manifestazione d'interesse.",
            ["sectors-list", "eligibility-parks-centres"],
            id="formal-letter",
        ),
        # "two questions:": neither is a follow-up of the other, even after one the sources do not answer
        pytest.param(
            "two questions: is there a minimum number of partners? and which countries can take part?",
            ["eligibility-min-partners", "eligibility-countries"],
            id="two-questions-announced",
        ),
        pytest.param(
            "Ciao, due cose: 1) serve un numero minimo di partner? 2) quali sono i settori ammessi?",
            ["eligibility-min-partners", "sectors-list"],
            id="numbered",
        ),
        pytest.param(
            "Hi, I'm in the press office of a tech district in Brindisi. We just need two things: the date of the "
            "workshop and the city. Thanks!",
            ["workshop-when-where"],
            id="we-need-two-things",
        ),
        # a question asked next to an answered one is about the call: its first "did you mean" answers it
        pytest.param(
            "Good evening. I'm the managing director of a photonics cluster in Jena. Before I spend time on this: "
            "which Commission department is behind it, and what's the last date to express interest?",
            ["call-who-launched", "deadline-closing"],
            id="alongside-an-answer",
        ),
    ],
)
def test_each_question_of_a_message_gets_its_answer(
    shipped_assistant: Assistant, message: str, entries: list[str]
) -> None:
    reply = shipped_assistant.reply(message)
    assert [part.entry_id for part in reply.parts] == entries


def test_which_ones_points_back_and_asks_nothing_by_itself(shipped_assistant: Assistant) -> None:
    terms = shipped_assistant.index.analyse("Which ones?")
    assert not terms.known and not terms.unknown


def test_an_apology_says_nothing_about_what_is_asked(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply("sorry if dumb q but what does the S3 in ESCP-S3 refer to?")
    assert reply.answered and "smart specialisation" in reply.text.lower()


def test_a_detail_asked_in_the_story_of_a_vague_question_is_said_plainly(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply(
        "Buongiorno, abbiamo partecipato al workshop del 13 settembre e vorremmo rivedere le slide dell'intervento "
        "della Commissione. Sono pubblicate da qualche parte?"
    )
    assert reply.answered and reply.not_in_sources and reply.parts[0].note


@pytest.mark.parametrize(
    ("earlier", "message", "entry_id"),
    [
        pytest.param(
            "quando si è tenuto il workshop in Fiera?", "e a che ora finiva?", "workshop-when-where", id="e-a-che-ora"
        ),
        pytest.param("when was the Bari workshop?", "who organised it?", "workshop-when-where", id="it"),
        pytest.param("when was the Bari workshop?", "and where?", "workshop-when-where", id="and-where"),
        # a new question is read by itself
        pytest.param("chi può partecipare?", "qual è la scadenza?", "deadline-closing", id="new-question"),
        pytest.param("when was the Bari workshop?", "thanks!", "smalltalk-thanks", id="thanks"),
    ],
)
def test_a_follow_up_is_read_with_the_earlier_question(
    shipped_assistant: Assistant, earlier: str, message: str, entry_id: str
) -> None:
    reply = shipped_assistant.reply(message, earlier=earlier)
    assert reply.answered and reply.entry_id == entry_id


def test_a_follow_up_alone_does_not_know_what_it_follows(shipped_assistant: Assistant) -> None:
    assert shipped_assistant.reply("who organised it?").entry_id != "workshop-when-where"
    assert not shipped_assistant.reply("who organised it?").followed_up
    assert shipped_assistant.reply("who organised it?", earlier="when was the Bari workshop?").followed_up


def test_a_follow_up_of_a_declined_question_is_declined_too(shipped_assistant: Assistant) -> None:
    reply = shipped_assistant.reply("when does it open?", earlier="is there a 2024 edition of the call?")
    assert reply.kind is Outcome.UNKNOWN
