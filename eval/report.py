"""Write an evaluation run to disk: results.json, report.md and a chart."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.run import PRIMARY, SYSTEMS, Record, risk_coverage_rows

TABLE_METRICS = (
    "strict.accuracy",
    "strict.accuracy_ci95_low",
    "strict.accuracy_ci95_high",
    "strict.accuracy.kind.table",
    "strict.accuracy.kind.passage",
    "strict.accuracy.kind.multi",
    "strict.accuracy.kind.unanswerable",
    "strict.accuracy.type.number",
    "strict.accuracy.type.text",
    "strict.figure_accuracy",
    "strict.citation_accuracy",
    "strict.answered_precision",
    "answer.answered_precision",
    "coverage",
    "retrieval.recall@1",
    "retrieval.recall@5",
    "retrieval.recall@10",
    "retrieval.mrr@10",
    "answer.accuracy",
    "answer.accuracy_ci95_low",
    "answer.accuracy_ci95_high",
    "answer.accuracy.table",
    "answer.accuracy.passage",
    "answer.accuracy.multi",
    "answer.accuracy.unanswerable",
    "citation.accuracy",
    "citation.unsupported_answers",
    "abstention.recall",
    "abstention.precision",
    "abstention.false_rate",
    "latency.p50_ms",
    "latency.p95_ms",
    "latency.max_ms",
)
QUOTE_CHARS = 300
CHART_METRICS = ("retrieval.recall@5", "answer.accuracy", "citation.accuracy", "abstention.recall")


def metric(results: Mapping[str, float], system: str, name: str) -> float | None:
    return results.get(name if system == PRIMARY else f"{system}.{name}")


def metrics_table(results: Mapping[str, float], systems: Sequence[str] = SYSTEMS) -> str:
    header = "| metric | " + " | ".join("hybrid + tables (full)" if s == PRIMARY else s for s in systems) + " |"
    lines = [header, "|---" * (len(systems) + 1) + "|"]
    for name in TABLE_METRICS:
        values = [metric(results, s, name) for s in systems]
        if all(v is None for v in values):
            continue
        shown = [("—" if v is None else f"{v:.0f}" if name.startswith(("latency", "citation.unsupported")) else f"{v:.3f}") for v in values]
        lines.append(f"| {name} | " + " | ".join(shown) + " |")
    return "\n".join(lines)


SPLIT_METRICS = ("n", *(m for m in TABLE_METRICS if "ci95" not in m and not m.startswith(("latency", "retrieval.recall@1", "retrieval.mrr"))))
GAP_LIMIT = 0.05  # dev and test further apart than this: something was fitted to dev


def split_table(by_split: Mapping[str, Mapping[str, float]]) -> str:
    """The full system's figures per split, side by side, with the dev - test gap when both ran."""
    names = list(by_split)
    gap = "dev" in by_split and "test" in by_split
    lines = ["| metric | " + " | ".join(names) + (" | dev - test |" if gap else " |"), "|---" * (len(names) + 1 + gap) + "|"]
    keys = [*SPLIT_METRICS, *sorted(k for k in next(iter(by_split.values())) if k.startswith("strict.accuracy.doc."))]
    for key in keys:
        values = [by_split[n].get(key) for n in names]
        if all(v is None for v in values):
            continue
        shown = ["—" if v is None else f"{v:.0f}" if key == "n" or key.startswith("citation.unsupported") else f"{v:.3f}" for v in values]
        row = f"| {key} | " + " | ".join(shown)
        if gap:
            dev, test = by_split["dev"].get(key), by_split["test"].get(key)
            row += " | " + ("" if dev is None or test is None or key == "n" else f"{dev - test:+.3f}")
        lines.append(row + " |")
    return "\n".join(lines)


def risk_coverage_table(records: Sequence[Record], points: int = 10) -> str:
    """Answered precision (strict) against coverage: about ``points`` rows from the strictest threshold to answering all."""
    rows = risk_coverage_rows(records)
    if not rows:
        return "No answers given.\n"
    step = max(1, len(rows) // points)
    chosen = rows[step - 1 :: step]
    if chosen[-1] != rows[-1]:
        chosen.append(rows[-1])
    lines = ["| confidence ≥ | coverage | answered precision (strict) |", "|---|---|---|"]
    lines += [f"| {t:.3f} | {c:.3f} | {p:.3f} |" for t, c, p in chosen]
    return "\n".join(lines)


def risk_coverage_chart(records: Sequence[Record], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = risk_coverage_rows(records)
    fig, ax = plt.subplots(figsize=(5.5, 4), dpi=110)
    ax.plot([c for _, c, _ in rows], [p for _, _, p in rows], marker=".")
    ax.set_xlabel("coverage (share of questions answered)")
    ax.set_ylabel("answered precision (strict)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.axhline(0.95, linestyle=":", color="grey")
    ax.set_title("Risk-coverage")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def failures(records: Sequence[Record]) -> str:
    out = []
    for r in records:
        if r.strict_correct and (r.citation_correct is not False) and not r.unsupported:
            continue
        problems = []
        if r.correct and not r.strict_correct:
            problems.append("lenient only: the figure stated is not the gold, or its first citation misses the evidence")
        if not r.correct:
            problems.append("wrong answer" if not r.abstained else ("abstained" if r.kind != "unanswerable" else "answered an unanswerable question"))
        if r.citation_correct is False:
            problems.append("citation misses the evidence")
        if r.unsupported:
            problems.append(f"figures not in citations: {', '.join(r.unsupported)}")
        out.append(
            f"### {r.id} ({r.kind}) — {', '.join(problems)}\n\n- Pregunta: {r.question}\n- Esperado: {r.expected}\n"
            f"- Cifra: {r.figure['text'] if r.figure else '—'}\n- Respuesta: {_one_line(r.answer)}\n"
            f"- Citas:{_cited(r.citations)}\n"
        )
    return "\n".join(out) if out else "None.\n"


def _one_line(text: str, limit: int = QUOTE_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _cited(citations: Sequence[dict[str, Any]]) -> str:
    if not citations:
        return " —"
    return "".join(f"\n  - `{c['source']}:{c['lines'][0]}-{c['lines'][1]}` «{_one_line(str(c.get('quote', '')))}»" for c in citations)


def failed_ids(records: Mapping[str, Sequence[Record]]) -> str:
    """One line per system: the ids it got wrong, so baselines can be compared question by question."""
    lines = []
    for system, rs in records.items():
        wrong = [r.id for r in rs if not r.correct]
        lines.append(f"- **{system}** ({len(wrong)}): {', '.join(wrong) or '—'}")
    return "\n".join(lines)


def chart(results: Mapping[str, float], path: Path, systems: Sequence[str] = SYSTEMS) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=110)
    width = 0.8 / len(systems)
    for i, system in enumerate(systems):
        values = [metric(results, system, m) or 0.0 for m in CHART_METRICS]
        positions = [j + i * width for j in range(len(CHART_METRICS))]
        bars = ax.bar(positions, values, width, label="hybrid + tables" if system == PRIMARY else system)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks([j + width * (len(systems) - 1) / 2 for j in range(len(CHART_METRICS))], CHART_METRICS)
    ax.set_ylim(0, 1.22)
    ax.set_title("Systems compared on the gold QA set")
    ax.legend(loc="upper center", ncol=len(systems), fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write(out_dir: Path, results: Mapping[str, float], records: Mapping[str, Sequence[Record]], meta: Mapping[str, Any], sealed: bool = False) -> Path:
    """The run on disk. ``sealed`` (the test split): aggregate figures only, no question, answer or failure."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps({**results, "meta": meta}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    primary = records.get(PRIMARY, next(iter(records.values())))
    if sealed:
        (out_dir / "report.md").write_text(
            f"# Evaluation report (sealed split)\n\n- QA file: `{meta.get('qa_file')}` ({len(primary)} questions)\n"
            f"- Commit: `{meta.get('git_commit')}`\n\n## Metrics\n\n{metrics_table(results, tuple(records))}\n\n"
            f"## Risk-coverage\n\n{risk_coverage_table(primary)}\n\nQuestions, answers and failures of a sealed split are not written.\n",
            encoding="utf-8",
        )
        risk_coverage_chart(primary, out_dir / "risk_coverage.png")
        return out_dir
    (out_dir / "records.jsonl").write_text(
        "".join(json.dumps({"system": s, **r.__dict__}, ensure_ascii=False) + "\n" for s, rs in records.items() for r in rs), encoding="utf-8"
    )
    chart(results, out_dir / "systems.png", tuple(records))
    risk_coverage_chart(primary, out_dir / "risk_coverage.png")
    report = [
        "# Evaluation report",
        "",
        f"- QA file: `{meta.get('qa_file')}` ({len(primary)} questions)",
        f"- Commit: `{meta.get('git_commit')}` · index `{meta.get('index_build')}` · corpus `{str(meta.get('corpus_hash'))[:12]}`",
        f"- Model: `{meta.get('model', {}).get('name')}`",
        f"- Uncommitted code: {', '.join(f'`{p}`' for p in meta['git_uncommitted'])} (diff `{str(meta.get('git_diff_sha256'))[:12]}`)"
        if meta.get("git_uncommitted")
        else "- Uncommitted code: none",
        "",
        "## Metrics",
        "",
        metrics_table(results, tuple(records)),
        "",
        "![systems](systems.png)",
        "",
        "## Risk-coverage (full system, strict)",
        "",
        risk_coverage_table(primary),
        "",
        "![risk-coverage](risk_coverage.png)",
        "",
        "## Wrong answers by system",
        "",
        failed_ids(records),
        "",
        f"## Failures of the {'full system' if PRIMARY in records else next(iter(records))}",
        "",
        "Wrong answers, citations that miss the evidence, and figures absent from the citations.",
        "",
        failures(primary),
    ]
    (out_dir / "report.md").write_text("\n".join(report), encoding="utf-8")
    return out_dir
