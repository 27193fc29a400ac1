"""The `rag` command line, run as a real subprocess on the real index."""

import json
import os
import subprocess
import sys

import pytest

from rag.settings import PROJECT_ROOT

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def rag(*args: str, stdin: str = "", timeout: float = 300) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "rag.cli", *args]
    return subprocess.run(command, check=False, input=stdin, capture_output=True, text=True, cwd=PROJECT_ROOT, env=ENV, timeout=timeout)


@pytest.mark.slow
def test_search_jsonl_contract_with_good_and_bad_lines(pipeline: object) -> None:
    lines = [
        json.dumps({"id": "q1", "question": "¿Cuántos derechohabientes tenía el IMSS al cierre de 2012?"}),
        json.dumps({"id": "q2", "question": "   "}),
        "{not json",
        json.dumps(["no", "object"]),
        json.dumps({"id": "q5"}),
        json.dumps({"id": 6, "question": "presupuesto del programa E012 en 2018"}),
    ]
    result = rag("search", "--jsonl", "--k", "3", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["q1", "q2", None, None, "q5", 6]
    first = out[0]
    assert len(first["hits"]) == 3 and "error" not in first
    for hit in first["hits"]:
        assert hit["source"].startswith("corpus/") and (PROJECT_ROOT / hit["source"]).is_file()
        start, end = hit["lines"]
        assert 1 <= start <= end
        assert isinstance(hit["score"], float) and hit["section"] is not None and hit["text"]
    assert [h["score"] for h in first["hits"]] == sorted((h["score"] for h in first["hits"]), reverse=True)
    assert "empty" in out[1]["error"] and out[1]["hits"] == []
    assert "invalid JSON" in out[2]["error"] and "line 3" in out[2]["error"]
    assert "object" in out[3]["error"]
    assert "'question'" in out[4]["error"]
    assert out[5]["hits"] and "error" not in out[5]


@pytest.mark.slow
def test_search_prints_ranked_citations(pipeline: object) -> None:
    result = rag("search", "cuotas del Gobierno Federal al seguro de Retiro, Cesantía y Vejez", "--k", "2")
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("1. [") and "corpus/cuenta-publica-2012-proteccion-social.txt:" in first


def test_usage_errors_exit_2_with_one_line() -> None:
    for args in (("search",), ("search", "--k", "abc", "x"), ("nonexistent",)):
        result = rag(*args)
        assert result.returncode == 2, args
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.slow
def test_tables_list_show_and_json(pipeline: object) -> None:
    listing = rag("tables")
    assert listing.returncode == 0 and "cp2012-proteccion-social-L199" in listing.stdout
    shown = rag("tables", "show", "cp2012-proteccion-social-L199")
    assert shown.returncode == 0 and "Jornaleros Agrícolas" in shown.stdout and "160.2" in shown.stdout
    data = json.loads(rag("tables", "--json").stdout)
    assert len(data) == 77 and {"id", "doc", "title", "unit", "rows", "columns"} <= set(data[0])
    detail = json.loads(rag("tables", "show", "cp2012-proteccion-social-L627", "--json").stdout)
    assert detail["institution"] == "ISSSTE" and detail["unit"] == "Personas"
    missing = rag("tables", "show", "no-such-table")
    assert missing.returncode == 2 and "no table with id" in missing.stderr


ANSWER_KEYS = {"answer", "figure", "abstained", "citations", "related", "derivations", "mode", "timings_ms"}  # rag.serialize.answer_json
FIGURE_KEYS = {"text", "value", "unit", "period", "institution", "kind"}
CITATION_KEYS = {"source", "lines", "section", "title", "quote", "table"}


def _check_citation(citation: dict[str, object]) -> None:
    assert set(citation) == CITATION_KEYS
    assert isinstance(citation["source"], str) and (PROJECT_ROOT / citation["source"]).is_file()
    lines = citation["lines"]
    assert isinstance(lines, list) and len(lines) == 2 and 1 <= lines[0] <= lines[1]
    assert isinstance(citation["section"], str) and isinstance(citation["title"], str) and citation["quote"]
    table = citation["table"]
    assert table is None or (isinstance(table, dict) and {"id", "title", "row", "column", "unit"} == set(table))


@pytest.mark.slow
def test_ask_jsonl_contract_with_good_and_bad_lines(pipeline: object) -> None:
    lines = [
        json.dumps({"id": "q1", "question": "¿Cuántos derechohabientes tenía el IMSS al cierre de 2012?"}),
        "{not json",
        json.dumps({"id": "q3", "question": ""}),
        json.dumps({"id": "q4", "pregunta": "sin la clave question"}),
        json.dumps({"id": "q5", "question": "¿Cuántos trabajadores tenía Pemex en 2012?"}),
    ]
    result = rag("ask", "--jsonl", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "3 line(s) could not be answered" in result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["q1", None, "q3", "q4", "q5"]
    for line in out:  # every line, answered or not, has the documented keys with their types
        assert isinstance(line["answer"], str) and isinstance(line["abstained"], bool)
        assert isinstance(line["citations"], list) and isinstance(line["timings_ms"], dict)
        for citation in line["citations"]:
            _check_citation(citation)
    answered, abstained = out[0], out[4]
    assert set(answered) == {"id", *ANSWER_KEYS} and set(abstained) == {"id", *ANSWER_KEYS}
    assert not answered["abstained"] and answered["citations"] and answered["mode"] == "extractive"
    assert all(isinstance(v, float) for v in answered["timings_ms"].values()) and "total_ms" in answered["timings_ms"]
    assert abstained["abstained"] and abstained["citations"] == [] and abstained["figure"] is None
    assert set(answered["figure"]) == FIGURE_KEYS and answered["figure"]["text"] in answered["citations"][0]["quote"]
    assert answered["answer"].startswith(answered["figure"]["text"])
    for bad, says in ((out[1], "line 2: invalid JSON"), (out[2], "empty"), (out[3], "'question' must be a string")):
        assert says in bad["error"] and bad["abstained"] and bad["citations"] == [] and bad["answer"] == ""
        assert set(bad) == {"id", "error", "answer", "abstained", "citations", "timings_ms"}


def test_ask_mode_llm_without_endpoint_fails_fast_with_one_line() -> None:
    env = {k: v for k, v in ENV.items() if k != "RAG_LLM_BASE_URL"}
    command = [sys.executable, "-m", "rag.cli", "ask", "--mode", "llm", "¿Cuántos derechohabientes tenía el IMSS en 2012?"]
    result = subprocess.run(command, check=False, capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=120)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "RAG_LLM_BASE_URL" in result.stderr
