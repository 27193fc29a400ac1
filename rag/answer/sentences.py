"""Sentences of retrieved passages, scored against the question; figures inside them.

When a figure is in prose the answer is the sentence that holds it, cited by
the narrowest line span that contains it. Scoring is explicit:

* coverage: the IDF-weighted share of the question's content words the
  sentence contains (its section path counts at half weight);
* what is counted: a sentence naming the counted thing ("pensiones") gains;
* period: a question year must be in the sentence, its section, or be the
  document's only year; a sentence that names other years but not the asked
  one loses;
* retrieval: the passage's fused retrieval score, as a prior.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rag.numbers import Number, find_numbers, strip_markers
from rag.query import MONTHS, QuestionInfo, explicit_years, years_in
from rag.text import fold, stems
from rag.types import Document, Hit

_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[«\"“(¿¡·•\-A-ZÁÉÍÓÚÑ0-9])")
_GENERIC = frozenset(stems("cuanto cuantos cuantas cual fue era tenia numero cifra valor dato total monto cantidad"))
W_MEASURE = 0.4
W_RETRIEVAL = 0.1
W_SECTION = 0.8
W_PREVIOUS = 0.7  # words from the sentence before count (the answer then quotes both), less than its own
W_NEAR = 0.3  # a figure printed right next to the asked words is probably the asked figure
NEAR_CHARS = 60
W_WRONG_YEAR = 0.6
W_TARGET = 0.3  # a sentence stating a goal ("la meta ... fue del 90%") answers a question about results less well
_TARGET = re.compile(r"\bmetas?\b")
_ASKS_TARGET = re.compile(r"\b(metas?|previst\w*|programad\w*|estimad\w*|planead\w*|esperad\w*|objetivo)\b")
W_QUESTION_FIGURE = 0.3  # the sentence prints a figure the question quotes ("las 54 acciones de obra médica")
_NAME_BEFORE = re.compile(r"[A-Za-z]-?\Z")  # a letter (and hyphen) right before the figure or its sign
_NAME_AFTER = re.compile(r"\s*(bis|ter)\b", re.IGNORECASE)  # "Licencia 140 bis", "artículo 9 ter" name articles
_MONTH_AFTER = re.compile(r"\s+de\s+(enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)\b", re.IGNORECASE)
_PREFIX = 4  # "cubrió" (cubri) and "cubrieron" (cubr) are the same verb


def matched(asked: set[str], present: set[str]) -> set[str]:
    """Asked stems found in ``present``, exactly or as the same word inflected: a shared prefix of
    max(_PREFIX, shorter length - 1) characters. Candidates are looked up by their first _PREFIX
    characters, which every such match shares (a third of ``ask``'s Python time went to comparing all pairs)."""
    found = asked & present
    rest = [w for w in asked - found if len(w) >= _PREFIX]
    if not rest:
        return found
    by_prefix: dict[str, list[str]] = {}
    for other in present:
        if len(other) >= _PREFIX:
            by_prefix.setdefault(other[:_PREFIX], []).append(other)
    for word in rest:
        for other in by_prefix.get(word[:_PREFIX], ()):
            need = max(_PREFIX, min(len(word), len(other)) - 1)
            if word[:need] == other[:need]:
                found.add(word)
                break
    return found


def _nearness(text: str, asked: set[str]) -> float:
    """1 when a figure is printed right next to an asked word, falling to 0 at NEAR_CHARS away."""
    folded = fold(text)
    points = [m.start() for w in asked if len(w) > 3 for m in re.finditer(re.escape(w[:5]), folded)]
    numbers = figures(text)
    if not points or not numbers:
        return 0.0
    gap = min(min(abs(n.start - p), abs(n.end - p)) for n in numbers for p in points)
    return max(0.0, 1.0 - gap / NEAR_CHARS)


def _with_previous(sentence: Sentence) -> Sentence:
    from dataclasses import replace

    merged = f"{sentence.previous} {sentence.text}"
    return replace(sentence, start=sentence.previous_start, text=merged, previous="", previous_start=0, own_from=len(merged) - len(sentence.text))


@dataclass(frozen=True)
class Sentence:
    doc_id: str
    source: str
    start: int  # first line (1-based)
    end: int  # last line
    text: str  # exact text from the document
    section: tuple[str, ...]
    retrieval: float  # normalised score of the passage it came from
    previous: str = ""  # the sentence before it in the same paragraph ("... los objetivos sean de resultados.")
    previous_start: int = 0
    own_from: int = 0  # where the sentence itself starts in ``text`` when the one before was merged in

    @property
    def own_text(self) -> str:
        return self.text[self.own_from :]


@dataclass(frozen=True)
class ScoredSentence:
    sentence: Sentence
    score: float
    coverage: float  # the question explained by the sentence, its context and the sentence before (see SentenceScorer.coverage)


def split_sentences(document: Document, start: int, end: int, tables: bool = False) -> Iterator[tuple[int, int, str]]:
    """(first line, last line, exact text) of each sentence of the prose blocks touching lines start..end.

    Whole blocks are used, so a chunk boundary never cuts a sentence. A short
    block that is only a figure ("1.43 %") takes the label lines printed just
    above it, so the sentence says what the figure is. With ``tables``, each
    line of a table block is a sentence too (grids whose cells are prose).
    """
    blocks = document.blocks
    for index, block in enumerate(blocks):
        if block.span.end < start or block.span.start > end:
            continue
        if tables and block.kind == "table":
            for number in range(max(start, block.span.start), min(end, block.span.end) + 1):
                line = document.lines[number - 1].strip()
                if (len(line) >= 12 and figures(line)) or len(line) >= 20:
                    yield number, number, line
            continue
        if block.kind not in ("paragraph", "list_item"):
            continue
        first_line = block.span.start
        if len(block.text) < 60 and figures(block.text):
            while index > 0 and blocks[index - 1].kind == "heading" and first_line - blocks[index - 1].span.end <= 3:
                index -= 1
                first_line = blocks[index].span.start
        text = document.text_at(first_line, block.span.end)
        cursor = 0
        for boundary in [*_BOUNDARY.finditer(text), None]:
            stop = boundary.start() if boundary else len(text)
            piece = text[cursor:stop]
            body = piece.strip()
            if len(body) >= 12 or figures(body):
                lead = len(piece) - len(piece.lstrip())
                first = first_line + text.count("\n", 0, cursor + lead)
                last = first_line + text.count("\n", 0, cursor + len(piece.rstrip()))
                yield first, last, body
            cursor = boundary.end() if boundary else len(text)


class SentenceScorer:
    """Scores sentences of the top passages; IDF comes from the whole corpus."""

    def __init__(self, documents: dict[str, Document]) -> None:
        self.documents = documents
        df: dict[str, int] = {}
        count = 0
        for doc in documents.values():
            for block in doc.blocks:
                count += 1
                for word in set(stems(block.text)):
                    df[word] = df.get(word, 0) + 1
        self.idf = {w: math.log(1 + count / n) for w, n in df.items()}
        self.default_idf = math.log(1 + count)

    def weight(self, words: set[str]) -> float:
        return sum(self.idf.get(w, self.default_idf) for w in sorted(words))  # sorted: the same sum whatever the hash seed

    def idf_of(self, word: str) -> float:
        return self.idf.get(word, self.default_idf)

    def candidates(self, hits: Sequence[Hit], rows: bool = False) -> list[Sentence]:
        """Sentences of the passage hits; with ``rows``, the lines of table-row hits too (rows that are prose in a grid)."""
        best = max((h.score for h in hits), default=1.0) or 1.0
        seen: set[tuple[str, int, int]] = set()
        sentences = []
        for hit in hits:
            if hit.chunk.kind != "passage" and not rows:
                continue
            doc = self.documents[hit.chunk.doc_id]
            previous: tuple[int, int, str] | None = None
            for first, last, text in split_sentences(doc, hit.chunk.span.start, hit.chunk.span.end, tables=rows):
                key = (doc.meta.id, first, hash(text))
                same_paragraph = previous is not None and first - previous[1] <= 0
                if key not in seen:
                    seen.add(key)
                    before = previous if same_paragraph and previous else (0, 0, "")
                    sentences.append(Sentence(doc.meta.id, doc.meta.source, first, last, text, hit.chunk.section, hit.score / best, before[2], before[0]))
                previous = (first, last, text)
        return sentences

    def coverage(self, info: QuestionInfo, text: str, context: str = "") -> float:
        """IDF-weighted share of the question's content words that ``text`` contains,
        words found only in its ``context`` (section, lead, document title) at W_SECTION."""
        asked = {s for s in info.stems if not s.isdigit()} - _GENERIC
        own = matched(asked, set(stems(text)))
        around = matched(asked - own, set(stems(context))) if context else set()
        return round((self.weight(own) + W_SECTION * self.weight(around)) / max(self.weight(asked), 1e-9), 4)

    def score(self, info: QuestionInfo, sentence: Sentence) -> ScoredSentence:
        asked = {s for s in info.stems if not s.isdigit()} - _GENERIC
        own = matched(asked, set(stems(sentence.text)))
        doc = self.documents[sentence.doc_id].meta
        context = matched(asked, set(stems(f"{' '.join(sentence.section)} {doc.short_title} {doc.title}"))) - own
        before = matched(asked, set(stems(sentence.previous))) - own - context
        denominator = max(self.weight(asked), 1e-9)
        explained = (self.weight(own) + W_SECTION * self.weight(context) + W_PREVIOUS * self.weight(before)) / denominator
        score = explained
        score += W_RETRIEVAL * sentence.retrieval + W_NEAR * _nearness(sentence.text, own)
        if info.measures and set(info.measures) <= own:
            score += W_MEASURE
        if _TARGET.search(fold(sentence.own_text)) and not _ASKS_TARGET.search(info.folded):
            score -= W_TARGET
        quoted = question_figures(info)
        if quoted and any(f.value == q.value for f in figures(sentence.text) for q in quoted):
            score += W_QUESTION_FIGURE
        score -= W_WRONG_YEAR * self._year_mismatch(info, sentence)
        if before and self.weight(before) / denominator >= 0.15 and sentence.previous_start:
            sentence = _with_previous(sentence)  # the answer needs the sentence before to make sense
        return ScoredSentence(sentence, round(score, 4), round(explained, 4))

    def _year_mismatch(self, info: QuestionInfo, sentence: Sentence) -> float:
        """1 when the sentence is about other years than the asked ones, 0 when it fits."""
        if not info.years:
            return 0.0
        mentioned = set(explicit_years(sentence.text)) or set(explicit_years(sentence.previous))  # "En el mismo periodo ..."
        mentioned |= set(explicit_years(" ".join(sentence.section)))
        if mentioned & set(info.years):
            return 0.0
        doc_years = set(years_in(self.documents[sentence.doc_id].meta.period))
        if not mentioned and set(info.years) & doc_years:
            return 0.0
        return 1.0

    def best(self, info: QuestionInfo, hits: Sequence[Hit], k: int = 5, rows: bool = False) -> list[ScoredSentence]:
        scored = [self.score(info, s) for s in self.candidates(hits, rows)]
        scored.sort(key=lambda s: (-s.score, s.sentence.source, s.sentence.start))
        return scored[:k]


def question_figures(info: QuestionInfo) -> tuple[Number, ...]:
    """Figures the question itself states ("las 54 acciones"), not its years or its dates ("1 de enero")."""
    return _question_figures(info.text)


@functools.lru_cache(maxsize=1024)  # asked for every sentence scored; the question is the same
def _question_figures(question: str) -> tuple[Number, ...]:
    return tuple(f for f in figures(question) if not _MONTH_AFTER.match(question, f.end))


def figures(text: str) -> list[Number]:
    """Figures of a sentence that are not years, footnote marks or list numbers."""
    return list(_figures(text))


@functools.lru_cache(maxsize=4096)  # one sentence is read by the scorer, the vetoes, the composer and the verifier
def _figures(text: str) -> tuple[Number, ...]:
    found = []
    stripped = strip_markers(text)
    for n in find_numbers(stripped):
        if n.decimals == 0 and 1900 <= n.value <= 2100 and "," not in n.text and " " not in n.text.strip():
            continue  # a year
        if _NAME_BEFORE.search(stripped, 0, n.start):
            continue  # part of a name: "COVID-19", "SARS-CoV-2"
        if _NAME_AFTER.match(stripped, n.end):
            continue
        found.append(n)
    return tuple(found)


_PERCENT_AFTER = re.compile(r"\s*(?:%|por\s+ciento)", re.IGNORECASE)
_BARE_AFTER = re.compile(r"\s*(?:[,;]|y\b|al?\b|en\b|a\s+la\b|el\s+restante\b)", re.IGNORECASE)


def is_percent(text: str, figure: Number, enumerating: bool = False) -> bool:
    """A percentage: "%" or "por ciento" after it, or, in a list opened by one
    ("63.5 por ciento fueron familiares...; 21.9, trabajadores activos; 7.5, ..."),
    a bare figure followed only by a comma, "y" or "al"."""
    if figure.percent or _PERCENT_AFTER.match(text, figure.end):
        return True
    return enumerating and figure.decimals <= 1 and bool(_BARE_AFTER.match(text, figure.end))


def percent_figures(text: str) -> list[Number]:
    """Figures of ``text`` that are percentages, continuing enumerations (see ``is_percent``)."""
    found: list[Number] = []
    enumerating = False
    for figure in figures(text):
        percent = is_percent(text, figure, enumerating)
        if percent:
            found.append(figure)
        enumerating = percent
    return found


_ANCHOR_LINK = re.compile(r"\s*(?:de|fue de|:|=)?\s*\\?\$?\s*")  # between an anchor word and its figure: " de $", " = ", " \$"
_DIFFERENCE_AFTER = re.compile(r"\s*(?:(?:miles|millones)(?:\s+de\s+pesos)?\s+)?(?:m[aá]s|menos)\s+(?:que|de\s+lo)\b", re.IGNORECASE)


def states_difference(text: str, figure: Number) -> bool:
    """ "$9,279,737.9 miles más que lo recaudado en 2019": the figure is a change, not a level."""
    return bool(_DIFFERENCE_AFTER.match(text, figure.end))


def figure_for(info: QuestionInfo, text: str, anchor: str = "", levels_only: bool = False) -> Number | None:
    """The figure of ``text`` the question most likely asks for.

    Each figure is charged its distance (in characters) to the nearest
    anchor word (a year, a month, "meta" — whatever tells two figures of one
    sentence apart) and to the nearest of the question's content words;
    the cheapest wins. Figures followed by "por ciento" win percent questions.
    ``levels_only`` drops figures that state a difference (``states_difference``).
    """
    text = strip_markers(text)  # figure positions are in the text without footnote marks ("p/", "^{1/}")
    candidates = figures(text)
    if levels_only:  # a comparison's operand is a level; "N más que en 2019" would be taken for 2019's figure
        candidates = [n for n in candidates if not states_difference(text, n)]
    if not candidates:
        return None
    quoted = question_figures(info)
    candidates = [n for n in candidates if not any(n.value == q.value for q in quoted)] or candidates  # the asked figure is not the one the question gives
    if info.wants_percent:
        candidates = percent_figures(text) or candidates
    folded = fold(text)
    anchors = [m.start() for m in re.finditer(re.escape(fold(anchor)), folded)] if anchor else []
    words = [m.start() for w in set(info.stems) if len(w) > 3 and not w.isdigit() for m in re.finditer(re.escape(w), folded)]

    # "una meta de $29,338 y se logró $13,592": a figure right after its anchor word, joined by "de", ":" or "=",
    # is the one it names. Not for years or months: "de 95% en 2019 a 99% en 2022" puts 2022's figure after 2019.
    if anchor and not re.search(r"\d", anchor) and fold(anchor) not in MONTHS:
        ends = [m.end() for p in anchors if (m := re.compile(r"\w*").match(folded, p))]
        following = [(n.start - e, n) for n in candidates for e in ends if n.start >= e and _ANCHOR_LINK.fullmatch(folded[e : n.start])]
        if following:
            return min(following, key=lambda pair: pair[0])[1]

    def distance(n: Number, points: list[int]) -> float:
        if not points:
            return 0.0
        return min((n.start - p) if p <= n.start else 1.5 * (p - n.end) for p in points)

    return min(candidates, key=lambda n: (distance(n, anchors) + 0.5 * distance(n, words), n.start))


def unit_after(text: str, figure: Number) -> str:
    """The unit printed after a figure: "miles de pensiones", "millones de pesos", "personas"."""
    tail = text[figure.end : figure.end + 60]
    match = re.match(r"\s*(?:de\s+)?((?:miles|millones|mil millones)\s+de\s+\w+|por ciento|%|[a-záéíóúñ]+)", tail, re.IGNORECASE)
    return ("por ciento" if figure.percent else "") or (match.group(1) if match else "")
