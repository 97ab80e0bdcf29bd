"""Any exception on one document fails that document with its type and message; the rest of
the chunk is read."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

from ocrflow.ocr_tasks.sources import local_source
from ocrflow.ocr_tasks.tasks import read_chunk, worker_engine
from ocrflow.schemas.records import SourceObject
from ocrflow.schemas.settings import OcrSettings, settings_with
from tests.conftest import SAMPLES

# A page this size breaks the (wrapped) detector the way OpenCV breaks on a bad contour.
POISON_SIZE = (123, 321)


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="PNG")
    return buffer.getvalue()


class BreaksOnPoison:
    def __init__(self, detector: Any) -> None:
        self.detector = detector

    def __call__(self, page: np.ndarray) -> Any:
        if sorted(page.shape[:2]) == sorted(POISON_SIZE):
            raise cv2.error("OpenCV(4.x) contour.cpp: (-215:Assertion failed) npoints >= 0")
        return self.detector(page)


@pytest.fixture
def settings() -> OcrSettings:
    return settings_with({"models.set": "ppocrv6-tiny", "orientation.page": False})


def test_errors_that_are_no_document_error_fail_only_their_document(
    tmp_path: Path, settings: OcrSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = worker_engine(settings)
    monkeypatch.setattr(engine, "detector", BreaksOnPoison(engine.detector))
    poison = tmp_path / "poison.png"
    poison.write_bytes(_png(*POISON_SIZE))
    folder = tmp_path / "not-a-file.png"  # reading it raises IsADirectoryError
    folder.mkdir()
    copy = tmp_path / "copy.png"
    copy.write_bytes((SAMPLES / "receipt.png").read_bytes())
    sources = [
        local_source(SAMPLES / "receipt.png"),
        SourceObject(uri=str(folder), etag="x"),
        local_source(poison),
        local_source(copy),
    ]
    documents = read_chunk(settings, sources, "receipt", None)
    by_source = {d.source: d for d in documents}
    assert [d.status for d in documents] == ["done", "failed", "failed", "done"]
    unreadable = by_source[str(folder)]
    assert unreadable.error_kind == "unexpected"
    assert unreadable.error is not None and unreadable.error.startswith("IsADirectoryError: ")
    broken = by_source[str(poison.resolve())]
    assert broken.error_kind == "unexpected"
    assert broken.error is not None and broken.error.startswith("error: OpenCV")
    assert any(f.name == "total" for f in documents[0].fields)


def test_a_document_whose_fields_break_fails_alone(
    settings: OcrSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ocrflow.ocr_tasks.extract as extract

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(extract, "extract_fields", broken)
    [document] = read_chunk(settings, [local_source(SAMPLES / "receipt.png")], "receipt", None)
    assert (document.status, document.error) == ("failed", "ZeroDivisionError: division by zero")
    assert document.origin is not None and document.origin.uri.endswith("receipt.png")
