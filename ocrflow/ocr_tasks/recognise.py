"""Recognise stage: CRNN/SVTR line recognition with CTC greedy decoding, batched.

Crops from every page and document of a call arrive together; they are sorted by aspect
ratio so each batch pads to a similar width, then put back in their original order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocrflow.ocr_tasks.errors import ModelNotFoundError
from ocrflow.ocr_tasks.lanes import BatchMap, serial_map
from ocrflow.ocr_tasks.runtimes import InferenceSession
from ocrflow.ocr_tasks.textline import aspect_ratio, normalised_strip

_HEIGHT = 48
# PaddleOCR pads every line to at least 320 px. Recognition cost grows with the padded width
# (PP-OCRv6 small, one thread: 11 ms a line at 128 px, 34 ms at 320), and short lines ("TOTAL",
# "RM 9.00") are a third of a receipt's, so a line whose text fits ``short_width`` (setting
# ``rec_short_line_width``) is padded only to that. Lines between it and 320 keep 320: dense
# text padded tightly reads worse (measured: "brown" read "brwn" at 192 px, right at 320).
_MIN_WIDTH = 320
# Recognition time grows faster than linearly with width (a 1000:1 "line" from a 20000x20 strip
# took 25 s). Real lines stay under 40:1 (SROIE, FUNSD); wider ones are squeezed to 100:1.
_MAX_WIDTH = 100 * _HEIGHT
_WIDTH_STEP = 32
_BLANK = "<blank>"


@dataclass(frozen=True)
class Reading:
    text: str
    confidence: float
    char_confidences: tuple[float, ...]


class TextRecognizer:
    def __init__(
        self,
        session: InferenceSession,
        charset: Sequence[str],
        batch_size: int,
        short_width: int = 0,
        width_budget: int = 0,
        batch_map: BatchMap | None = None,
    ) -> None:
        self._session = session
        self._charset = np.array(list(charset), dtype=object)
        self._batch_size = batch_size
        self._short_width = short_width
        self._width_budget = width_budget
        self._batch_map: BatchMap = batch_map or serial_map

    def __call__(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        """Readings in the order of ``crops``. Crops are batched by padded width, and that
        width depends on the crop alone, so a line reads the same whatever else is in the
        call (padding to a batch's widest line would make a file's text depend on its
        neighbours in the chunk)."""
        batches = self._batches(crops)

        def read(batch: tuple[int, list[int]]) -> list[Reading]:
            # decoded in the lane: a batch's class probabilities (33 MB for 5 lines of 704 px)
            # are dropped as soon as it is read
            width, indices = batch
            strips = [normalised_strip(crops[i], _HEIGHT, width) for i in indices]
            return self.decode(self._session.run(np.stack(strips)))

        readings: list[Reading | None] = [None] * len(crops)
        for (_, indices), batch_readings in zip(
            batches, self._batch_map(read, batches), strict=True
        ):
            for index, reading in zip(indices, batch_readings, strict=True):
                readings[index] = reading
        return [r for r in readings if r is not None]

    def _batches(self, crops: Sequence[np.ndarray]) -> list[tuple[int, list[int]]]:
        """(padded width, crop indices) batches, widest first: with several lanes, the
        longest calls start early and the short ones fill the gaps at the end."""
        buckets: dict[int, list[int]] = {}
        for index, crop in enumerate(crops):
            buckets.setdefault(padded_width(crop, self._short_width), []).append(index)
        batches = []
        for width, indices in sorted(buckets.items(), reverse=True):
            size = self._lines_per_batch(width)
            batches += [(width, indices[i : i + size]) for i in range(0, len(indices), size)]
        return batches

    def _lines_per_batch(self, width: int) -> int:
        """``batch_size`` lines, fewer for wide ones so a batch's summed width stays within
        the budget: activations grow with batch x width, and the runtime keeps its largest
        buffers (300 dpi A4 pages: peak RSS 1.88 GB with 32 lines a batch, measured)."""
        if self._width_budget <= 0:
            return self._batch_size
        return max(1, min(self._batch_size, self._width_budget // width))

    def decode(self, probabilities: np.ndarray) -> list[Reading]:
        """CTC greedy decoding: best class per step, merge repeats, drop blanks."""
        best = probabilities.argmax(axis=2)
        best_prob = np.take_along_axis(probabilities, best[:, :, None], axis=2)[:, :, 0]
        repeated = np.zeros_like(best, dtype=bool)
        repeated[:, 1:] = best[:, 1:] == best[:, :-1]
        keep = (best != 0) & ~repeated
        readings = []
        for row_classes, row_probs, row_keep in zip(best, best_prob, keep, strict=True):
            chars = self._charset[row_classes[row_keep]]
            probs = row_probs[row_keep].astype(float)
            confidence = float(probs.mean()) if len(probs) else 0.0
            readings.append(Reading("".join(chars), confidence, tuple(probs.tolist())))
        return readings


def padded_width(crop: np.ndarray, short_width: int = 0) -> int:
    """The crop's width at the model's height, rounded up to a bucket of ``_WIDTH_STEP``:
    ``short_width`` when it fits in that, else at least ``_MIN_WIDTH``."""
    width = math.ceil(_HEIGHT * aspect_ratio(crop) / _WIDTH_STEP) * _WIDTH_STEP
    if width <= short_width:
        return short_width
    return min(_MAX_WIDTH, max(_MIN_WIDTH, width))


def load_charset(
    session: InferenceSession,
    metadata: Mapping[str, str],
    charset_file: Path | None,
    prefer_file: bool,
) -> list[str]:
    """Class index → character: blank first, the model's characters, then the space when the
    model has a class for it. The class count is read from a probe run, so a dictionary that
    does not fit the model is refused at load time rather than producing wrong text."""
    characters = _characters(metadata, charset_file, prefer_file)
    classes = int(session.run(np.zeros((1, 3, _HEIGHT, _MIN_WIDTH), np.float32)).shape[-1])
    charset = [_BLANK, *characters]
    if len(charset) + 1 == classes:
        charset.append(" ")
    if len(charset) != classes:
        raise ModelNotFoundError(
            f"character set has {len(characters)} characters but the model has {classes} classes"
        )
    return charset


def _characters(
    metadata: Mapping[str, str], charset_file: Path | None, prefer_file: bool
) -> list[str]:
    from_metadata = metadata.get("character")
    if charset_file is not None and (prefer_file or not from_metadata):
        return charset_file.read_text(encoding="utf-8").splitlines()
    if from_metadata:
        return from_metadata.splitlines()
    raise ModelNotFoundError("recognition model has no character set and none was given")
