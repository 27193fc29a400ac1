"""Questions that need two figures: split, answer each part, compute, show the arithmetic.

A comparison is split on what it contrasts, in this order:

* two years or two months ("entre 2012 y 2020", "entre febrero y diciembre");
* two institutions ("del IMSS que la del ISSSTE");
* a part of a whole ("qué porcentaje de las cuotas ... provino de los patrones",
  "qué porcentaje de su población potencial atendió");
* a result against its goal ("superó su Meta 2024", "qué porcentaje de la meta se logró");
* two things added ("sumando menores y adultos mayores").

Each part is a smaller question answered by the normal lookup; the operation
comes from the wording (``operation_of``). Figures in different scales
(miles vs. personas) are brought to one scale before computing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.numbers import format_es
from rag.query import MONTHS, named_moments, years_in
from rag.text import fold

_INSTITUTIONS = ("IMSS-BIENESTAR", "PENSIONISSSTE", "FOVISSSTE", "ISSSTE", "SNDIF", "DIF", "IMSS")
_COMPARISON_WORDS = re.compile(
    r"(?i)\b(en cu[aá]nt[oa]s?|cu[aá]nt[oa]s?|por cu[aá]nt[oa]s?|veces|m[aá]s|menos|mayor|menor|diferencia|respecto a|"
    r"aument\w*|disminu\w*|cre(?:ci|ce)\w*|redu\w*|baj\w*|sub\w*|cambi\w*|vari\w*|super\w*|qu[eé] porcentaje|"
    r"en total|sumando|sumad\w*|total entre|entre|que)\b"
)
_PART_SPLIT = re.compile(r"(?i)\b(provino de|provinieron de|correspondi[oó] a|correspondieron a|fueron|fue de|representaron|representó)\b")
_SUM_SPLIT = re.compile(r"(?i)\bsumando\s+(.+?)\s+y\s+([^—–,.;?¿]+)")  # the last item ends at a dash or punctuation
_GOAL_SHARE = re.compile(r"porcentaje de (la|su) meta\b.*\b(logr[oó]|alcanz[oó]|cumpli[oó]|logrado|alcanzado|cumplido)\b")  # folded text
_ACHIEVED = r"\b(logr|alcanz|cumpl|resultado|avance)"  # what a goal's result is called in the evidence
_COVERAGE_SHARE = re.compile(r"porcentaje de (la|su) poblacion (potencial|objetivo)\b.*\batendi")  # CONEVAL's coverage: PA / PP or PA / PO
_SCALES = {"miles": 1e3, "mil": 1e3, "millones": 1e6, "millón": 1e6, "millon": 1e6}


@dataclass(frozen=True)
class Plan:
    """Two sub-questions, the operation between their figures, and what tells them apart."""

    parts: tuple[str, ...]  # two, or more for a sum ("sumando permanentes, eventuales y jornaleros")
    operation: str  # difference | sum | ratio | share | percent_change
    anchors: tuple[str, ...]  # a word near each figure ("2012", "febrero", "meta")
    labels: tuple[str, ...]
    temporal: bool = True  # two moments (earlier, later) rather than two things
    explicit: bool = False  # the wording itself asks for the computation ("qué porcentaje de la meta se logró")
    evidence_must_say: tuple[str, ...] = ()  # per part, a pattern its figure's own evidence must contain (folded)


def operation_of(question: str) -> str:
    q = fold(question)
    if "cuantas veces" in q or "cuantas veces" in q.replace("¿", ""):
        return "ratio"
    if re.search(r"en que porcentaje (cambi|aument|disminu|creci|vari|baj|sub)", q):
        return "percent_change"
    if re.search(r"que porcentaje", q):
        return "share"
    if re.search(r"\b(sumando|en total|suma de|sumados?|total entre|combinad)", q):
        return "sum"
    return "difference"


def _core(question: str, remove: list[str]) -> str:
    text = question
    for item in remove:
        text = re.sub(rf"(?i)\b{re.escape(item)}\b", " ", text)
    text = _COMPARISON_WORDS.sub(" ", text)
    text = re.sub(r"\b(de|del|y|a|la|el|en)\s+(?=[?¿,.]|$)", " ", text)
    return " ".join(text.replace("¿", " ").replace("?", " ").split())


def plan(question: str) -> Plan | None:
    operation = operation_of(question)
    folded = fold(question)
    years = named_moments(question)
    months = [m for m in MONTHS if re.search(rf"\b{m}\b", folded)]
    institutions = [i for i in _INSTITUTIONS if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", question)]
    summed = _SUM_SPLIT.search(question)
    if summed:
        # "¿Cuántos trabajadores —sumando permanentes, eventuales urbanos y jornaleros— tenía el IMSS en 2012?":
        # each item with what the question says before and after the list
        context = f"{_core(question[: summed.start()], [])} {{}} {_core(question[summed.end() :], [])}"
        items = tuple(i.strip(" —–") for i in (*summed.group(1).split(","), summed.group(2)) if i.strip(" —–"))
        return Plan(tuple(" ".join(context.format(i).split()) for i in items), "sum", items, items)
    if len(set(years)) == 2:
        first, second = sorted(set(years))
        core = _core(question, [str(first), str(second), "línea base", "linea base", *months])
        baseline = "línea base " if "linea base" in folded else ""  # "entre la línea base 2018 y 2023"
        return Plan((f"{core} {baseline}{first}".strip(), f"{core} {second}"), operation, (str(first), str(second)), (str(first), str(second)))
    if len(months) == 2:
        year = f" {years[0]}" if years else ""
        core = _core(question, [*months, *(str(y) for y in years)])
        return Plan((f"{core} {months[0]}{year}", f"{core} {months[1]}{year}"), operation, (months[0], months[1]), (months[0], months[1]))
    if len(institutions) == 2:
        return _institution_plan(question, institutions[0], institutions[1], operation)
    if re.search(r"\bsuper\w*\b.{0,20}\bmeta\b", folded):
        core = _core(question, ["meta", "su"])
        year = str(years[0]) if years else ""
        return Plan((f"resultado {year} {core}".strip(), f"meta {year} {core}".strip()), "difference", ("resultado", "meta"), ("resultado", "meta"))
    achieved = _GOAL_SHARE.search(folded)
    if operation == "share" and achieved:
        unasked = re.sub(r"(?i)\b(se\s+)?(logr|alcanz|cumpl)\w*|^\W*qu[eé]\s+porcentaje\s+de\s+(la|su)\s+meta\b", " ", question)
        core = _core(unasked, [*(str(y) for y in years)])
        year = str(years[0]) if years else ""
        parts = (f"resultado {year} {core}".strip(), f"meta {year} {core}".strip())
        root = re.match(r"logr|alcanz|cumpl", achieved.group(2))
        anchor = root.group(0) if root else "logr"
        return Plan(parts, "share", (anchor, "meta"), ("logrado", "meta"), temporal=False, explicit=True, evidence_must_say=(_ACHIEVED, r"\bmeta"))
    covered = _COVERAGE_SHARE.search(folded)
    if operation == "share" and covered:
        population = covered.group(2)
        unasked = re.sub(r"(?i)^\W*qu[eé]\s+porcentaje\s+de\s+(la|su)\s+poblaci[oó]n\s+\w+\s+atendi[oó]|\batendi[oó]\b", " ", question)
        core = _core(unasked, [*(str(y) for y in years)])
        year = str(years[0]) if years else ""
        parts = (f"población atendida {year} {core}".strip(), f"población {population} {year} {core}".strip())
        must = (r"\batendid", rf"\b{population}")
        return Plan(parts, "share", ("atendida", population), ("atendida", population), temporal=False, explicit=True, evidence_must_say=must)
    if operation == "share":
        split = _PART_SPLIT.search(question)
        if split:
            whole = re.sub(r"(?i)^.*?qu[eé] porcentaje\s+de(l)?\s+", "", question[: split.start()])
            part = question[split.end() :]
            whole_q = " ".join(("el " + whole).replace("¿", "").split())
            return Plan((f"{part.strip(' ?')} {whole_q}", whole_q), "share", ("", ""), ("parte", "total"))
    return None


_FILLER = re.compile(
    r"(?i)^(?:(?:era|fue|fueron|eran|hab[ií]a|hubo|tuvo|ten[ií]a|la|el|los|las|del|de|en|y)\s+)+|(?:\s+(?:del|de la|de los|de las|de|la|el|en|y))+$"
)


def _institution_plan(question: str, first: str, second: str, operation: str) -> Plan:
    """ "X del IMSS que (Y de) la del ISSSTE": each part keeps its own subject, or shares the first."""
    at_first = re.search(rf"(?<![\w-]){re.escape(first)}(?![\w-])", question)
    at_second = re.search(rf"(?<![\w-]){re.escape(second)}(?![\w-])", question)
    assert at_first is not None and at_second is not None
    if at_second.start() < at_first.start():
        first, second, at_first, at_second = second, first, at_second, at_first
    subject_a = _FILLER.sub("", _core(question[: at_first.start()], []))
    subject_b = _FILLER.sub("", _core(question[at_first.end() : at_second.start()], []))
    tail = _core(question[at_second.end() :], [])
    if not [w for w in subject_b.split() if len(w) > 3]:
        subject_b = subject_a  # "... del IMSS que la del ISSSTE": the same subject
    else:
        head = next((w for w in subject_a.split() if len(w) > 3 and not w[:1].isdigit()), "")
        if head and head not in subject_b:
            subject_b = f"{head} {subject_b}"  # "menores ... atendidos": the counted thing is named once
    return Plan(
        (f"{subject_a} del {first} {tail}".strip(), f"{subject_b} del {second} {tail}".strip()), operation, (first, second), (first, second), temporal=False
    )


def contradicts(question: str, operation: str, result: float) -> bool:
    """Does a computed change go the other way than the question says ("¿en cuánto disminuyó...?" but it rose)?

    Then the figures found are not the ones the question is about (or its
    premise is wrong); either way the computed answer must not be given.
    """
    if operation not in ("difference", "percent_change") or result == 0:
        return False
    q = fold(question)
    falls = re.search(r"\b(disminu\w*|reduj\w*|redujo|cay\w*|baj[oó]\w*|bajaron|descend\w*|perdi\w*)\b", q)
    rises = re.search(r"\b(aument\w*|creci\w*|crecio|subi\w*|ganó|gano|increment\w*)\b", q)
    return bool(falls and not rises and result > 0) or bool(rises and not falls and result < 0)


def compute_result(operation: str, first: float, second: float) -> float:
    """first/second in the plan's order: for years, the earlier then the later."""
    if operation == "difference":
        return second - first
    if operation == "sum":
        return first + second
    if operation == "ratio":
        big, small = max(first, second), min(first, second)
        return big / small
    if operation == "share":
        part, whole = min(first, second), max(first, second)
        return part / whole * 100
    if operation == "percent_change":
        return (second / first - 1) * 100
    raise ValueError(f"unknown operation {operation!r}")


def scale_of(unit: str) -> float:
    words = fold(unit).split()
    return next((_SCALES[w] for w in words[:2] if w in _SCALES), 1.0)


def align(first: float, first_unit: str, second: float, second_unit: str) -> tuple[float, float, float]:
    """Bring two figures to one scale: (first, second, scale of the result)."""
    a, b = scale_of(first_unit), scale_of(second_unit)
    if a == b:
        return first, second, a
    common = min(a, b)
    return first * a / common, second * b / common, common


def result_decimals(operation: str, decimals: tuple[int, int]) -> int:
    return max(decimals) if operation in ("difference", "sum") else 2


def describe(operation: str, result: float, decimals: int, unit: str, temporal: bool = True) -> str:
    value = format_es(abs(result), decimals) if operation in ("difference",) else format_es(result, decimals)
    if operation == "difference":
        if not temporal:
            return f"diferencia de {value} {unit}".strip()
        direction = "aumento" if result > 0 else "disminución" if result < 0 else "sin cambio"
        return f"{direction} de {value} {unit}".strip()
    if operation == "sum":
        return f"suma de {value} {unit}".strip()
    if operation == "ratio":
        return f"{value} veces"
    if operation == "share":
        return f"{value} por ciento"
    return f"cambio de {value} por ciento"


def years_of(text: str) -> tuple[int, ...]:
    return years_in(text)
