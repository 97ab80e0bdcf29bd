"""PDF pages born digital are read from their text layer, scanned ones are OCR'd
(``decoding.pdf_text``: auto, ocr, text)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from ocrflow.bench.born_digital import PageSpec, TextRun, pdf_document
from ocrflow.ocr_tasks.pdf_text import read_text_layer
from ocrflow.ocr_tasks.pipeline import DocumentInput, OcrEngine
from ocrflow.ocr_tasks.store import DocumentStore, database_engine
from ocrflow.schemas.records import DocumentResult, LineResult
from ocrflow.schemas.settings import settings_with
from ocrflow.schemas.tables import LineRow
from tests.images import printed_text

TEXTS = ("INVOICE NO 12345", "Total due", "99.50 EUR")
BORN_DIGITAL = PageSpec(
    width=420,
    height=200,
    texts=(
        TextRun(TEXTS[0], x=36, top=30, size=16),
        TextRun(TEXTS[1], x=36, top=90, size=14),
        TextRun(TEXTS[2], x=300, top=90, size=14),
    ),
)
SCANNED_TEXT = "SCANNED PAGE 2024"
SCANNED = PageSpec(width=300, height=60, image=np.asarray(printed_text(SCANNED_TEXT)))


class CountingDetector:
    """The engine's detector, counting its calls: a page read from its text layer has none."""

    def __init__(self, engine: OcrEngine) -> None:
        self.detect = engine.detector
        self.calls = 0

    def __call__(self, page: np.ndarray) -> np.ndarray:
        self.calls += 1
        return self.detect(page)


@pytest.fixture
def detector(engine: OcrEngine, monkeypatch: pytest.MonkeyPatch) -> CountingDetector:
    counting = CountingDetector(engine)
    monkeypatch.setattr(engine, "detector", counting)
    return counting


def _engine(mode: str) -> Iterator[OcrEngine]:
    engine = OcrEngine(settings_with({"decoding.pdf_text": mode}))
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def ocr_engine() -> Iterator[OcrEngine]:
    yield from _engine("ocr")


@pytest.fixture(scope="module")
def text_engine() -> Iterator[OcrEngine]:
    yield from _engine("text")


def read(engine: OcrEngine, *pages: PageSpec) -> DocumentResult:
    [result] = engine.read([DocumentInput("doc.pdf", pdf_document(pages))])
    assert result.status == "done", result.error
    return result


def texts(lines: list[LineResult]) -> list[str]:
    return [line.text for line in lines]


def test_the_default_is_auto(engine: OcrEngine) -> None:
    assert engine.settings.decoding.pdf_text == "auto"


def test_a_born_digital_page_is_read_from_its_text_layer_without_ocr(
    engine: OcrEngine, detector: CountingDetector
) -> None:
    [page] = read(engine, BORN_DIGITAL).pages
    assert detector.calls == 0
    assert texts(page.lines) == list(TEXTS)  # in reading order: rows, then left to right
    assert {line.origin for line in page.lines} == {"pdf_text"}
    assert all(line.confidence == 1.0 for line in page.lines)
    scale = engine.settings.decoding.pdf_dpi / 72
    assert (page.width, page.height) == (round(420 * scale), round(200 * scale))


def test_text_layer_polygons_lie_where_ocr_finds_the_lines(
    engine: OcrEngine, ocr_engine: OcrEngine
) -> None:
    [from_text] = read(engine, BORN_DIGITAL).pages
    [from_ocr] = read(ocr_engine, BORN_DIGITAL).pages
    assert {line.origin for line in from_ocr.lines} == {"ocr"}
    assert (from_text.width, from_text.height) == (from_ocr.width, from_ocr.height)
    ocr_by_text = {line.text: line for line in from_ocr.lines}
    for line in from_text.lines:
        ocr_line = ocr_by_text[line.text]
        assert np.allclose(_centre(line), _centre(ocr_line), atol=8)
        # the detector's boxes are looser (unclipped) than the glyphs' own
        assert _height(ocr_line) * 0.5 < _height(line) <= _height(ocr_line) * 1.2


def _centre(line: LineResult) -> np.ndarray:
    centre: np.ndarray = np.asarray(line.polygon).mean(axis=0)
    return centre


def _height(line: LineResult) -> float:
    ys = np.asarray(line.polygon)[:, 1]
    return float(ys.max() - ys.min())


def test_a_scanned_page_is_ocrd_in_auto(engine: OcrEngine, detector: CountingDetector) -> None:
    [page] = read(engine, SCANNED).pages
    assert detector.calls == 1
    assert texts(page.lines) == [SCANNED_TEXT]
    assert page.lines[0].origin == "ocr"


def test_a_hidden_ocr_layer_under_a_scan_is_not_trusted_in_auto(
    engine: OcrEngine, detector: CountingDetector, text_engine: OcrEngine
) -> None:
    hidden = TextRun("WRONG TEXT FROM AN OLD OCR", x=10, top=10, size=10, invisible=True)
    scan_with_layer = PageSpec(width=300, height=60, image=SCANNED.image, texts=(hidden,))
    [page] = read(engine, scan_with_layer).pages
    assert detector.calls == 1 and texts(page.lines) == [SCANNED_TEXT]
    # text mode takes the layer as it is, hidden or not
    assert texts(read(text_engine, scan_with_layer).pages[0].lines) == [hidden.text]


def test_pdf_text_ocr_always_ocrs(ocr_engine: OcrEngine) -> None:
    counting = CountingDetector(ocr_engine)
    ocr_engine.detector = counting  # type: ignore[assignment]
    try:
        [page] = read(ocr_engine, BORN_DIGITAL).pages
    finally:
        ocr_engine.detector = counting.detect
    assert counting.calls == 1
    assert sorted(texts(page.lines)) == sorted(TEXTS)
    assert {line.origin for line in page.lines} == {"ocr"}


def test_pdf_text_text_leaves_a_scanned_page_empty(text_engine: OcrEngine) -> None:
    [page] = read(text_engine, SCANNED).pages
    assert page.lines == [] and page.width > 0


def test_a_mixed_pdf_takes_both_paths(engine: OcrEngine, detector: CountingDetector) -> None:
    typed, scanned = read(engine, BORN_DIGITAL, SCANNED).pages
    assert detector.calls == 1
    assert [typed.number, scanned.number] == [1, 2]
    assert {line.origin for line in typed.lines} == {"pdf_text"}
    assert texts(typed.lines) == list(TEXTS)
    assert [(line.text, line.origin) for line in scanned.lines] == [(SCANNED_TEXT, "ocr")]


def test_pages_keep_their_order_among_documents_in_one_call(engine: OcrEngine) -> None:
    documents = [
        DocumentInput(name, pdf_document(pages))
        for name, pages in [
            ("a.pdf", [SCANNED, BORN_DIGITAL]),
            ("b.pdf", [BORN_DIGITAL]),
            ("c.pdf", [SCANNED, SCANNED]),
        ]
    ]
    results = engine.read(documents)
    assert [result.source for result in results] == ["a.pdf", "b.pdf", "c.pdf"]
    origins = [[page.lines[0].origin for page in result.pages] for result in results]
    assert origins == [["ocr", "pdf_text"], ["pdf_text"], ["ocr", "ocr"]]


def _layer(spec: PageSpec, mode: str = "auto") -> list[str] | None:
    pdf = pdfium.PdfDocument(pdf_document([spec]))
    try:
        layer = read_text_layer(pdf[0], 200 / 72, mode)  # type: ignore[arg-type]
    finally:
        pdf.close()
    return None if layer is None else [line.text for line in layer.lines]


def test_a_page_with_a_few_characters_only_is_ocrd() -> None:
    page_number = PageSpec(texts=(TextRun("Page 2", x=500, top=760, size=9),))
    assert _layer(page_number) is None
    assert _layer(page_number, "text") == ["Page 2"]


def test_garbage_text_is_ocrd() -> None:
    # what a font without a ToUnicode map extracts as: control and private-use code points
    garbage = PageSpec(texts=(TextRun("\x03\x04\x05\x06\x07\x08\x0b\x0e\x0f\x10\x11", 36, 36),))
    assert _layer(garbage) is None


def test_columns_far_apart_are_separate_lines() -> None:
    row = PageSpec(texts=(TextRun("Subtotal", 36, 36), TextRun("12.00", 300, 36)))
    assert _layer(row) == ["Subtotal", "12.00"]
    near = PageSpec(texts=(TextRun("Subtotal", 36, 36), TextRun("12.00 EUR", 100, 36)))
    assert _layer(near) == ["Subtotal 12.00 EUR"]


def test_the_store_keeps_each_lines_origin(engine: OcrEngine, tmp_path: Path) -> None:
    result = read(engine, BORN_DIGITAL, SCANNED).model_copy(update={"origin": None})
    url = f"sqlite:///{tmp_path / 'lines.db'}"
    DocumentStore(url).save(result)  # migrated from scratch: the column comes from 0004
    with database_engine(url).connect() as connection:
        rows = connection.execute(
            select(LineRow.page, LineRow.origin).order_by(LineRow.page, LineRow.line_order)
        ).all()
    assert [tuple(row) for row in rows] == [(1, "pdf_text")] * 3 + [(2, "ocr")]
