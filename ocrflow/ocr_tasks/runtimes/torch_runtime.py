"""PyTorch plug (optional extra ``torch``): the ONNX files' graphs and weights run on torch.

CPU or CUDA; on CUDA in float16 by autocast where ``half_precision`` is on: convolutions
and matrix products in float16, the softmax and the powers of the layer norms in float32.
The module is named so that it does not shadow the ``torch`` package.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import numpy as np

from ocrflow.ocr_tasks.errors import ModelNotFoundError
from ocrflow.ocr_tasks.runtimes import ModelFile
from ocrflow.schemas.settings import OcrSettings

try:
    import torch

    from ocrflow.ocr_tasks.runtimes.torch_graph import (
        SUPPORTED_OPERATORS,
        OnnxGraphModule,
        load_onnx_graph,
        operators_of,
    )
except ImportError as exc:  # pragma: no cover - depends on the install
    raise RuntimeError("runtime=torch needs the extra: pip install 'ocrflow[torch]'") from exc


class TorchSession:
    def __init__(self, module: OnnxGraphModule, device: torch.device, half: bool) -> None:
        self._module = module
        self._device = device
        self._half = half

    @property
    def metadata(self) -> Mapping[str, str]:
        return self._module.metadata

    def run(self, batch: np.ndarray) -> np.ndarray:
        with torch.inference_mode(), self._precision():
            inputs = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))
            output = self._module(inputs.to(self._device))
            result: np.ndarray = output.float().cpu().numpy()
        return result

    def _precision(self) -> AbstractContextManager[object]:
        if not self._half:
            return nullcontext()
        return torch.autocast(device_type=self._device.type, dtype=torch.float16)


class TorchRuntime:
    name = "torch"
    # torch spreads each call over its own thread pool already
    concurrent_runs = False

    def __init__(self, settings: OcrSettings) -> None:
        has_cuda = torch.cuda.is_available()
        if settings.engine.device == "cuda" and not has_cuda:
            raise RuntimeError("device=cuda but torch has no CUDA device")
        self.device = "cuda" if has_cuda and settings.engine.device != "cpu" else "cpu"
        # float16 only where it pays and is checked: on the GPU. CPU runs stay float32.
        self._half = settings.engine.half_precision and self.device == "cuda"
        if settings.engine.threads:
            torch.set_num_threads(settings.engine.threads)

    def can_load(self, model: ModelFile) -> bool:
        """An ONNX file whose every operator this runtime has (the others run on ONNX
        Runtime, see :func:`ocrflow.ocr_tasks.runtimes.load_session`)."""
        if model.onnx is None or not model.onnx.is_file():
            return False
        return _operators(model.onnx.resolve(), model.onnx.stat().st_mtime_ns) <= (
            SUPPORTED_OPERATORS
        )

    def load(self, model: ModelFile) -> TorchSession:
        if model.onnx is None or not model.onnx.is_file():
            raise ModelNotFoundError(f"{model.name}: no ONNX file at {model.onnx}")
        path = model.onnx.resolve()
        module = _converted(path, path.stat().st_mtime_ns, self.device)
        return TorchSession(module, torch.device(self.device), self._half)


@functools.lru_cache(maxsize=32)
def _operators(path: Path, mtime_ns: int) -> frozenset[str]:
    return frozenset(operators_of(path))


@functools.lru_cache(maxsize=16)
def _converted(path: Path, mtime_ns: int, device: str) -> OnnxGraphModule:
    """One converted module per file (and version of it) and device, for the process: the
    conversion reads the whole file, and a module is only ever read from."""
    module = load_onnx_graph(path)
    module.to(device)
    return module
