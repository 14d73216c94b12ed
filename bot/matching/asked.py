"""What a question asks, without the words around it that would mislead the matcher.

People report their question ("un cliente mi chiede se ..."), put "info" in front of a subject ("info scadenza"),
or ask to confirm what they believe ("la scadenza era il 30 giugno giusto?"). The matcher reads the subject: the
report leads up to the question, "info" is dropped, and the values believed are left out, so the answer gives the
right one.
"""

import re

from bot.matching.lexicon import MONTHS_EN, MONTHS_IT
from bot.matching.reading import CUE_PATTERN, Question, leading_words, opens_question
from bot.matching.text import fold


def as_matched(question: Question) -> tuple[str, str]:
    """(the question, what leads up to it) as the matcher reads them: a question reported by the sender ("Un
    cliente mi chiede se la manifestazione dà diritto a un contributo") is what follows the report; the words before
    it ("Un cliente") lead up to it."""
    split = reported(question.text)
    if split is None:
        return without_guesses(_without_info_lead(question.text)), question.lead
    before, asked = split
    return without_guesses(asked), f"{question.lead} {before}".strip()


# "info scadenza", "info on ESCP-S3 pls": asking about the rest, not for "more information" (the links entry).
_INFO_LEAD = re.compile(
    r"^\W*(?:info|infos|informazioni|informazione|information)"
    r"(?:\s+(?:su|sul|sulla|sullo|sui|sulle|sugli|riguardo|circa|on|about|re|regarding|for))?\s+(?=\w)",
    re.IGNORECASE,
)


def _without_info_lead(text: str) -> str:
    return _INFO_LEAD.sub("", text, count=1)


# A value the sender may have wrong: a number, an amount, a percentage, a month ("30 giugno", "500k", "90%").
_VALUE = re.compile(
    r"(?<!\w)(?:\d[\d.,/:]*\s*(?:k|mila|euro|eur|%|percent|per cent)?(?!\w)|€\s*\d[\d.,]*|(?:"
    + "|".join(m for m in MONTHS_IT + MONTHS_EN if m != "may")  # "may we apply, right?"
    + r"|genn?|febb?|mar|apr|mag|giu|lug|ago|sett?|ott|nov|dic|jan|feb|jun|jul|aug|sept?|oct|dec)\b\.?)",
    re.IGNORECASE,
)
# "..., giusto?", "... right?", "is that right": asking to confirm what was just said; "pls confirm: ...".
_CONFIRMATION_TAG = re.compile(
    r"[,;\s]*\b(?:giusto|vero|corretto|esatto|o no|o sbaglio|oppure no|(?<=, )no|right|correct|true"
    r"|is that (?:right|correct|true|so)|am i right|isn'?t it|wasn'?t it|or not)\s*(?=[?!.]|$)",
    re.IGNORECASE,
)
_CONFIRMATION_LEAD = re.compile(
    r"^\W*(?:pls|please|plz)?\s*(?:confirm|mi confermate|mi confermi|mi conferma|confermatemi|confermate|can you "
    r"confirm|could you confirm)(?:\s+(?:che|that))?\s*[:,]?\s*",
    re.IGNORECASE,
)
# A question word anywhere: "which one is correct?" asks which, it does not confirm.
_WH_WORD = re.compile(r"\b(?:which|what|who|when|where|how|why|quale|quali|qual|cosa|chi|quando|dove|come|perche)\b")
# Names with a number in them, which are subjects, not values: "industria 4.0", "Horizon 2020", "Smart Puglia 2020".
_NAMED = re.compile(r"(?:industria|industry|horizon|puglia|europa|europe)\s*$", re.IGNORECASE)


# "Is it true?", "è vero?", "giusto?": a question that only asks to confirm what the sentence before it says.
_ONLY_CONFIRMS = re.compile(
    r"^(?:(?:but|so|and|ma|quindi|e) )?(?:(?:is|was) (?:it|that|this) |(?:it|that) s |e |era )?(?:really )?"
    r"(?:true|right|correct|so|vero|giusto|corretto|cosi|davvero|really)(?: or not| o no)?$"
)


def only_confirms(text: str) -> bool:
    """Whether a question only asks to confirm what was said before it ("Somebody told us it was only for Italian
    districts. Is it true?"): its subject is that statement."""
    return _ONLY_CONFIRMS.match(" ".join(re.findall(r"[a-z0-9]+", fold(text)))) is not None


def without_guesses(text: str) -> str:
    """A question that asks to confirm what the sender believes ("la scadenza era il 30 giugno giusto?", "the
    COSME call gave 500k? is that right"), without the values believed and the "right?": what is asked is the
    subject, and the answer gives the right value. Any other question as it is."""
    pieces = [piece for piece in text.split("?") if piece.strip(" .!,;:")]
    guess_after = len(pieces) > 1 and not _VALUE.sub("", pieces[-1]).strip(" .!,;:")  # "... per progetto? 500k?"
    tag = _CONFIRMATION_TAG.search(text) or _CONFIRMATION_LEAD.search(text)
    asks_which = opens_question(leading_words(text)) or _WH_WORD.search(fold(text))
    if not guess_after and (not tag or asks_which):
        return text
    if tag:
        text = text[: tag.start()] + " " + text[tag.end() :]
    return _VALUE.sub(lambda m: m.group(0) if _NAMED.search(text[: m.start()]) else " ", text)


def reported(text: str) -> tuple[str, str] | None:
    """(the words before the report, the question reported) when a clause reports its question ("a client asks
    whether ...", "vorrei capire se ..."); folded. None when it does not, or too little follows the report."""
    folded = " ".join(re.findall(r"[a-z0-9]+", fold(text)))
    match = CUE_PATTERN.search(folded)
    if match is None or len(folded[match.end() :].split()) < 2:
        return None
    return folded[: match.start()].strip(), folded[match.end() :].strip()
