"""The chat widget in Debian's Chromium (Playwright, headless), against the real server.

Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from rag.settings import PROJECT_ROOT
from tests.api.conftest import Server, free_port
from tests.api.questions import EXAMPLE, digits, questions

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ANSWER_TIMEOUT_MS = 60_000
# A host page that would break a widget living in the page's own DOM: shadow DOM keeps it out.
HOSTILE_CSS = "button { display: none !important; } * { font-size: 40px !important; color: red !important; }"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (Debian's package; no browser downloads)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="es-MX")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, errors  # no JavaScript exceptions, whatever the test did


@pytest.fixture(scope="session")
def other_origin(tmp_path_factory: pytest.TempPathFactory, server: Server, page_origin: str) -> Iterator[str]:
    """A static site on another port (another origin) whose pages embed the widget with one script tag."""
    root = tmp_path_factory.mktemp("site")
    tag = f'<script src="{server.url}/widget.js" data-endpoint="{server.url}"></script>'
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there: the service is "down"
    down_tag = f'<script src="{server.url}/widget.js" data-endpoint="{closed}"></script>'
    page_html = '<!doctype html><html lang="es"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
    page_html += "<title>Sitio de prueba</title><style>{css}</style></head><body><h1>Otro sitio</h1><p>Contenido del sitio.</p>{tag}</body></html>"
    (root / "embed.html").write_text(page_html.format(css=HOSTILE_CSS, tag=tag), encoding="utf-8")
    (root / "down.html").write_text(page_html.format(css="", tag=down_tag), encoding="utf-8")
    port = urlparse(page_origin).port
    site = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    yield page_origin
    site.shutdown()
    site.server_close()


def ask(page: Page, question: str) -> None:
    box = page.get_by_label("Pregunta")
    box.fill(question)
    box.press("Enter")
    page.locator(".answer").last.wait_for(timeout=ANSWER_TIMEOUT_MS)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / name), full_page=False)


def test_the_page_answers_with_numbered_sources(page: Page, server: Server) -> None:
    page.goto(server.url + "/")
    expect(page.get_by_role("heading", name="Preguntas sobre informes de seguridad social")).to_be_visible()
    ask(page, EXAMPLE)
    answer = page.locator(".answer").last
    sources = answer.locator("button.source")
    expect(sources.first).to_be_visible()
    assert sources.count() >= 1
    assert sources.first.inner_text().startswith("[1] ")
    served = httpx.post(f"{server.url}/ask", json={"question": EXAMPLE}, timeout=60).json()
    expect(answer.locator(".text")).to_have_text(served["answer"])
    assert served["answer"].startswith(served["figure"]["text"])
    expect(answer.locator(".text strong.figure")).to_have_text(served["figure"]["text"])  # the figure first, in bold
    assert page.locator("[role=log][aria-live=polite] .answer").count() == 1  # announced to screen readers
    shot(page, "widget-answer.png")


def test_clicking_a_source_shows_the_cited_lines_with_the_figure_highlighted(page: Page, server: Server) -> None:
    page.goto(server.url + "/")
    ask(page, EXAMPLE)
    answer_text = page.locator(".answer .text").last.inner_text()
    source = page.locator(".answer button.source").first
    source.click()
    viewer = page.get_by_role("dialog")
    expect(viewer).to_be_visible()
    cited = viewer.locator(".lines li.cited")
    expect(cited.first).to_be_visible()
    first, last = (int(n) for n in re.findall(r"(\d+)–(\d+)", source.inner_text())[-1])
    assert cited.count() == last - first + 1
    assert viewer.locator(".lines li").count() > cited.count()  # with context lines around
    figures = viewer.locator("mark.figure").all_inner_texts()
    assert figures and all(digits(f) <= digits(answer_text) for f in figures)
    shot(page, "widget-source.png")
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(source).to_be_focused()  # focus returns where it was


def test_keyboard_only_ask_open_a_source_and_close_it(page: Page, server: Server) -> None:
    page.goto(server.url + "/")
    page.get_by_label("Pregunta").focus()
    page.keyboard.type(EXAMPLE)
    page.keyboard.press("Enter")
    source = page.locator(".answer button.source").first
    source.wait_for(timeout=ANSWER_TIMEOUT_MS)
    source.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog").locator(".lines li.cited").first).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()


def table_question_with_a_year_series(server: Server) -> tuple[str, dict]:
    """A gold table question answered from a table row that has figures for two or more years."""
    for question in questions("table", 40):
        for citation in httpx.post(f"{server.url}/ask", json={"question": question}, timeout=60).json()["citations"]:
            if not citation["table"]:
                continue
            table = httpx.get(f"{server.url}/tables/{citation['table']['id']}", timeout=30).json()
            row = next((r for r in table["row_labels"] if citation["table"]["row"].endswith(r["label"])), None)
            values = {c["column"] for c in table["cells"] if row and c["row"] == row["index"] and c["value"] is not None}
            years = {m.group() for h in table["column_headers"] if h["index"] in values and (m := re.search(r"\b(19|20)\d\d\b", h["label"]))}
            if len(years) >= 2:
                return question, citation
    pytest.fail("no gold table question was answered from a row with a series over years")


def test_a_table_answer_shows_the_row_and_a_chart(page: Page, server: Server) -> None:
    question, citation = table_question_with_a_year_series(server)
    page.goto(server.url + "/")
    ask(page, question)
    block = page.locator(".answer").last.locator(".table-answer")
    expect(block.locator("table")).to_be_visible()
    expect(block.locator("th[scope=row]")).to_have_text(citation["table"]["row"])
    expect(block.locator("td.cited").first).to_be_visible()
    assert digits(block.locator("td.cited").first.inner_text()) <= digits(citation["quote"])
    expect(block.locator("svg.chart")).to_be_visible()
    assert block.locator("svg.chart rect.bar").count() >= 2
    shot(page, "widget-table.png")


def test_an_abstention_says_so_and_shows_the_closest_sources(page: Page, server: Server) -> None:
    abstaining = [q for q in questions("unanswerable", 6) if httpx.post(f"{server.url}/ask", json={"question": q}, timeout=60).json()["abstained"]]
    assert abstaining, "no gold unanswerable question abstained"
    page.goto(server.url + "/")
    ask(page, abstaining[0])
    answer = page.locator(".answer").last
    expect(answer).to_have_class(re.compile(r"\babstained\b"))
    expect(answer.locator(".sources-title")).to_have_text("Fuentes más cercanas:")
    assert answer.locator("button.source").count() >= 1
    shot(page, "widget-abstained.png")


def test_embedded_on_another_origin_with_one_script_tag(page: Page, other_origin: str) -> None:
    page.goto(f"{other_origin}/embed.html")
    launcher = page.get_by_role("button", name="Preguntar")
    expect(launcher).to_be_visible()  # the host page hides every button of its own; not ours
    launcher.click()
    ask(page, EXAMPLE)
    answer = page.locator(".answer").last
    expect(answer.locator("button.source").first).to_be_visible()
    font_size = answer.locator(".text").evaluate("node => getComputedStyle(node).fontSize")
    assert font_size == "15px"  # the host page's CSS did not leak in
    answer.locator("button.source").first.click()
    expect(page.get_by_role("dialog").locator(".lines li.cited").first).to_be_visible()
    shot(page, "widget-embedded.png")


def test_phone_width(browser: Browser, server: Server, other_origin: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True)
    phone = context.new_page()
    try:
        phone.goto(server.url + "/")
        ask(phone, EXAMPLE)
        source = phone.locator(".answer button.source").first
        expect(source).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # nothing sticks out sideways
        box = source.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
        shot(phone, "widget-phone.png")
        source.click()
        viewer = phone.get_by_role("dialog").locator(".viewer-box")
        expect(viewer).to_be_visible()
        viewer_box = viewer.bounding_box()
        assert viewer_box is not None and viewer_box["width"] <= 360
        shot(phone, "widget-phone-source.png")
        phone.goto(f"{other_origin}/embed.html")
        phone.get_by_role("button", name="Preguntar").click()
        panel = phone.locator("section.panel").bounding_box()
        assert panel is not None and panel["width"] == 360  # the floating panel takes the whole screen
    finally:
        context.close()


def test_the_service_down_is_said_clearly(page: Page, other_origin: str) -> None:
    page.goto(f"{other_origin}/down.html")
    page.get_by_role("button", name="Preguntar").click()
    box = page.get_by_label("Pregunta")
    box.fill(EXAMPLE)
    box.press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("No se pudo conectar con el servicio")
    shot(page, "widget-down.png")


def test_a_5xx_is_said_clearly(page: Page, server: Server) -> None:
    body = '{"error": {"code": "index_stale", "message": "x", "hint": ""}}'
    page.route("**/ask", lambda route: route.fulfill(status=503, content_type="application/json", body=body))
    page.goto(server.url + "/")
    box = page.get_by_label("Pregunta")
    box.fill(EXAMPLE)
    box.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("no está disponible")
    expect(page.get_by_role("alert")).to_contain_text("503")


def test_the_conversation_stays_on_the_page(page: Page, server: Server) -> None:
    page.goto(server.url + "/")
    asked = [EXAMPLE, *questions("table", 1)]
    for question in asked:
        ask(page, question)
    expect(page.locator(".message.user")).to_have_count(len(asked))
    expect(page.locator(".answer")).to_have_count(len(asked))
    assert page.locator(".message.user").all_inner_texts() == asked
