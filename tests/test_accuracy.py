"""Accuracy against ground truth: the scoring functions on hand-made inputs, then CER on a
bounded subset of SROIE and FUNSD, and the line-orientation policy measured on real pages.

Bounds sit a margin above what was measured (see each constant), so a change that costs
accuracy fails here while run-to-run noise does not. Run with ``-s`` to see the figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ocrflow.bench.evaluation import (
    ErrorCount,
    Sample,
    SetResult,
    TextBox,
    character_error_rate,
    edit_distance,
    evaluate,
    flipped_lines,
    funsd_samples,
    load_funsd_words,
    load_sroie_lines,
    normalise_funsd,
    normalise_sroie,
    normalise_whitespace,
    page_text_samples,
    score_funsd_page,
    score_page_text,
    score_sroie_page,
    sroie_samples,
    word_recall,
)
from ocrflow.ocr_tasks.pipeline import OcrEngine
from ocrflow.schemas.records import LineResult
from ocrflow.schemas.settings import settings_with

# --- the scoring functions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "distance"),
    [
        ("", "", 0),
        ("abc", "", 3),
        ("", "abc", 3),
        ("kitten", "sitting", 3),
        ("flaw", "lawn", 2),
        ("same", "same", 0),
        ("ab", "ba", 2),
        ("a" * 50, "b" * 50, 50),
        ("receipt", "reciept", 2),
    ],
)
def test_edit_distance(first: str, second: str, distance: int) -> None:
    assert edit_distance(first, second) == distance
    assert edit_distance(second, first) == distance


def test_edit_distance_matches_the_textbook_recurrence_on_random_strings() -> None:
    import random

    def textbook(a: str, b: str) -> int:
        previous = list(range(len(b) + 1))
        for i, char_a in enumerate(a, 1):
            current = [i]
            for j, char_b in enumerate(b, 1):
                current.append(
                    min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
                )
            previous = current
        return previous[-1]

    rng = random.Random(7)
    for _ in range(300):
        a = "".join(rng.choice("ab .") for _ in range(rng.randint(0, 15)))
        b = "".join(rng.choice("ab .") for _ in range(rng.randint(0, 15)))
        assert edit_distance(a, b) == textbook(a, b), (a, b)


def test_edit_distance_is_fast_on_page_sized_text() -> None:
    import time

    started = time.perf_counter()
    assert edit_distance("x" * 3000, "y" * 3000) == 3000
    assert time.perf_counter() - started < 2.0


def test_character_error_rate_counts_add_up_to_a_corpus_rate() -> None:
    first = character_error_rate("abcd", "abed")  # 1 edit in 4
    second = character_error_rate("ab", "")  # 2 edits in 2
    assert (first.edits, first.reference_chars) == (1, 4)
    assert first.rate == 0.25
    assert (first + second).rate == pytest.approx(3 / 6)  # not the mean of 0.25 and 1.0
    assert ErrorCount().rate == 0.0
    assert character_error_rate("", "x").rate == float("inf")


def test_normalisation() -> None:
    assert normalise_whitespace("  a \n\t b  ") == "a b"
    assert normalise_funsd("12 /10 /98") == normalise_funsd("12/10/98") == "12/10/98"
    assert normalise_funsd("Name / Phone Ext. :") == "Name/Phone Ext.:"
    assert normalise_funsd("614 -466 -5087") == "614-466-5087"
    assert normalise_funsd("two  words") == "two words"
    assert normalise_sroie("TOTAL :  9.00") == normalise_sroie("Total: 9.00") == "total:9.00"


def _box(x0: float, y0: float, x1: float, y1: float, text: str) -> TextBox:
    return TextBox((x0, y0, x1, y1), text)


def test_funsd_words_go_to_the_line_covering_them_and_misses_are_deletions() -> None:
    words = [
        _box(60, 10, 100, 30, "World"),  # given out of order: sorted left to right
        _box(10, 10, 50, 30, "Hello"),
        _box(10, 50, 40, 70, "Date:"),
        _box(45, 50, 90, 70, "9/"),
        _box(95, 50, 120, 70, "3/92"),
        _box(300, 300, 340, 320, "lost"),  # under no line: 4 deleted characters
    ]
    lines = [
        _box(5, 5, 105, 35, "Hello Warld"),  # 1 substitution
        _box(5, 45, 125, 75, "Date: 9/3/92"),  # spacing by punctuation is not an error
        _box(200, 200, 260, 220, "noise"),  # no words: 5 insertions
    ]
    count = score_funsd_page(words, lines)
    # references: "Hello World" (11), "Date:9/3/92" (11 once normalised), "lost" (4)
    assert count == ErrorCount(
        edits=1 + 4 + 5, reference_chars=11 + 11 + 4, deleted_chars=4, inserted_chars=5
    )


def test_funsd_word_straddling_two_lines_goes_to_the_one_covering_more() -> None:
    words = [_box(10, 20, 50, 40, "word")]
    lines = [_box(0, 0, 100, 26, "x"), _box(0, 26, 100, 60, "word")]
    assert score_funsd_page(words, lines).edits == 1  # "x" is an insertion, "word" exact


def test_sroie_matching_handles_splits_merges_and_misses() -> None:
    truth = [
        _box(10, 10, 100, 30, "TEL:07-3507405"),
        _box(120, 10, 220, 30, "FAX:07-3558160"),  # read as one line with the one before
        _box(10, 50, 220, 70, "1 X 19.00 19.00"),  # read as two pieces
        _box(10, 90, 100, 110, "THANK YOU"),  # not read at all: 9 deletions
    ]
    lines = [
        _box(8, 8, 222, 32, "Tel:07-3507405 Fax:07-3558160"),
        _box(150, 48, 222, 72, "19.00"),
        _box(8, 48, 140, 72, "1 x 19.00"),
        _box(10, 150, 60, 170, "ab"),  # nothing there in the truth: 2 insertions
    ]
    count = score_sroie_page(truth, lines)
    # compared as groups: "tel:07-3507405 fax:07-3558160" (29), "1 x 19.00 19.00" (15), and
    # the lone "thank you" (9); case and the order the pieces came in do not matter
    assert count == ErrorCount(
        edits=9 + 2, reference_chars=29 + 15 + 9, deleted_chars=9, inserted_chars=2
    )


def test_page_text_score_ignores_line_breaks_and_word_recall_ignores_order() -> None:
    assert score_page_text("one two\nthree", "one two three").edits == 0
    assert word_recall("a b c d", "d c b a") == 1.0
    assert word_recall("a a b", "a b") == pytest.approx(2 / 3)


def test_ground_truth_loaders(tmp_path: Path) -> None:
    csv = tmp_path / "000.csv"
    csv.write_text("1,2,30,2,30,12,1,12,NO.53 55,57 & 59, JALAN\n1,20,5,20,5,30,1,30, \n")
    assert load_sroie_lines(csv) == [_box(1, 2, 30, 12, "NO.53 55,57 & 59, JALAN")]
    annotation = tmp_path / "form.json"
    annotation.write_text(
        '{"form": [{"text": "a b", "words": [{"box": [0, 0, 5, 5], "text": "a"},'
        ' {"box": [6, 0, 9, 5], "text": ""}, {"box": [10, 0, 15, 5], "text": "b"}]}]}'
    )
    assert [w.text for w in load_funsd_words(annotation)] == ["a", "b"]


# --- CER on real data ---------------------------------------------------------------------

SROIE_PAGES = 10
FUNSD_PAGES = 5
# Measured with ppocrv6-small, det_max_side 1600, line_orientation verify on these subsets
# (SROIE 000–009, FUNSD's first 5 forms): SROIE 5.45%, FUNSD 2.56% (5.25% and 2.56% with the
# engine of a few commits before). The margin also absorbs the small changes that come from
# which lines share a recognition batch.
SROIE_MAX_CER = 0.075
FUNSD_MAX_CER = 0.04


def _report(result: SetResult) -> str:
    errors = result.errors
    return (
        f"{result.name}: {result.pages} pages, CER {100 * errors.rate:.2f}% "
        f"({errors.edits}/{errors.reference_chars}; deleted {errors.deleted_chars}, "
        f"inserted {errors.inserted_chars}), {result.pages_per_second:.2f} pages/s"
    )


@pytest.mark.slow
def test_sroie_cer(shared_data: Path, engine: OcrEngine) -> None:
    result = evaluate(engine, "sroie", sroie_samples(shared_data, SROIE_PAGES), warm_up=False)
    print(_report(result))
    assert result.errors.rate <= SROIE_MAX_CER, _report(result)


@pytest.mark.slow
def test_funsd_cer(shared_data: Path, engine: OcrEngine) -> None:
    result = evaluate(engine, "funsd", funsd_samples(shared_data, FUNSD_PAGES), warm_up=False)
    print(_report(result))
    assert result.errors.rate <= FUNSD_MAX_CER, _report(result)


# --- line orientation policy --------------------------------------------------------------

# Pages where the stock line classifier calls upright lines upside down (found by reading
# SROIE 000–019 and FUNSD's first 10 forms with line_orientation="trust"), beside the two
# small tesseract pages, which are upright throughout.
FLIP_PRONE_SROIE = slice(10, 13)
FLIP_PRONE_FUNSD = ("0000999294",)
# Measured on these 6 pages: off 3.31% CER, no flips; verify 3.31%, no flips; trust 4.42%,
# 14 flips. Verify is not strictly better than off by construction: with the engine of a few
# commits before it made one wrong flip here ("(99)" upside down reads "(66)" with more
# confidence than the upright crop reads "(99)"; off 3.19%, verify 3.24%), so the assertion
# allows verify a small margin over off rather than claiming it never loses.
TRUST_EXTRA_FLIPS = 5
VERIFY_MAX_EXTRA_CER = 0.003


def _orientation_samples(root: Path) -> list[Sample]:
    funsd = [s for s in funsd_samples(root, 10) if s.image.stem in FLIP_PRONE_FUNSD]
    return [
        *page_text_samples(root, ["phototest", "eurotext"]),
        *sroie_samples(root, FLIP_PRONE_SROIE.stop)[FLIP_PRONE_SROIE],
        *funsd,
    ]


@pytest.fixture(scope="module")
def by_policy(shared_data: Path, engine: OcrEngine) -> dict[str, SetResult]:
    """The same pages read with each line-orientation policy (verify is the default)."""
    samples = _orientation_samples(shared_data)
    engines = {
        "off": OcrEngine(settings_with({"orientation.line": "off"})),
        "verify": engine,
        "trust": OcrEngine(settings_with({"orientation.line": "trust"})),
    }
    results = {name: evaluate(e, name, samples, warm_up=False) for name, e in engines.items()}
    for result in results.values():
        print(f"{_report(result)}, {flipped_lines(result.documents)} lines flipped")
        print("  flipped:", [line.text for line in _flipped(result)])
    return results


def _flipped(result: SetResult) -> list[LineResult]:
    pages = [page for document in result.documents for page in document.pages]
    return [line for page in pages for line in page.lines if line.angle == 180]


def _summary(results: dict[str, SetResult]) -> str:
    return ", ".join(
        f"{name}: CER {100 * r.errors.rate:.2f}% flips {flipped_lines(r.documents)}"
        for name, r in results.items()
    )


@pytest.mark.slow
def test_verify_costs_at_most_a_little_against_off(by_policy: dict[str, SetResult]) -> None:
    off, verify = by_policy["off"].errors, by_policy["verify"].errors
    assert verify.rate <= off.rate + VERIFY_MAX_EXTRA_CER, _summary(by_policy)


@pytest.mark.slow
def test_trust_flips_correct_lines_that_verify_keeps(by_policy: dict[str, SetResult]) -> None:
    trust, verify = by_policy["trust"], by_policy["verify"]
    assert flipped_lines(trust.documents) >= flipped_lines(verify.documents) + TRUST_EXTRA_FLIPS, (
        _summary(by_policy)
    )
    assert trust.errors.edits > verify.errors.edits, _summary(by_policy)
