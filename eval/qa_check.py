"""Mechanical checks of gold QA lines (format: ../shared/qa-format.md).

Every line of every split passes these before it is used to train or score:

* the fields and their types, ``kind`` and ``answer_type`` consistent;
* ``evidence`` is 20-200 characters and an exact substring of ``doc``;
* the evidence holds the answer as printed: a number answer's value occurs in
  the evidence at the answer's precision, a text answer passes the 80 %
  content-word rule against it;
* a ``multi`` number answer has ``operands`` (two or more ``{doc, evidence,
  answer}``, each checked like a single answer) and its value follows from
  their values by one of the operations in :data:`OPERATIONS`;
* the question does not give its own answer away (a number answer that is
  printed in the question).

Run it on a draft file while writing questions::

    python -m eval.qa_check drafts/S07.jsonl --doc imss-programa-institucional-avance-2023-2024.txt --lines 1-269

It prints one line per problem (``id: what``) and a summary, and exits 1 when
any line fails (2 on a usage error).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.metrics import number_match, text_match
from rag.numbers import find_numbers, parse_number, same_value, strip_markers

KINDS = ("table", "passage", "multi", "unanswerable")
ANSWER_TYPES = ("number", "text", "unanswerable")
REQUIRED = ("id", "question", "answer", "answer_type", "unit", "doc", "evidence", "kind")
EVIDENCE_CHARS = (20, 200)

# Operations a multi-figure answer may apply to its operands' values (a, b in the
# order given, or reversed): the result must match the gold at its precision.
OPERATIONS: dict[str, Callable[[float, float], float | None]] = {
    "difference": lambda a, b: a - b,
    "sum": lambda a, b: a + b,
    "ratio": lambda a, b: a / b if b else None,
    "share_percent": lambda a, b: 100 * a / b if b else None,
    "percent_change": lambda a, b: 100 * (a - b) / b if b else None,
    "percentage_points": lambda a, b: a - b,
}


@dataclass(frozen=True)
class Problem:
    id: str
    message: str

    def __str__(self) -> str:
        return f"{self.id}: {self.message}"


SCALES = (1.0, 1e3, 1e-3, 1e6, 1e-6)  # "57 475.9 miles" and "12 449 609" are compared in one scale


def arithmetic_matches(values: Sequence[float], answer: float, decimals: int) -> str | None:
    """The name of an operation that turns ``values`` into ``answer``, or None.

    Two values: any operation in either order. Three or more: their sum, their
    mean, or any operation on a pair of them (a question may list context figures).
    Figures printed in different scales (miles, millones, units) are brought to
    one first: the result then names the operation with " (rescaled)".
    """
    found = _arithmetic(values, answer, decimals)
    if found or len(values) > 3:
        return found
    for scales in itertools.product(SCALES, repeat=len(values)):
        if scales[0] == 1.0 and any(x != 1.0 for x in scales[1:]):
            found = _arithmetic([v * k for v, k in zip(values, scales, strict=True)], answer, decimals)
            if found:
                return f"{found} (rescaled)"
    return None


def _arithmetic(values: Sequence[float], answer: float, decimals: int) -> str | None:
    if len(values) >= 2:
        if same_value(answer, decimals, sum(values)) or same_value(answer, decimals, abs(sum(values))):
            return "sum"
        if same_value(answer, decimals, sum(values) / len(values)):
            return "mean"
    for a, b in itertools.permutations(values, 2):
        for name, operation in OPERATIONS.items():
            result = operation(a, b)
            if result is not None and (same_value(answer, decimals, result) or same_value(answer, decimals, abs(result))):
                return name
    return None


def _answer_in_evidence(answer: str, answer_type: str, evidence: str) -> str | None:
    if answer_type == "number":
        if parse_number(answer) is None:
            return f"answer {answer!r} is not one figure"
        if not number_match(strip_markers(evidence), answer):
            return f"answer {answer!r} does not occur in the evidence"
    elif answer_type == "text" and not text_match(evidence, answer):
        return f"text answer {answer!r} is not in the evidence (80% content-word rule)"
    return None


def check_item(item: Mapping[str, object], corpus: Mapping[str, str], line_range: tuple[int, int] | None = None) -> list[str]:
    """Every problem of one QA line (empty when it is good). ``corpus`` maps file name to text."""
    problems: list[str] = []
    for name in REQUIRED:
        if not isinstance(item.get(name), str):
            problems.append(f"field {name!r} missing or not a string")
    if problems:
        return problems
    fields = {name: str(item[name]) for name in REQUIRED}
    kind, answer_type = fields["kind"], fields["answer_type"]
    if kind not in KINDS:
        return [f"kind {kind!r} is not one of {KINDS}"]
    if answer_type not in ANSWER_TYPES:
        return [f"answer_type {answer_type!r} is not one of {ANSWER_TYPES}"]
    if (kind == "unanswerable") != (answer_type == "unanswerable"):
        return ["answer_type must be 'unanswerable' exactly when kind is 'unanswerable'"]
    if not fields["question"].strip() or not fields["answer"].strip():
        problems.append("empty question or answer")
    if kind == "unanswerable":
        if fields["doc"] or fields["evidence"]:
            problems.append("an unanswerable question has empty doc and evidence")
        return problems
    problems += _check_span(fields["doc"], fields["evidence"], corpus, line_range)
    if kind == "multi" and answer_type == "number":
        problems += _check_operands(item, fields["answer"], corpus)
    else:
        found = _answer_in_evidence(fields["answer"], answer_type, fields["evidence"])
        if found:
            problems.append(found)
    if answer_type == "number":
        gold = parse_number(fields["answer"])
        asked = find_numbers(strip_markers(fields["question"]))
        distinctive = gold is not None and abs(gold.value) >= 100 and gold.decimals + len(str(int(abs(gold.value)))) >= 4
        if gold is not None and distinctive and any(same_value(gold.value, gold.decimals, n.value) and n.decimals == gold.decimals for n in asked):
            problems.append(f"the question prints its own answer {fields['answer']!r}")
    return problems


def _check_span(doc: str, evidence: str, corpus: Mapping[str, str], line_range: tuple[int, int] | None) -> list[str]:
    if doc not in corpus:
        return [f"doc {doc!r} is not a corpus file"]
    low, high = EVIDENCE_CHARS
    problems = []
    if not low <= len(evidence) <= high:
        problems.append(f"evidence is {len(evidence)} characters; keep it {low}-{high}")
    text = corpus[doc]
    where = text.find(evidence)
    if where < 0:
        return [*problems, "evidence is not an exact substring of doc (copy it with its tabs and newlines)"]
    if line_range is not None:
        first = text.count("\n", 0, where) + 1
        last = first + evidence.count("\n")
        if first < line_range[0] or last > line_range[1]:
            problems.append(f"evidence is on lines {first}-{last}, outside the slice {line_range[0]}-{line_range[1]}")
    return problems


def _check_operands(item: Mapping[str, object], answer: str, corpus: Mapping[str, str]) -> list[str]:
    operands = item.get("operands")
    if not isinstance(operands, list) or len(operands) < 2:
        return ["a multi number question needs 'operands': two or more {doc, evidence, answer}"]
    if not str(item.get("note", "")).strip():
        return ["a multi question needs a 'note' with the arithmetic in words"]
    problems: list[str] = []
    values: list[float] = []
    for n, operand in enumerate(operands, start=1):
        if not isinstance(operand, dict) or not all(isinstance(operand.get(k), str) for k in ("doc", "evidence", "answer")):
            problems.append(f"operand {n} needs string doc, evidence and answer")
            continue
        problems += [f"operand {n}: {p}" for p in _check_span(operand["doc"], operand["evidence"], corpus, None)]
        found = _answer_in_evidence(operand["answer"], "number", operand["evidence"])
        if found:
            problems.append(f"operand {n}: {found}")
        parsed = parse_number(operand["answer"])
        if parsed is not None:
            values.append(parsed.value)
    gold = parse_number(answer)
    if gold is None:
        problems.append(f"answer {answer!r} is not one figure")
    elif not problems and arithmetic_matches(values, gold.value, gold.decimals) is None:
        problems.append(f"answer {answer!r} does not follow from the operands {values} by any of: sum, mean, {', '.join(OPERATIONS)}")
    return problems


def load_corpus_texts(corpus_dir: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(corpus_dir.glob("*.txt"))}


def check_lines(raw_lines: Iterable[str], corpus: Mapping[str, str], line_range: tuple[int, int] | None = None, doc: str | None = None) -> list[Problem]:
    """Check every JSONL line; ids must be unique across them."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(Problem(f"line {number}", f"not valid JSON ({exc.msg})"))
            continue
        if not isinstance(item, dict):
            problems.append(Problem(f"line {number}", "not a JSON object"))
            continue
        ident = str(item.get("id", f"line {number}"))
        if ident in seen:
            problems.append(Problem(ident, "id repeats"))
        seen.add(ident)
        in_doc = item.get("doc") == doc if doc else True
        problems += [Problem(ident, p) for p in check_item(item, corpus, line_range if in_doc else None)]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check gold QA lines mechanically.")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parent.parent / "corpus")
    parser.add_argument("--doc", help="the slice's report file: evidence in it must lie within --lines")
    parser.add_argument("--lines", help="the slice's line range, e.g. 1-269")
    args = parser.parse_args(argv)
    line_range = None
    if args.lines:
        try:
            low, high = (int(x) for x in args.lines.split("-"))
        except ValueError:
            print("qa_check: --lines must look like 1-269", file=sys.stderr)
            return 2
        line_range = (low, high)
    corpus = load_corpus_texts(args.corpus)
    total, bad = 0, 0
    for path in args.files:
        if not path.is_file():
            print(f"qa_check: {path} does not exist", file=sys.stderr)
            return 2
        raw = path.read_text(encoding="utf-8").splitlines()
        total += sum(1 for r in raw if r.strip())
        problems = check_lines(raw, corpus, line_range, args.doc)
        bad += len({p.id for p in problems})
        for problem in problems:
            print(problem)
    print(f"{total} lines, {bad} with problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
