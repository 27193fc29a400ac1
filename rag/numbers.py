"""Number parsing for Mexican government reports (pure functions).

One set of rules serves table cells, prose, answer verification and the
evaluation scorer, so "57 475.9", "57,475.9" and "57475.9" are the same figure
everywhere. The rules follow ../shared/qa-format.md:

* thousands separators are space, NBSP, comma or apostrophe ("63'182,728");
  "." is always the decimal point;
* "N mil M" means N*1000 + M ("15 mil 508.3" -> 15508.3; "un mil 280.3" -> 1280.3);
* "(x)" is -x;
* "$", "\\$" and "%" are markers, not part of the value;
* "^{p/}" / "p/" (preliminary) and "1/" footnote marks are kept as flags;
* "ND", "N.D.", "NA" and "-" are "no value" cells.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_SEP = r"[ \u00a0]"
# Order matters: the most specific grouped forms first, plain digits last.
_NUMBER_BODY = (
    r"[0-9]{1,3}'[0-9]{3}(?:,[0-9]{3})*(?:\.[0-9]+)?"  # 63'182,728
    r"|[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?"  # 63,182,728.5
    rf"|[0-9]{{1,3}}(?:{_SEP}[0-9]{{3}})+(?:\.[0-9]+)?"  # 57 475.9
    r"|[0-9]+(?:\.[0-9]+)?"  # 475.9
)
_MIL_TAIL = r"(?:[ \u00a0]+mil[ \u00a0]+(?P<mil>[0-9]{1,3}(?:\.[0-9]+)?))?"
_PROSE = re.compile(
    r"(?P<open>\()?"
    r"(?P<cur>\\?\$[ \u00a0]?)?"
    r"(?:(?P<un>\b[Uu]n[ \u00a0]+mil[ \u00a0]+)(?P<unm>[0-9]{1,3}(?:\.[0-9]+)?)"
    r"|(?P<minus>(?<![\w.\-/])-)?(?<![\w.,'])(?P<body>" + _NUMBER_BODY + r")(?![0-9'])" + _MIL_TAIL + r")"
    r"(?P<pct>[ \u00a0]?%)?"
    r"(?(open)(?P<close>\))?)"
)
_PRELIM = re.compile(r"\^\{\s*p/\s*\}|(?<![\w/])p/(?!\w)", re.IGNORECASE)
_FOOTNOTE = re.compile(r"\^\{\s*(\d+)/\s*\}|(?<![\w.,/])(\d)/(?!\w)")
_YEAR_NOTE = re.compile(r"\((\d{4})\)\s*$")
_NO_VALUE = {"nd": "nd", "n.d.": "nd", "n. d.": "nd", "n.d": "nd", "na": "na", "n.a.": "na", "-": "dash", "—": "dash"}


@dataclass(frozen=True)
class Number:
    """A figure found in text: its printed form, value and precision."""

    text: str
    value: float
    decimals: int
    start: int
    end: int
    percent: bool = False
    currency: bool = False


@dataclass(frozen=True)
class CellValue:
    """A parsed table cell. ``value`` is None for ND/NA/dash or non-numeric text."""

    value: float | None
    decimals: int
    flags: tuple[str, ...]


def _body_value(body: str) -> tuple[float, int]:
    digits = re.sub(r"[ \u00a0,']", "", body)
    decimals = len(digits.split(".", 1)[1]) if "." in digits else 0
    return float(digits), decimals


def find_numbers(text: str) -> list[Number]:
    """Every figure in ``text``, left to right.

    Parentheses make a number negative only when it has a decimal part or
    separators ("(0.5)", "(26.7)"), because prose uses "(1)" for references.
    """
    found: list[Number] = []
    for m in _PROSE.finditer(text):
        if m.group("un"):
            value, decimals = _body_value(m.group("unm"))
            value += 1000.0
        else:
            value, decimals = _body_value(m.group("body"))
            if m.group("mil"):
                tail, decimals = _body_value(m.group("mil"))
                value = value * 1000.0 + tail
        body = m.group("body") or m.group("unm") or ""
        paren = bool(m.group("open") and m.group("close"))
        if (paren and ("." in body or "," in body or " " in body)) or m.group("minus"):
            value = -value
        found.append(
            Number(
                text=m.group(0),
                value=value,
                decimals=decimals,
                start=m.start(),
                end=m.end(),
                percent=bool(m.group("pct")),
                currency=bool(m.group("cur")),
            )
        )
    return found


def parse_number(text: str) -> Number | None:
    """Parse a string that should hold exactly one figure (e.g. a gold answer)."""
    cleaned = strip_markers(text).strip()
    numbers = find_numbers(cleaned)
    if len(numbers) != 1:
        return None
    only = numbers[0]
    if cleaned[: only.start].strip() or cleaned[only.end :].strip():
        return None
    if cleaned.startswith("(") and cleaned.endswith(")") and only.value > 0:
        # A bare "(14)" in a table cell is a negative figure.
        only = Number(only.text, -only.value, only.decimals, only.start, only.end, only.percent, only.currency)
    return only


def strip_markers(text: str) -> str:
    """Remove preliminary/footnote marks so they don't read as figures."""
    text = _PRELIM.sub(" ", text)
    text = _FOOTNOTE.sub(" ", text)
    return text.replace("*", " ")


def parse_cell(text: str) -> CellValue:
    """Parse one table cell, keeping markers as flags."""
    flags: list[str] = []
    raw = text.strip()
    if _PRELIM.search(raw):
        flags.append("preliminary")
    for m in _FOOTNOTE.finditer(raw):
        flags.append(f"note:{m.group(1) or m.group(2)}/")
    cleaned = strip_markers(raw).strip()
    year = _YEAR_NOTE.search(cleaned)
    if year and cleaned[: year.start()].strip():
        flags.append(f"year:{year.group(1)}")
        cleaned = cleaned[: year.start()].strip()
    no_value = _NO_VALUE.get(cleaned.lower())
    if no_value:
        return CellValue(None, 0, (*flags, no_value))
    number = parse_number(cleaned)
    if number is None:
        return CellValue(None, 0, (*flags, "text") if cleaned else (*flags, "empty"))
    if number.percent:
        flags.append("percent")
    if number.currency:
        flags.append("currency")
    if number.value < 0:
        flags.append("negative")
    return CellValue(number.value, number.decimals, tuple(flags))


def same_value(expected: float, decimals: int, candidate: float) -> bool:
    """True when ``candidate`` equals ``expected`` at ``expected``'s precision."""
    return math.isclose(round(candidate, decimals), round(expected, decimals), abs_tol=10 ** -(decimals + 3))


def format_es(value: float, decimals: int) -> str:
    """Format a computed figure the way the reports print it: "1 348.0"."""
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value):.{decimals}f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    body = " ".join(groups)
    return f"{sign}{body}.{frac}" if frac else f"{sign}{body}"
