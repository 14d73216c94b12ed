"""Function words of Italian and English: language knowledge the matcher needs, not domain content.

Domain vocabulary (synonyms such as PMI/SME) lives in the knowledge base so staff can extend it. What is here is
grammar: words that carry no topic (stop words), and question words, which do carry intent ("who can apply" vs
"how to apply") and so are mapped to shared concepts instead of being dropped.
"""

import re
import unicodedata

import stopwordsiso

# Common words of both languages (the stopwords-iso lists, accents folded): too broad to drop from questions
# ("call", "open" and "date" are among them), but an unknown word on the list says little about the question.
COMMON_WORDS = frozenset(
    "".join(ch for ch in unicodedata.normalize("NFKD", w.casefold()) if not unicodedata.combining(ch))
    for w in stopwordsiso.stopwords(["it", "en"])
)

# Verb forms: an infinitive (with its clitic: "candidarsi", "farlo"), a gerund, a conditional, a participle, an English
# past. Unknown to the knowledge base, such a word says how something is asked more than what is asked about ("chi
# l'ha pubblicata", "the Bari workshop was livestreamed"), so it weighs like a common word. Measured on the tuning
# sets: 9 more right answers, one more wrong and one more false out of 3,416.
_VERB_FORM = re.compile(
    r"(?:ar|er|ir)(?:e|si|ci|lo|la|li|le|mi|ne|vi|gli|glielo)$"
    r"|(?:iamo|ando|endo|rebbe|remmo|rei|ebbe)$"
    r"|(?:ato|ata|ati|ate|uto|uta|uti|ito|ita|iti)$"
    r"|ed$"
)
_SHORTEST_VERB_FORM = 5  # shorter words ending so are mostly nouns and small words ("rete", "seed", "dato")


def says_little(word: str) -> bool:
    """An unknown (folded) word that tells little about the question: a common word, a verb form, or a number or
    month the knowledge base never mentions (a day the sender believes: "wasn't it on the 14th?")."""
    return (
        word in COMMON_WORDS
        or (word.isdigit() and len(word) <= 2)  # a day, not a year: "the 2025 call" is another call
        or word in _MONTH_NAMES
        or (len(word) >= _SHORTEST_VERB_FORM and _VERB_FORM.search(word) is not None)
    )


STOPWORDS_IT = frozenset(
    """
    a ad al allo alla ai agli alle all anche avere ho hai ha abbiamo avete hanno avevo aveva c ce ci che
    cioe col coi con contro cui d da dal dallo dalla dai dagli dalle dall de dei degli del dell della delle
    dello deve devo devono dobbiamo di e ed era erano essere esiste esistono gia gli i il in io l la le lei li
    lo loro lui ma me mi mio mia miei mie ne nei negli nel nell nella nelle nello no noi non nostra nostro
    nostri o od oppure per perche piu po poi posso puo puoi possiamo possono potrei potrebbe potrebbero qual
    quale quali qualche quella quelle quelli quello questa queste questi questo s sa sai se sei si sia siamo
    siete sono sta stai stanno stato su sua sue sui suo suoi sul sull sulla sulle sullo t ti tra fra tu tua tuo
    tuoi tue tutto tutti tutta tutte un una uno uno vi voi vorrei vuoi vogliono volevo ecco cosi allora dunque
    quindi pero invece molto poco cos cosa sapere sapete dimmi dirmi dici ditemi mi puoi scusa scusate per
    favore perfavore ok okay beh boh mah eh gentilmente cortesemente qualcuno qualcosa bisogna serve servono
    vale valgono senza entro dite dica dirci dirmelo spiegate spieghi spiegami spiegatemi spiegarmi ricordate ricordami
    ricordatemi indicate indicami indicatemi sapreste potete potreste chiarire chiarite confermate confermi
    possa possano potra potranno potremmo fosse fossero siano eravamo vorremmo volevamo voleva dovrebbe
    dovrebbero quel quei cose modo capito capire capisco capiamo dentro ragione parte
    """.split()
)

STOPWORDS_EN = frozenset(
    """
    a about above after again all also am an and any are aren as at be because been before being below between
    both but by can cannot could couldn did didn do does doesn doing don down during each else ever few for from
    further get gets got had has have having he her here hers him his i if in into is isn it its itself just let
    like me might more most must my myself need needs no nor not now of off on once only or other our ours out
    over own per please pls same she should so some such tell than that the their theirs them then there these they
    this those through to too under up us very was wasn we were what which while whom will with would you
    your yours yourself ok okay kindly guys know anyone someone something thing things really actually exactly s
    t d ll m re ve lot explain remind confirm clarify dont doesnt didnt within saw actual somebody ones
    wasnt isnt arent werent cant couldnt wouldnt shouldnt havent hasnt hadnt wont wait
    """.split()
)

# Question words kept as concepts shared by both languages. The first word of each group names the concept.
QUESTION_WORDS: tuple[tuple[str, ...], ...] = (
    ("who", "chi"),
    ("when", "quando", "da quando", "since when"),
    ("where", "dove", "in which city", "which city", "what city", "in che citta", "in quale citta", "quale citta"),
    ("how", "come"),
    ("why", "perche"),
    ("still", "ancora", "yet", "tuttora", "anymore", "any more", "sempre"),
    ("how much", "how many", "quanto", "quanta", "quanti", "quante"),
)


def _phrases(text: str) -> frozenset[str]:
    """One phrase per line or "|": "vorrei sapere|volevo sapere" -> {"vorrei sapere", "volevo sapere"}."""
    return frozenset(item.strip() for line in text.split("\n") for item in line.split("|") if item.strip())


def _word_tuples(text: str) -> frozenset[tuple[str, ...]]:
    """One opener per line or comma: "we are, i am" -> {("we", "are"), ("i", "am")}."""
    return frozenset(tuple(item.split()) for line in text.split("\n") for item in line.split(",") if item.strip())


# First words that make a clause a question even without a question mark (folded: no accents, no apostrophes).
QUESTION_OPENERS = _word_tuples(
    """
    who, whom, whose, what, whats, when, whens, where, wheres, which, how, hows, why, whether
    is, are, was, were, can, could, do, does, did, will, would, should, shall, may, might, must, has, have, had
    any, anyone, is there, are there
    chi, cosa, cos, che cosa, quando, dove, quale, quali, qual, come, perche, quanto, quanta, quanti, quante
    che ora, che ore, che orario, che giorno, che tipo, che lingua, in che modo, che si tratta, che serve
    posso, possiamo, possono, puo, si puo, e possibile, ci sono, c e, serve, servono, bisogna, esiste, esistono
    devo, dobbiamo, devono, sapete, sai, potete, potreste, puoi, mi dite, mi dici, ditemi, dimmi
    fino a quando, entro quando, entro che data, da quando, per quando, until when, till when, by when, since when
    """
)

# A preposition a question word may follow: "a chi si rivolge?", "di cosa si tratta?", "to whom is it addressed?".
QUESTION_PREPOSITIONS = frozenset(
    "a ad da di in con su per fino entro tramite attraverso to for from with by at in on about through via".split()
)

# Words after "and" that start a second question, besides the openers: "... possono partecipare e se la scadenza
# è ancora il 31 dicembre", "... and whether it is still open".
SECOND_QUESTION_OPENERS = QUESTION_OPENERS | _word_tuples("se, if")

# Openers of a yes/no question, which a statement may start with too: "Devo preparare un preventivo." tells, it
# does not ask (without its question mark, only a question word or a phrase that asks makes it a question).
YES_NO_OPENERS = _word_tuples(
    """
    is, are, was, were, can, could, do, does, did, will, would, should, shall, may, might, must, has, have, had
    any, anyone, is there, are there
    posso, possiamo, possono, puo, si puo, e possibile, ci sono, c e, serve, servono, bisogna, esiste, esistono
    devo, dobbiamo, devono, sapete, sai, potete, potreste, puoi
    """
)

# Phrases anywhere in a clause that ask ("vorrei sapere se...", "I was wondering whether...").
QUESTION_CUES = _phrases(
    """
    vorrei sapere|volevo sapere|vorrei capire|volevo capire|vorrei chiedere|volevo chiedere|mi chiedevo|chiedo se
    vorrei informazioni|vorrei info|volevo info|avrei bisogno di sapere|mi servirebbe sapere|mi sapreste dire
    mi potete dire|mi potreste dire|potreste indicarmi|potete indicarmi|mi indicate|non ho capito|non capisco
    i would like to know|i d like to know|i want to know|i wonder|i was wondering|wondering whether|wondering if
    could you tell|can you tell|please tell|tell me|let me know|not sure whether|not sure if|any idea|any info
    need to know|need info|looking for info|i don t understand|explain
    mi chiede se|ci chiede se|chiede se|chiedono se|vuole sapere|vogliono sapere|vorremmo sapere|vorremmo capire
    ci chiediamo|ci chiedevamo|mi domando|ci domandiamo|mi servirebbe capire|mi serve sapere|mi serve capire
    ci serve sapere
    asks whether|asks if|asked whether|asked if|wants to know|want to know|would like to know|we wonder
    we d like to know|we would like to understand|i d need to understand|need to understand|trying to understand
    volevamo sapere|volevamo capire|volevamo chiedere|vorremmo chiedere|si chiede di conoscere|chiede di conoscere
    si chiede cortesemente di conoscere|si richiede|si chiede se|chiediamo se|chiediamo di conoscere
    chiede cortesemente di conoscere|chiede cortesemente|il sottoscritto chiede
    we would like to know|we want to know|we need to know|i need to know|i would like to understand
    potete indicarci|potreste indicarci|ci potete indicare|ci potreste indicare|ci indicate|indicateci
    chiedo di conoscere|vorrei conoscere|desidero sapere|desidero conoscere|gradirei sapere|gradirei conoscere
    mi chiede il|mi chiede la|mi chiede i|mi chiede le|mi chiede l|asks me for|asks for|wants the|needs the
    mi conferma|mi confermate|mi confermi|ci confermate|confermate che
    trying to figure out|can t figure out|could you confirm|can you confirm|please confirm|double check
    asking me whether|asking me if|asking us whether|asking us if|asking whether
    can t pin down|can t quite pin down|cannot pin down|what i m missing is|what i can t work out|can t work out
    quello che mi manca|cio che mi manca|non mi e chiaro|non ci e chiaro|non e chiaro
    mi puo dire|mi potrebbe dire|ci puo dire|ci potrebbe dire|puo dirmi|potete dirmi|potreste dirmi|mi sa dire
    mi sapete dire|sapete dirmi|saprebbe dirmi|sapreste dirmi|mi interessa sapere|mi interesserebbe sapere
    mi interessa capire|ci interessa sapere|ci interesserebbe sapere|i d be interested to know|can you say
    i would be interested to know|i m interested to know|could you say
    mi dite|mi dici|ditemi|dimmi|mi spiegate|mi spieghi|spiegatemi|can you explain|could you explain
    i would be grateful if you could|i d be grateful if you could|would be grateful if you could|grateful if you could
    could you provide|can you provide|please provide|sarei grato se|le sarei grato se|vi sarei grato se
    mi potreste fornire|potreste fornirmi|mi potete fornire|potete fornirmi
    non mi ricordo se|non ricordo se|i don t remember if|i don t remember whether|i can t remember if
    ask you to confirm|kindly confirm|confirm whether|confirm if|chiedo conferma|chiediamo conferma
    vi chiedo di confermare|potete confermare|potreste confermare
    di indicarmi|di indicarci|mi occorre|ci occorre|mi occorrono|ci occorrono
    mi ha chiesto di|ci ha chiesto di|mi hanno chiesto di|ci hanno chiesto di
    mi ha chiesto se|ci ha chiesto se|mi hanno chiesto se|ci hanno chiesto se
    potete confermarmi|potreste confermarmi|mi potete confermare|me lo sa dire|me li sa dire|me lo sapete dire
    me li sapete dire|me lo sai dire|sa dirmelo|sapete dirmelo
    i want to ask about|i wanted to ask about|i would like to ask about|i d like to ask about|want to ask you about
    kindly ask you to|i would ask you to|we would ask you to|ask you to provide|would you please|could you please
    can you please|si chiede di voler|si prega di|vogliate indicare|voglia indicare|si chiede di indicare
    di voler indicare|si domanda|ci si domanda|si domanda a|si domandava
    si chiede gentilmente di|si chiede di|si chiede gentilmente
    i need the|we need the|i need an|i need a|mi serve il|mi serve la|mi servirebbe il
    mi servirebbe la
    """
)

# First words of a clause in which the sender describes themselves: context, not the question.
CONTEXT_OPENERS = _word_tuples(
    """
    we are, we re, i am, i m, i work, i represent, i manage, i run, i lead, i coordinate, i m writing, i write
    our, my, we have, we run, we manage, we work, we represent, we re a, this is, here is, i have, we ve
    sono, siamo, rappresento, rappresentiamo, lavoro, lavoriamo, mi occupo, ci occupiamo, gestisco, gestiamo
    curo, insegno, guido, guidiamo, presiedo
    il nostro, la nostra, i nostri, le nostre, il mio, la mia, i miei, le mie, nostro, nostra, ho, abbiamo
    scrivo, vi scrivo, ti scrivo, faccio parte, facciamo parte, coordino, dirigo, seguo, sto seguendo
    sto scrivendo, sto preparando, sto compilando, sto ricostruendo, sto traducendo, sto lavorando, sto facendo
    stiamo preparando, stiamo lavorando, stiamo aggiornando, stiamo scrivendo, stiamo ricostruendo
    a colleague, un collega, una collega, a friend, un amico, un amica
    """
)

# Words a clause may start with that say nothing about what it is: "e quando...", "ok so what...", "ah, e poi".
LEADING_FILLERS = frozenset(
    """e ed and also anche poi ma but so quindi allora ok okay oh ah eh beh well then inoltre plus oppure or
    io noi soprattutto specialmente especially particularly mainly like basically um uh""".split()
)

# Openings of a greeting, for greeting back.
GREETINGS = _word_tuples(
    """
    hi, hello, hey, hiya, good morning, good afternoon, good evening, greetings, dear
    ciao, salve, buongiorno, buon giorno, buonasera, buona sera, buon pomeriggio, hola, gentili, gentile, egregi
    gentilissimi, gentilissime, gentilissimo, gentilissima, gent mi, gent me, gent mo, gent ma, spett le, spettabile
    egregio, egregia, to whom it may concern
    scusate il disturbo, scusa il disturbo, scusi il disturbo, sorry to bother you, sorry for bothering you
    """
)

# How letters and e-mails end ("Distinti saluti.", "Kind regards, J. Weber"): the closing, and the signature after
# it, say nothing about the question.
CLOSINGS = _word_tuples(
    """
    kind regards, best regards, warm regards, regards, best wishes, all the best, cheers, sincerely, yours sincerely
    yours faithfully, yours truly, thanks in advance, thank you in advance, many thanks in advance, thanks again
    distinti saluti, cordiali saluti, saluti, un saluto, un caro saluto, cari saluti, i migliori saluti, ringrazio
    grazie in anticipo, grazie anticipatamente, ringraziando anticipatamente, in attesa di riscontro
    in attesa di cortese riscontro, in attesa di un cortese riscontro, in attesa di una risposta, resto in attesa
    restiamo in attesa, grazie e cordiali saluti, grazie e saluti, grazie e buona giornata, thanks and regards
    thank you and best regards, buona giornata, buona serata, have a nice day, have a good day
    many thanks, thanks a lot, thank you very much, thank you so much, grazie mille, grazie ancora, grazie infinite
    with thanks, with many thanks, thank you, thanks, grazie, vi ringrazio, la ringrazio, ti ringrazio
    ringraziando, cordialmente, porgo distinti saluti, thank you for your attention, thank you for your kind attention
    con osservanza, distinti ossequi, cordiali ossequi, ossequi
    si ringrazia anticipatamente, si ringrazia, grazie per la collaborazione, ringrazio per la collaborazione
    con i migliori saluti, con cordiali saluti, con distinti saluti, con stima
    """
)

# Chat and SMS shorthand, folded: what the writer meant ("nn ho capito x la scadenza", "wen is the dedline").
ABBREVIATIONS: dict[str, str] = {
    # Italian
    "x": "per",
    "nn": "non",
    "cmq": "comunque",
    "qnd": "quando",
    "qndo": "quando",
    "ki": "chi",
    "ke": "che",
    "xke": "perche",
    "xche": "perche",
    "pk": "perche",
    "qnt": "quanto",
    "qnto": "quanto",
    "tt": "tutti",
    "dv": "dove",
    "cm": "come",
    "qlc": "qualche",
    "qlcs": "qualcosa",
    "sn": "sono",
    "cn": "con",
    "sl": "solo",
    "tnx": "thanks",
    "grz": "grazie",
    "risp": "risposta",
    "msg": "messaggio",
    "tot": "totale",
    # English
    "u": "you",
    "ur": "your",
    "r": "are",
    "y": "why",
    "wat": "what",
    "wot": "what",
    "wht": "what",
    "hw": "how",
    "wen": "when",
    "whn": "when",
    "wher": "where",
    "wich": "which",
    "abt": "about",
    "thx": "thanks",
    "ty": "thanks",
    "pls": "please",
    "org": "organisation",
    "orgs": "organisations",
    "plz": "please",
    "sm1": "someone",
    "some1": "someone",
    "any1": "anyone",
    "b4": "before",
    "gonna": "going",
    "wanna": "want",
    "gotta": "have",
    "ppl": "people",
    "govt": "government",
    "asap": "soon",
    "whos": "who",
    "whats": "what",
    "wheres": "where",
    "hows": "how",
    "whens": "when",
    "im": "i",
    "ive": "i",
    "approx": "approximately",
}

MONTHS_IT = ("gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre").split()
MONTHS_EN = ("january february march april may june july august september october november december").split()
# Month names as one concept in both languages: "31 December" and "31 dicembre" are the same date.
MONTH_GROUPS: tuple[tuple[str, ...], ...] = tuple(zip(MONTHS_EN, MONTHS_IT, strict=True))
_MONTH_NAMES = frozenset((*MONTHS_IT, *MONTHS_EN))

# A clause that only announces a question ("una domanda veloce", "quick question") or is politeness ("come va?"):
# no topic.
QUESTION_ANNOUNCEMENTS = _phrases(
    """
    una domanda|una domanda veloce|domanda veloce|una domandina|domandina|una curiosita|curiosita|una cosa|una info
    un informazione|un'informazione|una domanda rapida|ultima cosa|un altra cosa|un'altra cosa|ancora una cosa
    quick question|a question|one question|quick one|one more thing|a quick one|last thing|another question|a query
    one more|one more question|just a question|just one question|small question|simple question
    due cose|tre cose|due domande|tre domande|alcune domande|qualche domanda|un paio di cose|un paio di domande
    two things|three things|two questions|three questions|a couple of things|a couple of questions|a few questions
    i have two questions|we have two questions|i have a question|we have a question|i have a few questions
    we just need two things|we need two things|i need two things|i just need two things|we need to know two things
    ho due domande|abbiamo due domande|ho una domanda|avrei una domanda|avrei due domande|mi servono due cose
    ci servono due cose|vorrei sapere due cose|volevo sapere due cose|volevo chiedere due cose
    mi e venuto un dubbio|ho un dubbio|un dubbio|avrei un dubbio|i have a doubt|one doubt
    come va|come stai|come state|tutto bene|tutto ok|how are you|how s it going|how are things|nice to meet you
    """
)

# Words that report what someone says or believes ("my notes say it was on 15 September", "un collega dice marzo"):
# a clause with one is what is asked about, even when it starts like the sender's description.
BELIEF_WORDS = frozenset(
    """
    say says said told tells believe believes believed think thinks thought assumed convinced reckon
    dice dicono diceva dicevano detto scritto pensa pensano pensavo convinto convinta sostiene sostengono
    """.split()
)

# Pronouns that stand for something said before ("chi lo promuoveva?", "when was it held?"). Not "la", "le", "li":
# mostly articles.
BACK_REFERENCES = frozenset("lo ne it its this that them they".split())

# Words for the sender's role ("sono il referente di un distretto"): who they are in their organisation says nothing
# about what they ask; the organisation does.
ROLE_WORDS = frozenset(
    """
    referente responsabile direttore direttrice coordinatore coordinatrice presidente segretario segretaria
    funzionario funzionaria dipendente collaboratore collaboratrice titolare socio socia manager officer head
    director coordinator representative rappresentante chair chairman ceo cto employee staff member membro
    """.split()
)
