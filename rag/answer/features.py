"""Features of a (question, candidate) pair: how well the candidate matches what is asked.

One pure function per feature, named after what it measures, registered in
:data:`FEATURES` in a fixed order (the model's columns). They describe the
match, never the question alone, so what the model learns carries over to
questions and reports it has not seen: lexical coverage at clause, sentence
and section level; agreement of answer type, unit, period and institution;
retrieval rank and score; the rule engine's vetoes. The rule engine's own
choice is not a feature: the rules were written for questions of the train
split, so on train it is right far more often than on new questions (dev
strict accuracy 0.381 with it, 0.390 without; README, The reader).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from rag import lexicon
from rag.answer.candidates import AnswerCandidate
from rag.answer.policy import asks_money, asks_percent, is_numeric
from rag.answer.sentences import matched
from rag.numbers import same_value
from rag.query import QuestionInfo, compatible, institutions_in, years_in
from rag.text import fold, stems

_GENERIC = frozenset(stems("cuanto cuantos cuantas cual fue era tenia numero cifra valor dato total monto cantidad"))


@functools.lru_cache(maxsize=65536)
def stem_set(text: str) -> frozenset[str]:
    return frozenset(stems(text))


@functools.lru_cache(maxsize=65536)
def years_of(text: str) -> frozenset[int]:
    return frozenset(years_in(text))


@dataclass(frozen=True)
class Context:
    """What every feature of one question shares: the question read once, and the rule engine's view."""

    info: QuestionInfo
    asked: frozenset[str]  # content stems of the question (no digits, no generic words)
    idf: Callable[[str], float]
    numeric: bool
    percent: bool
    money: bool
    vetoes: dict[int, tuple[str, ...]] = field(default_factory=dict)  # id(cell match or scored sentence) -> names of the vetoes it fires
    question_values: tuple[float, ...] = ()

    def weight(self, words: frozenset[str] | set[str]) -> float:
        return sum(self.idf(w) for w in sorted(words))  # sorted: a float sum must not depend on the set's hash order


def make_context(info: QuestionInfo, idf: Callable[[str], float], **extra: object) -> Context:
    asked = frozenset(s for s in info.stems if not s.isdigit()) - _GENERIC
    from rag.answer.sentences import question_figures

    return Context(
        info=info,
        asked=asked,
        idf=idf,
        numeric=is_numeric(info),
        percent=asks_percent(info),
        money=asks_money(info),
        question_values=tuple(n.value for n in question_figures(info)),
        **extra,  # type: ignore[arg-type]
    )


def coverage(ctx: Context, text: str) -> float:
    """IDF-weighted share of the question's content stems found in ``text`` (inflections match)."""
    if not ctx.asked:
        return 0.0
    return ctx.weight(matched(set(ctx.asked), set(stem_set(text)))) / max(ctx.weight(ctx.asked), 1e-9)


# --- lexical match -----------------------------------------------------------------


def clause_coverage(ctx: Context, c: AnswerCandidate) -> float:
    return coverage(ctx, c.clause)


def sentence_coverage(ctx: Context, c: AnswerCandidate) -> float:
    return coverage(ctx, c.sentence)


def section_coverage(ctx: Context, c: AnswerCandidate) -> float:
    return coverage(ctx, c.section)


def row_coverage(ctx: Context, c: AnswerCandidate) -> float:
    return coverage(ctx, c.row) if c.kind == "cell" else -1.0


def column_coverage(ctx: Context, c: AnswerCandidate) -> float:
    return coverage(ctx, c.column) if c.kind == "cell" else -1.0


def unit_coverage(ctx: Context, c: AnswerCandidate) -> float:
    """The words printed right after the figure ("miles de pensiones") are what the question counts."""
    return coverage(ctx, c.unit)


def measure_in_clause(ctx: Context, c: AnswerCandidate) -> float:
    """The counted thing ("¿cuántas pensiones…?") is named in the candidate's own clause or row."""
    wanted = set(ctx.info.counted or ctx.info.measures)
    if not wanted:
        return -1.0
    return float(bool(matched(wanted, set(stem_set(c.clause + " " + c.unit)))))


def phrase_in_question(ctx: Context, c: AnswerCandidate) -> float:
    """Share of the candidate's own words already in the question: an answer rarely repeats the question."""
    own = stem_set(c.text)
    return len(matched(set(own), set(ctx.info.stems))) / len(own) if own else 0.0


# --- retrieval and the rule engine -----------------------------------------------


def rank(ctx: Context, c: AnswerCandidate) -> float:
    return float(c.rank)


def evidence_score(ctx: Context, c: AnswerCandidate) -> float:
    return c.score


def scorer_coverage(ctx: Context, c: AnswerCandidate) -> float:
    return c.coverage


def is_cell(ctx: Context, c: AnswerCandidate) -> float:
    return float(c.kind == "cell")


def is_phrase(ctx: Context, c: AnswerCandidate) -> float:
    return float(c.kind == "phrase")


def refused_by(ctx: Context, c: AnswerCandidate) -> tuple[str, ...]:
    """Names of the vetoes (``rag.answer.policy.VETOES``) its evidence fires."""
    key = id(c.cell) if c.cell is not None else id(c.scored)
    return ctx.vetoes.get(key, ())


def veto_count(ctx: Context, c: AnswerCandidate) -> float:
    return float(len(refused_by(ctx, c)))


def period_veto(ctx: Context, c: AnswerCandidate) -> float:
    return float("period" in refused_by(ctx, c))


def institution_veto(ctx: Context, c: AnswerCandidate) -> float:
    return float(bool({"institution", "foreign_institution"} & set(refused_by(ctx, c))))


# --- answer type, unit, period, institution ----------------------------------------


def asks_figure(ctx: Context, c: AnswerCandidate) -> float:
    return float(ctx.numeric)


def type_agreement(ctx: Context, c: AnswerCandidate) -> float:
    """+1 when the candidate is the kind of thing asked (a share, an amount, a count, a name), -1 when it is another."""
    if not ctx.numeric:
        return 1.0 if c.kind == "phrase" else -1.0
    if c.kind == "phrase":
        return -1.0
    if ctx.percent:
        return 1.0 if c.percent else -1.0
    if ctx.money:
        return 1.0 if c.currency or lexicon.MONEY_UNIT.search(fold(c.unit)) else -0.5
    return -1.0 if c.percent else 1.0


def candidate_percent(ctx: Context, c: AnswerCandidate) -> float:
    return float(c.percent)


def candidate_money(ctx: Context, c: AnswerCandidate) -> float:
    return float(c.currency or bool(lexicon.MONEY_UNIT.search(fold(c.unit))))


def year_like(ctx: Context, c: AnswerCandidate) -> float:
    """A bare four-digit year is rarely the figure asked ("en 2012 se otorgaron…")."""
    return float(c.value is not None and c.decimals == 0 and 1950 <= c.value <= 2049 and not c.percent and not c.currency)


def asks_change(ctx: Context, c: AnswerCandidate) -> float:
    """The question asks how much something grew, fell or advanced: often a percentage though it says no "porcentaje"."""
    return float(bool(lexicon.CHANGE_WORDS.search(ctx.info.folded)))


def asks_name(ctx: Context, c: AnswerCandidate) -> float:
    """The question asks for a name, a unit, a source or a reason ("¿qué instrumento…?"), though it may read as numeric."""
    return float(bool(lexicon.ASKS_NAME.search(ctx.info.folded)))


def asks_year(ctx: Context, c: AnswerCandidate) -> float:
    return float(bool(lexicon.ASKS_YEAR.search(ctx.info.folded)))


def quoted_in_question(ctx: Context, c: AnswerCandidate) -> float:
    """The question itself prints this figure: it is a given, not the answer."""
    return float(c.value is not None and any(same_value(q, 0, c.value) and abs(q - c.value) < 1e-9 for q in ctx.question_values))


def magnitude(ctx: Context, c: AnswerCandidate) -> float:
    return math.log10(abs(c.value) + 1) if c.value is not None else -1.0


def decimals(ctx: Context, c: AnswerCandidate) -> float:
    return float(c.decimals)


def position(ctx: Context, c: AnswerCandidate) -> float:
    return c.position


def asked_year_near(ctx: Context, c: AnswerCandidate) -> float:
    """An asked year in the candidate's clause (1), only in its sentence or header (0.5), absent (0); -1 when none asked."""
    asked = set(ctx.info.years)
    if not asked:
        return -1.0
    if asked & years_of(c.clause + " " + c.period + " " + c.column):
        return 1.0
    if asked & years_of(c.sentence + " " + c.section):
        return 0.5
    return 0.0


def other_year_in_clause(ctx: Context, c: AnswerCandidate) -> float:
    """The clause names a year, and not an asked one: probably another period's figure."""
    found = years_of(c.clause + " " + c.period) - ({c.value} if c.value is not None else set())
    return float(bool(found) and not found & set(ctx.info.years))


def institution_agreement(ctx: Context, c: AnswerCandidate) -> float:
    """+1 the context names an asked institution, -1 it names only others, 0 it names none (or none asked)."""
    asked = ctx.info.institutions
    if not asked:
        return 0.0
    named = institutions_in(f"{c.sentence} {c.section} {c.title}")
    if not named:
        return 0.0
    return 1.0 if any(compatible(asked, n) for n in named) else -1.0


def goal_agreement(ctx: Context, c: AnswerCandidate) -> float:
    """+1 goal asked and the candidate states a goal ("meta"), -1 one but not the other, 0 neither."""
    asked = "goal" in ctx.info.intents
    stated = bool(lexicon.GOAL_WORDS.search(fold(c.clause + " " + c.column)))
    if asked == stated:
        return 1.0 if asked else 0.0
    return -1.0


def variation_column(ctx: Context, c: AnswerCandidate) -> float:
    """A change or structure column ("VAR. %", "ESTRUCTURA PORCENTUAL") when the question asks for a level."""
    if c.kind != "cell":
        return -1.0
    header = fold(c.column)
    stated = bool(lexicon.VARIATION_HEADER.search(header))
    asked = bool({"variation", "structure"} & set(ctx.info.intents))
    return float(stated and not asked)


def total_row(ctx: Context, c: AnswerCandidate) -> float:
    return float(c.kind == "cell" and fold(c.row).strip().startswith(("total", "suma")))


def is_date(ctx: Context, c: AnswerCandidate) -> float:
    return float(c.kind == "phrase" and bool(lexicon.DATE_PHRASE.search(c.text)))


def asks_date(ctx: Context, c: AnswerCandidate) -> float:
    return float(bool(lexicon.ASKS_DATE.search(ctx.info.folded)))


def phrase_words(ctx: Context, c: AnswerCandidate) -> float:
    return float(len(c.text.split())) if c.kind == "phrase" else -1.0


def capitalised(ctx: Context, c: AnswerCandidate) -> float:
    """Share of capitalised words: names of programmes, systems and firms are capitalised."""
    if c.kind != "phrase":
        return -1.0
    tokens = [t for t in c.text.split() if len(t) > 2]
    return sum(t[0].isupper() for t in tokens) / len(tokens) if tokens else 0.0


def question_coverage_gap(ctx: Context, c: AnswerCandidate) -> float:
    """How much more of the question the sentence explains than the clause: the clause carries the answer, the sentence the context."""
    return sentence_coverage(ctx, c) - clause_coverage(ctx, c)


def nearness(ctx: Context, c: AnswerCandidate) -> float:
    """1 when an asked word is printed right next to the figure in its sentence, falling to 0 at 80 characters."""
    if c.number is None or c.scored is None:
        return -1.0
    text = fold(c.sentence)
    where = text.find(fold(c.text)[:8])
    if where < 0:
        return 0.0
    points = [m.start() for w in ctx.asked if len(w) > 3 for m in re.finditer(re.escape(w[:5]), text)]
    if not points:
        return 0.0
    gap = min(abs(p - where) for p in points)
    return max(0.0, 1.0 - gap / 80)


FEATURES: dict[str, Callable[[Context, AnswerCandidate], float]] = {
    f.__name__: f
    for f in (
        clause_coverage,
        sentence_coverage,
        section_coverage,
        row_coverage,
        column_coverage,
        unit_coverage,
        measure_in_clause,
        phrase_in_question,
        question_coverage_gap,
        nearness,
        rank,
        evidence_score,
        scorer_coverage,
        is_cell,
        is_phrase,
        veto_count,
        period_veto,
        institution_veto,
        asks_figure,
        type_agreement,
        candidate_percent,
        candidate_money,
        year_like,
        asks_change,
        asks_name,
        asks_year,
        quoted_in_question,
        magnitude,
        decimals,
        position,
        asked_year_near,
        other_year_in_clause,
        institution_agreement,
        goal_agreement,
        variation_column,
        total_row,
        is_date,
        asks_date,
        phrase_words,
        capitalised,
    )
}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURES)


def vector(ctx: Context, candidate: AnswerCandidate) -> list[float]:
    return [f(ctx, candidate) for f in FEATURES.values()]
