"""The decision: answer from a table cell, from a sentence, or say the reports don't say.

Every candidate (the best cells, the best sentences) first faces vetoes, each
a reason a careful analyst would refuse it:

* period: the question's year is not the figure's period, or the question
  asks for a whole period ("de enero de 2023 a junio de 2024") and the
  figure covers only part of it;
* institution: the question names an institution the evidence is not about;
* programme code or state: named in the question, absent from the evidence;
* foreign institution: the question is about one the reports don't cover
  (PEMEX, SEDENA, INFONAVIT...) and the evidence doesn't name it;
* what is counted: "¿cuántos médicos...?" answered by evidence without médicos;
* percent: a percentage asked, no percentage in the evidence;
* money: an amount asked ("monto", "presupuesto"...), a cell counting something else.

Among the survivors the best-scoring one wins if it clears its threshold;
otherwise the answer is "not in the reports". Thresholds were calibrated on
eval/qa.jsonl with ``python -m eval.calibrate`` (README, "Answers").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rag import lexicon
from rag.answer.sentences import ScoredSentence, figures, matched
from rag.query import QuestionInfo, compatible, counted_words, law_years
from rag.text import fold, stems
from rag.types import CellMatch

TABLE_MIN = 3.5  # lookup score below which a cell is not trusted
SENTENCE_MIN = 1.0  # sentence score below which a sentence is not trusted
CELL_MARGIN = 0.1  # a cell wins unless a sentence explains clearly more of the question
SENTENCE_COVERAGE_MIN = 0.95  # ...or a sentence that explains (nearly) all of the question, whatever its rank score
CLEAR_MIN = 0.8  # ...or a sentence above this score that no other acceptable sentence comes near:
CLEAR_MARGIN = 0.2  # it beats the runner-up by this much
TIE_MARGIN = 0.1  # sentences this close in score are a tie...
TIE_COVERAGE = 0.3  # ...won by one whose own words explain this much more of the question
_TEXT_QUESTION = re.compile(
    r"(?i)(^|¿)\s*(qui[eé]n|por qu[eé](?!\s+(importe|monto|cantidad|cifra|porcentaje|valor|n[uú]mero|total)\b)|"  # "¿por qué importe?" asks for an amount
    r"c[oó]mo|d[oó]nde|a qu[eé]\b|a partir de qu[eé]|hasta qu[eé]|desde qu[eé]|"
    r"en qu[eé] (fecha|año|mes|d[ií]a|entidad|estado)|"
    r"qu[eé] (despacho|nombre|programa|instituci[oó]n|tipo|estrategia|acci[oó]n|acciones|fecha|d[ií]a|mes|empresa|organismo|medida|mecanismo|"
    r"plataforma|sistema|herramienta|entidad|estado|objetivo|enfoque|modelo|servicio|tem[aá]tica|raz[oó]n|causa|factor|alerta)|"
    r"cu[aá]l(es)? (es|era|fue|fueron|son) (el|la|los|las) (nombre|fecha|causa|raz[oó]n|motivo|objetivo|estrategia|empresa|despacho|tem[aá]tica|"
    r"principal|programa|acci[oó]n|modelo|enfoque|alerta))"
)
_CODE = re.compile(r"\b[A-Z]\d{3}\b")
_ASKS_TABLE = re.compile(r"(?i)\b(seg[uú]n|en) (la|el) (tabla|cuadro)\b(?!\s+b[aá]sico)")  # not "el Cuadro Básico" (a catalogue)
STATES = (
    "aguascalientes", "baja california", "campeche", "chiapas", "chihuahua", "coahuila", "colima", "durango", "guanajuato",
    "guerrero", "hidalgo", "jalisco", "michoacan", "morelos", "nayarit", "nuevo leon", "oaxaca", "puebla", "queretaro",
    "quintana roo", "san luis potosi", "sinaloa", "sonora", "tabasco", "tamaulipas", "tlaxcala", "veracruz", "yucatan",
    "zacatecas", "ciudad de mexico", "estado de mexico", "distrito federal",
)  # fmt: skip

Kind = Literal["cell", "sentence", "abstain"]


@dataclass(frozen=True)
class Candidate:
    """A cell or a sentence, with what the vetoes need to know about it."""

    kind: Literal["cell", "sentence"]
    score: float
    context: str  # everything the evidence says: sentence + section, or row + table + headers + document title
    subject: str  # what the figure is about: the sentence and its heading, or the row, column, title and unit
    years: frozenset[int]  # the figure's period; empty when unknown
    institutions: frozenset[str]  # who the evidence is about; empty when unknown
    has_percent: bool
    has_figure: bool
    has_count: bool = True  # a figure that is not a percentage
    coverage: float = 0.0  # share of the question its own words explain (same measure for cells and sentences)
    unit: str = ""  # a cell's unit ("miles de personas"); empty for sentences and unknown units
    cell: CellMatch | None = None
    sentence: ScoredSentence | None = None
    vetoes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Thresholds:
    table_min: float = TABLE_MIN
    sentence_min: float = SENTENCE_MIN
    cell_margin: float = CELL_MARGIN
    sentence_coverage_min: float = SENTENCE_COVERAGE_MIN
    clear_min: float = CLEAR_MIN
    clear_margin: float = CLEAR_MARGIN
    tie_margin: float = TIE_MARGIN
    tie_coverage: float = TIE_COVERAGE


@dataclass(frozen=True)
class Decision:
    kind: Kind
    cell: CellMatch | None = None
    sentence: ScoredSentence | None = None
    reason: str = ""


def is_numeric(info: QuestionInfo) -> bool:
    """Does the question ask for a figure? Yes unless it asks for a name, a date, a reason or a manner."""
    return not _TEXT_QUESTION.search(info.text)


def asks_percent(info: QuestionInfo) -> bool:
    """A share: "qué porcentaje", "%", and "qué cobertura/proporción" (not "¿en cuántas entidades tuvo cobertura?")."""
    return bool(_PERCENT_QUESTION.search(info.text))


_PERCENT_QUESTION = re.compile(
    r"(qu[eé]|en) porcentaje|por ciento|%|\(en porcentaje\)|(qu[eé]|cu[aá]l (fue|era|es) la) (cobertura|proporci[oó]n)\b", re.IGNORECASE
)


_MONEY_QUESTION = re.compile(r"\b(monto|importe|pesos|presupuesto|gasto|gast[oó]|costo|invers\w*|invirti\w*|recaud\w*|erog\w*|destin[oó])\b")
_MONEY_UNIT = lexicon.MONEY_UNIT
_MONEY_TEXT = re.compile(rf"(?i){_MONEY_UNIT.pattern}|\bmillones\b|\bbillones\b")  # "1,693 millones" in a money sentence


_RATE_WORDS = re.compile(r"\b(variaci\w*|porcent\w*|desviaci\w*|tasa|indice|proporci\w*|metas?|parametro|indicador)\b")


def asks_money(info: QuestionInfo) -> bool:
    """An amount of money, not a rate or indicator about money ("desviación del gasto", "variación de la recaudación")."""
    return bool(_MONEY_QUESTION.search(info.folded)) and not _RATE_WORDS.search(info.folded)


def _amount_asked_none_said(info: QuestionInfo, candidate: Candidate) -> bool:
    """An amount asked (not a count of things bought with it: "¿cuántos proyectos de inversión…?") and a sentence with none."""
    if candidate.sentence is None or info.counted or asks_percent(info) or not asks_money(info):
        return False
    return not _MONEY_TEXT.search(candidate.sentence.sentence.text)


VetoCheck = Callable[[QuestionInfo, "Candidate"], list[str]]
VETOES: dict[str, VetoCheck] = {}


def veto(name: str) -> Callable[[VetoCheck], VetoCheck]:
    """Register a named veto: a function returning the reasons (Spanish, for the user) to refuse a candidate."""

    def register(check: VetoCheck) -> VetoCheck:
        VETOES[name] = check
        return check

    return register


@veto("period")
def wrong_period(info: QuestionInfo, candidate: Candidate) -> list[str]:
    """The figure's period is not the asked year, or not the whole period asked ("de enero de 2023 a junio de 2024")."""
    asked_years = set(info.years) - law_years(info.text)  # "(LSS 1973)" names a law, not the period asked
    if asked_years and candidate.years and not asked_years & candidate.years:
        return [f"el dato es de {_years_text(candidate.years)}, no de {_years_text(asked_years)}"]
    if info.period and candidate.years and not set(info.period) <= candidate.years and "variation" not in info.intents:
        return [f"el dato es de {_years_text(candidate.years)}, no de todo el periodo {info.period[0]}-{info.period[1]}"]
    return []


@veto("institution")
def other_institution(info: QuestionInfo, candidate: Candidate) -> list[str]:
    """The question names an institution the evidence is not about."""
    if info.institutions and candidate.institutions and not any(compatible(info.institutions, i) for i in candidate.institutions):
        return [f"el dato es del {'/'.join(sorted(candidate.institutions))}, no del {'/'.join(info.institutions)}"]
    return []


@veto("programme")
def other_programme(info: QuestionInfo, candidate: Candidate) -> list[str]:
    """A programme code the question names ("E012") is absent from the evidence."""
    context = fold(candidate.context)
    return [f"no se refiere al programa {code}" for code in _CODE.findall(info.text) if code.lower() not in context]


@veto("state")
def state_breakdown(info: QuestionInfo, candidate: Candidate) -> list[str]:
    """A state the question names is absent from the evidence: the reports give national figures."""
    context = fold(candidate.context)
    return [f"los informes no desglosan el dato para {s.title()}" for s in STATES if re.search(rf"\b{s}\b", info.folded) and s not in context]


@veto("foreign_institution")
def uncovered_institution(info: QuestionInfo, candidate: Candidate) -> list[str]:
    """The question is about an institution the reports don't cover (PEMEX, INFONAVIT...)."""
    context = fold(candidate.context)
    return [f"los informes no cubren a {name.upper()}" for name in info.foreign if name not in context]


@veto("counted")
def not_what_is_counted(info: QuestionInfo, candidate: Candidate) -> list[str]:
    """ "¿Cuántos médicos…?" and evidence that names no médicos (or counts the people a thing belongs to)."""
    subject_stems = set(stems(candidate.subject))
    found = []
    if info.counted and not any(matched(_synonyms(word), subject_stems) for word in info.counted):
        found.append("la evidencia no cuenta lo que se pregunta")
    return found + [f"la evidencia cuenta {counted}, no {asked}" for asked, counted in _agent_nouns(info, candidate)]


@veto("percent")
def no_percentage(info: QuestionInfo, candidate: Candidate) -> list[str]:
    """A percentage asked, none in the evidence."""
    return ["no hay un porcentaje en la evidencia"] if asks_percent(info) and not candidate.has_percent else []


@veto("figure")
def no_figure(info: QuestionInfo, candidate: Candidate) -> list[str]:
    """A figure asked, none in the evidence."""
    return ["la evidencia no da una cifra"] if is_numeric(info) and not candidate.has_figure else []


@veto("amount")
def not_an_amount(info: QuestionInfo, candidate: Candidate) -> list[str]:
    """An amount of money asked; the evidence gives another unit, a percentage row, or no amount at all."""
    if not asks_money(info) or asks_percent(info):
        return []
    if candidate.unit and not _MONEY_UNIT.search(fold(candidate.unit)):
        return [f"la evidencia da {candidate.unit}, no un monto"]
    if candidate.cell is not None and candidate.has_percent and not _MONEY_UNIT.search(fold(candidate.unit)):
        return ["la evidencia da un porcentaje, no un monto"]  # a row "Variación porcentual de la recaudación" with no unit printed
    if _amount_asked_none_said(info, candidate):
        return ["la evidencia no da un monto"]  # "¿cuánto presupuesto ejerció…?" answered by a count of people
    return []


@veto("count")
def not_a_count(info: QuestionInfo, candidate: Candidate) -> list[str]:
    """Something counted is asked, the evidence gives only a percentage."""
    return ["la evidencia da un porcentaje, no una cantidad"] if info.counted and not asks_percent(info) and not candidate.has_count else []


def fired(info: QuestionInfo, candidate: Candidate) -> tuple[tuple[str, str], ...]:
    """(veto name, reason) of every veto that refuses this evidence, in registry order."""
    return tuple((name, reason) for name, check in VETOES.items() for reason in check(info, candidate))


def vetoes(info: QuestionInfo, candidate: Candidate) -> tuple[str, ...]:
    """Reasons to refuse this evidence for this question (empty = acceptable)."""
    return tuple(reason for _, reason in fired(info, candidate))


_AGENT = re.compile(r"(ad|id)[oa]s?$|ari[oa]s?$|ist[ae]s?$")


def _agent_nouns(info: QuestionInfo, candidate: Candidate) -> list[tuple[str, str]]:
    """(asked, counted) when the question counts things ("pensiones") and the evidence only the people they
    belong to ("pensionados"): the same stem, so the stem-based checks cannot tell them apart."""
    found = []
    if candidate.cell is not None:  # what the cell counts is its row (the table's lead may name other things)
        match = candidate.cell
        said = " ".join(match.table.row_path(match.cell.row)) + " " + " ".join(match.table.columns[match.cell.column].header)
    else:
        said = candidate.subject
    subject = re.findall(r"\w+", fold(said))
    for asked in counted_words(info.text):
        if _AGENT.search(asked):
            continue
        root = next(iter(stems(asked)), asked)
        related = [w for w in subject if w.startswith(root)]
        agents = [w for w in related if _AGENT.search(w)]
        if agents and len(agents) == len(related):
            found.append((asked, agents[0]))
    return found


def decide(info: QuestionInfo, candidates: Sequence[Candidate], thresholds: Thresholds = Thresholds()) -> Decision:
    """The best acceptable cell against the best acceptable sentence; or no answer.

    Cells are ranked by the lookup and sentences by their scorer; between the
    two winners, the one whose own words explain more of the question wins,
    with a margin for the cell (structured evidence states its row, column
    and unit exactly; prose needs to earn it).
    """
    numeric = is_numeric(info)
    reasons: list[str] = []
    cell: Candidate | None = None
    sentence: Candidate | None = None
    acceptable: list[Candidate] = []
    for candidate in candidates:
        refused = vetoes(info, candidate)
        if refused:
            reasons.extend(refused)
        elif candidate.kind == "cell" and cell is None and numeric and candidate.score >= thresholds.table_min:
            cell = candidate
        elif candidate.kind == "sentence":
            acceptable.append(candidate)
            if sentence is None and (candidate.score >= thresholds.sentence_min or candidate.coverage >= thresholds.sentence_coverage_min):
                sentence = candidate
    if cell is not None and _ASKS_TABLE.search(info.text):
        return Decision("cell", cell=cell.cell)  # "según la tabla por OOAD": the reader wants the table's figure
    if sentence is not None:
        sentence = max(
            (c for c in acceptable if c.score >= sentence.score - thresholds.tie_margin and c.coverage >= sentence.coverage + thresholds.tie_coverage),
            key=lambda c: c.coverage,
            default=sentence,
        )
    if sentence is None and acceptable:
        # Below the rank threshold, but clearly the one sentence that fits: it beats every other acceptable
        # sentence by the clear margin, or ties it in score and explains clearly more of the question.
        ranked = sorted(acceptable, key=lambda c: -c.score)
        tied = [c for c in ranked if c.score >= ranked[0].score - thresholds.tie_margin]
        best = max(tied, key=lambda c: c.coverage)
        if best.score >= thresholds.clear_min and all(
            best.score - other.score >= thresholds.clear_margin or (other in tied and best.coverage >= other.coverage + thresholds.tie_coverage)
            for other in ranked
            if other is not best
        ):
            sentence = best
    if cell is not None and sentence is not None and _more_precise(sentence, cell):
        return Decision("sentence", sentence=sentence.sentence)  # the same figure, printed in full
    if cell is not None and sentence is None:
        for other in acceptable:
            if _more_precise(other, cell):  # below the threshold, but it prints the cell's own figure in full (63 996 for 64.0 miles)
                return Decision("sentence", sentence=other.sentence)
    if cell is not None and sentence is not None and _rounds_cell(sentence, cell):
        return Decision("cell", cell=cell.cell)  # the sentence rounds the cell's figure (12.4 millones vs 12 449 609)
    if cell is not None and (sentence is None or cell.coverage + thresholds.cell_margin >= sentence.coverage):
        return Decision("cell", cell=cell.cell)
    if sentence is not None:
        return Decision("sentence", sentence=sentence.sentence)
    return Decision("abstain", reason=_most_common(reasons) or "ningún pasaje ni cuadro responde a la pregunta con suficiente precisión")


def _more_precise(sentence: Candidate, cell: Candidate) -> bool:
    """Does the sentence print the cell's figure with more precision (435 vs 0.4 miles)?"""
    assert sentence.sentence is not None and cell.cell is not None
    value, decimals = cell.cell.cell.value, cell.cell.cell.decimals
    if not value:
        return False  # every small figure is "0 miles" in full
    for figure in figures(sentence.sentence.sentence.text):
        for scale in (1e3, 1e6):
            if figure.decimals < decimals + 3 and abs(figure.value - value * scale) <= 0.5 * 10**-decimals * scale and figure.value != value:
                return True
    return False


def _rounds_cell(sentence: Candidate, cell: Candidate) -> bool:
    """Does the sentence print the cell's figure rounded, possibly in a larger unit?"""
    assert sentence.sentence is not None and cell.cell is not None
    value = cell.cell.cell.value
    if value is None or value == 0:
        return False
    for figure in figures(sentence.sentence.sentence.text):
        step = 10.0**-figure.decimals
        for scale in (1.0, 1e-3, 1e-6):
            scaled = value * scale
            if abs(figure.value - scaled) <= 0.5 * step and (figure.value != scaled or scale != 1.0) and abs(scaled) >= 10 * step:
                return True
    return False


# Words the reports use interchangeably for the people they count.
_SYNONYMS = tuple(
    frozenset(stems(group))
    for group in (
        "afiliados asegurados derechohabientes cotizantes",
        "personas beneficiarios usuarios",
        "niños niñas menores infantes",
        "créditos préstamos",
    )
)


def _synonyms(stem: str) -> set[str]:
    for group in _SYNONYMS:
        if stem in group:
            return set(group)
    return {stem}


def _years_text(years: set[int] | frozenset[int]) -> str:
    ordered = sorted(years)
    return str(ordered[0]) if len(ordered) == 1 else f"{ordered[0]}-{ordered[-1]}"


def _most_common(reasons: list[str]) -> str:
    return max(reasons, key=reasons.count) if reasons else ""
