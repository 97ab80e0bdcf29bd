"""Line-crop preprocessing shared by the angle classifier and the recogniser."""

from __future__ import annotations

import math

import cv2
import numpy as np


def normalised_strip(crop: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a crop to ``height`` keeping its aspect (at most ``width``), scale to [-1, 1],
    and pad on the right with zeros to ``width``. Returns CHW float32."""
    crop_h, crop_w = crop.shape[:2]
    resized_w = min(width, max(1, math.ceil(height * crop_w / max(crop_h, 1))))
    resized = cv2.resize(crop, (resized_w, height), interpolation=cv2.INTER_LINEAR)
    strip = np.zeros((3, height, width), dtype=np.float32)
    strip[:, :, :resized_w] = resized.transpose(2, 0, 1) * (2.0 / 255.0) - 1.0
    return strip


def aspect_ratio(crop: np.ndarray) -> float:
    return float(crop.shape[1]) / max(int(crop.shape[0]), 1)
