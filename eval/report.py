"""Write an evaluation run to disk: results.json, report.md and a chart."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.run import PRIMARY, SYSTEMS, Record

TABLE_METRICS = (
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


def failures(records: Sequence[Record]) -> str:
    out = []
    for r in records:
        if r.correct and (r.citation_correct is not False) and not r.unsupported:
            continue
        problems = []
        if not r.correct:
            problems.append("wrong answer" if not r.abstained else ("abstained" if r.kind != "unanswerable" else "answered an unanswerable question"))
        if r.citation_correct is False:
            problems.append("citation misses the evidence")
        if r.unsupported:
            problems.append(f"figures not in citations: {', '.join(r.unsupported)}")
        out.append(
            f"### {r.id} ({r.kind}) — {', '.join(problems)}\n\n- Pregunta: {r.question}\n- Esperado: {r.expected}\n- Respuesta: {_one_line(r.answer)}\n"
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


def write(out_dir: Path, results: Mapping[str, float], records: Mapping[str, Sequence[Record]], meta: Mapping[str, Any]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps({**results, "meta": meta}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out_dir / "records.jsonl").write_text(
        "".join(json.dumps({"system": s, **r.__dict__}, ensure_ascii=False) + "\n" for s, rs in records.items() for r in rs), encoding="utf-8"
    )
    chart(results, out_dir / "systems.png", tuple(records))
    primary = records.get(PRIMARY, next(iter(records.values())))
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
