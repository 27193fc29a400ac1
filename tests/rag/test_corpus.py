import json
import shutil
from pathlib import Path

import pytest

from rag.corpus import heading_level, load_corpus, load_manifest
from rag.errors import CorpusError
from rag.types import Block, Document
from tests.conftest import CORPUS, make_corpus

CP2012 = "cuenta-publica-2012-proteccion-social.txt"
AVANCE = "imss-programa-institucional-avance-2023-2024.txt"
CP2020 = "imss-cuenta-publica-2020.txt"
FICHA = "coneval-ficha-monitoreo-e012-2020-2021.txt"
DESEMPENO = "coneval-desempeno-issste-2024.txt"


def block_at(doc: Document, line: int) -> Block:
    return next(b for b in doc.blocks if b.span.start <= line <= b.span.end)


# --- manifest --------------------------------------------------------------


def test_manifest_lists_every_report_with_its_hash() -> None:
    metas = load_manifest(CORPUS)
    assert {m.file for m in metas} == {p.name for p in CORPUS.glob("*.txt")}
    assert all(len(m.sha256) == 64 and m.institutions and m.period for m in metas)


def test_a_report_without_manifest_entry_is_an_error_naming_the_fix(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c")
    (corpus / "nuevo-informe.txt").write_text("Hola\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"nuevo-informe\.txt has no manifest entry") as err:
        load_manifest(corpus)
    assert "rag corpus add" in err.value.hint


def test_a_changed_report_is_refused(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c")
    path = corpus / "coneval-desempeno-issste-2024.txt"
    path.write_text(path.read_text(encoding="utf-8") + "línea añadida\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="changed since it was registered"):
        load_corpus(corpus)


def test_a_missing_file_or_duplicate_id_is_an_error(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c")
    (corpus / "coneval-desempeno-issste-2024.txt").unlink()
    with pytest.raises(CorpusError, match="does not exist"):
        load_manifest(corpus)
    shutil.rmtree(corpus)
    corpus = make_corpus(tmp_path / "c")
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    manifest["documents"][1]["id"] = manifest["documents"][0]["id"]
    (corpus / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CorpusError, match="duplicate document ids"):
        load_manifest(corpus)


# --- sections and line spans, one report at a time ----------------------------


def test_cuenta_publica_2012_sections_follow_institution_parts(corpus_docs: dict[str, Document]) -> None:
    doc = corpus_docs[CP2012]
    ppe = block_at(doc, 70)
    assert ppe.kind == "list_item" and (ppe.span.start, ppe.span.end) == (70, 70)
    assert ppe.section == ("IMSS", "SITUACIÓN FINANCIERA", "AFILIACIÓN", "Programa de Primer Empleo -PPE-")
    assert block_at(doc, 198).section == ("IMSS", "POBLACIÓN DERECHOHABIENTE")
    imss_table, issste_table = block_at(doc, 250), block_at(doc, 640)
    assert (imss_table.kind, imss_table.span.start, imss_table.span.end) == ("table", 199, 297)
    assert (issste_table.kind, issste_table.span.start, issste_table.span.end) == ("table", 627, 666)
    assert imss_table.section[0] == "IMSS" and issste_table.section[0] == "ISSSTE"
    assert block_at(doc, 922).section[:2] == (
        "SNDIF",
        "PROGRAMA DE PREVENCIÓN, REHABILITACIÓN E INCLUSIÓN SOCIAL DE LAS PERSONAS CON DISCAPACIDAD Y SUS FAMILIAS",
    )


def test_a_paragraph_wrapped_over_two_lines_is_one_block(corpus_docs: dict[str, Document]) -> None:
    block = block_at(corpus_docs[CP2012], 305)
    assert (block.kind, block.span.start, block.span.end) == ("paragraph", 304, 305)
    assert block.text.startswith("Los recursos obtenidos") and "491 mil 240.0" in block.text.replace("\u00a0", " ")


def test_progress_report_sections_and_a_paragraph_across_a_page_break(corpus_docs: dict[str, Document]) -> None:
    doc = corpus_docs[AVANCE]
    para = block_at(doc, 131)
    assert (para.kind, para.span.start, para.span.end) == ("paragraph", 131, 135)  # continues after the page break
    assert para.section[:2] == (
        "3.- Avances y Resultados",
        "Objetivo prioritario 1. Coadyuvar en el acceso universal y gratuito a los servicios de salud y medicamentos de toda la población",
    )
    table = block_at(doc, 249)
    assert (table.kind, table.span.start, table.span.end) == ("table", 247, 250)
    assert table.section[-1] == "Avances de la Meta para el bienestar y Parámetros del Objetivo prioritario 1"
    strategy = block_at(doc, 1410)
    assert strategy.section[1].startswith("Objetivo prioritario 5.") and strategy.section[-1].startswith("Estrategia prioritaria 5.1.-")
    sheet = block_at(doc, 2560)
    assert sheet.kind == "heading" and sheet.section[0] == "4- Anexo." and sheet.section[-1] == "1.2 Parámetro"
    assert block_at(doc, 2526).section[-1] == "1.1 Meta para el bienestar"  # "1.1" and its kind printed on two lines


def test_cuenta_publica_2020_headings_are_flat(corpus_docs: dict[str, Document]) -> None:
    doc = corpus_docs[CP2020]
    assert block_at(doc, 38).section == ("Población derechohabiente",)
    assert block_at(doc, 50).section == ("Prestaciones económicas",)
    assert block_at(doc, 63).section == ("IMSS-BIENESTAR",)


def test_coneval_fact_sheets_sections_and_table_regions(corpus_docs: dict[str, Document]) -> None:
    ficha = corpus_docs[FICHA]
    assert block_at(ficha, 18).section == ("¿Cuáles son los resultados del programa y cómo los mide?",)
    assert (block_at(ficha, 90).span.start, block_at(ficha, 90).span.end) == (82, 101)  # a narrow column of wrapped lines
    assert block_at(ficha, 145).kind == "table"
    assert block_at(ficha, 121).text == "EL PROGRAMA O ACCIÓN NO TIENE VÍNCULO CON ALGÚN INDICADOR"
    desempeno = corpus_docs[DESEMPENO]
    assert block_at(desempeno, 58).section == ("Acción social E046",)
    assert block_at(desempeno, 86).kind == "table"


@pytest.mark.parametrize(
    "line",
    [
        "Atendió **45,168** trabajadores, familiares, pensionados y jubilados, lo que representa una cobertura del **24%",
        "40.- Las dependencias y entidades serán responsables de cumplir los programas en cuya ejecución participen.",
        "Fuente: Unidad del Programa IMSS-Bienestar, IMSS",
        "ACDO: Acuerdo",
        "Promedio de la dependencia: 122%",
        "\tSubsidios\t98.5",
    ],
)
def test_lines_once_taken_for_headings_are_body_text(line: str) -> None:
    assert heading_level(line, "Texto que sigue.", False) is None


def test_a_hard_wrapped_line_is_not_a_heading() -> None:
    assert heading_level("La planeación de las prestaciones de los", "servicios se realiza de manera independiente", False) is None


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("3.- Avances y Resultados", 1),
        ("Objetivo prioritario 2. Garantizar la calidad y cobertura de los servicios", 2),
        ("Actividades relevantes", 3),
        ("Estrategia prioritaria 1.1.- Promover a través de IMSS-BIENESTAR acciones conjuntas", 4),
        ("POBLACIÓN DERECHOHABIENTE", 5),
        ("\tAFILIACIÓN", 6),
        ("Acción social E046", 7),
        ("¿Cuáles son los resultados del programa y cómo los mide?", 7),
    ],
)
def test_heading_levels_by_style(line: str, level: int) -> None:
    assert heading_level(line, "Un párrafo que sigue al título.", False) == level


def test_every_block_carries_its_exact_lines(corpus_docs: dict[str, Document]) -> None:
    for doc in corpus_docs.values():
        for block in doc.blocks:
            source_text = doc.text_at(block.span.start, block.span.end)
            if block.kind == "heading":
                assert " ".join(source_text.split()).strip("* ") == block.text or block.text in " ".join(source_text.split())
            else:
                assert block.text.strip() in source_text


def test_register_adds_a_report_that_the_next_load_picks_up(tmp_path: Path) -> None:
    from rag.corpus import register

    corpus = make_corpus(tmp_path / "c")
    report = tmp_path / "informe-dif-2013.md"
    report.write_text("# Informe\n\nEl SNDIF otorgó 1 234 consultas en 2013.\n", encoding="utf-8")
    entry = {"id": "dif-2013", "title": "Informe DIF 2013", "institutions": ["SNDIF"], "period": "2013", "publisher": "SNDIF"}
    register(corpus, report, entry)
    docs = {d.meta.id: d for d in load_corpus(corpus)}
    assert docs["dif-2013"].meta.source == "corpus/informe-dif-2013.md"
    with pytest.raises(CorpusError, match="already"):
        register(corpus, report, entry)
    report.write_text("# Informe\n\nEl SNDIF otorgó 2 000 consultas en 2013.\n", encoding="utf-8")
    register(corpus, report, {}, update=True)
    assert "2 000" in load_corpus(corpus)[-1].lines[2]
