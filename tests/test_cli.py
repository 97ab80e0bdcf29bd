"""The ``ocrflow ocr`` command: text, JSON records in input order, annotated pages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from ocrflow.flows.cli import app
from tests.conftest import REPO_ROOT, SAMPLES

runner = CliRunner()


def test_prints_each_page_in_reading_order() -> None:
    result = runner.invoke(app, ["ocr", str(SAMPLES / "receipt.png")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith("receipt.png page 1")
    assert lines[1] == "CORNER BAKERY SDN BHD"
    assert "TOTAL" in lines and lines.index("Subtotal") < lines.index("TOTAL")


def test_json_has_one_record_per_file_in_the_order_given(tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    files = [SAMPLES / "two-pages.pdf", empty, SAMPLES / "invoice-rotated.jpg"]
    result = runner.invoke(app, ["ocr", "--json", *map(str, files)])
    assert result.exit_code == 2  # one file failed; the others were still read
    records = json.loads(result.stdout)
    assert [r["source"] for r in records] == [str(f) for f in files]
    pdf, failed, rotated = records
    assert [p["number"] for p in pdf["pages"]] == [1, 2]
    assert failed["status"] == "failed" and failed["error_kind"] == "empty"
    assert rotated["pages"][0]["orientation"] == 90
    assert rotated["pages"][0]["lines"][0]["text"] == "INVOICE"
    line = rotated["pages"][0]["lines"][1]
    assert set(line) >= {"text", "confidence", "polygon", "angle", "order", "char_confidences"}
    assert len(line["polygon"]) == 4
    assert "empty.png" in result.stderr and "the file is empty" in result.stderr


def test_annotate_writes_one_picture_per_page(tmp_path: Path) -> None:
    out = tmp_path / "review"
    result = runner.invoke(app, ["ocr", str(SAMPLES / "two-pages.pdf"), "--annotate", str(out)])
    assert result.exit_code == 0, result.output
    pictures = sorted(out.glob("*.png"))
    assert [p.name for p in pictures] == ["two-pages.pdf.page001.png", "two-pages.pdf.page002.png"]
    with Image.open(pictures[0]) as picture:
        # page on the left, text panel on the right
        assert picture.width > picture.height


def test_settings_come_from_the_environment_and_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCRFLOW_MODEL_SET", "ppocrv6-tiny")
    result = runner.invoke(app, ["ocr", "--json", str(SAMPLES / "receipt.png")])
    assert json.loads(result.stdout)[0]["model_set"] == "ppocrv6-tiny"
    result = runner.invoke(
        app, ["ocr", "--json", "--model-set", "ppocrv5", str(SAMPLES / "receipt.png")]
    )
    assert json.loads(result.stdout)[0]["model_set"] == "ppocrv5"


def test_unknown_model_set_is_a_clear_error() -> None:
    result = runner.invoke(app, ["ocr", "--model-set", "nope", str(SAMPLES / "receipt.png")])
    assert result.exit_code != 0
    assert "unknown model set 'nope'" in str(result.exception or result.output)


def test_console_script_reads_an_upside_down_scan(shared_data: Path) -> None:
    scan = shared_data / "tesseract" / "phototest-rotated-180.png"
    ocrflow = Path(sys.executable).with_name("ocrflow")
    completed = subprocess.run(
        [str(ocrflow), "ocr", str(scan)], capture_output=True, text=True, cwd=REPO_ROOT, check=True
    )
    text = completed.stdout.splitlines()
    assert text[1] == "This is a lot of 12 point text to test the"
    assert text[-1] == "brown dog jumped over the lazy fox."
