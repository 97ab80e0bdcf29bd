"""Page orientation: a whole-page 4-class model says how a scan was turned."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocrflow.ocr_tasks.runtimes import InferenceSession

_SHORT_SIDE, _CROP = 256, 224
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
_ANGLES = (0, 90, 180, 270)


@dataclass(frozen=True)
class PageOrientation:
    rotation: int  # clockwise degrees that make the page upright
    confidence: float


class PageOrientationClassifier:
    def __init__(self, session: InferenceSession, min_confidence: float) -> None:
        self._session = session
        self._min_confidence = min_confidence

    def __call__(self, page: np.ndarray) -> PageOrientation:
        scores = self._session.run(orientation_input(page))[0]
        probabilities = (
            _softmax(scores) if scores.min() < 0 or abs(scores.sum() - 1) > 1e-3 else scores
        )
        best = int(probabilities.argmax())
        confidence = float(probabilities[best])
        if confidence < self._min_confidence:
            return PageOrientation(0, confidence)
        # The model names the clockwise angle the content is turned by; undo it.
        return PageOrientation((360 - _ANGLES[best]) % 360, confidence)


def orientation_input(page: np.ndarray) -> np.ndarray:
    height, width = page.shape[:2]
    scale = _SHORT_SIDE / min(height, width)
    resized = cv2.resize(
        page,
        (max(_CROP, round(width * scale)), max(_CROP, round(height * scale))),
        interpolation=cv2.INTER_AREA,
    )
    top = (resized.shape[0] - _CROP) // 2
    left = (resized.shape[1] - _CROP) // 2
    crop = resized[top : top + _CROP, left : left + _CROP].astype(np.float32) / 255.0
    return np.ascontiguousarray(((crop - _MEAN) / _STD).transpose(2, 0, 1)[None])


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max())
    result: np.ndarray = shifted / shifted.sum()
    return result
