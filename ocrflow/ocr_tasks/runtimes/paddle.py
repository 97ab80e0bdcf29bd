"""Paddle Inference plug (optional extra ``paddle``): paddlepaddle on CPU, -gpu on CUDA."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ocrflow.ocr_tasks.errors import ModelNotFoundError
from ocrflow.ocr_tasks.runtimes import ModelFile
from ocrflow.schemas.settings import OcrSettings

# oneDNN caches one compiled kernel set per input shape; unbounded, a day of varied page
# sizes grows the process to many GB. Ten shapes is what PaddleX uses.
_MKLDNN_CACHE_SHAPES = 10


class PaddleSession:
    def __init__(self, predictor: Any) -> None:
        self._predictor = predictor
        self._input = predictor.get_input_handle(predictor.get_input_names()[0])
        self._output = predictor.get_output_handle(predictor.get_output_names()[0])

    @property
    def metadata(self) -> Mapping[str, str]:
        return {}

    def run(self, batch: np.ndarray) -> np.ndarray:
        self._input.reshape(batch.shape)
        self._input.copy_from_cpu(np.ascontiguousarray(batch))
        self._predictor.run()
        result: np.ndarray = self._output.copy_to_cpu()
        # The predictor keeps every intermediate tensor of every input shape it has seen
        # (~0.6 GB per recognition batch width on CPU, 16 GB on two A4 pages); dropping
        # them after each run bounds RSS near that of one run, and is faster for it.
        self._predictor.clear_intermediate_tensor()
        return result


class PaddleRuntime:
    name = "paddle"
    # a Paddle predictor is not thread-safe
    concurrent_runs = False

    def __init__(self, settings: OcrSettings) -> None:
        try:
            import paddle
            from paddle import inference
        except ImportError as exc:
            raise RuntimeError(
                "runtime=paddle needs the extra: pip install 'ocrflow[paddle]'"
            ) from exc
        self._inference = inference
        has_cuda = (
            bool(paddle.device.is_compiled_with_cuda()) and paddle.device.cuda.device_count() > 0
        )
        if settings.engine.device == "cuda" and not has_cuda:
            raise RuntimeError("device=cuda but paddlepaddle has no CUDA device")
        self.device = "cuda" if has_cuda and settings.engine.device != "cpu" else "cpu"
        self._threads = settings.engine.threads or 2

    def can_load(self, model: ModelFile) -> bool:
        return model.paddle_dir is not None and model.paddle_dir.is_dir()

    def load(self, model: ModelFile) -> PaddleSession:
        model_dir = model.paddle_dir
        if model_dir is None or not model_dir.is_dir():
            raise ModelNotFoundError(f"{model.name}: no Paddle inference model at {model_dir}")
        config = self._inference.Config(*_model_files(model_dir))
        if self.device == "cuda":
            config.enable_use_gpu(256, 0)
        else:
            config.disable_gpu()
            config.enable_mkldnn()
            config.set_mkldnn_cache_capacity(_MKLDNN_CACHE_SHAPES)
            config.set_cpu_math_library_num_threads(self._threads)
        config.enable_memory_optim()
        config.disable_glog_info()
        return PaddleSession(self._inference.create_predictor(config))


def _model_files(model_dir: Path) -> tuple[str, str]:
    params = model_dir / "inference.pdiparams"
    for graph in ("inference.json", "inference.pdmodel"):
        if (model_dir / graph).is_file():
            return str(model_dir / graph), str(params)
    raise ModelNotFoundError(f"no inference.json or inference.pdmodel in {model_dir}")
