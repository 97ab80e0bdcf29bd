"""GPU check for runtime=torch: speed, memory, CER and text against ONNX Runtime in float32.

Run on a machine with CUDA and the ``torch`` extra::

    python -m ocrflow.bench.gpu_check --sroie 20 --funsd 10 --rec-batch-size 128

For float32 and float16 it prints pages/s, peak GPU memory, CER, and every line whose text
differs from the reference (ONNX Runtime on CPU, float32, same model set and settings).
A command for people; nothing imports it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import torch

from ocrflow.bench.evaluation import SetResult, evaluate, funsd_samples, sroie_samples
from ocrflow.bench.evaluation import shared_data_dir as data_dir
from ocrflow.ocr_tasks.pipeline import OcrEngine
from ocrflow.schemas.records import DocumentResult
from ocrflow.schemas.settings import settings_with


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ocrflow.bench.gpu_check")
    parser.add_argument("--model-set", default="ppocrv6-small")
    parser.add_argument("--sroie", type=int, default=20)
    parser.add_argument("--funsd", type=int, default=10)
    parser.add_argument("--rec-batch-size", type=int, default=128)
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"), help="cpu: dry run")
    parser.add_argument("--show", type=int, default=10, help="differing lines printed per run")
    return parser.parse_args(argv)


def line_differences(
    reference: Sequence[DocumentResult], candidate: Sequence[DocumentResult]
) -> tuple[int, list[str]]:
    """How many lines the reference has, and each line read otherwise (or missing)."""
    total, differences = 0, []
    for ours, theirs in zip(reference, candidate, strict=True):
        ref_lines = [line.text for page in ours.pages for line in page.lines]
        new_lines = [line.text for page in theirs.pages for line in page.lines]
        total += len(ref_lines)
        if len(ref_lines) != len(new_lines):
            differences.append(f"{ours.source}: {len(ref_lines)} → {len(new_lines)} lines")
        differences += [
            f"{ours.source}: {a!r} → {b!r}"
            for a, b in zip(ref_lines, new_lines, strict=False)
            if a != b
        ]
    return total, differences


def _report(label: str, result: SetResult, reference: SetResult, show: int, memory: str) -> None:
    total, differences = line_differences(reference.documents, result.documents)
    print(
        f"{result.name:<6} {label:<14} {result.pages_per_second:>8.2f} pages/s "
        f"CER {100 * result.errors.rate:6.2f}% (ref {100 * reference.errors.rate:.2f}%) "
        f"{memory} lines differing {len(differences)}/{total}"
    )
    for difference in differences[:show]:
        print(f"    {difference}")


def main(argv: Sequence[str] | None = None) -> None:
    args = _arguments(argv)
    cuda = args.device == "cuda"
    if cuda and not torch.cuda.is_available():
        raise SystemExit("no CUDA device: this check is for a GPU machine")
    root = data_dir()
    sets = [("sroie", sroie_samples(root, args.sroie)), ("funsd", funsd_samples(root, args.funsd))]
    common = settings_with(
        {"models.set": args.model_set, "recognition.batch_size": args.rec_batch_size}
    )
    onnx_cpu = OcrEngine(
        common.with_overrides({"engine.runtime": "onnxruntime", "engine.device": "cpu"})
    )
    references = {name: evaluate(onnx_cpu, name, samples) for name, samples in sets if samples}
    for reference in references.values():
        _report("onnx-cpu-fp32", reference, reference, 0, "")
    for half in (False, True):
        settings = common.with_overrides(
            {"engine.runtime": "torch", "engine.device": args.device, "engine.half_precision": half}
        )
        engine = OcrEngine(settings)
        for name, samples in sets:
            if not samples:
                continue
            if cuda:
                torch.cuda.reset_peak_memory_stats()
            result = evaluate(engine, name, samples)
            peak = torch.cuda.max_memory_allocated() / 2**20 if cuda else 0.0
            label = f"torch-{args.device}-" + ("fp16" if half and cuda else "fp32")
            _report(label, result, references[name], args.show, f"GPU peak {peak:7.0f} MiB")


if __name__ == "__main__":
    main()
