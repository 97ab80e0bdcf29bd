"""A document reads the same whatever else is in the engine call (batches never change
text), and however many lanes the engine runs."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import numpy as np
import pytest

from ocrflow.ocr_tasks.lanes import Lanes, available_cores, lane_count
from ocrflow.ocr_tasks.pipeline import OcrEngine
from ocrflow.schemas.records import DocumentResult, LineResult
from ocrflow.schemas.settings import settings_with


def test_a_files_text_does_not_depend_on_its_neighbours(
    engine: OcrEngine, shared_data: Path
) -> None:
    images = shared_data / "sroie" / "img"
    alone = engine.read_paths([images / "003.jpg"])[0]
    together = engine.read_paths([images / "002.jpg", images / "003.jpg", images / "004.jpg"])[1]
    assert [line.text for line in together.pages[0].lines] == [
        line.text for line in alone.pages[0].lines
    ]


def test_lanes_read_what_one_lane_reads(engine: OcrEngine, shared_data: Path) -> None:
    """Pages laid out side by side and batches spread over lanes change nothing read."""
    files = [
        shared_data / "sroie" / "img" / "002.jpg",
        shared_data / "funsd" / "training_data" / "images" / "0000971160.png",
        shared_data / "sroie" / "img" / "004.jpg",
    ]
    one_lane = OcrEngine(settings_with({"engine.lanes": 1, "engine.threads": 1}))
    assert engine.lanes.count == 2 or available_cores() < 2
    serial, parallel = one_lane.read_paths(files), engine.read_paths(files)
    one_lane.close()
    assert [_lines(result) for result in serial] == [_lines(result) for result in parallel]

    # batches of other sizes round the last float bits differently, nothing more
    def confidences(results: list[DocumentResult]) -> list[float]:
        return [line.confidence for result in results for line in _all_lines(result)]

    assert np.allclose(confidences(serial), confidences(parallel), atol=1e-5)


def _all_lines(result: DocumentResult) -> list[LineResult]:
    return [line for page in result.pages for line in page.lines]


def _lines(result: DocumentResult) -> list[tuple[str, list[tuple[float, float]], int]]:
    return [(line.text, line.polygon, line.angle) for line in _all_lines(result)]


def test_a_failed_file_among_pages_in_flight_fails_alone(
    engine: OcrEngine, shared_data: Path, tmp_path: Path
) -> None:
    good = shared_data / "sroie" / "img" / "002.jpg"
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(good.read_bytes()[:2000])
    results = engine.read_paths([good, truncated, good])
    assert [result.status for result in results] == ["done", "failed", "done"]
    texts = [[line.text for line in result.pages[0].lines] for result in (results[0], results[2])]
    assert texts[0] == texts[1] and texts[0]


def test_lane_count() -> None:
    assert lane_count(settings_with({"engine.lanes": 0}), concurrent_runs=True) == available_cores()
    assert lane_count(settings_with({"engine.lanes": 3}), concurrent_runs=True) == 3
    assert lane_count(settings_with({"engine.lanes": 3}), concurrent_runs=False) == 1


def test_one_lane_runs_in_the_calling_thread() -> None:
    lanes = Lanes(1)
    assert lanes.submit(threading.get_ident).result() == threading.get_ident()
    failed = lanes.submit(int, "not a number")
    with pytest.raises(ValueError):
        failed.result()
    assert Lanes(2).map(lambda n: n * n, [3, 1, 2]) == [9, 1, 4]


@pytest.mark.parametrize(
    ("files", "cores"),
    [
        ({"cpu.max": "150000 100000\n"}, 2),  # cgroup v2: 1.5 CPUs, rounded up
        ({"cpu.max": "max 100000\n"}, None),  # no limit: the affinity
        ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),  # v1
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({}, None),
    ],
)
def test_a_containers_cpu_quota_caps_the_lanes(
    tmp_path: Path, files: dict[str, str], cores: int | None
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    affinity = available_cores(tmp_path / "absent")
    assert available_cores(tmp_path) == (min(cores, affinity) if cores else affinity)


def test_a_forked_child_gets_lanes_of_its_own(engine: OcrEngine, shared_data: Path) -> None:
    """A child forked from a process whose engine has run inherits no lane threads; it must
    still read (multiprocessing's default start method on Linux is fork)."""
    receipt = shared_data / "sroie" / "img" / "002.jpg"
    expected = _texts(engine, receipt)
    _FORKED["engine"] = engine  # the child finds it in its copy of this module
    with multiprocessing.get_context("fork").Pool(1) as pool:
        texts = pool.apply_async(_texts_in_child, (receipt,)).get(timeout=120)
    assert texts == expected


_FORKED: dict[str, OcrEngine] = {}


def _texts_in_child(path: Path) -> list[str]:
    return _texts(_FORKED["engine"], path)


def _texts(engine: OcrEngine, path: Path) -> list[str]:
    return [line.text for line in engine.read_paths([path])[0].pages[0].lines]
