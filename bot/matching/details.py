"""Specific details a question asks for (an e-mail, a time, whether registration was needed) and whether an answer
gives them.

An entry about the Bari workshop matches "do I need to register for the workshop?" well, but its date and place do
not answer it: the reply must say plainly that the sources do not give that detail instead of pretending to.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.matching.text import MAX_ANALYSED_CHARS, fold


@dataclass(frozen=True)
class Detail:
    id: str
    asked: re.Pattern[str]  # in the folded question
    given: re.Pattern[str]  # in the answer text: the detail is there
    missing_it: str  # what the reply says when the answer lacks it
    missing_en: str
    declared: re.Pattern[str] | None = None  # in the answer text: it already says the sources lack the detail
    bonus: float = 0.0  # raises entries that give it by this much, if more than the interpreter's DETAIL_BONUS

    def missing(self, lang: str) -> str:
        return self.missing_it if lang == "it" else self.missing_en

    @property
    def only_favours(self) -> bool:
        """A detail with no note: it only raises entries that give it ("which came first?": the dates of both), as
        an answer without it may still be right."""
        return not self.missing_it


@dataclass(frozen=True)
class Gap:
    """A detail asked for that the answer does not give (`declared`: the answer says so itself, somewhere)."""

    detail: Detail
    declared: bool


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


def _declared(*subjects: str) -> re.Pattern[str]:
    """An answer sentence that says the subject is not given: "the sources do not confirm the exact day"."""
    subject = "(?:" + "|".join(subjects) + ")"
    negation = r"\b(?:non|not|no|nessun\w*|none|neither|nor)\b"
    return re.compile(rf"{negation}[^.;]{{0,60}}{subject}|{subject}[^.;]{{0,60}}{negation}")


_MONTHS = (
    "gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre|"
    "january|february|march|april|may|june|july|august|september|october|november|december"
)

#: The `given` of a detail no answer gives: asking for it always gets the note.
NOT_GIVEN = re.compile(r"(?!)")

#: A date as answers write it: "13 settembre 2016", "May 2016".
_DATE = rf"\b(?:\d{{1,2}} )?(?:{_MONTHS}) \d{{4}}\b"

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
            r"(?<!dal )(?<!da )(?<!sul )(?:(?<!my )(?<!the )telefon\w*|cellulare)",  # not "scrivo dal telefono"
            r"whatsapp",
            r"numero verde",
            r"hotline",
            r"help ?line",
            r"helpdesk",
            r"call them",
            r"chiamar\w*",
        ),
        re.compile(r"\+?\d[\d .]{7,}\d"),
        "Le fonti non indicano un numero di telefono.",
        "The sources give no phone number.",
    ),
    Detail(
        "contact",
        _words(
            r"recapit\w*",
            r"contact (?:details|info\w*|person)",
            r"dati di contatto",
            r"a contact",
            r"un contatto",
            r"get in touch",
            r"put (?:me|us) in touch",
            r"come contattar\w*",
            r"how (?:can i|can we|do i|do we|to) contact",
            r"mettermi in contatto",
            r"metterci in contatto",
            r"(?:someone|somebody|who)\b[^.?]{0,40}\b(?:i|we) (?:could|can|should|may|might) (?:talk|speak) to",
            r"who (?:can|could|should) (?:i|we) (?:talk|speak) to",
            r"a chi (?:posso|possiamo) rivolger\w*",
            r"(?:chi|con chi) (?:posso|possiamo) (?:contattare|sentire|parlare)",
            r"(?:il|un|the|an) (?:funzionari[oa]|official|officer)\b[^.?]{0,60}"
            r"\b(?:che segue|who (?:handles|follows)|in charge)",
        ),
        re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|\+?\d[\d .]{7,}\d"),
        "Le fonti non indicano recapiti (e-mail o telefono).",
        "The sources give no contact details (e-mail or phone).",
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
            r"(?<!scusate l )(?<!scusa l )(?<!scusi l )(?<!scusate per l )orari?o?",  # not "scusate l'orario"
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
        "exact-day",
        _words(
            r"exact(?: \w+)? (?:day|date)",
            r"not (?:just )?the month",
            r"(?:solo|soltanto) il mese",
            r"which day",
            r"what day",
            r"precise (?:day|date)",
            r"(?:giorno|data) esatt[ao]",
            r"(?:giorno|data) precis[ao]",
            r"che giorno",
            r"quale giorno",
            r"in che giorno",
            r"il giorno preciso",
            r"when exactly",
            r"quando esattamente",
            r"when (?:did|does|was|is|were) (?:\w+ ){1,5}exactly",
            r"quando (?:\w+ ){1,5}esattamente",
            r"when (?:was|were|did) (?:\w+ ){0,6}(?:announced|published|released|communicated|made public)",
            r"quando (?:e|sono|fu|venne) (?:\w+ ){0,6}(?:annunciat\w*|pubblicat\w*|comunicat\w*|uscit\w*)",
            r"(?:what|which) date (?:was|were|did) (?:\w+ ){0,6}(?:announced|published|released|communicated)",
            r"in (?:che|quale) data (?:e|sono|fu|venne) (?:\w+ ){0,6}(?:annunciat\w*|pubblicat\w*|comunicat\w*)",
        ),
        re.compile(r"\b\d{1,2}(?:st|nd|rd|th|°)? (?:" + _MONTHS + r")\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b"),
        "Le fonti non indicano il giorno esatto.",
        "The sources do not give the exact day.",
        _declared(
            r"giorno esatto",
            r"exact day",
            r"data esatta",
            r"exact date",
            r"when (?:the|that) announcement",
            r"quando fu pubblicato l annuncio",
            r"data dell annuncio",
            r"date of (?:the|that) announcement",
        ),
    ),
    Detail(
        "registration",
        _words(
            r"register\w*",
            r"registrar(?:si|mi|ci|vi)",
            r"iscrizion\w*",
            r"iscriv\w*",
            r"registrazion[ei] (?:al|allo|alla|all|ai|agli|alle|obbligatori\w*|necessari\w*|online|gratuit\w*)",
            r"prenotar\w*",
            r"prenotazion\w*",
            r"sign ?up",
            r"rsvp",
            r"booking",
            r"book a (?:place|seat)",
            r"(?:by|on|su|per) invit\w*",  # "open to everyone or by invitation only?"
            r"invitation only",
            r"open to (?:everyone|everybody|all|anyone|the public)",
            r"apert[oa] a tutti",
        ),
        _words(r"registered", r"registrat[oaie]", r"account", r"iscrizione (?:era|e) (?:obbligatoria|gratuita)"),
        "Le fonti non dicono se fosse necessaria un'iscrizione.",
        "The sources do not say whether registration was needed.",
        _declared(r"iscrizion\w*", r"registration"),
    ),
    Detail(
        "address",
        _words(
            r"indirizzo(?! (?:e ?-?mail|di posta|email|mail|web|internet|del sito|della piattaforma|del portale|url))",
            r"(?<!mail )(?<!web )(?<!website )(?<!site )(?:postal |street |office )?address(?! e ?-?mail)",
            r"(?:dove|where) (?:si trova|sta|is|are|si trovava|was|were)(?: \w+)? "
            r"(?:l ufficio|the office|la sede|the offices|the headquarters|their office|its office)",
            r"sede legale",
            r"headquarters",
        ),
        re.compile(r"\b(?:via|viale|piazza|corso|rue|avenue|street|straat|strasse)\s+[a-z]"),
        "Le fonti non indicano un indirizzo.",
        "The sources give no address.",
    ),
    Detail(
        "attendance",
        _words(
            r"quant[ei] (?:persone|partecipanti|presenti)",
            r"how many (?:people|ppl|participants|attendees|visitors)",
            r"numero di (?:partecipanti|persone|presenti)",
            r"attendance",
            r"(?:which|what) (?:\w+ ){0,2}(?:districts|clusters|companies|organisations|organizations|firms) "
            r"(?:were|was) (?:represented|present|there)",
            r"quali (?:\w+ ){0,2}(?:distretti|cluster|aziende|imprese|organizzazioni) "
            r"(?:erano|c erano|sono stati|sono state) (?:presenti|rappresentat\w*)",
            r"(?:elenco|lista) (?:dei|degli|delle) "
            r"(?:presenti|partecipanti|iscritti|aziende iscritte|aziende presenti)",
            r"(?:attendee|participant|participants|attendees) list",
            r"list of (?:the )?(?:attendees|participants|companies (?:present|registered))",
            r"affluenza",
            r"how many (?:\w+ ){0,2}(?:districts|clusters|companies|organisations|organizations|firms|smes) "
            r"(?:\w+ ){0,2}(?:attended|were there|came|went)",
            r"quant[ie] (?:\w+ ){0,2}(?:distretti|cluster|aziende|imprese|organizzazioni|pmi) "
            r"(?:\w+ ){0,2}(?:erano presenti|c erano|sono venut[ie]|hanno partecipato al workshop)",
            r"quanta gente",
        ),
        re.compile(r"\b\d+\s*(?:persone|partecipanti|presenti|people|participants|attendees)\b"),
        "Le fonti non indicano quante persone abbiano partecipato.",
        "The sources do not say how many people attended.",
    ),
    Detail(
        "uptake",
        _words(
            r"success rate",
            r"how many (?:smes|pmi|companies|firms) (?:\w+ ){0,5}(?:reach|reached|involve|involved|benefit\w*)",
            r"quante (?:pmi|aziende|imprese) (?:\w+ ){0,5}(?:raggiunt\w*|coinvolt\w*|beneficiat\w*)",
            r"how many (?:\w+ ){0,2}(?:partners|members|regions|countries) (?:\w+ ){0,3}"
            r"(?:took part|participated|joined|applied|responded)",
            r"quant[ie] (?:\w+ ){0,2}(?:partner|paesi|regioni) (?:\w+ ){0,3}(?:hanno partecipato|hanno aderito)",
            r"(?:elenco|lista|list) (?:dei|degli|delle|of) (?:\w+ ){0,2}"
            r"(?:interessat\w*|interested|iscritt\w*|registered|participating|partecipanti)",
            r"(?:presentato|pubblicato|submitted|posted) (?:il )?(?:piu|most|the most) "
            r"(?:manifestazioni|eois|expressions)",
            r"tass[oi] di successo",
            r"percentuale di successo",
            r"how many (?:applications|proposals|submissions|eois|expressions of interest|projects)"
            r" (?:did|were|was|have|had|it)",
            r"quant[ei] (?:domande|proposte|candidature|manifestazioni di interesse)"
            r" (?:sono|erano|ha|hanno|ne|ci|arrivat\w*)",
            r"quant[ei] (?:distretti|cluster|organizzazioni|imprese|enti|reti) (?:\w+ ){0,3}(?:hanno|ha) "
            r"(?:\w+ )?(?:partecipato|aderito|risposto|presentato)",
            r"how many (?:clusters|organisations|organizations|districts|networks|companies) (?:\w+ ){0,3}"
            r"(?:took part|participated|joined|applied|responded)",
        ),
        re.compile(r"\b\d+\s*(?:applications|proposals|submissions|domande|proposte|candidature)\b"),
        "Le fonti non indicano quante domande siano arrivate né la percentuale di successo.",
        "The sources do not say how many applications were received or the success rate.",
    ),
    Detail(
        "eligible-costs",
        _words(
            r"(?:staff|personnel|travel|indirect|subcontracting) costs?",
            r"cost categor\w*",
            r"(?:quali|which|what) cost[oi]? (?:\w+ ){0,2}(?:ammissibil\w*|eligible)",
            r"(?:which|what) costs (?:\w+ ){0,2}(?:covered|reimbursed|funded)",
            r"(?:il )?personale e (?:i )?viaggi",
            r"subappalt\w*",
            r"subcontract\w*",
            r"(?:financial support|sostegno finanziario) (?:to|a) (?:third parties|terzi)",
            r"voucher\w*",
            r"categori\w* di (?:cost\w*|spes\w*)",
            r"costi (?:del personale|di personale|di viaggio|indiretti)",
            r"spese (?:ammissibili|di viaggio|del personale|di personale)",
            r"voci di (?:costo|spesa)",
            r"vat",
            r"iva",
        ),
        _words(
            r"(?:staff|personnel|travel|indirect) (?:costs|expenses)",
            r"costi (?:del personale|di personale|di viaggio|indiretti)",
            r"spese (?:di viaggio|del personale|di personale)",
            r"vat",
            r"iva",
        ),
        "Le fonti non indicano quali categorie di costo siano ammissibili.",
        "The sources do not say which cost categories are eligible.",
    ),
    Detail(
        "capacity",
        _words(
            r"quanti posti",
            r"posti (?:disponibili|a sedere|limitati)",
            r"capienza",
            r"how many (?:seats|places)",
            r"seats?",
            r"(?:room |venue )?capacity",
        ),
        re.compile(r"\b\d+\s*(?:posti|seats|places)\b"),
        "Le fonti non indicano quanti posti ci fossero.",
        "The sources do not say how many places there were.",
    ),
    Detail(
        "fee",
        _words(
            r"fees?",
            r"costs? (?:to|of) (?:register|join|sign)",
            r"price",
            r"pay",
            r"paid",
            r"payment",
            r"free of charge",
            r"costa",
            r"si paga",
            r"quota",
            r"a pagamento",
            r"pagar\w*",
            r"gratuit[oaie]",
            r"gratis",
            r"(?:is|was|are|were) (?:it|this|that|the [\w ]{1,30}?) free",  # "is the workshop free?"
            r"free (?:to attend|entry|admission)",
            r"tickets?",
            r"bigliett\w*",
        ),
        re.compile(r"€|\beur\b|\beuro\b|free of charge|\bgratuit|\bno fee\b|senza costi"),
        "Le fonti non indicano costi o quote.",
        "The sources do not mention any fee or cost.",
    ),
    Detail(
        "streaming",
        _words(
            r"(?:live ?)?stream\w*",
            r"in diretta",
            r"diretta streaming",
            r"recording",
            r"recorded",
            r"registrazione video",
            r"registrazion[ei] (?:del|dello|della|dell|dei|degli|delle|video|audio)",
            r"videoregistrazione",
            r"video",
            r"webinar",
            r"zoom",
            r"watch (?:it )?online",
            r"seguir\w* online",
            r"da remoto",
            r"remotely",
        ),
        _words(r"stream\w*", r"diretta", r"video", r"webinar", r"online"),
        "Le fonti non dicono se fosse trasmesso online o registrato.",
        "The sources do not say whether it was streamed or recorded.",
    ),
    Detail(
        "length",
        _words(
            r"pages",
            r"pagine",
            r"(?:page|word|character|length) limit",
            r"limite di (?:pagine|parole|caratteri|lunghezza)",
            r"(?:quante|max|massimo di|numero (?:massimo )?di) (?:pagine|parole|caratteri)",
            r"how many (?:pages|words|characters)",
            r"(?:maximum|max) (?:number of )?(?:pages|words|characters)",
            r"lunghezza",
            r"quanto (?:deve essere )?lunga",
            r"how long (?:should|must|can|may) (?:it|the expression|the eoi|our)",
        ),
        re.compile(r"\b\d+\s*(?:pages|pagine|words|parole|caratteri|characters)\b"),
        "Le fonti non indicano una lunghezza massima.",
        "The sources give no length limit.",
    ),
    Detail(
        "duration",
        re.compile(
            r"\bhow long (?:must|should|does|do|will|did|would|can|could)\b.*\b(?:last|run|take)\b|\bdurat[ao]\b"
            r"|\bduration\b|\bquanto (?:\w+ )?dura\w*|\bminimum (?:length|term)\b"
        ),
        re.compile(r"\b\d+\s*(?:months|mesi|years|anni|weeks|settimane)\b"),
        "Le fonti non indicano una durata.",
        "The sources give no duration.",
    ),
    Detail(
        "room",
        _words(
            r"hall",
            r"room",
            r"sala",
            r"padiglione",
            r"pavilion",
            r"(?:which|what|quale|che|what s the) stand",
            r"which building",
            r"quale edificio",
        ),
        _words(r"hall", r"room", r"sala", r"padiglione", r"pavilion", r"stand"),
        "Le fonti non indicano la sala o il padiglione.",
        "The sources do not give the hall or room.",
    ),
    Detail(
        "further-extension",
        _words(
            r"(?:un altra|ulterior[ei]|second[ao]|nuov[ao]) proroga",
            r"altre proroghe",
            r"prorogat[oa] (?:di nuovo|ancora|nuovamente)",
            r"(?:another|further|second|new) extension",
            r"other extensions",
            r"extended (?:again|further)",
        ),
        NOT_GIVEN,
        "Le fonti riportano una sola proroga e nessuna successiva.",
        "The sources report only one extension and none after it.",
    ),
    Detail(
        "country",  # a country outside the EU, whose taking part depends on the COSME list the sources do not give
        _words(
            r"svizzer\w*",
            r"switzerland",
            r"swiss",
            r"norveg\w*",
            r"norway",
            r"norwegian",
            r"islanda",
            r"iceland\w*",
            r"liechtenstein",
            r"serbi\w*",
            r"ucrain\w*",
            r"ukrain\w*",
            r"turchia",
            r"turkey",
            r"turkish",
            r"regno unito",
            r"united kingdom",
            r"uk",
            r"britain",
            r"british",
            r"albania\w*",
            r"montenegr\w*",
            r"macedonia\w*",
            r"moldov\w*",
            r"armeni\w*",
            r"bosnia\w*",
            r"kosovo",
            r"israel\w*",
            r"tunisi\w*",
            r"georgia",
            r"stati uniti",
            r"united states",
            r"usa",
            r"the us",  # not "is it open to us?"
            r"americ\w*",
            r"canad\w*",
            r"cina",
            r"cines\w*",
            r"china",
            r"chinese",
            r"giappon\w*",
            r"japan\w*",
            r"india\w*",
            r"brasil\w*",
            r"brazil\w*",
            r"russia\w*",
            r"russo",
            r"marocc\w*",
            r"morocc\w*",
            r"egitto",
            r"egypt\w*",
            r"australia\w*",
            r"corea",
            r"korea\w*",
        ),
        _words(
            r"svizzera",
            r"switzerland",
            r"norvegia",
            r"norway",
            r"serbia",
            r"ucraina",
            r"ukraine",
            r"turchia",
            r"turkey",
            r"regno unito",
            r"united kingdom",
        ),
        "Le fonti non riportano quali paesi partecipino al programma COSME.",
        "The sources do not list which countries take part in the COSME programme.",
    ),
    Detail(
        "time-zone",
        _words(
            r"time ?zone",
            r"fuso orario",
            r"(?:che|quale|which|what) (?:ora|fuso|time)(?: zone)? (?:italiana|di bruxelles|brussels|cet|cest)",
            r"brussels time",
            r"ora di bruxelles",
            r"ora italiana",
            r"cet",
            r"cest",
            r"utc",
            r"gmt",
        ),
        _words(r"brussels time", r"ora di bruxelles", r"cet", r"cest", r"utc", r"fuso orario", r"time zone"),
        "Le fonti non indicano il fuso orario.",
        "The sources give no time zone.",
    ),
    Detail(
        "moderator",
        _words(r"moderat\w*", r"chair(?:ed|ing|man|person)?", r"presiedut\w*", r"presiede\w*", r"chi conduceva"),
        _words(r"moderat\w*", r"chair\w*", r"presiedut\w*"),
        "Le fonti non dicono chi moderasse l'incontro.",
        "The sources do not say who chaired or moderated it.",
    ),
    Detail(
        "in-person",
        _words(
            r"di persona",
            r"in persona",
            r"in person",
            r"herself",
            r"himself",
            r"personally",
            r"personalmente",
            r"(?:era|erano|fosse|fossero) present[ei]",
            r"was (?:she|he) (?:there|present)",
        ),
        _words(r"(?:era|erano|was|were) present[ei]?", r"attended in person", r"di persona"),
        "Le fonti non dicono chi fosse presente di persona, oltre a chi citano.",
        "The sources do not say who was there in person, beyond those they name.",
    ),
    Detail(
        "late",
        _words(
            r"(?:submit|send|apply|post|inviar\w*|mandar\w*|presentar\w*|pubblicar\w*) (?:\w+ )?(?:late|in ritardo)",
            r"after the deadline",
            r"dopo la scadenza",
            r"oltre (?:la scadenza|il termine)",
            r"fuori tempo(?: massimo)?",
            r"miss(?:ed|es)? the (?:\w+ ){0,3}deadline",
            r"late (?:submission|application)s?",
        ),
        NOT_GIVEN,  # no answer says what happened to late expressions of interest
        "Le fonti non dicono nulla di invii dopo la scadenza.",
        "The sources say nothing about submissions after the deadline.",
    ),
    Detail(
        "author",
        _words(
            r"chi (?:ha|l ha) scritto", r"who wrote", r"autore", r"autrice", r"author", r"written by", r"scritto da"
        ),
        _words(r"scritto da", r"written by", r"autore", r"author"),
        "Le fonti non indicano chi l'abbia scritto.",
        "The sources do not say who wrote it.",
    ),
    Detail(
        "quote",  # what someone said: only the Region's press release quotes anyone (Capone)
        _words(
            r"what did (?:\w+ ){1,3}say",
            r"what does (?:\w+ ){1,3}say",
            r"(?:che )?cosa ha detto",
            r"cosa disse",
            r"what was said",
            r"cosa si e detto",
            r"di cosa (?:ha|hanno) parlato",
            r"di cosa parlava",
            r"what did (?:\w+ ){1,3}talk about",
            r"what was (?:his|her|their) (?:talk|speech|presentation) about",
            r"what (?:exactly )?was said",
            r"domande del pubblico",
            r"questions (?:from|of) the (?:audience|floor|public|participants)",
            r"cosa (?:e stato|fu) detto",
            r"q ?(?:and|&)? ?a session",
            r"question and answer session",
            r"sessione di domande",
        ),
        _words(
            r"said",
            r"says",
            r"calls it",
            r"explains",
            r"ha detto",
            r"ha dichiarato",
            r"dichiara",
            r"definisce",
            r"spiega",
        ),
        "Le fonti non riportano che cosa abbia detto.",
        "The sources do not report what was said.",
    ),
    Detail(
        "site-language",
        _words(
            r"(?:available|disponibile|consultabile) (?:also )?in (?:italian|italiano|english|inglese|german|french)",
            r"(?:is|e) (?:it |the site |the platform |la piattaforma |il sito )?in (?:italian|italiano)",
            r"versione (?:italiana|inglese)",
            r"(?:italian|english) version",
            r"traduzion[ei] (?:ufficial[ei] )?(?:in )?(?:italian[oa]|inglese)",
            r"(?:italian|english) translation",
            r"translated (?:into|in) (?:italian|english)",
            r"tradott[oa] in (?:italiano|inglese)",
            r"(?:published|released|pubblicat[oa]|uscit[oa]) (?:also |anche )?in (?:english|inglese|italian|italiano)",
        ),
        _words(r"in italiano", r"in italian", r"versione italiana", r"italian version"),
        "Le fonti non dicono in quali lingue sia disponibile.",
        "The sources do not say which languages it is available in.",
    ),
    Detail(
        "event-language",
        _words(
            r"(?:held|given|run|conducted|tenut[oa]|svolt[oa]) in (?:italian|english|italiano|inglese)",
            r"interpret(?:ation|ing|er|ers|i)",
            r"interpretariato",
            r"traduzione simultanea",
            r"simultaneous translation",
            r"in che lingua (?:era|si teneva|si svolgeva|parlavano)",
            r"parla(?:va|no|vano)? in (?:italiano|inglese)",  # "Schierenbeck parla in italiano?"
            r"(?:speak|speaks|spoke) (?:in )?(?:italian|english)",
            r"what language was (?:it|the workshop|the event) (?:held|given|in)",
            r"(?:workshop|evento|incontro|seminario|event|meeting|seminar|conference|conferenza)\b[^.?]{0,30}"
            r"\b(?:era|fu|was|si teneva|si svolgeva) in (?:italiano|inglese|italian|english)",
        ),
        _words(r"in italiano", r"in inglese", r"in italian", r"in english", r"interpret\w*"),
        "Le fonti non indicano in che lingua si svolgesse né se ci fosse interpretariato.",
        "The sources do not say which language it was held in or whether there was interpretation.",
    ),
    Detail(
        "materials",
        _words(
            r"slides? (?:o|or|e|and|del|dello|della|dell|dei|degli|delle|of|from|used|shown|presented)",
            r"slides? (?:\w+ ){0,4}(?:presentat[ei]|proiettat[ei]|pubblicat[ei]|published|posted|online|shared)",
            r"video\w*",
            r"recordings?",
            r"(?:was|were|is|are) (?:\w+ ){0,2}recorded",
            r"(?:e|sono) stat[oaie] (?:\w+ ){0,2}(?:registrat[oaie]|ripres[oaie]|filmat[oaie])",
            r"registrazion[ei] (?:video|audio)",
            r"foto\w*",
            r"photos?",
            r"photographs?",
            r"pictures? (?:of|from) the",
            r"(?:verra|sara|will be|would be) (?:\w+ )?(?:registrat[oa]|recorded|filmat[oa])",
            r"presentazion[ei] (?:del|dello|della|dell|dei|degli|delle|usat\w*|proiettat\w*)",
            r"presentations? (?:from|of|at|given at|shown at) the",  # "are the presentations from the workshop online?"
            r"materiali? (?:del|dello|della|dell|dei|degli|delle|presentat\w*|proiettat\w*|distribuit\w*)",
            r"materials? (?:from|of) the (?:workshop|event|meeting|seminar|conference)",  # not "advanced materials"
            r"documentazione del(?:l)? (?:workshop|evento|incontro|seminario)",
            r"handouts?",
            r"downloads?",
            r"scaricar\w*",
            r"atti del\w*",
            r"proceedings",
        ),
        _words(r"slides?", r"pdf", r"scaricabil\w*", r"download\w*"),
        "Le fonti non indicano materiali (slide, atti, registrazioni) da consultare o scaricare.",
        "The sources mention no materials (slides, proceedings, recordings) to see or download.",
    ),
    Detail(
        "logistics",
        _words(
            r"parking",
            r"(?:where|can|could) (?:i|we|you|one|people|visitors) park",  # not "can a science park apply?"
            r"where to park",
            r"park (?:the|my|our|a) car",
            r"parcheggi\w*",
            r"come (?:ci )?si arriva",
            r"come arrivare",
            r"how (?:do i|do we|to|can i|can we) get there",
            r"getting there",
            r"shuttle",
            r"navetta",
            r"hotel",
            r"alloggio",
            r"accommodation",
            r"dove dormire",
            r"where to stay",
            r"public transport",
            r"mezzi pubblici",
            r"lunch",
            r"pranzo",
            r"catering",
            r"coffee break",
            r"buffet",
        ),
        _words(r"parcheggi\w*", r"parking", r"navetta", r"shuttle", r"hotel", r"bus", r"treno", r"train"),
        "Le fonti non danno indicazioni logistiche (parcheggi, trasporti, alloggi).",
        "The sources give no practical details (parking, transport, accommodation).",
    ),
    Detail(
        "minimum",
        _words(
            r"minim[oaie]",
            r"minimum",
            r"lowest (?:amount|grant|sum|budget)",
            r"smallest (?:amount|grant|sum|budget)",
            r"importo piu basso",
        ),
        _words(r"minim[oaie]", r"minimum", r"at least", r"almeno"),
        "Le fonti non indicano un minimo.",
        "The sources give no minimum.",
        _declared(r"minim[oaie]", r"minimum"),
    ),
    Detail(
        "amount",
        _words(
            r"quant[oi] (?:soldi|euro|denaro|fondi|contributo|finanziamento)",
            r"how much (?:money|funding|grant|cash)",
            r"budget (?:of|for|del|della|dell|per) (?:the |il |l )?(?:\w+ ){0,2}"
            r"(?:workshop|event|evento|conferen\w+|seminar\w*)",
            r"who paid(?: for)?",
            r"chi (?:ha pagato|pagava|paga|ha finanziato|finanziava)",
            r"how much (?:did|does|do|will|would) (?:\w+ ){1,3}(?:spend|cost|pay|invest)",
            r"quanto (?:ha|hanno|avete) (?:speso|pagato|investito|stanziato)",
            r"quanto (?:stanzia|stanziano|mette|mettono|investe|investono)",
            r"how much (?:does|did) (?:\w+ ){1,3}(?:allocate|put up|contribute)",
            r"quanto (?:e )?costat[oa]",
            r"how many euros?",
            r"quanto (?:si prende|prende|prendono|riceve|ricevono|danno|da|finanzia|vale|spetta)",
            r"importo",
            r"amount",
            r"somma",
        ),
        re.compile(r"€|\beur\b|\beuro\b|\d[\d.,]*\s*(?:mila|million|milioni|thousand)|\d+\s*%"),
        "Le fonti non indicano alcun importo.",
        "The sources give no amount.",
    ),
    Detail(
        "current",
        _words(
            r"attual\w*",
            r"oggi",
            r"adesso",
            r"al momento",
            r"current\w*",
            r"nowadays",
            r"today",
            r"right now",
            r"at the moment",
            r"these days",
            r"this year",
            r"quest anno",
            r"(?:e|sono|lavora|lavorano) ancora (?:alla|al|all|nella|nel|presso|per)",
            r"(?:is|are) (?:he|she|they) still (?:at|with|in|working)",
            r"still (?:works?|working) (?:at|for|in)",
        ),
        _words(
            r"days? left",
            r"closed on",
            r"closes today",
            r"held on",
            r"scadut[ao] in data",
            r"mancan[oa]",
            r"chiude oggi",
            r"tenut[oa] il",
        ),
        "Le fonti risalgono al 2016-2018 e non danno informazioni aggiornate su questo.",
        "The sources date from 2016-2018 and give no current information on this.",
    ),
    Detail(
        "announcement-date",  # the sources give the extended deadline, not the day its extension was announced
        re.compile(
            r"^(?=.*\b(?:prorog\w*|extension|extended|extend)\b).*?"
            r"(?:\b(?:when|what (?:exact )?day|which (?:exact )?day|what (?:exact )?date|which date|quando|che giorno"
            r"|quale giorno|che data|quale data)"
            r"\b[^.?!]{0,70}\b(?:announc\w*|annunciat\w*|annunciar\w*|ha annunciato)\b"
            r"|\b(?:announc\w*|annunciat\w*)\b[^.?!]{0,50}"
            r"\b(?:on what|which|what|quale|che) (?:day|date|giorno|data)\b)"
        ),
        NOT_GIVEN,
        "Le fonti non indicano in che data sia stato dato l'annuncio.",
        "The sources do not give the date of the announcement.",
        _declared(r"data dell annuncio", r"date (?:of )?(?:the |that )?announcement", r"announcement date"),
    ),
    Detail(
        "head",  # who heads an office or body: the sources name none (DG GROW's head of unit is another matter)
        re.compile(
            r"^(?!.*\b(?:dg|grow|direzione generale|directorate|unit|unita)\b).*?\b(?:"
            r"chi (?:dirige|guida|coordina|presiede)|who (?:heads|headed|directs|directed|chairs)"
            r"|(?:capo|direttore|direttrice|dirigente|responsabile|presidente) (?:del|dello|della|dell|di quell\w*)"
            r"|(?:head|director|chief|chair) of (?:the )?(?:office|brussels|region|agency|department|platform|eccp)"
            r")\b"
        ),
        NOT_GIVEN,
        "Le fonti non indicano chi lo dirigesse.",
        "The sources do not say who headed it.",
    ),
    Detail(
        "updated",  # whether a text was updated or corrected later: no source says
        _words(
            r"(?:aggiornat[oaie]|rettificat[oaie]|correct\w*|modificat[oaie]|revisionat[oaie]) (?:\w+ ){0,2}"
            r"(?:comunicato|press release|testo|text|pagina|page|bando|call)",
            r"(?:comunicato|press release|testo|text|pagina|page) (?:\w+ ){0,6}"
            r"(?:aggiornat[oaie]|updated|rettificat[oaie]|corrected|revised|modificat[oaie])",
            r"(?:update|updated|revise|revised|correct|corrected) (?:its|their|the) (?:press release|text|page)",
        ),
        _words(r"aggiornat[oaie]", r"updated", r"rettificat[oaie]", r"revised"),
        "Le fonti non dicono se il testo sia stato aggiornato in seguito.",
        "The sources do not say whether the text was updated later.",
    ),
    Detail(
        "withdrawal",  # withdrawing or deleting what was posted: the sources do not say how
        _words(
            r"withdraw\w*",
            r"ritirar\w*",
            r"ritirarsi",
            r"delete",
            r"deleting",
            r"eliminar\w*",
            r"rimuover\w*",
            r"remove",
            r"cancellar\w*",
            r"pull out",
            r"back out",
            r"tirar(?:ci|si|mi) fuori",
        ),
        _words(r"withdraw\w*", r"ritirat\w*", r"ritirar\w*", r"delet\w*", r"eliminat\w*", r"cancellat\w*"),
        "Le fonti non dicono come ritirare o cancellare ciò che è stato pubblicato.",
        "The sources do not say how to withdraw or delete what was posted.",
    ),
    Detail(
        "receipt",
        _words(
            r"ricevut[ae]",
            r"conferma di (?:ricezione|ricevimento|invio)",
            r"(?:una|la) conferma\b(?! che)",
            r"receipt",
            r"acknowledg\w*",
            r"confirmation (?:e ?-?mail|message|of receipt)",
            r"(?:send|sends|get|receive) (?:a |any )?confirmation",
        ),
        NOT_GIVEN,
        "Le fonti non dicono se arrivi una ricevuta o una conferma.",
        "The sources do not say whether a receipt or confirmation is sent.",
    ),
    Detail(
        "legal-form",
        _words(
            r"forma giuridica",
            r"natura giuridica",
            r"personalita giuridica",
            r"legal (?:form|status|entity|personality)",
            r"non ?-?profit",
            r"no ?-?profit",
            r"senza scopo di lucro",
            r"limited company",
            r"societa a responsabilita limitata",
            r"s ?r ?l",
            r"gmbh",
        ),
        _words(r"forma giuridica", r"legal form", r"non ?-?profit", r"senza scopo di lucro"),
        "Le fonti non indicano requisiti sulla forma giuridica.",
        "The sources give no requirement on legal form.",
    ),
    Detail(
        "opening-hours",
        _words(
            r"orari (?:di apertura|d apertura|dell ufficio|degli uffici|di ricevimento|al pubblico)",
            r"(?:che|quali) orari (?:ha|hanno|fa|fanno)",
            r"(?:office|opening|business) hours",
            r"(?:is|are) (?:the |it |they )?open (?:on )?(?:on saturdays|on mondays|in the afternoon|at weekends)",
            r"aperto (?:il|di) (?:sabato|pomeriggio|lunedi)",
        ),
        NOT_GIVEN,
        "Le fonti non indicano orari di apertura.",
        "The sources give no opening hours.",
    ),
    Detail(
        "pre-financing",
        _words(
            r"pre ?-?financ\w*",
            r"prefinanziament\w*",
            r"advance payments?",
            r"anticip[oi] (?:del|sul|di) (?:contributo|finanziamento|pagamento)",
            r"payment schedule",
            r"calendario dei pagamenti",
            r"tranche\w*",
        ),
        _words(r"pre ?-?financ\w*", r"prefinanziament\w*", r"tranche\w*"),
        "Le fonti non indicano prefinanziamenti né tempi di pagamento.",
        "The sources give no pre-financing or payment schedule.",
    ),
    Detail(
        "age",
        _words(r"quanti anni ha", r"how old (?:is|was)", r"(?:l )?eta (?:di|del|della|dell)", r"(?<!an )age of"),
        NOT_GIVEN,
        "Le fonti non indicano l'età.",
        "The sources do not give anyone's age.",
    ),
    Detail(
        "file-format",
        _words(
            r"file format",
            r"formato (?:del file|dei file|pdf|word|elettronico)",
            r"(?:in|as a?) (?:pdf|word|docx?|excel)",
            r"(?:pdf|word) (?:or|o|oppure) (?:pdf|word)",
            r"file size",
            r"dimensione (?:massima )?del file",
        ),
        _words(r"pdf", r"docx?", r"word"),
        "Le fonti non indicano un formato di file.",
        "The sources give no file format.",
    ),
    Detail(
        "person",  # a person's career, studies, pay: the sources give names and roles only
        _words(
            r"biografi\w*",
            r"biography",
            r"dove ha studiato",
            r"where did (?:he|she) study",
            r"cosa faceva prima",
            r"(?:job|career|position) before",
            r"before (?:he|she) became",
            r"quanto guadagna",
            r"salar\w*",
            r"stipendi\w*",
            r"curriculum",
            r"(?:e|is) (?:capo|head of) unit\w* o",
            r"che ruolo preciso",
            r"what exactly is (?:his|her) (?:role|position|job)",
        ),
        NOT_GIVEN,
        "Le fonti indicano solo nomi e ruoli, non altro sulle persone.",
        "The sources give only names and roles, nothing more about the people.",
    ),
    Detail(
        "agenda",
        _words(
            r"ordine del giorno",
            r"agenda",
            r"programma (?:dettagliato|completo|preciso|della giornata|degli interventi)",
            r"(?:detailed|full) programme",
            r"time ?slots?",
            r"intervento per intervento",
            r"(?:chi parlava|who spoke) (?:e|and) a (?:che ora|what time)",
        ),
        NOT_GIVEN,
        "Le fonti non riportano il programma dettagliato.",
        "The sources do not give the detailed agenda.",
        _declared(r"programma", r"agenda"),
    ),
    Detail(
        "signature",
        _words(
            r"firmat[oa]",
            r"firmar\w*",
            r"firma (?:digitale|del legale|dei partner)",
            r"co-?firm\w*",
            r"signed",
            r"signature",
            r"co-?sign\w*",
            r"to sign",
            r"marca da bollo",
            r"stamp duty",
            r"notar\w*",
        ),
        NOT_GIVEN,
        "Le fonti non parlano di firme o bolli.",
        "The sources say nothing about signatures or stamp duty.",
    ),
    Detail(
        "documents",
        _words(
            r"(?:quali|che) documenti",
            r"(?:what|which) documents",
            r"documentazione (?:necessaria|richiesta|da presentare)",
            r"allegat[oi]",
            r"allegare",
            r"attachments?",
            r"accordo di partenariato",
            r"letter[ae] di (?:sostegno|supporto|intenti|appoggio)",
            r"letters? of (?:support|intent|endorsement)",
            r"partnership agreement",
            r"consortium agreement",
        ),
        NOT_GIVEN,
        "Le fonti non elencano documenti da presentare.",
        "The sources list no documents to submit.",
    ),
    Detail(
        "conference-speakers",
        re.compile(
            r"^(?=.*\b(?:smart regions|conferenz\w*|conference)\b).*?"
            r"\b(?:chi (?:ha parlato|parlava|ha aperto|intervenne)"
            r"|who (?:spoke|opened|talked|presented)|speakers?|relator\w*|keynote|opened)\b"
        ),
        NOT_GIVEN,
        "Le fonti non indicano chi sia intervenuto alla conferenza.",
        "The sources do not say who spoke at the conference.",
    ),
    Detail(
        "future-edition",
        _words(
            r"(?:will there be|is there going to be|ci sara|ci saranno) (?:a |an |un |una |un )?"
            r"(?:new|nuov[oa]|another|altr[oa]|next|prossim[oa])",
            r"in 20(?:19|2\d) or later",
            r"nuova edizione",
            r"new edition",
            r"next edition",
            r"prossima edizione",
        ),
        _words(r"bando successivo", r"successivo bando", r"later call", r"later related cosme call"),
        "Le fonti non parlano di edizioni successive, a parte il bando COSME del 2017.",
        "The sources mention no later edition, apart from the 2017 COSME call.",
    ),
    Detail(
        "count-in-place",  # how many of something a place has: no source counts districts or clusters
        _words(
            r"quant[ie] (?:\w+ ){0,3}(?:ci sono|esistono|ce ne sono|ha la|ha l) (?:\w+ ){0,2}(?:in )?"
            r"(?:puglia|italia|europa|regione|ue)",
            r"how many (?:\w+ ){0,3}(?:are there|exist|does) (?:\w+ ){0,2}(?:in )?"
            r"(?:puglia|apulia|italy|europe|the region|the eu)",
        ),
        NOT_GIVEN,
        "Le fonti non danno questo conteggio.",
        "The sources give no such count.",
    ),
    Detail(
        "order",  # which of two events came first: an answer with several dates compares them
        _words(
            r"(?:which|what) (?:\w+ ){0,3}(?:came|come|comes|happened|was|is) (?:first|earlier|later)",
            r"before or after",
            r"prima o dopo",
            r"(?:e|sono) venut[oaie] prima",
            r"(?:viene|veniva|e venuto|e venuta|c e stato) prima",
            r"cosa (?:e )?(?:venuto|successo) prima",
            r"(?:scade|chiude|chiudeva|scadeva) prima",
        ),
        re.compile(rf"(?:{_DATE}).*(?:{_DATE}).*(?:{_DATE})", re.DOTALL),
        "",
        "",
        bonus=0.3,
    ),
    Detail(
        "processing-time",  # how long the platform or the Commission takes: no source says
        _words(
            r"quanto tempo ci vuole",
            r"quanto ci (?:vuole|mette|mettono)",
            r"tempi di (?:approvazione|risposta|valutazione|attesa)",
            r"venga approvat[oa]",
            r"(?:gets?|get|to be|is) approved",
            r"how long (?:does it|will it|do they|does the commission|does the platform) (?:take|need)",
            r"approval time",
        ),
        NOT_GIVEN,
        "Le fonti non dicono quanto tempo richieda.",
        "The sources do not say how long it takes.",
    ),
    Detail(
        "results",  # what came of it: no source names the partnerships or consortia selected
        _words(
            r"(?<!expected )(?<!intended )results? (?:of|were|was|came|published|announced|out)",
            r"(?<!attesi )risultat[oi] (?:del|dello|della|dell|dei|degli|delle|sono|erano|furono|usciti|pubblicat\w*)",
            r"(?:quando|when) (?:\w+ ){0,4}(?:risultat[oi]|results?)",
            r"vincitor\w*",
            r"winners?",
            r"graduatori\w*",
            r"(?:among|tra|fra) (?:i|the) (?:consorzi |progetti |partenariati |projects |consortia |partnerships )?"
            r"(?:funded|financed|selected|finanziat\w*|selezionat\w*|vincitor\w*|winners?|beneficiar\w*)",
            r"(?:consorzi|consortia|projects|progetti|partnerships?|partenariati|clusters?) (?:\w+ ){0,2}"
            r"(?:funded|selected|awarded|finanziat\w*|selezionat\w*|premiat\w*)",
            r"(?:was|were|got|been) (?:\w+ ){0,2}(?:funded|selected|awarded|accepted|approved)",
            r"(?:which|what|quali|quale) (?:partnerships?|projects|partenariati|progetti|consorzi|consortia) "
            r"(?:\w+ ){0,3}(?:accepted|approved|accettat\w*|approvat\w*|ammess\w*)",
            r"(?<!risultato )esit[oi]",
            r"(?:about|on|sui|sugli|riguardo ai) (?:the )?(?:results|risultati|esiti|outcomes?)",
            r"what happened (?:to|with) (?:the )?(?:partnerships|projects|consortia|clusters|expressions of interest)",
            r"che fine (?:hanno fatto|ha fatto|hanno fatto le|hanno fatto i)",
            r"com e andata a finire",
            r"how did it (?:all )?(?:turn|work) out",
            r"success stor\w*",
            r"(?:ha|hanno) trovato (?:\w+ ){0,2}partner",
            r"(?:found|find) (?:\w+ ){0,2}partners (?:through|thanks to|via|with)",
            r"stori[ae] di successo",
            r"(?:later|poi|then) (?:\w+ ){0,2}(?:won|win|vinto|preso|ottenuto) (?:\w+ ){0,2}"
            r"(?:money|fondi|funding|finanziament\w*)",
            r"(?<!expected )(?<!intended )outcomes? of (?:the|our|my|its) (?:call|application|selection|eoi)",
            r"(?:e|sono|fu|furono) stat[oaie] (?:\w+ ){0,2}(?:finanziat\w*|selezionat\w*|premiat\w*|scelt[oaie])",
        ),
        _words(
            r"selected", r"selezionat\w*", r"winners?", r"vincitor\w*", r"awarded", r"finanziat[oaie] (?:sono|were)"
        ),
        "Le fonti non dicono quali partenariati o progetti siano stati selezionati o finanziati, né quando.",
        "The sources do not say which partnerships or projects were selected or funded, nor when.",
    ),
    Detail(
        "website",
        _words(
            r"websites?",
            r"web ?site",
            r"home ?page",
            r"(?:qual e|quale e|c e) (?:il|un) sito",
            r"sito (?:web|internet|ufficiale)",
            r"pagina web",
            r"url",
            r"indirizzo (?:web|internet|del sito)",
        ),
        re.compile(r"https?://|www\.|\b[\w-]+\.(?:eu|it|europa|org|com)\b"),
        "Le fonti non indicano un sito web.",
        "The sources give no website.",
    ),
    Detail(
        "reason",
        re.compile(
            r"\b(?:why|come mai|per quale motivo|motiv[oi]|reasons?)\b"
            # "perché" asks at the start of a question or after a verb of asking; in the middle of a sentence it is
            # mostly "because" ("non so se ci rientriamo perché siamo un distretto della moda")
            r"|(?:^|\b(?:ma|e|sapere|capire|capito|capisco|chiedo|chiedevo|spiegare|spiegate|dirmi|dire)\s+)perche\b"
            r"|[.!?;:(,]\s*perche\b[^.!?;,]*\?"
        ),
        _words(
            r"because",
            r"perche",
            r"poiche",
            r"due to",
            r"in order to",
            r"reasons?",
            r"motiv[oi]",
            r"aims?",
            r"purpose",
            r"scopo",
            r"obiettiv[oi]",
            r"so that",
            r"affinche",
            r"mira",
            r"wants",
            r"vuole",
        ),
        "Le fonti non ne indicano il motivo.",
        "The sources do not give the reason.",
    ),
)


def _folded(text: str) -> str:
    """Folded text with apostrophes as spaces, as the patterns expect ("dell'annuncio" -> "dell annuncio")."""
    return fold(text, limit=len(text)).replace("'", " ").replace("’", " ")


def asked_details(question: str) -> tuple[Detail, ...]:
    """The details a question asks for, by its wording."""
    return _asked_details(question[:MAX_ANALYSED_CHARS])


@lru_cache(maxsize=1024)
def _asked_details(question: str) -> tuple[Detail, ...]:
    """A message's questions are read several times (the whole message, each question): each is searched once."""
    folded = _folded(question)
    return tuple(d for d in DETAILS if d.asked.search(folded))


def noted_details(question: str) -> tuple[Detail, ...]:
    """The details a question asks for whose absence the reply states (not those that only raise entries)."""
    return tuple(d for d in asked_details(question) if not d.only_favours)


def detail_gaps(question: str, answer: str) -> list[Gap]:
    """Details the question asks for that the answer does not give."""
    folded_answer = _folded(answer)
    return [
        Gap(d, bool(d.declared and d.declared.search(folded_answer)))
        for d in noted_details(question)
        if not d.given.search(folded_answer) or (d.declared and d.declared.search(folded_answer))
    ]


def details_in(answer: str) -> list[str]:
    """The details an answer gives, by id."""
    folded = _folded(answer)
    return [d.id for d in DETAILS if d.given.search(folded) and not (d.declared and d.declared.search(folded))]
