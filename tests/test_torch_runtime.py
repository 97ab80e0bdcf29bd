"""The PyTorch plug agrees with ONNX Runtime: same graphs, same weights, same text.

On CPU the torch runtime runs in float32 through the same code as on CUDA (only the device
and the float16 autocast differ), so these tests cover its paths wherever torch is installed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ocrflow.ocr_tasks.decode import decode_pages
from ocrflow.ocr_tasks.detect import detection_input
from ocrflow.ocr_tasks.geometry import crop_quad
from ocrflow.ocr_tasks.models import MODEL_SET_NAMES, resolve_model_set
from ocrflow.ocr_tasks.pipeline import OcrEngine
from ocrflow.ocr_tasks.recognise import padded_width
from ocrflow.ocr_tasks.runtimes import ModelFile, load_runtime, load_session
from ocrflow.ocr_tasks.runtimes.onnx import OnnxRuntime, OnnxSession
from ocrflow.ocr_tasks.textline import normalised_strip
from ocrflow.schemas.settings import OcrSettings, settings_with

torch = pytest.importorskip("torch", reason="runtime=torch needs the torch extra")
onnx = pytest.importorskip("onnx", reason="runtime=torch needs the torch extra")

from ocrflow.ocr_tasks.runtimes.torch_runtime import TorchRuntime  # noqa: E402

PAGES = ("tesseract/phototest.tif", "sroie/img/000.jpg")
# Measured on SROIE 000, all four model sets: det map max |diff| 1.3e-4 (v6 tiny; others
# below 1e-5), rec probabilities max |diff| 3e-5, best class equal at every step.
DET_ATOL = 1e-3
REC_ATOL = 1e-3


def _settings(model_set: str = "ppocrv6-small") -> OcrSettings:
    return settings_with(
        {"models.set": model_set, "engine.runtime": "torch", "engine.device": "cpu"}
    )


@pytest.mark.parametrize(
    "model_set",
    [
        name if name == "ppocrv6-small" else pytest.param(name, marks=pytest.mark.slow)
        for name in MODEL_SET_NAMES
    ],
)
def test_sessions_agree_on_the_same_arrays(shared_data: Path, engine: OcrEngine, model_set: str):
    settings = _settings(model_set)
    models = resolve_model_set(settings)
    onnx_runtime, torch_runtime = OnnxRuntime(settings), TorchRuntime(settings)
    path = shared_data / "sroie/img/000.jpg"
    page = next(iter(decode_pages(path.read_bytes(), str(path), engine.decode_limits)))

    batch = detection_input(page, settings.detection.max_side)
    onnx_map = onnx_runtime.load(models.det).run(batch)
    torch_map = torch_runtime.load(models.det).run(batch)
    assert onnx_map.shape == torch_map.shape
    np.testing.assert_allclose(torch_map, onnx_map, atol=DET_ATOL)
    assert ((onnx_map > 0.3) != (torch_map > 0.3)).mean() < 1e-4

    crops = sorted((crop_quad(page, quad) for quad in engine.detector(page)), key=_width)[-12:]
    width = max(padded_width(crop) for crop in crops)
    strips = np.stack([normalised_strip(crop, 48, width) for crop in crops])
    onnx_rec, torch_rec = onnx_runtime.load(models.rec), torch_runtime.load(models.rec)
    assert dict(torch_rec.metadata) == dict(onnx_rec.metadata)  # the character set, if any
    onnx_probs, torch_probs = onnx_rec.run(strips), torch_rec.run(strips)
    assert onnx_probs.shape == torch_probs.shape
    np.testing.assert_allclose(torch_probs, onnx_probs, atol=REC_ATOL)
    np.testing.assert_array_equal(torch_probs.argmax(axis=2), onnx_probs.argmax(axis=2))


def _width(crop: np.ndarray) -> int:
    return int(crop.shape[1])


@pytest.mark.slow
def test_pages_read_the_same_on_both_runtimes(shared_data: Path, engine: OcrEngine):
    """Measured: every line identical, text and box (80/80 with FUNSD 0000971160 added;
    10 SROIE and 5 FUNSD pages read to the same CER)."""
    torch_engine = OcrEngine(_settings())
    assert torch_engine.runtime.name == "torch"
    paths = [shared_data / page for page in PAGES]
    differences, total = [], 0
    for path, ours, theirs in zip(
        paths, engine.read_paths(paths), torch_engine.read_paths(paths), strict=True
    ):
        assert ours.status == theirs.status == "done", (ours.error, theirs.error)
        onnx_lines = [line for page in ours.pages for line in page.lines]
        torch_lines = [line for page in theirs.pages for line in page.lines]
        total += len(onnx_lines)
        differences += [
            f"{path.name}: onnx {a.text!r} {a.polygon} torch {b.text!r} {b.polygon}"
            for a, b in zip(onnx_lines, torch_lines, strict=False)
            if a.text != b.text or not np.allclose(a.polygon, b.polygon, atol=1.0)
        ]
        differences += [f"{path.name}: line count differs"] * (len(onnx_lines) != len(torch_lines))
    assert total > 50
    assert not differences, "\n".join(differences)


# --- operators the model sets do not reach, on small graphs ---------------------------------


def _graph(node: onnx.NodeProto, shape: list[int], opset: int) -> onnx.ModelProto:
    helper = onnx.helper
    graph = helper.make_graph(
        [node],
        "one-node",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def _one_node_model(tmp_path: Path, node: onnx.NodeProto, shape: list[int], opset: int) -> Path:
    path = tmp_path / f"{node.op_type}.onnx"
    onnx.save(_graph(node, shape, opset), str(path))
    return path


ONE_NODE_CASES = {
    # SAME_UPPER with stride 2 on odd sizes: uneven padding, done by hand.
    "max_pool_same_upper": (
        onnx.helper.make_node(
            "MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"
        ),
        [1, 2, 7, 9],
        11,
    ),
    # Before opset 13 Softmax spans every axis from ``axis`` on.
    "softmax_opset11_flattened": (
        onnx.helper.make_node("Softmax", ["x"], ["y"], axis=1),
        [2, 3, 4],
        11,
    ),
    "softmax_opset13_axis": (onnx.helper.make_node("Softmax", ["x"], ["y"], axis=1), [2, 3, 4], 13),
    "reduce_mean_all_axes": (
        onnx.helper.make_node("ReduceMean", ["x"], ["y"], keepdims=0),
        [2, 3, 4],
        11,
    ),
}


@pytest.mark.parametrize("case", sorted(ONE_NODE_CASES))
def test_operators_match_onnx_runtime(tmp_path: Path, case: str):
    node, shape, opset = ONE_NODE_CASES[case]
    model = ModelFile(case, onnx=_one_node_model(tmp_path, node, shape, opset))
    settings = _settings()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    expected = OnnxRuntime(settings).load(model).run(x)
    got = TorchRuntime(settings).load(model).run(x)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_a_model_with_an_operator_torch_lacks_runs_on_onnx_runtime(tmp_path: Path):
    node = onnx.helper.make_node("Tanh", ["x"], ["y"])
    model = ModelFile("tanh", onnx=_one_node_model(tmp_path, node, [1, 4], 13))
    runtime = load_runtime(_settings())
    assert runtime.name == "torch"
    assert not runtime.can_load(model)
    assert isinstance(load_session(runtime, model, _settings()), OnnxSession)


def test_device_cuda_without_cuda_is_refused():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(RuntimeError, match="CUDA"):
        TorchRuntime(settings_with({"engine.runtime": "torch", "engine.device": "cuda"}))
