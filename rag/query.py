"""What a question asks for, read once and shared by lookup, answering and abstention.

Pure: no index, no model. The vocabularies are small and explicit on purpose,
so a reviewer can see why a column or an institution was chosen.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from rag.text import fold, stems, words

MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre")
_YEAR = re.compile(r"(?<!\d)(?<!\d[.,])(19[5-9]\d|20[0-4]\d)(?!\d)(?![.,]\d)")
_RANGE = re.compile(r"(19[5-9]\d|20[0-4]\d)\s*[-–]\s*(19[5-9]\d|20[0-4]\d)")

# Institution names as users write them, folded. Order: most specific first.
INSTITUTION_ALIASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("IMSS-BIENESTAR", ("imss-bienestar", "imss bienestar", "imss-coplamar", "programa imss bienestar")),
    ("PENSIONISSSTE", ("pensionissste",)),
    ("FOVISSSTE", ("fovissste",)),
    ("ISSSTE", ("issste", "trabajadores del estado")),
    ("SNDIF", ("sndif", "dif", "desarrollo integral de la familia", "cnmaic")),
    ("IMSS", ("imss", "seguro social", "instituto mexicano del seguro")),
)
# Institutions the corpus does not cover; naming one is a reason to abstain.
FOREIGN_INSTITUTIONS: tuple[str, ...] = (
    "pemex",
    "sedena",
    "issfam",
    "semar",
    "infonavit",
    "insabi",
    "cfe",
    "secretaria de marina",
    "fuerzas armadas",
    "issemym",
    "isssteleon",
    "afore",
    "consar",
    "imjuve",
    "conapo",
)
# Institutions that answer for each other (IMSS administers IMSS-BIENESTAR; ISSSTE runs PENSIONISSSTE and FOVISSSTE).
COMPATIBLE: dict[str, frozenset[str]] = {
    "IMSS": frozenset({"IMSS", "IMSS-BIENESTAR"}),
    "IMSS-BIENESTAR": frozenset({"IMSS-BIENESTAR"}),  # a programme of its own: IMSS-wide figures do not answer for it
    "ISSSTE": frozenset({"ISSSTE", "PENSIONISSSTE", "FOVISSSTE"}),
    "PENSIONISSSTE": frozenset({"PENSIONISSSTE", "ISSSTE"}),
    "FOVISSSTE": frozenset({"FOVISSSTE", "ISSSTE"}),
    "SNDIF": frozenset({"SNDIF"}),
}

# Column intents: a question word (folded stem prefix) and the header words it points to.
# Matched as prefixes of the question's folded words (not stems: "meta" stems to "met").
COLUMN_INTENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "variation": (("variac", "vario", "variar", "crec", "aument", "increment", "disminu", "cambi", "reduj", "reduc"), ("var", "variacion")),
    "structure": (("estructur", "participac", "proporc", "represent", "peso"), ("estructura",)),
    "goal": (("aprobad", "meta", "programad", "esperad", "esperab", "previst", "estimad", "fijad", "fijo", "plantead"), ("aprobada", "meta", "estimada")),
    "achieved": (("alcanz", "logr", "obtuv", "resultado", "registr"), ("alcanzada", "resultado", "alcanzado")),
    "compliance": (("cumplimient",), ("cumplimiento",)),
    "baseline": (("linea",), ("linea base",)),
}
_AMOUNT_WORDS = ("cuant", "mont", "import", "millon", "pes", "recurs", "aport", "capt", "recib", "pag", "ascend", "sum")
_PERCENT_WORDS = ("porcentaj", "porcient", "%", "tasa", "cobertur")
_COMPARISON = re.compile(
    r"\b(diferencia|cu[aá]nt[oa]s? m[aá]s|cu[aá]nt[oa]s? menos|m[aá]s que|menos que|"
    r"(m[aá]s|menos)\b.{1,60}\b(que|respecto (a|de|al))\b|"
    r"entre .* y .*(aument|creci|disminu|cambi|vari)|"
    r"cu[aá]ntas veces|raz[oó]n|cociente|suma(ron)? de|en total entre|sumados?|combinad[oa]s?|juntos|proporci[oó]n de .* respecto)",
    re.IGNORECASE,
)


_MEASURE = re.compile(
    r"(?:cu[aá]nt[oa]s|qu[eé]|cu[aá]l(?:es)?\s+(?:fue|fueron|era|eran|es|son)\s+(?:el|la|los|las))\s+(?:miles\s+de\s+|millones\s+de\s+)?"
    r"([a-záéíóúñü]+)(?:\s+de\s+(?!los\b|las\b|la\b|el\b)([a-záéíóúñü]+))?",
    re.IGNORECASE,
)
_NOT_MEASURES = frozenset(
    stems(
        "porcentaje valor cifra dato monto cantidad numero total meta resultado tipo tanto manera forma variacion "
        "crecimiento aumento incremento estructura cumplimiento proporcion participacion tasa nivel mil miles millones importe "
        "principal principales promedio"
    )
)
_QUOTED = re.compile(r"[«“\"]([^»”\"]{2,80})[»”\"]")
_NEGATION = re.compile(
    r"\b(?:sin contar|sin incluir|excepto|salvo|no el|no la|no los|no las|distint[oa]s? de)\s+(?:a\s+)?(?:el|la|los|las)?\s*"
    r"([a-záéíóúñü]+(?:\s+[a-záéíóúñü]+)?)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class QuestionInfo:
    text: str
    folded: str
    stems: tuple[str, ...]
    years: tuple[int, ...]
    institutions: tuple[str, ...]
    foreign: tuple[str, ...]
    intents: tuple[str, ...]
    wants_amount: bool
    wants_percent: bool
    comparison: bool
    measures: tuple[str, ...] = ()  # stems of what is asked about: "¿cuántas atenciones de enfermería" -> ("atencion", "enfermeri")
    counted: tuple[str, ...] = ()  # head nouns of "¿cuántos X?" only: what the figure must count
    period: tuple[int, ...] = ()  # a continuous period asked for as a whole: "de enero de 2023 a junio de 2024" -> (2023, 2024)
    quoted: tuple[str, ...] = ()  # folded phrases the user quoted: «Otros»
    excluded: tuple[str, ...] = ()  # stems the user ruled out: "sin contar jubilados"

    def stem_set(self) -> frozenset[str]:
        return frozenset(self.stems)


# A year right after a law's name: "LSS 1973", "LSS de 1973", "Ley de 1997", "Ley del Seguro Social de 1973", "Ley del ISSSTE de 2007".
_LAW_YEAR = re.compile(r"(?i)\b(LSS|LISSSTE|ley(?:\s+del?\s+(?:seguro\s+social|issste))?)\s*(de\s+)?(19[5-9]\d|20[0-4]\d)(?!\d)")


def law_years(text: str) -> frozenset[int]:
    """Years that name a law ("LSS de 1973", "Ley de 1997"), not a period. They still match as words
    (a question about the "Ley de 1997" wants sentences naming it) but never decide a figure's period."""
    return frozenset(int(m.group(3)) for m in _LAW_YEAR.finditer(text))


@functools.lru_cache(maxsize=8192)  # table headers and row labels are read for every candidate cell
def years_in(text: str) -> tuple[int, ...]:
    found = {int(y) for y in _YEAR.findall(text)}
    for start, end in _RANGE.findall(text):
        if int(start) < int(end) <= int(start) + 12:
            found.update(range(int(start), int(end) + 1))
    return tuple(sorted(found))


def named_moments(text: str) -> list[int]:
    """Years as the text names moments, in order: not the ends of a range ("programa institucional
    2019-2024" names a plan) nor a law's year ("LSS 1973")."""
    return [int(y) for y in _YEAR.findall(_LAW_YEAR.sub(" ", _RANGE.sub(" ", text)))]


def standalone_years(text: str) -> tuple[int, ...]:
    """Years written alone, not as an end of a range: "compra consolidada 2023-2024 ... en 2024" -> (2024,)."""
    return explicit_years(_RANGE.sub(" ", text))


def explicit_years(text: str) -> tuple[int, ...]:
    """Years written out, without filling in ranges: "2020-2024" -> (2020, 2024)."""
    return tuple(sorted({int(y) for y in _YEAR.findall(text)}))


def institutions_in(text: str) -> tuple[str, ...]:
    folded = fold(text)
    found: list[str] = []
    for name, aliases in INSTITUTION_ALIASES:
        for alias in aliases:
            pattern = rf"(?<![a-z]){re.escape(alias.strip())}(?![a-z])"
            if re.search(pattern, folded):
                folded = re.sub(pattern, " ", folded)  # "imss-bienestar" must not also count as "imss"
                if name not in found:
                    found.append(name)
    return tuple(found)


def compatible(asked: tuple[str, ...], institution: str) -> bool:
    """Is a figure of ``institution`` an answer for a question naming ``asked``? (True when none named.)"""
    return not asked or any(institution in COMPATIBLE.get(a, frozenset({a})) for a in asked)


def _measures(question: str) -> tuple[str, ...]:
    """What is counted, as stems: "¿cuántas atenciones de enfermería" -> ("atencion", "enfermeri")."""
    found: list[str] = []
    for head, complement in _MEASURE.findall(question):
        head_stems = [m for m in stems(head) if m not in _NOT_MEASURES]
        if head_stems:
            found += head_stems + [m for m in stems(complement) if m not in _NOT_MEASURES]
    return tuple(dict.fromkeys(found))


_COUNTED = re.compile(
    r"(?:cu[aá]nt[oa]s|cu[aá]l(?:es)?\s+(?:fue|fueron|era|eran|es|son)\s+(?:el|la|los|las))\s+(?:miles\s+de\s+|millones\s+de\s+)?([a-záéíóúñü]+)",
    re.IGNORECASE,
)


_PERIOD = re.compile(
    r"\b(?:entre|de|del|desde)\s+(?:(?:el\s+)?\d{1,2}\s+de\s+)?(?:[a-z]+\s+(?:de(?:l)?\s+)?)?(19[5-9]\d|20[0-4]\d)\s+"
    r"(?:y|a|al|hasta)\s+(?:(?:el\s+)?\d{1,2}\s+de\s+)?(?:[a-z]+\s+(?:de(?:l)?\s+)?)?(19[5-9]\d|20[0-4]\d)\b"
)


def asked_period(folded: str) -> tuple[int, ...]:
    """Endpoints of a period asked for as a whole: "entre enero de 2023 y junio de 2024" -> (2023, 2024).

    Only month/day-qualified or bare year pairs joined by "a"/"y"/"al"/"hasta";
    a comparison ("en 2012 y en 2020") has its own planner (``rag.answer.compare``).
    """
    match = _PERIOD.search(folded)
    if not match or match.group(1) == match.group(2):
        return ()
    return (int(match.group(1)), int(match.group(2)))


def counted_words(question: str) -> tuple[str, ...]:
    """The counted nouns as written (folded): "¿cuántas pensiones...?" -> ("pensiones",). Stems lose
    the difference between a thing and the people it is paid to (pensiones and pensionados are both "pension")."""
    return tuple(dict.fromkeys(fold(w) for w in _COUNTED.findall(question)))


def _counted(question: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m for w in counted_words(question) for m in stems(w) if m not in _NOT_MEASURES))


def analyze(question: str) -> QuestionInfo:
    folded = fold(question)
    question_stems = tuple(stems(question))
    folded_words = words(question)
    intents = tuple(name for name, (prefixes, _) in COLUMN_INTENTS.items() if any(w.startswith(prefixes) for w in folded_words))
    foreign = tuple(name for name in FOREIGN_INSTITUTIONS if re.search(rf"\b{re.escape(name)}\b", folded))
    return QuestionInfo(
        text=question,
        folded=folded,
        stems=question_stems,
        years=years_in(question),
        institutions=institutions_in(question),
        foreign=foreign,
        intents=intents,
        wants_amount=any(s.startswith(_AMOUNT_WORDS) for s in question_stems),
        wants_percent=any(w in folded for w in ("porcentaje", "por ciento", "%")),
        comparison=bool(_COMPARISON.search(question)),
        measures=_measures(question),
        counted=_counted(question),
        period=asked_period(folded),
        quoted=tuple(fold(q).strip() for q in _QUOTED.findall(question)),
        excluded=tuple(s for phrase in _NEGATION.findall(question) for s in stems(phrase)),
    )
