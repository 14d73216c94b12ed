"""Function words of Italian and English: language knowledge the matcher needs, not domain content.

Domain vocabulary (synonyms such as PMI/SME) lives in the knowledge base so staff can extend it. What is here is
grammar: words that carry no topic (stop words), and question words, which do carry intent ("who can apply" vs
"how to apply") and so are mapped to shared concepts instead of being dropped.
"""

STOPWORDS_IT = frozenset(
    """
    a ad al allo alla ai agli alle all anche ancora avere ho hai ha abbiamo avete hanno avevo aveva c ce ci che
    cioe col coi con contro cui d da dal dallo dalla dai dagli dalle dall de dei degli del dell della delle
    dello deve devo devono dobbiamo di e ed era erano essere esiste esistono gia gli i il in io l la le lei li
    lo loro lui ma me mi mio mia miei mie ne nei negli nel nell nella nelle nello no noi non nostra nostro
    nostri o od oppure per perche piu po poi posso puo puoi possiamo possono potrei potrebbe potrebbero qual
    quale quali qualche quella quelle quelli quello questa queste questi questo s sa sai se sei si sia siamo
    siete sono sta stai stanno stato su sua sue sui suo suoi sul sull sulla sulle sullo t ti tra fra tu tua tuo
    tuoi tue tutto tutti tutta tutte un una uno uno vi voi vorrei vuoi vogliono volevo ecco cosi allora dunque
    quindi pero invece molto poco cos cosa sapere sapete dimmi dirmi dici ditemi mi puoi scusa scusate per
    favore perfavore ok okay beh boh mah eh gentilmente cortesemente qualcuno qualcosa bisogna serve servono
    vale valgono
    """.split()
)

STOPWORDS_EN = frozenset(
    """
    a about above after again all also am an and any are aren as at be because been before being below between
    both but by can cannot could couldn did didn do does doesn doing don down during each else ever few for from
    further get gets got had has have having he her here hers him his i if in into is isn it its itself just let
    like me might more most must my myself need needs no nor not now of off on once only or other our ours out
    over own please pls same she should so some such tell than that the their theirs them then there these they
    this those through to too under until up us very was wasn we were what which while whom will with would you
    your yours yourself ok okay kindly guys know anyone someone something thing things really actually exactly s
    t d ll m re ve lot
    """.split()
)

# Question words kept as concepts shared by both languages. The first word of each group names the concept.
QUESTION_WORDS: tuple[tuple[str, ...], ...] = (
    ("who", "chi"),
    ("when", "quando"),
    ("where", "dove"),
    ("how", "come"),
    ("why", "perche"),
    ("how much", "how many", "quanto", "quanta", "quanti", "quante"),
)
