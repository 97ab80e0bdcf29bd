"""``ocrflow bench`` prints its table: ours and the installed references, with CER where the
pages have ground truth. No timing assertions: figures depend on the machine and its load."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ocrflow.bench.table import HEADER
from tests.conftest import REPO_ROOT, SAMPLES


def bench(*arguments: str) -> list[str]:
    """The table rows, split into cells (the real command, in its own interpreter)."""
    done = subprocess.run(
        [sys.executable, "-m", "ocrflow.flows.cli", "bench", *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def rows(lines: list[str]) -> dict[str, list[str]]:
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines if line[:1] == "|"]
    assert cells[0] == list(HEADER)
    return {row[0]: row for row in cells[2:]}


def test_bench_against_rapidocr_with_cer(shared_data: Path) -> None:
    lines = bench(
        "--pages", str(shared_data / "sroie" / "img"), "--limit", "2", "--against", "rapidocr"
    )
    assert lines[0].startswith("ocrflow bench: ") and "cores" in lines[0]
    table = rows(lines)
    ours, theirs = table["ocrflow"], table["rapidocr"]
    column = {name: index for index, name in enumerate(HEADER)}
    for row in (ours, theirs):
        assert row[column["pages"]] == "2"
        assert float(row[column["pages/s"]]) > 0
        assert row[column["peak RSS"]].endswith(" GB")
        assert row[column["CER"]].endswith("%")  # SROIE's box files are found beside img/
    assert float(theirs[column["pages/s ours/theirs"]]) > 0
    assert float(ours[column["CER"]].rstrip("%")) < 20


def test_bench_on_the_samples_without_ground_truth() -> None:
    table = rows(bench("--pages", str(SAMPLES), "--against", ""))
    [ours] = table.values()
    column = {name: index for index, name in enumerate(HEADER)}
    assert ours[column["pages"]] == "4"  # the two-page PDF counts two
    assert ours[column["CER"]] == "–"


def test_bench_rounds_take_the_engines_in_turn(shared_data: Path) -> None:
    lines = bench(
        "--pages", str(shared_data / "sroie" / "img"), "--limit", "1", "--against", "rapidocr",
        "--rounds", "2",
    )  # fmt: skip
    column = {name: index for index, name in enumerate(HEADER)}
    assert rows(lines)["ocrflow"][column["pages"]] == "2"  # one page, read in each round
    [by_round] = [line for line in lines if line.startswith("pages/s ours/rapidocr")]
    assert len(by_round.split(": ")[1].split(", ")) == 2
