"""Runtime plugs: one narrow protocol (a model file in, arrays in, arrays out).

The pipeline only ever calls :func:`load_runtime` and ``Runtime.load(model).run(batch)``;
adding a runtime means adding a module here and a name to ``ocrflow.schemas.settings.RuntimeName``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ocrflow.schemas.settings import OcrSettings


@dataclass(frozen=True)
class ModelFile:
    """One model in the formats it is available in; each runtime takes the one it reads."""

    name: str
    onnx: Path | None = None
    paddle_dir: Path | None = None


class InferenceSession(Protocol):
    """A loaded model: NCHW float32 batch in, the model's first output out."""

    @property
    def metadata(self) -> Mapping[str, str]: ...

    def run(self, batch: np.ndarray) -> np.ndarray: ...


class Runtime(Protocol):
    name: str
    device: str
    # whether a loaded session's run may be called from several threads at once
    concurrent_runs: bool

    def can_load(self, model: ModelFile) -> bool: ...

    def load(self, model: ModelFile) -> InferenceSession: ...


def load_runtime(settings: OcrSettings) -> Runtime:
    if settings.engine.runtime == "paddle":
        from ocrflow.ocr_tasks.runtimes.paddle import PaddleRuntime

        return PaddleRuntime(settings)
    if settings.engine.runtime == "torch":
        from ocrflow.ocr_tasks.runtimes.torch_runtime import TorchRuntime

        return TorchRuntime(settings)
    from ocrflow.ocr_tasks.runtimes.onnx import OnnxRuntime

    return OnnxRuntime(settings)


def load_session(runtime: Runtime, model: ModelFile, settings: OcrSettings) -> InferenceSession:
    """Load with the chosen runtime; a model that exists only as ONNX (the page orientation
    model, say) runs on ONNX Runtime, which is always installed."""
    if runtime.can_load(model) or runtime.name == "onnxruntime":
        return runtime.load(model)
    from ocrflow.ocr_tasks.runtimes.onnx import OnnxRuntime

    return OnnxRuntime(settings).load(model)
