"""Classify stage: the text-line angle classifier (0° or 180°), batched over all crops."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ocr_tasks.runtimes import InferenceSession
from ocr_tasks.textline import normalised_strip

_HEIGHT, _WIDTH = 48, 192


class LineAngleClassifier:
    def __init__(self, session: InferenceSession, batch_size: int) -> None:
        self._session = session
        self._batch_size = batch_size

    def __call__(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """Probability that each crop is upside down, shape (N,)."""
        upside_down = np.zeros(len(crops), dtype=np.float32)
        for start in range(0, len(crops), self._batch_size):
            chunk = crops[start : start + self._batch_size]
            batch = np.stack([normalised_strip(crop, _HEIGHT, _WIDTH) for crop in chunk])
            upside_down[start : start + len(chunk)] = self._session.run(batch)[:, 1]
        return upside_down
