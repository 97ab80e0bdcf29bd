"""The OCR engine: decode pages → orient → detect → crop → classify → recognise → records.

Pages are decoded and laid out one at a time (a page image is dropped once its lines are
cut), while line crops from every page of every document in the call wait in one queue and
are recognised together, in batches sorted by width.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from ocrflow.ocr_tasks.classify import LineAngleClassifier
from ocrflow.ocr_tasks.decode import DecodeLimits, decode_document
from ocrflow.ocr_tasks.detect import DetectionParams, TextDetector
from ocrflow.ocr_tasks.errors import DocumentError, UnexpectedDocumentError
from ocrflow.ocr_tasks.geometry import crop_quad, rotate_page
from ocrflow.ocr_tasks.lanes import Lanes, lane_count
from ocrflow.ocr_tasks.memory import fix_mmap_threshold
from ocrflow.ocr_tasks.models import ModelSet, resolve_model_set
from ocrflow.ocr_tasks.orient import PageOrientation, PageOrientationClassifier
from ocrflow.ocr_tasks.pdf_text import TextLayerPage
from ocrflow.ocr_tasks.recognise import Reading, TextRecognizer, load_charset
from ocrflow.ocr_tasks.runtimes import (
    InferenceSession,
    ModelFile,
    Runtime,
    load_runtime,
    load_session,
)
from ocrflow.schemas.records import DocumentResult, LineResult, PageResult
from ocrflow.schemas.settings import OcrSettings


@dataclass(frozen=True)
class DocumentInput:
    """A document to read: its bytes and the name it is reported under."""

    source: str
    data: bytes
    open_error: DocumentError | None = None  # the bytes could not be had at all

    @classmethod
    def from_path(cls, path: Path) -> DocumentInput:
        return cls(str(path), path.read_bytes())


@dataclass
class _PendingLine:
    quad: np.ndarray
    crop: np.ndarray
    reading: Reading | None = None
    angle: int = 0
    origin: Literal["ocr", "pdf_text"] = "ocr"


@dataclass
class _PendingPage:
    number: int
    width: int
    height: int
    orientation: PageOrientation
    lines: list[_PendingLine]
    seconds: float = 0.0  # laying it out took


@dataclass
class _PendingDocument:
    source: str
    pages: list[_PendingPage] = field(default_factory=list)
    error: DocumentError | None = None
    seconds: float = 0.0
    decoded: bool = False  # every page has been decoded, or decoding stopped
    pages_in_flight: int = 0  # being laid out in the lanes
    lines_waiting: int = 0  # cut, in the queue, not read yet

    @property
    def finished(self) -> bool:
        return self.decoded and not self.pages_in_flight and not self.lines_waiting


@dataclass
class _LineQueue:
    """Line crops waiting to be recognised together, and the pixel bytes they hold."""

    pages: list[tuple[_PendingDocument, list[_PendingLine]]] = field(default_factory=list)
    lines: int = 0
    nbytes: int = 0

    def add(self, document: _PendingDocument, lines: list[_PendingLine]) -> None:
        lines = [line for line in lines if line.reading is None]  # text-layer lines are read
        self.pages.append((document, lines))
        document.lines_waiting += len(lines)
        self.lines += len(lines)
        self.nbytes += sum(line.crop.nbytes for line in lines)

    def take(self) -> list[_PendingLine]:
        """Every waiting line; the queue is left empty and its documents owe no lines."""
        taken = [line for document, lines in self.pages for line in lines]
        for document, lines in self.pages:
            document.lines_waiting -= len(lines)
        self.pages, self.lines, self.nbytes = [], 0, 0
        return taken


class OcrEngine:
    """One per worker process: sessions are loaded once and model calls run in the engine's
    lanes (see ``ocrflow.ocr_tasks.lanes``)."""

    def __init__(self, settings: OcrSettings | None = None) -> None:
        self.settings = settings or OcrSettings()
        fix_mmap_threshold(self.settings.engine.mmap_threshold_kib)
        self.model_set: ModelSet = resolve_model_set(self.settings)
        self.runtime: Runtime = load_runtime(self.settings)
        self.lanes = Lanes(lane_count(self.settings, self.runtime.concurrent_runs))
        self._limits = DecodeLimits.of(self.settings.decoding)
        self.detector = TextDetector(self._load(self.model_set.det), self._detection_params())
        self.recognizer = self._load_recognizer()
        self.classifier = (
            LineAngleClassifier(
                self._load(self.model_set.cls),
                self.settings.orientation.cls_batch_size,
                self.lanes.map,
            )
            if self.settings.orientation.line != "off"
            else None
        )
        self.orienter = (
            PageOrientationClassifier(
                self._load(self.model_set.orientation),
                self.settings.orientation.page_min_confidence,
            )
            if self.settings.orientation.page
            else None
        )

    def _load(self, model: ModelFile) -> InferenceSession:
        return load_session(self.runtime, model, self.settings)

    @property
    def decode_limits(self) -> DecodeLimits:
        return self._limits

    def _detection_params(self) -> DetectionParams:
        defaults, s = self.model_set.det_defaults, self.settings.detection
        return DetectionParams(
            max_side=s.max_side,
            min_side=s.min_side,
            thresh=s.thresh if s.thresh is not None else defaults.thresh,
            box_thresh=s.box_thresh if s.box_thresh is not None else defaults.box_thresh,
            unclip_ratio=(s.unclip_ratio if s.unclip_ratio is not None else defaults.unclip_ratio),
            max_candidates=s.max_candidates,
        )

    def _load_recognizer(self) -> TextRecognizer:
        session = self._load(self.model_set.rec)
        charset = load_charset(
            session,
            session.metadata,
            self.model_set.charset_file,
            prefer_file=self.settings.models.charset is not None,
        )
        budget = self.settings.recognition.batch_width_budget
        return TextRecognizer(
            session,
            charset,
            self.settings.recognition.batch_size,
            self.settings.recognition.short_line_width,
            # each lane holds one batch's activations at a time; 0 stays "no budget"
            budget and max(1, budget // self.lanes.count),
            self.lanes.map,
        )

    def close(self) -> None:
        """Stop the lane threads; the engine reads nothing more."""
        self.lanes.close()

    def read_paths(self, paths: Iterable[Path]) -> list[DocumentResult]:
        return self.read(DocumentInput.from_path(path) for path in paths)

    def read(self, documents: Iterable[DocumentInput]) -> list[DocumentResult]:
        """Read every document; one that cannot be read comes back failed with its reason."""
        return list(self.read_stream(documents))

    def read_stream(self, documents: Iterable[DocumentInput]) -> Iterator[DocumentResult]:
        """Each document's record, in the order given, as soon as its lines are read.

        Documents pass through a window of fixed size (see :class:`_Window`): a document's
        bytes and page images are let go once its pages are cut into lines, and its lines
        once they are read, so memory does not grow with the number of documents or pages.
        """
        window = _Window(self)
        for document in documents:
            yield from window.add(document)
            del document  # its bytes go before the next one is fetched
        yield from window.drain()

    def _decode(
        self, document: DocumentInput, pending: _PendingDocument
    ) -> Iterator[tuple[int, np.ndarray | TextLayerPage]]:
        """The document's pages, numbered; a decoding failure is recorded on ``pending``."""
        started = time.perf_counter()
        try:
            if document.open_error:
                raise document.open_error
            pages = decode_document(
                document.data, document.source, self._limits, self.settings.decoding.pdf_text
            )
            for number, page in enumerate(pages, 1):
                pending.seconds += time.perf_counter() - started
                yield number, page
                del page  # not held while the next page is decoded
                started = time.perf_counter()
        except DocumentError as error:
            pending.error = error
        except Exception as error:  # any other failure fails this document only
            pending.error = UnexpectedDocumentError.of(document.source, error)
        pending.seconds += time.perf_counter() - started

    def _collect(
        self, document: _PendingDocument, page: Future[_PendingPage], queue: _LineQueue
    ) -> None:
        document.pages_in_flight -= 1
        try:
            laid_out = page.result()
        except DocumentError as error:
            document.error = error
            return
        except Exception as error:  # an OpenCV or pyclipper error in layout: this document
            document.error = UnexpectedDocumentError.of(document.source, error)
            return
        document.pages.append(laid_out)
        document.seconds += laid_out.seconds
        queue.add(document, laid_out.lines)

    def _lay_out_page(self, number: int, page: np.ndarray) -> _PendingPage:
        started = time.perf_counter()
        orientation = self.orienter(page) if self.orienter else PageOrientation(0, 1.0)
        upright = rotate_page(page, orientation.rotation)
        quads = self.detector(upright)
        lines = [_PendingLine(quad, crop_quad(upright, quad)) for quad in quads]
        height, width = upright.shape[:2]
        seconds = time.perf_counter() - started
        return _PendingPage(number, width, height, orientation, lines, seconds)

    def _text_layer_page(self, number: int, page: TextLayerPage) -> Future[_PendingPage]:
        """A page read from its PDF text layer, as a page laid out and read (no lanes)."""
        lines = [
            _PendingLine(
                line.quad,
                _EMPTY_CROP,
                Reading(line.text, 1.0, (1.0,) * len(line.text)),
                origin="pdf_text",
            )
            for line in page.lines
        ]
        future: Future[_PendingPage] = Future()
        future.set_result(
            _PendingPage(number, page.width, page.height, PageOrientation(0, 1.0), lines)
        )
        return future

    def _read_lines(self, lines: Sequence[_PendingLine]) -> None:
        if not lines:
            return
        readings = self.recognizer([line.crop for line in lines])
        for line, reading in zip(lines, readings, strict=True):
            line.reading = reading
        if self.classifier is not None:
            self._settle_upside_down(lines)
        for line in lines:
            line.crop = _EMPTY_CROP  # the pixels are no longer needed

    def _settle_upside_down(self, lines: Sequence[_PendingLine]) -> None:
        """Flip the lines the classifier calls upside down, when the evidence agrees.

        The stock classifier turns long, correct lines over, so in ``verify`` mode a flip
        stands only when the flipped crop reads with more confidence than the original.
        """
        assert self.classifier is not None
        upside_down = self.classifier([line.crop for line in lines])
        suspects = [
            line
            for line, p in zip(lines, upside_down, strict=True)
            if p >= self.settings.orientation.cls_thresh
        ]
        if not suspects:
            return
        flipped = self.recognizer(
            [np.ascontiguousarray(line.crop[::-1, ::-1]) for line in suspects]
        )
        for line, reading in zip(suspects, flipped, strict=True):
            assert line.reading is not None
            if (
                self.settings.orientation.line == "trust"
                or reading.confidence > line.reading.confidence
            ):
                line.reading, line.angle = reading, 180

    def _to_record(self, document: _PendingDocument) -> DocumentResult:
        common = {
            "source": document.source,
            "model_set": self.model_set.name,
            "runtime": self.runtime.name,
            "seconds": document.seconds,
        }
        if document.error is not None:
            return DocumentResult(
                status="failed",
                error=document.error.reason,
                error_kind=document.error.kind,
                **common,
            )
        pages = [_page_record(page) for page in document.pages]
        return DocumentResult(pages=pages, **common)


_EMPTY_CROP = np.zeros((1, 1, 3), dtype=np.uint8)


class _Window:
    """One engine call's documents between their bytes and their records.

    At most ``lanes`` pages (of ``engine.layout_megapixels`` together) are laid out at once
    while the next is decoded, line crops wait until ``recognition.flush_lines`` lines or
    ``recognition.queue_mib`` of pixels have been cut (then they are read together, in batches
    across documents), and a document leaves as a record once its last line is read, in the
    order documents came.
    """

    def __init__(self, engine: OcrEngine) -> None:
        self._engine = engine
        self._documents: deque[_PendingDocument] = deque()
        self._in_flight: deque[tuple[_PendingDocument, Future[_PendingPage], int]] = deque()
        self._pixels_in_flight = 0
        self._pixel_budget = int(engine.settings.engine.layout_megapixels * 1_000_000)
        self._queue = _LineQueue()
        recognition = engine.settings.recognition
        self._flush_lines = recognition.flush_lines
        self._flush_bytes = recognition.queue_mib * 1024 * 1024

    def add(self, document: DocumentInput) -> Iterator[DocumentResult]:
        """Start on a document; yield the records of those that are done meanwhile."""
        pending = _PendingDocument(document.source)
        self._documents.append(pending)
        engine = self._engine
        for number, page in engine._decode(document, pending):
            pixels = page.shape[0] * page.shape[1] if isinstance(page, np.ndarray) else 0
            self._make_room(pixels)
            pending.pages_in_flight += 1
            laid_out = (
                engine._text_layer_page(number, page)
                if isinstance(page, TextLayerPage)
                else engine.lanes.submit(engine._lay_out_page, number, page)
            )
            self._in_flight.append((pending, laid_out, pixels))
            self._pixels_in_flight += pixels
            del page  # the lane holds it while laying it out, and no longer
            if self._queue.lines >= self._flush_lines or self._queue.nbytes >= self._flush_bytes:
                yield from self._recognise()
        pending.decoded = True
        yield from self._done()

    def drain(self) -> Iterator[DocumentResult]:
        """The records of every document still in the window."""
        while self._in_flight:
            self._collect_oldest()
        yield from self._recognise()
        assert not self._documents, "a document was left in the window"

    def _make_room(self, pixels: int) -> None:
        """Wait for the oldest pages until a lane is free and, when pages are in flight, the
        new one fits in ``engine.layout_megapixels`` with them: two 300 dpi A4 pages laid
        out at once cost 0.4 GB more than one at a time."""
        lanes, budget = self._engine.lanes.count, self._pixel_budget
        while self._in_flight and (
            len(self._in_flight) >= lanes or (budget and self._pixels_in_flight + pixels > budget)
        ):
            self._collect_oldest()

    def _collect_oldest(self) -> None:
        document, page, pixels = self._in_flight.popleft()
        self._pixels_in_flight -= pixels
        self._engine._collect(document, page, self._queue)

    def _recognise(self) -> Iterator[DocumentResult]:
        self._engine._read_lines(self._queue.take())
        yield from self._done()

    def _done(self) -> Iterator[DocumentResult]:
        while self._documents and self._documents[0].finished:
            yield self._engine._to_record(self._documents.popleft())


def _page_record(page: _PendingPage) -> PageResult:
    read = [line for line in page.lines if line.reading is not None and line.reading.text.strip()]
    lines = [
        LineResult(
            order=order,
            text=line.reading.text,
            confidence=line.reading.confidence,
            char_confidences=list(line.reading.char_confidences),
            polygon=[(float(x), float(y)) for x, y in line.quad],
            angle=180 if line.angle == 180 else 0,
            origin=line.origin,
        )
        for order, line in enumerate(read)
        if line.reading is not None
    ]
    return PageResult(
        number=page.number,
        width=page.width,
        height=page.height,
        orientation=page.orientation.rotation,
        orientation_confidence=page.orientation.confidence,
        lines=lines,
    )
