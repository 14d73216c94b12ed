"""Specific details a question asks for (an e-mail, a time, whether registration was needed) and whether an answer
gives them.

An entry about the Bari workshop matches "do I need to register for the workshop?" well, but its date and place do
not answer it: the reply must say plainly that the sources do not give that detail instead of pretending to.
"""

import re
from dataclasses import dataclass

from bot.matching.text import fold


@dataclass(frozen=True)
class Detail:
    id: str
    asked: re.Pattern[str]  # in the folded question
    given: re.Pattern[str]  # in the answer text: the detail is there
    missing_it: str  # what the reply says when the answer lacks it
    missing_en: str

    def missing(self, lang: str) -> str:
        return self.missing_it if lang == "it" else self.missing_en


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


DETAILS: tuple[Detail, ...] = (
    Detail(
        "email",
        _words(r"e ?-?mail", r"mail", r"posta elettronica", r"pec"),
        re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"),
        "Le fonti non indicano un indirizzo e-mail.",
        "The sources give no e-mail address.",
    ),
    Detail(
        "phone",
        _words(
            r"phone",
            r"telephone",
            r"telefono",
            r"telefonare",
            r"telefonico",
            r"cellulare",
            r"whatsapp",
            r"numero verde",
            r"hotline",
            r"call them",
            r"chiamare",
        ),
        re.compile(r"\+?\d[\d .]{7,}\d"),
        "Le fonti non indicano un numero di telefono.",
        "The sources give no phone number.",
    ),
    Detail(
        "time",
        _words(
            r"what time",
            r"at what time",
            r"which time",
            r"time of day",
            r"o ?clock",
            r"a che ora",
            r"che ora",
            r"a che orario",
            r"orario",
            r"orari",
            r"midnight",
            r"mezzanotte",
            r"ora esatta",
            r"what hour",
        ),
        re.compile(r"\b\d{1,2}[:.]\d{2}\b"),
        "Le fonti non indicano un orario.",
        "The sources give no time of day.",
    ),
    Detail(
        "registration",
        _words(
            r"register",
            r"registration",
            r"registrarsi",
            r"registrarmi",
            r"registrarci",
            r"iscrizione",
            r"iscrizioni",
            r"iscriversi",
            r"iscrivermi",
            r"iscriverci",
            r"iscritti",
            r"prenotare",
            r"prenotazione",
            r"sign up",
            r"signup",
            r"rsvp",
            r"booking",
            r"book a (?:place|seat)",
        ),
        _words(r"registered", r"registrat[oaie]", r"account", r"iscrizione (?:era|e) (?:obbligatoria|gratuita)"),
        "Le fonti non dicono se fosse necessaria un'iscrizione.",
        "The sources do not say whether registration was needed.",
    ),
    Detail(
        "fee",
        _words(
            r"fee",
            r"fees",
            r"cost",
            r"costs",
            r"price",
            r"pay",
            r"paid",
            r"payment",
            r"free of charge",
            r"costa",
            r"costo",
            r"costi",
            r"quota",
            r"a pagamento",
            r"pagare",
            r"gratuit[oaie]",
            r"gratis",
        ),
        re.compile(r"€|\beur\b|\beuro\b|free of charge|\bgratuit|\bno fee\b|senza costi"),
        "Le fonti non indicano costi o quote.",
        "The sources do not mention any fee or cost.",
    ),
    Detail(
        "streaming",
        _words(
            r"stream",
            r"streaming",
            r"streamed",
            r"livestream",
            r"live stream",
            r"diretta",
            r"in diretta",
            r"recording",
            r"recorded",
            r"registrazione video",
            r"video",
            r"webinar",
            r"zoom",
            r"teams",
        ),
        _words(r"stream\w*", r"diretta", r"video", r"webinar"),
        "Le fonti non dicono se fosse trasmesso online o registrato.",
        "The sources do not say whether it was streamed or recorded.",
    ),
    Detail(
        "length",
        _words(
            r"pages?",
            r"pagine",
            r"pagina",
            r"page limit",
            r"word limit",
            r"words",
            r"parole",
            r"caratteri",
            r"characters",
            r"lunghezza",
            r"quanto lunga",
            r"how long should",
        ),
        re.compile(r"\b\d+\s*(?:pages|pagine|words|parole|caratteri|characters)\b"),
        "Le fonti non indicano una lunghezza massima.",
        "The sources give no length limit.",
    ),
    Detail(
        "room",
        _words(r"hall", r"room", r"sala", r"padiglione", r"pavilion", r"stand", r"which building", r"quale edificio"),
        _words(r"hall", r"room", r"sala", r"padiglione", r"pavilion", r"stand"),
        "Le fonti non indicano la sala o il padiglione.",
        "The sources do not give the hall or room.",
    ),
    Detail(
        "reason",
        _words(r"why", r"perche", r"come mai", r"per quale motivo", r"motivo", r"motivi", r"reason", r"reasons"),
        _words(
            r"because",
            r"perche",
            r"poiche",
            r"due to",
            r"in order to",
            r"reason",
            r"motivo",
            r"aim",
            r"aims",
            r"purpose",
            r"scopo",
            r"obiettivo",
            r"so that",
            r"affinche",
            r"mira",
            r"aims to",
            r"wants",
        ),
        "Le fonti non ne indicano il motivo.",
        "The sources do not give the reason.",
    ),
)


def asked_details(question: str) -> list[Detail]:
    """The details a question asks for, by its wording."""
    folded = fold(question).replace("'", " ").replace("’", " ")
    return [d for d in DETAILS if d.asked.search(folded)]


def missing_details(question: str, answer: str) -> list[Detail]:
    """Details the question asks for that the answer does not give."""
    folded_answer = fold(answer, limit=len(answer))
    return [d for d in asked_details(question) if not d.given.search(folded_answer)]
