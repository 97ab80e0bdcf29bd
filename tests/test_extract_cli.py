"""``ocrflow extract`` then ``ocrflow query``: the whole local path, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ocrflow.flows.cli import app
from tests.conftest import SAMPLES

runner = CliRunner()


@pytest.fixture
def scans(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "scans"
    folder.mkdir()
    copies = [folder / "receipt.png", folder / "invoice-rotated.jpg"]
    for copy in copies:
        shutil.copy(SAMPLES / copy.name, copy)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n\x00\x01 not really")
    return [*copies, folder / "broken.pdf"]


def ocrflow(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code in (0, 2), result.output
    return result.stdout


def test_extract_stores_once_and_rereads_only_changed_files(
    database_url: str, scans: list[Path]
) -> None:
    first = ocrflow("extract", *map(str, scans), "--type", "receipt", "--db", database_url)
    assert "read 3: 2 done, 1 failed; 0 fields again from stored lines, 0 unchanged" in first
    again = ocrflow("extract", *map(str, scans), "--type", "receipt", "--db", database_url)
    assert "read 1: 0 done, 1 failed; 0 fields again from stored lines, 2 unchanged" in again

    documents = pd.read_csv(
        io.StringIO(ocrflow("query", "documents", "--format", "csv", "--db", database_url))
    )
    assert sorted(documents["status"]) == ["done", "done", "failed"]
    assert (
        documents.loc[documents["status"] == "failed", "reason"]
        .str.contains("cannot open PDF")
        .all()
    )

    shutil.copy(SAMPLES / "invoice-rotated.jpg", scans[0])  # the receipt file changes
    changed = ocrflow("extract", *map(str, scans), "--type", "receipt", "--db", database_url)
    assert "read 2: 1 done, 1 failed; 0 fields again from stored lines, 1 unchanged" in changed
    lines = json.loads(
        ocrflow("query", "lines", "--contains", "bakery", "--format", "json", "--db", database_url)
    )
    assert lines == []  # the old receipt's lines were replaced


def test_query_fields_as_csv_json_and_parquet(
    database_url: str, scans: list[Path], tmp_path: Path
) -> None:
    ocrflow("extract", str(scans[0]), "--type", "receipt", "--db", database_url)
    totals = json.loads(
        ocrflow(
            "query",
            "fields",
            "--type",
            "receipt",
            "--name",
            "total",
            "--format",
            "json",
            "--db",
            database_url,
        )
    )
    assert [(t["name"], t["value"], t["status"]) for t in totals] == [("total", "16.50", "ok")]
    assert totals[0]["source"].endswith("receipt.png")
    parquet = tmp_path / "fields.parquet"
    ocrflow(
        "query", "fields", "--format", "parquet", "--output", str(parquet), "--db", database_url
    )
    frame = pd.read_parquet(parquet)
    assert {"source", "name", "raw_text", "value", "confidence", "status"} <= set(frame.columns)
    table = ocrflow("query", "fields", "--name", "total", "--db", database_url)
    assert "16.50" in table


def test_query_before_any_extract_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["query", "lines", "--db", f"sqlite:///{tmp_path / 'new.db'}"])
    assert result.exit_code == 1
    assert "run `ocrflow db upgrade`" in result.stderr
