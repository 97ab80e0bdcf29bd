"""ONNX graph → torch module: the PP-OCR graphs run on PyTorch with their ONNX files' weights.

onnx2torch 1.5.15 was tried first and is not used: it refuses the PP-OCRv6 graphs
(``auto_pad=SAME_UPPER``) and the PP-OCRv4 ones (weights it cannot find by name), and it
imports torchvision, whose only build for torch 2.13 on PyPI is a CUDA one that does not
load beside the CPU torch. The model sets' graphs use 32 operators, each a few lines here.

The module runs the graph node by node (eager), so every shape stays dynamic: detection
takes any page size, recognition any line width, both any batch size. Constant subgraphs
are computed once at load. Shape arithmetic stays on the host; only float weights move to
the device, so a GPU run never waits on a copy back to read a shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
import torch.nn.functional as F  # noqa: N812 (torch's own spelling)
from onnx import helper, numpy_helper

from ocrflow.ocr_tasks.errors import ModelNotFoundError

Tensor = torch.Tensor


@dataclass(frozen=True)
class Attributes:
    """A node's attributes, and the opset that says what their defaults are."""

    values: Mapping[str, Any]
    opset: int

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


OpFunction = Callable[[Sequence[Tensor | None], Attributes], Tensor]

# Inputs read as host numbers (axes, shapes, scales, bounds) rather than computed on: they
# are taken from the host copy of a constant even when the weights live on the GPU.
_HOST_INPUTS: dict[str, frozenset[int]] = {
    "Clip": frozenset({1, 2}),
    "Pow": frozenset({1}),
    "ReduceMean": frozenset({1}),
    "Reshape": frozenset({1}),
    "Resize": frozenset({1, 2, 3}),
    "Slice": frozenset({1, 2, 3, 4}),
    "Squeeze": frozenset({1}),
    "Unsqueeze": frozenset({1}),
}

_DTYPES: dict[int, torch.dtype] = {
    onnx.TensorProto.FLOAT: torch.float32,
    onnx.TensorProto.FLOAT16: torch.float16,
    onnx.TensorProto.DOUBLE: torch.float64,
    onnx.TensorProto.INT32: torch.int32,
    onnx.TensorProto.INT64: torch.int64,
    onnx.TensorProto.BOOL: torch.bool,
}


# --- operators ------------------------------------------------------------------------------


def _ints(tensor: Tensor | None) -> list[int]:
    return [] if tensor is None else [int(v) for v in tensor.reshape(-1).tolist()]


def _axes(args: Sequence[Tensor | None], attrs: Attributes, since_opset: int) -> list[int]:
    """Axes: an attribute before ``since_opset``, the second input from it on."""
    if attrs.opset < since_opset:
        return list(attrs.get("axes", []))
    return _ints(args[1]) if len(args) > 1 else []


def _same_padding(
    size: Sequence[int], kernel: Sequence[int], strides: Sequence[int], dilations: Sequence[int]
) -> list[int]:
    """SAME_UPPER pads as [begin..., end...]: the output is ceil(input / stride), the odd
    pixel going at the end."""
    begins, ends = [], []
    for length, k, s, d in zip(size, kernel, strides, dilations, strict=True):
        total = max(0, (math.ceil(length / s) - 1) * s + (k - 1) * d + 1 - length)
        begins.append(total // 2)
        ends.append(total - total // 2)
    return begins + ends


def _padded(
    x: Tensor, attrs: Attributes, kernel: Sequence[int], fill: float
) -> tuple[Tensor, list[int]]:
    """The input, padded by hand where ONNX pads unevenly, and the even padding left to the
    operator itself."""
    strides = attrs.get("strides", [1] * len(kernel))
    dilations = attrs.get("dilations", [1] * len(kernel))
    auto_pad = attrs.get("auto_pad", "NOTSET")
    if auto_pad == "SAME_UPPER":
        pads = _same_padding(x.shape[2:], kernel, strides, dilations)
    elif auto_pad in ("NOTSET", "VALID"):
        pads = attrs.get("pads", [0] * 2 * len(kernel)) if auto_pad == "NOTSET" else []
        pads = pads or [0] * 2 * len(kernel)
    else:
        raise NotImplementedError(f"auto_pad={auto_pad}")
    begins, ends = pads[: len(kernel)], pads[len(kernel) :]
    if begins == ends:
        return x, list(begins)
    # F.pad takes (last begin, last end, previous begin, previous end, ...)
    torch_pads = [p for axis in reversed(range(len(kernel))) for p in (begins[axis], ends[axis])]
    return F.pad(x, torch_pads, value=fill), [0] * len(kernel)


def _conv(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    x, weight = _required(args, 2)
    bias = args[2] if len(args) > 2 else None
    kernel = list(weight.shape[2:])
    x, padding = _padded(x, attrs, kernel, 0.0)
    return F.conv2d(
        x,
        weight,
        bias,
        attrs.get("strides", [1, 1]),
        padding,
        attrs.get("dilations", [1, 1]),
        attrs.get("group", 1),
    )


def _conv_transpose(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    x, weight = _required(args, 2)
    bias = args[2] if len(args) > 2 else None
    pads = attrs.get("pads", [0, 0, 0, 0])
    if pads[:2] != pads[2:] or "output_shape" in attrs.values:
        raise NotImplementedError("ConvTranspose with uneven pads or output_shape")
    return F.conv_transpose2d(
        x,
        weight,
        bias,
        attrs.get("strides", [1, 1]),
        pads[:2],
        attrs.get("output_padding", [0, 0]),
        attrs.get("group", 1),
        attrs.get("dilations", [1, 1]),
    )


def _max_pool(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    kernel = attrs.get("kernel_shape")
    x, padding = _padded(_required(args, 1)[0], attrs, kernel, -math.inf)
    return F.max_pool2d(
        x,
        kernel,
        attrs.get("strides", [1, 1]),
        padding,
        attrs.get("dilations", [1, 1]),
        bool(attrs.get("ceil_mode", 0)),
    )


def _average_pool(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    kernel = attrs.get("kernel_shape")
    pads = attrs.get("pads", [0, 0, 0, 0])
    if attrs.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID") or pads[:2] != pads[2:]:
        raise NotImplementedError("AveragePool with uneven or automatic padding")
    return F.avg_pool2d(
        _required(args, 1)[0],
        kernel,
        attrs.get("strides", [1, 1]),
        pads[:2],
        bool(attrs.get("ceil_mode", 0)),
        bool(attrs.get("count_include_pad", 0)),
    )


def _batch_norm(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    x, scale, bias, mean, var = _required(args, 5)
    return F.batch_norm(x, mean, var, scale, bias, False, 0.0, attrs.get("epsilon", 1e-5))


def _hard_sigmoid(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    # The graphs carry their own slopes (0.2 and 0.1666667, not exactly 1/6): keep them.
    x = _required(args, 1)[0]
    alpha, beta = float(attrs.get("alpha", 0.2)), float(attrs.get("beta", 0.5))
    return (x * alpha + beta).clamp_(0.0, 1.0)


def _clip(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    if attrs.opset < 11:
        low, high = attrs.get("min"), attrs.get("max")
    else:
        low = float(args[1]) if len(args) > 1 and args[1] is not None else None
        high = float(args[2]) if len(args) > 2 and args[2] is not None else None
    return torch.clamp(_required(args, 1)[0], low, high)


def _resize(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    x = _required(args, 1)[0]
    scales = args[2] if len(args) > 2 and args[2] is not None and args[2].numel() else None
    sizes = _ints(args[3])[2:] if len(args) > 3 else []
    mode = attrs.get("mode", "nearest")
    transform = attrs.get("coordinate_transformation_mode", "half_pixel")
    scale_factor = [float(s) for s in scales.tolist()[2:]] if scales is not None else None
    if mode == "nearest" and transform == "asymmetric" and attrs.get("nearest_mode") == "floor":
        return F.interpolate(x, size=sizes or None, scale_factor=scale_factor, mode="nearest")
    if mode == "linear" and transform in ("half_pixel", "pytorch_half_pixel", "align_corners"):
        return F.interpolate(
            x,
            size=sizes or None,
            scale_factor=scale_factor,
            mode="bilinear",
            align_corners=transform == "align_corners",
        )
    raise NotImplementedError(f"Resize mode={mode} coordinate_transformation_mode={transform}")


def _reshape(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    x, shape_tensor = _required(args, 2)
    shape = _ints(shape_tensor)
    if not attrs.get("allowzero", 0):
        shape = [x.shape[i] if dim == 0 else dim for i, dim in enumerate(shape)]
    return x.reshape(shape)


def _slice(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    x = _required(args, 1)[0]
    if attrs.opset < 10:
        starts, ends = attrs.get("starts"), attrs.get("ends")
        axes, steps = attrs.get("axes", list(range(len(starts)))), [1] * len(starts)
    else:
        starts, ends = _ints(args[1]), _ints(args[2])
        axes = _ints(args[3]) if len(args) > 3 and args[3] is not None else []
        steps = _ints(args[4]) if len(args) > 4 and args[4] is not None else []
        axes, steps = axes or list(range(len(starts))), steps or [1] * len(starts)
    index: list[slice] = [slice(None)] * x.dim()
    for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
        if step < 1:
            raise NotImplementedError("Slice with a negative step")
        length = x.shape[axis]
        index[axis] = slice(max(-length, min(start, length)), max(-length, min(end, length)), step)
    return x[tuple(index)]


def _squeeze(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    x = _required(args, 1)[0]
    axes = _axes(args, attrs, 13)
    return x.squeeze(tuple(axes)) if axes else x.squeeze()


def _unsqueeze(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    x = _required(args, 1)[0]
    rank = x.dim() + len(_axes(args, attrs, 13))
    for axis in sorted(a % rank for a in _axes(args, attrs, 13)):
        x = x.unsqueeze(axis)
    return x


def _reduce_mean(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    x = _required(args, 1)[0]
    axes = _axes(args, attrs, 18) or list(range(x.dim()))
    return x.mean(dim=axes, keepdim=bool(attrs.get("keepdims", 1)))


def _softmax(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    x = _required(args, 1)[0]
    axis = attrs.get("axis", 1 if attrs.opset < 13 else -1) % x.dim()
    if attrs.opset >= 13 or axis == x.dim() - 1:
        return x.softmax(axis)
    # Before opset 13, Softmax is over all the axes from ``axis`` on, taken as one.
    return x.reshape(*x.shape[:axis], -1).softmax(-1).reshape(x.shape)


def _divide(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    a, b = _required(args, 2)
    if a.is_floating_point() or b.is_floating_point():
        return a / b
    return torch.div(a, b, rounding_mode="trunc")  # ONNX integer division truncates


def _power(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    base, exponent = _required(args, 2)
    if exponent.numel() == 1 and exponent.device.type == "cpu":
        return torch.pow(base, float(exponent))
    return torch.pow(base, exponent)


def _cast(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    return _required(args, 1)[0].to(_DTYPES[attrs.get("to")])


def _shape(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    return torch.tensor(_required(args, 1)[0].shape, dtype=torch.int64)


def _concat(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    return torch.cat(_required(args, len(args)), dim=attrs.get("axis"))


def _transpose(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    x = _required(args, 1)[0]
    return x.permute(attrs.get("perm", list(reversed(range(x.dim())))))


def _unary(function: Callable[[Tensor], Tensor]) -> OpFunction:
    return lambda args, attrs: function(_required(args, 1)[0])


def _binary(function: Callable[[Tensor, Tensor], Tensor]) -> OpFunction:
    return lambda args, attrs: function(*_required(args, 2))


def _required(args: Sequence[Tensor | None], count: int) -> list[Tensor]:
    present = [arg for arg in args[:count] if arg is not None]
    if len(present) != count:
        raise ValueError("a required input of an ONNX node is missing")
    return present


OPERATORS: dict[str, OpFunction] = {
    "Add": _binary(torch.add),
    "AveragePool": _average_pool,
    "BatchNormalization": _batch_norm,
    "Cast": _cast,
    "Clip": _clip,
    "Concat": _concat,
    "Conv": _conv,
    "ConvTranspose": _conv_transpose,
    "Div": _divide,
    "Erf": _unary(torch.erf),
    "GlobalAveragePool": _unary(lambda x: x.mean(dim=(2, 3), keepdim=True)),
    "HardSigmoid": _hard_sigmoid,
    "HardSwish": _unary(F.hardswish),
    "MatMul": _binary(torch.matmul),
    "MaxPool": _max_pool,
    "Mul": _binary(torch.mul),
    "Pow": _power,
    "ReduceMean": _reduce_mean,
    "Relu": _unary(torch.relu),
    "Reshape": _reshape,
    "Resize": _resize,
    "Shape": _shape,
    "Sigmoid": _unary(torch.sigmoid),
    "Slice": _slice,
    "Softmax": _softmax,
    "Sqrt": _unary(torch.sqrt),
    "Squeeze": _squeeze,
    "Sub": _binary(torch.sub),
    "Transpose": _transpose,
    "Unsqueeze": _unsqueeze,
}
# Handled while the graph is read, never run: Constant nodes become weights, Identity an alias.
BUILD_TIME_OPERATORS = frozenset({"Constant", "Identity"})
SUPPORTED_OPERATORS = frozenset(OPERATORS) | BUILD_TIME_OPERATORS


# --- the graph --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    op_type: str
    operator: OpFunction
    attributes: Attributes
    inputs: tuple[str, ...]  # "" where an optional input is left out
    host_inputs: frozenset[int]
    output: str
    frees: tuple[str, ...] = ()  # values no later node reads


class OnnxGraphModule(torch.nn.Module):
    """One ONNX graph as a torch module: first input in, first output out.

    Float constants are buffers (they follow ``.to(device)``); every constant also keeps a
    host copy for the inputs read as numbers.
    """

    def __init__(self, model: onnx.ModelProto) -> None:
        super().__init__()
        graph = model.graph
        opset = _default_opset(model)
        self.metadata = {prop.key: prop.value for prop in model.metadata_props}
        self._host: dict[str, Tensor] = {
            init.name: _tensor(numpy_helper.to_array(init)) for init in graph.initializer
        }
        self._aliases: dict[str, str] = {}
        nodes = [n for n in (self._read(node, opset) for node in graph.node) if n is not None]
        self._input = next(i.name for i in graph.input if i.name not in self._host)
        self._output = self._resolve(graph.output[0].name)
        nodes = _fold_conv_affine(nodes, self._host, self._output)
        nodes = _fuse_gelu(nodes, self._host, self._output)
        self._nodes = _with_frees(nodes, keep={self._output})
        read = {name for node in self._nodes for name in node.inputs}
        self._host = {name: value for name, value in self._host.items() if name in read}
        self._buffer_keys: dict[str, str] = {}
        for index, (name, value) in enumerate(self._host.items()):
            if value.is_floating_point():
                key = f"constant_{index}"
                self.register_buffer(key, value.clone(), persistent=False)
                self._buffer_keys[name] = key

    def _resolve(self, name: str) -> str:
        while name in self._aliases:
            name = self._aliases[name]
        return name

    def _read(self, node: onnx.NodeProto, opset: int) -> _Node | None:
        """The node to run, or None when it was settled here (constant, alias, folded)."""
        attributes = Attributes({a.name: _attribute_value(a) for a in node.attribute}, opset)
        inputs = tuple(self._resolve(name) if name else "" for name in node.input)
        output = node.output[0]
        if node.op_type == "Constant":
            self._host[output] = _constant_node_value(attributes)
            return None
        if node.op_type == "Identity":
            self._aliases[output] = inputs[0]
            return None
        operator = OPERATORS.get(node.op_type)
        if operator is None:
            raise ModelNotFoundError(f"the PyTorch runtime has no {node.op_type} operator")
        if all(not name or name in self._host for name in inputs):
            # All inputs known now (shape arithmetic on constants): compute it once, here.
            args = [self._host[name] if name else None for name in inputs]
            self._host[output] = operator(args, attributes)
            return None
        host_inputs = _HOST_INPUTS.get(node.op_type, frozenset())
        return _Node(node.op_type, operator, attributes, inputs, host_inputs, output)

    def forward(self, x: Tensor) -> Tensor:
        buffers = self._buffers
        values: dict[str, Tensor] = {
            name: buffer
            for name, key in self._buffer_keys.items()
            if (buffer := buffers[key]) is not None
        }
        values[self._input] = x
        host = self._host
        for node in self._nodes:
            args = [
                None
                if not name
                else host[name]
                if name in host and (i in node.host_inputs or name not in values)
                else values[name]
                for i, name in enumerate(node.inputs)
            ]
            values[node.output] = node.operator(args, node.attributes)
            for name in node.frees:
                del values[name]
        return values[self._output]


def load_onnx_graph(path: Path) -> OnnxGraphModule:
    return OnnxGraphModule(onnx.load(str(path))).eval()


def operators_of(path: Path) -> set[str]:
    return {node.op_type for node in onnx.load(str(path), load_external_data=False).graph.node}


def _default_opset(model: onnx.ModelProto) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 11)


def _with_frees(nodes: list[_Node], keep: set[str]) -> list[_Node]:
    """Mark where each computed value is read for the last time, so it can be let go of
    there: a large batch on the GPU then holds only the activations still needed."""
    produced = {node.output for node in nodes}
    last_reader: dict[str, int] = {}
    for index, node in enumerate(nodes):
        for name in node.inputs:
            if name in produced:
                last_reader[name] = index
    frees: dict[int, list[str]] = {}
    for name, index in last_reader.items():
        if name not in keep:
            frees.setdefault(index, []).append(name)
    return [replace(node, frees=tuple(frees.get(i, []))) for i, node in enumerate(nodes)]


# --- fusions: fewer, larger kernels (on the GPU each node is at least one launch) -----------


def _readers(nodes: Sequence[_Node], graph_output: str) -> dict[str, int]:
    counts: dict[str, int] = {graph_output: 1}
    for node in nodes:
        for name in node.inputs:
            counts[name] = counts.get(name, 0) + 1
    return counts


def _fold_conv_affine(
    nodes: list[_Node], host: dict[str, Tensor], graph_output: str
) -> list[_Node]:
    """A Conv followed by Mul or Add of a scalar or per-channel constant (how paddle2onnx
    writes a conv's bias, and PP-OCRv5's learnable affine layers) becomes one Conv with
    scaled weights and a bias."""
    readers = _readers(nodes, graph_output)
    producers = {node.output: index for index, node in enumerate(nodes)}
    fused = list(nodes)
    dropped: set[int] = set()
    for index, node in enumerate(nodes):
        if node.op_type not in ("Add", "Mul") or len(node.inputs) != 2:
            continue
        for source, constant in (node.inputs, node.inputs[::-1]):
            conv_index = producers.get(source)
            if conv_index is None or constant not in host or readers.get(source) != 1:
                continue
            conv = fused[conv_index]
            weight = host.get(conv.inputs[1]) if conv.op_type == "Conv" else None
            if weight is None or not host[constant].is_floating_point():
                continue
            vector = _per_channel(host[constant], weight.shape[0])
            if vector is None:
                continue
            bias = host[conv.inputs[2]] if len(conv.inputs) > 2 else torch.zeros(weight.shape[0])
            if node.op_type == "Mul":
                weight, bias = weight * vector.reshape(-1, 1, 1, 1), bias * vector
            else:
                bias = bias + vector
            host[f"{node.output}:weight"], host[f"{node.output}:bias"] = weight, bias
            inputs = (conv.inputs[0], f"{node.output}:weight", f"{node.output}:bias")
            fused[conv_index] = replace(conv, inputs=inputs, output=node.output)
            producers[node.output] = conv_index
            dropped.add(index)
            break
    return [node for index, node in enumerate(fused) if index not in dropped]


def _per_channel(constant: Tensor, channels: int) -> Tensor | None:
    """The constant as one value per output channel, when it broadcasts that way over NCHW."""
    if constant.numel() == 1 and constant.dim() <= 4:
        return constant.reshape(1).expand(channels).clone()
    shape = tuple(constant.shape)
    if shape in ((1, channels, 1, 1), (channels, 1, 1)):
        return constant.reshape(channels).clone()
    return None


def _fuse_gelu(nodes: list[_Node], host: dict[str, Tensor], graph_output: str) -> list[_Node]:
    """x * (erf(x / sqrt 2) + 1) * 0.5, five nodes as exported, becomes one exact GELU."""
    by_output = {node.output: node for node in nodes}
    readers = _readers(nodes, graph_output)
    replacements: dict[str, _Node] = {}
    removed: set[str] = set()
    for node in nodes:
        match = _gelu_match(node, by_output, host)
        # Fused only when the pattern's inner values are read by the pattern alone.
        if match is None or any(readers.get(name) != 1 for name in match[1]):
            continue
        x, inner = match
        replacements[node.output] = _Node(
            "Gelu", _gelu, node.attributes, (x,), frozenset(), node.output
        )
        removed.update(inner)
    return [replacements.get(node.output, node) for node in nodes if node.output not in removed]


def _gelu_match(
    node: _Node, by_output: Mapping[str, _Node], host: Mapping[str, Tensor]
) -> tuple[str, tuple[str, ...]] | None:
    """The GELU's input and its inner values, when ``node`` ends an exported GELU."""
    if node.op_type != "Mul" or (product := by_output.get(_other(node, host, 0.5))) is None:
        return None
    if product.op_type != "Mul":
        return None
    for x, added in (product.inputs, product.inputs[::-1]):
        add = by_output.get(added)
        if add is None or add.op_type != "Add":
            continue
        erf = by_output.get(_other(add, host, 1.0))
        if erf is None or erf.op_type != "Erf" or (divide := by_output.get(erf.inputs[0])) is None:
            continue
        scaled = divide.op_type == "Div" and _is_scalar(host, divide.inputs[1], math.sqrt(2.0))
        if scaled and divide.inputs[0] == x:
            return x, (product.output, add.output, erf.output, divide.output)
    return None


def _other(node: _Node, host: Mapping[str, Tensor], value: float) -> str:
    """The input of a two-input node beside the constant scalar ``value`` ('' if none)."""
    if len(node.inputs) != 2:
        return ""
    first, second = node.inputs
    if _is_scalar(host, second, value):
        return first
    return second if _is_scalar(host, first, value) else ""


def _is_scalar(host: Mapping[str, Tensor], name: str, value: float) -> bool:
    tensor = host.get(name)
    return tensor is not None and tensor.numel() == 1 and abs(float(tensor) - value) < 1e-5


def _gelu(args: Sequence[Tensor | None], attrs: Attributes) -> Tensor:
    return F.gelu(_required(args, 1)[0])


def _attribute_value(attribute: onnx.AttributeProto) -> Any:
    value = helper.get_attribute_value(attribute)
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, onnx.TensorProto):
        return _tensor(numpy_helper.to_array(value))
    return value


def _constant_node_value(attributes: Attributes) -> Tensor:
    if (value := attributes.get("value")) is not None:
        tensor: Tensor = value
        return tensor
    for name, dtype in (
        ("value_float", torch.float32),
        ("value_floats", torch.float32),
        ("value_int", torch.int64),
        ("value_ints", torch.int64),
    ):
        if name in attributes.values:
            return torch.tensor(attributes.values[name], dtype=dtype)
    raise NotImplementedError(f"Constant with attributes {sorted(attributes.values)}")


def _tensor(array: np.ndarray) -> Tensor:
    return torch.from_numpy(np.array(array, copy=True))
