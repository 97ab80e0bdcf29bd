"""A document reads the same whatever else is in the engine call (batches never change text)."""

from __future__ import annotations

from pathlib import Path

from ocr_tasks.pipeline import OcrEngine


def test_a_files_text_does_not_depend_on_its_neighbours(
    engine: OcrEngine, shared_data: Path
) -> None:
    images = shared_data / "sroie" / "img"
    alone = engine.read_paths([images / "003.jpg"])[0]
    together = engine.read_paths([images / "002.jpg", images / "003.jpg", images / "004.jpg"])[1]
    assert [line.text for line in together.pages[0].lines] == [
        line.text for line in alone.pages[0].lines
    ]
