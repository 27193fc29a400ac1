"""GET /documents and /documents/{id}/lines: the manifest, the lines of citations, and nothing outside corpus/."""

import json

import httpx
import pytest

from rag.settings import PROJECT_ROOT
from tests.api.conftest import assert_error
from tests.api.questions import EXAMPLE

pytestmark = pytest.mark.slow
MANIFEST = json.loads((PROJECT_ROOT / "corpus" / "manifest.json").read_text(encoding="utf-8"))


def test_documents_are_the_corpus_manifest(client: httpx.Client) -> None:
    documents = client.get("/documents").json()
    assert {d["id"] for d in documents} == {d["id"] for d in MANIFEST["documents"]}
    for doc in documents:
        entry = next(e for e in MANIFEST["documents"] if e["id"] == doc["id"])
        assert {k: doc[k] for k in ("title", "file", "sha256", "period", "publisher")} == {
            k: entry[k] for k in ("title", "file", "sha256", "period", "publisher")
        }
        assert doc["source"] == f"corpus/{entry['file']}"
        assert doc["lines"] == len((PROJECT_ROOT / doc["source"]).read_text(encoding="utf-8").splitlines())


def test_cited_lines_can_be_opened_and_hold_the_quote(client: httpx.Client) -> None:
    by_source = {d["source"]: d["id"] for d in client.get("/documents").json()}
    citation = client.post("/ask", json={"question": EXAMPLE}).json()["citations"][0]
    first, last = citation["lines"]
    page = client.get(f"/documents/{by_source[citation['source']]}/lines", params={"start": first, "end": last}).json()
    assert (page["start"], page["end"]) == (first, last)
    assert [line["number"] for line in page["lines"]] == list(range(first, last + 1))
    assert " ".join(citation["quote"].split()) in " ".join(" ".join(line["text"] for line in page["lines"]).split())


def test_lines_match_the_file_byte_for_byte(client: httpx.Client) -> None:
    doc = client.get("/documents").json()[0]
    page = client.get(f"/documents/{doc['id']}/lines", params={"start": 1, "end": min(40, doc["lines"])}).json()
    assert [line["text"] for line in page["lines"]] == (PROJECT_ROOT / doc["source"]).read_text(encoding="utf-8").splitlines()[:40]


def test_defaults_and_the_last_line(client: httpx.Client) -> None:
    doc = min(client.get("/documents").json(), key=lambda d: d["lines"])
    whole = client.get(f"/documents/{doc['id']}/lines").json()
    assert (whole["start"], whole["end"], whole["total"]) == (1, doc["lines"], doc["lines"])
    last = client.get(f"/documents/{doc['id']}/lines", params={"start": doc["lines"], "end": doc["lines"]}).json()
    assert len(last["lines"]) == 1


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"start": 0}, "invalid_request"),
        ({"start": -5}, "invalid_request"),
        ({"start": "uno"}, "invalid_request"),
        ({"start": 10, "end": 5}, "bad_range"),
        ({"start": 1, "end": 10**9}, "bad_range"),
        ({"start": 10**6}, "bad_range"),
        ({"start": 1, "end": 2000}, "bad_range"),
    ],
)
def test_a_line_range_out_of_bounds_is_422(client: httpx.Client, params: dict, code: str) -> None:
    doc = next(d for d in client.get("/documents").json() if d["lines"] > 2000)
    assert_error(client.get(f"/documents/{doc['id']}/lines", params=params), 422, code)


def test_an_unknown_document_is_404(client: httpx.Client) -> None:
    assert_error(client.get("/documents/no-such-report/lines"), 404, "not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/documents/..%2F..%2Fetc%2Fpasswd/lines",
        "/documents/../../etc/passwd/lines",
        "/documents/%2e%2e%2f%2e%2e%2fetc%2fpasswd/lines",
        "/documents/..%252F..%252Fetc%252Fpasswd/lines",
        "/documents/%2Fetc%2Fpasswd/lines",
        "/documents/manifest.json/lines",
        "/documents/cuenta-publica-2012-proteccion-social.txt/lines",
        "/documents/..%5C..%5Cetc%5Cpasswd/lines",
    ],
)
def test_path_traversal_reaches_nothing(server: object, path: str) -> None:
    # Raw paths: httpx would normalise "..", the point is to send them as an attacker would.
    url = httpx.URL(server.url).copy_with(raw_path=path.encode())  # type: ignore[attr-defined]
    response = httpx.get(url, params={"start": 1, "end": 1})
    assert_error(response, 404)
    assert "root:" not in response.text
