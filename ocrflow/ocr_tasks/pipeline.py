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

import numpy as np

from ocrflow.ocr_tasks.classify import LineAngleClassifier
from ocrflow.ocr_tasks.decode import DecodeLimits, decode_pages
from ocrflow.ocr_tasks.detect import DetectionParams, TextDetector
from ocrflow.ocr_tasks.errors import DocumentError
from ocrflow.ocr_tasks.geometry import crop_quad, rotate_page
from ocrflow.ocr_tasks.lanes import Lanes, lane_count
from ocrflow.ocr_tasks.models import ModelSet, resolve_model_set
from ocrflow.ocr_tasks.orient import PageOrientation, PageOrientationClassifier
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


class OcrEngine:
    """One per worker process: sessions are loaded once and model calls run in the engine's
    lanes (see ``ocrflow.ocr_tasks.lanes``)."""

    def __init__(self, settings: OcrSettings | None = None) -> None:
        self.settings = settings or OcrSettings()
        self.model_set: ModelSet = resolve_model_set(self.settings)
        self.runtime: Runtime = load_runtime(self.settings)
        self.lanes = Lanes(lane_count(self.settings, self.runtime.concurrent_runs))
        self._limits = DecodeLimits(
            max_page_pixels=self.settings.decoding.max_page_pixels,
            max_pages=self.settings.decoding.max_pages,
            max_file_bytes=self.settings.decoding.max_file_bytes,
            pdf_dpi=self.settings.decoding.pdf_dpi,
        )
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
        """Read every document; one that cannot be read comes back failed with its reason.

        Pages are laid out (oriented, detected, cut into lines) in the lanes, a few ahead of
        the page being collected; their lines are recognised in batches once enough wait."""
        pending: list[_PendingDocument] = []
        in_flight: deque[tuple[_PendingDocument, Future[_PendingPage]]] = deque()
        queue: list[_PendingLine] = []
        for document in documents:
            pending.append(_PendingDocument(document.source))
            for number, page in self._decode(document, pending[-1]):
                in_flight.append((pending[-1], self.lanes.submit(self._lay_out_page, number, page)))
                while len(in_flight) > self.lanes.count:
                    self._collect(*in_flight.popleft(), queue)
                if len(queue) >= self.settings.recognition.flush_lines:
                    self._read_lines(queue)
                    queue = []
        while in_flight:
            self._collect(*in_flight.popleft(), queue)
        self._read_lines(queue)
        return [self._to_record(document) for document in pending]

    def _decode(
        self, document: DocumentInput, pending: _PendingDocument
    ) -> Iterator[tuple[int, np.ndarray]]:
        """The document's pages, numbered; a decoding failure is recorded on ``pending``."""
        started = time.perf_counter()
        try:
            if document.open_error:
                raise document.open_error
            for number, page in enumerate(
                decode_pages(document.data, document.source, self._limits), 1
            ):
                pending.seconds += time.perf_counter() - started
                yield number, page
                started = time.perf_counter()
        except DocumentError as error:
            pending.error = error
        pending.seconds += time.perf_counter() - started

    def _collect(
        self, document: _PendingDocument, page: Future[_PendingPage], queue: list[_PendingLine]
    ) -> None:
        try:
            laid_out = page.result()
        except DocumentError as error:
            document.error = error
            return
        document.pages.append(laid_out)
        document.seconds += laid_out.seconds
        queue.extend(laid_out.lines)

    def _lay_out_page(self, number: int, page: np.ndarray) -> _PendingPage:
        started = time.perf_counter()
        orientation = self.orienter(page) if self.orienter else PageOrientation(0, 1.0)
        upright = rotate_page(page, orientation.rotation)
        quads = self.detector(upright)
        lines = [_PendingLine(quad, crop_quad(upright, quad)) for quad in quads]
        height, width = upright.shape[:2]
        seconds = time.perf_counter() - started
        return _PendingPage(number, width, height, orientation, lines, seconds)

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
