"""ONNX Runtime plug: CPU by default, the CUDA provider when onnxruntime-gpu is installed."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import onnxruntime as ort

from ocrflow.ocr_tasks.errors import ModelNotFoundError
from ocrflow.ocr_tasks.lanes import lane_count
from ocrflow.ocr_tasks.runtimes import ModelFile
from ocrflow.schemas.settings import OcrSettings


class OnnxSession:
    def __init__(
        self, session: ort.InferenceSession, run_options: ort.RunOptions | None = None
    ) -> None:
        self._session = session
        self._run_options = run_options
        self._input = session.get_inputs()[0].name
        self._output = session.get_outputs()[0].name

    @property
    def metadata(self) -> Mapping[str, str]:
        meta: Mapping[str, str] = self._session.get_modelmeta().custom_metadata_map
        return meta

    def run(self, batch: np.ndarray) -> np.ndarray:
        outputs = self._session.run([self._output], {self._input: batch}, self._run_options)
        result: np.ndarray = outputs[0]
        return result


class OnnxRuntime:
    name = "onnxruntime"

    def __init__(self, settings: OcrSettings) -> None:
        available = ort.get_available_providers()
        wants_cuda = settings.engine.device in ("auto", "cuda")
        if settings.engine.device == "cuda" and "CUDAExecutionProvider" not in available:
            raise RuntimeError("device=cuda but onnxruntime has no CUDAExecutionProvider")
        use_cuda = wants_cuda and "CUDAExecutionProvider" in available
        self.device = "cuda" if use_cuda else "cpu"
        self._providers = (
            ["CUDAExecutionProvider", "CPUExecutionProvider"]
            if use_cuda
            else ["CPUExecutionProvider"]
        )
        self._options = ort.SessionOptions()
        self._options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._options.log_severity_level = 3
        # Measured on SROIE receipts: the arena saves ~25% CPU time for ~200 MB of peak RSS
        # (it keeps the largest buffers it has seen); off is the choice for tight memory.
        self._options.enable_cpu_mem_arena = settings.engine.memory_arena
        if settings.engine.memory_arena and not use_cuda:
            _share_one_cpu_arena()
            self._options.add_session_config_entry("session.use_env_allocators", "1")
        self._run_options = (
            _shrinking_arena()
            if settings.engine.memory_arena and settings.engine.arena_shrink and not use_cuda
            else None
        )
        # concurrent runs on one session are safe; on a GPU they would only queue
        self.concurrent_runs = not use_cuda
        threads = settings.engine.threads or (
            1 if lane_count(settings, self.concurrent_runs) > 1 else 0
        )
        if threads:
            self._options.intra_op_num_threads = threads
            self._options.inter_op_num_threads = 1

    def can_load(self, model: ModelFile) -> bool:
        return model.onnx is not None and model.onnx.is_file()

    def load(self, model: ModelFile) -> OnnxSession:
        if model.onnx is None or not model.onnx.is_file():
            raise ModelNotFoundError(f"{model.name}: no ONNX file at {model.onnx}")
        session = ort.InferenceSession(
            str(model.onnx), sess_options=self._options, providers=self._providers
        )
        return OnnxSession(session, self._run_options)


def _shrinking_arena() -> ort.RunOptions:
    """Run options that return the arena's wholly free regions after each call.

    Grown by the request, the arena adds a region whenever no free one fits, and every page
    size and batch mix asks for new ones: detection alone on 40 receipts took RSS from 0.2 to
    1.2 GB, still rising. Shrunk after each call, it stays at 0.44 GB for 2% more CPU (the
    freed regions are mapped again by the next call, but tensors within a call still reuse
    the arena)."""
    options = ort.RunOptions()
    options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return options


_ARENA_REGISTERED = False


def _share_one_cpu_arena() -> None:
    """One CPU arena for every session in the process, grown by what is asked, not doubled.

    Each session's default arena doubles its last region when it runs out, and keeps it.
    Growing by the request, with detection, recognition and the classifiers reusing one pool,
    took peak RSS on two 300 dpi A4 pages and three receipts from 1.04 to 0.82 GB, and a
    2,000-document soak's slope from 9.4 to 0.1 KB a document (two lanes), for ~4% CPU."""
    global _ARENA_REGISTERED
    if _ARENA_REGISTERED:
        return
    memory = ort.OrtMemoryInfo(
        "Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT
    )
    config = ort.OrtArenaCfg({"arena_extend_strategy": 1})  # 1: kSameAsRequested
    ort.create_and_register_allocator(memory, config)
    _ARENA_REGISTERED = True
