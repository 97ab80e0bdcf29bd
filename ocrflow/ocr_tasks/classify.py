"""Classify stage: the text-line angle classifier (0° or 180°), batched over all crops."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ocrflow.ocr_tasks.lanes import BatchMap, serial_map
from ocrflow.ocr_tasks.runtimes import InferenceSession
from ocrflow.ocr_tasks.textline import normalised_strip

_HEIGHT, _WIDTH = 48, 192


class LineAngleClassifier:
    def __init__(
        self, session: InferenceSession, batch_size: int, batch_map: BatchMap | None = None
    ) -> None:
        self._session = session
        self._batch_size = batch_size
        self._batch_map: BatchMap = batch_map or serial_map

    def __call__(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """Probability that each crop is upside down, shape (N,)."""
        starts = list(range(0, len(crops), self._batch_size))

        def run(start: int) -> np.ndarray:
            chunk = crops[start : start + self._batch_size]
            batch = np.stack([normalised_strip(crop, _HEIGHT, _WIDTH) for crop in chunk])
            return self._session.run(batch)[:, 1]

        upside_down = np.zeros(len(crops), dtype=np.float32)
        for start, probabilities in zip(starts, self._batch_map(run, starts), strict=True):
            upside_down[start : start + len(probabilities)] = probabilities
        return upside_down
