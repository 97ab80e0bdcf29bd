"""Detect stage: the DB text detector. Page in, text-line quadrilaterals out.

The probability map is computed on a copy shrunk to ``max_side``; boxes are scaled back to
the full-resolution page so that lines are cut from the original pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pyclipper

from ocrflow.ocr_tasks.geometry import order_corners, reading_order
from ocrflow.ocr_tasks.runtimes import InferenceSession

_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
_STRIDE = 32
_MIN_BOX_SIDE = 3


@dataclass(frozen=True)
class DetectionParams:
    max_side: int
    min_side: int
    thresh: float
    box_thresh: float
    unclip_ratio: float
    max_candidates: int


class TextDetector:
    def __init__(self, session: InferenceSession, params: DetectionParams) -> None:
        self._session = session
        self._params = params

    def __call__(self, page: np.ndarray) -> np.ndarray:
        """Quadrilaterals (N, 4, 2) float32 in page pixels, in reading order."""
        batch = detection_input(page, self._params.max_side, self._params.min_side)
        probability = self._session.run(batch)[0, 0]
        quads = boxes_from_probability(probability, page.shape[:2], self._params)
        return quads[reading_order(quads)] if len(quads) else quads


def detection_input(page: np.ndarray, max_side: int, min_side: int = 0) -> np.ndarray:
    """Scale so the longer side is at most ``max_side`` and, for small images, the shorter
    side at least ``min_side`` (never past ``max_side``); round to the stride; normalise."""
    height, width = page.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    if min(height, width) * scale < min_side:
        scale = min(min_side / min(height, width), max_side / max(height, width))
    target_h = max(_STRIDE, round(height * scale / _STRIDE) * _STRIDE)
    target_w = max(_STRIDE, round(width * scale / _STRIDE) * _STRIDE)
    resized = cv2.resize(page, (target_w, target_h), interpolation=cv2.INTER_LINEAR)
    normalised = (resized.astype(np.float32) * (1.0 / 255.0) - _MEAN) / _STD
    return np.ascontiguousarray(normalised.transpose(2, 0, 1)[None])


def boxes_from_probability(
    probability: np.ndarray, page_shape: tuple[int, ...], params: DetectionParams
) -> np.ndarray:
    """DB post-processing: binarise, score each region, unclip, scale to the page."""
    map_h, map_w = probability.shape
    page_h, page_w = page_shape[:2]
    bitmap = (probability > params.thresh).astype(np.uint8)
    contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    scale = np.array([page_w / map_w, page_h / map_h], dtype=np.float32)
    limits = np.array([page_w, page_h], dtype=np.float32)
    quads = []
    for contour in contours[: params.max_candidates]:
        quad = _region_to_quad(contour, probability, params)
        if quad is None:
            continue
        quad = np.clip(np.round(quad * scale), 0, limits)
        if _short_side(quad) > _MIN_BOX_SIDE:
            quads.append(quad)
    return np.array(quads, dtype=np.float32).reshape(-1, 4, 2)


def _region_to_quad(
    contour: np.ndarray, probability: np.ndarray, params: DetectionParams
) -> np.ndarray | None:
    quad, short_side = _min_area_quad(contour)
    if short_side < _MIN_BOX_SIDE:
        return None
    if _mean_score(probability, quad) < params.box_thresh:
        return None
    expanded = _unclip(quad, params.unclip_ratio)
    if expanded is None:
        return None
    quad, short_side = _min_area_quad(expanded)
    if short_side < _MIN_BOX_SIDE + 2:
        return None
    return quad


def _min_area_quad(points: np.ndarray) -> tuple[np.ndarray, float]:
    rect = cv2.minAreaRect(points.reshape(-1, 1, 2).astype(np.float32))
    return order_corners(cv2.boxPoints(rect)), float(min(rect[1]))


def _mean_score(probability: np.ndarray, quad: np.ndarray) -> float:
    height, width = probability.shape
    x0, y0 = np.clip(np.floor(quad.min(axis=0)).astype(int), 0, [width - 1, height - 1])
    x1, y1 = np.clip(np.ceil(quad.max(axis=0)).astype(int), 0, [width - 1, height - 1])
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), dtype=np.uint8)
    cv2.fillPoly(mask, [(quad - [x0, y0]).astype(np.int32)], 1)
    return float(cv2.mean(probability[y0 : y1 + 1, x0 : x1 + 1], mask)[0])


def _unclip(quad: np.ndarray, ratio: float) -> np.ndarray | None:
    """Grow the shrunk text kernel back to the full line (DB's offset by area/perimeter)."""
    area = abs(float(cv2.contourArea(quad)))
    perimeter = float(cv2.arcLength(quad.reshape(-1, 1, 2), True))
    if perimeter == 0:
        return None
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(quad.astype(np.int64).tolist(), pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    expanded = offset.Execute(area * ratio / perimeter)
    if len(expanded) != 1:
        return None
    return np.array(expanded[0], dtype=np.float32)


def _short_side(quad: np.ndarray) -> float:
    width = float(np.linalg.norm(quad[0] - quad[1]))
    height = float(np.linalg.norm(quad[0] - quad[3]))
    return min(width, height)
