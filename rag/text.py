"""Text normalisation shared by every stage (pure functions, no I/O).

The reports mix NBSP, tabs, curly quotes and accents; retrieval, table lookup
and the citation checks must all see the same canonical form, so the rules
live here once.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

_WS = re.compile(r"\s+")
_WORD = re.compile(r"[0-9a-z]+")


@lru_cache(maxsize=32768)  # the same labels, titles and sentences are folded on every question
def fold(text: str) -> str:
    """Lowercase and strip accents: "Población" -> "poblacion" (ñ -> n too)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def squash_ws(text: str) -> str:
    """Collapse every run of whitespace (tabs, newlines, NBSP) into one space."""
    return _WS.sub(" ", text.replace("\u00a0", " ")).strip()


def contains_normalized(haystack: str, needle: str) -> bool:
    """Span-containment test used by scoring: whitespace-insensitive, NBSP = space."""
    return squash_ws(needle) in squash_ws(haystack)


def words(text: str) -> list[str]:
    """Accent-folded alphanumeric words, in order."""
    return _WORD.findall(fold(text))


# Spanish function words that carry no content, folded. One list serves BM25
# tokenisation, the table lookup and text-answer scoring, so they agree on
# what a "content word" is. Question words (cuánto, cuál) are in it on purpose.
_STOPWORDS = (
    "a al algo algun alguna algunas alguno algunos ante antes aquel aquella aquellas aquellos aqui asi "
    "aun bajo cada como con contra cual cuales cualquier cuando cuanta cuantas cuanto cuantos de del "
    "desde donde dos durante e el ella ellas ello ellos en entre era eran es esa esas ese eso esos esta "
    "estaba estas este esto estos fue fueron fuera ha habia han hasta hay la las le les lo los mas me mi "
    "mis mucho muy nada ni no nos o os otra otras otro otros para pero poco por porque que quien quienes "
    "se sea segun ser si sin sino sobre son su sus tambien tan tanto te tenia tenian tiene tienen todo "
    "todos tu tus un una unas uno unos y ya dime cual cuales fue "
)
STOPWORDS_ES: frozenset[str] = frozenset("".join(_STOPWORDS).split())


def content_words(text: str) -> list[str]:
    """Folded words minus stopwords and 1-letter tokens."""
    return [w for w in words(text) if w not in STOPWORDS_ES and len(w) > 1]


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer  # PyStemmer: loaded on first use, so importing rag.text stays cheap

    return Stemmer.Stemmer("spanish")


def stems(text: str) -> list[str]:
    """Spanish snowball stems of the folded content words.

    Folding happens *before* stemming so "guarderías" and "guarderias" stem
    alike (the stemmer treats accented suffixes differently).
    """
    return list(_stems(text))


@lru_cache(maxsize=32768)
def _stems(text: str) -> tuple[str, ...]:
    return tuple(_stem(w) for w in content_words(text))


def despace_digits(text: str) -> str:
    """Join letter-spaced tokens: "2 0 1 1" -> "2011", "T O T A L" -> "TOTAL".

    Table headers in the 2012 Cuenta Pública space out years and words.
    """
    pattern = re.compile(r"(?<!\S)(?:\S {1,4}){2,}\S(?!\S)")

    def join(match: re.Match[str]) -> str:
        parts = match.group(0).split()
        return "".join(parts) if all(len(p) == 1 for p in parts) else match.group(0)

    return pattern.sub(join, text)
