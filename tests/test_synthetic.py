"""The synthetic invoice generator (tests/synthetic): deterministic, self-consistent truth,
valid identifiers, the examples folder, the scorer, and renders the OCR can read."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ocrflow.ocr_tasks.fields import parse_amount, parse_date
from ocrflow.ocr_tasks.pipeline import DocumentInput, OcrEngine
from ocrflow.schemas.records import DocumentResult, FieldResult, LineResult, PageResult
from tests.synthetic import (
    InvoiceTruth,
    SyntheticInvoice,
    field_accuracy,
    make_invoice,
    read_documents,
    write_examples,
)
from tests.synthetic.checksums import (
    _es_control,
    group_iban,
    iban_valid,
    luhn_valid,
    vat_id_valid,
)
from tests.synthetic.locales import LANGUAGES, LOCALES, format_date, format_money, format_number

FAST: dict[str, Any] = {
    "noise": 0.0,
    "rotation": 0.0,
}  # rendering stays cheap where the pixels do not matter


def digest(document: SyntheticInvoice) -> str:
    hashed = hashlib.sha256()
    for page in document.pages:
        hashed.update(page.tobytes())
    return hashed.hexdigest()


# --- determinism ------------------------------------------------------------------------


def test_same_seed_same_document() -> None:
    first, again = make_invoice(7), make_invoice(7)
    assert first.truth == again.truth
    assert first.choices == again.choices
    assert digest(first) == digest(again)
    assert first.encode() == again.encode()


def test_other_seed_other_document() -> None:
    assert make_invoice(7).truth != make_invoice(8).truth


def test_a_given_choice_leaves_the_other_draws_alone() -> None:
    plain, quiet = make_invoice(11), make_invoice(11, noise=0.0, rotation=0.0)
    assert quiet.choices["noise"] == 0.0
    assert plain.truth == quiet.truth
    assert {k: v for k, v in plain.choices.items() if k not in ("noise", "rotation")} == {
        k: v for k, v in quiet.choices.items() if k not in ("noise", "rotation")
    }


def test_unknown_choice_is_refused() -> None:
    with pytest.raises(TypeError, match="colour"):
        make_invoice(1, colour="red")


def test_seeds_cover_the_choices() -> None:
    """Forty seeds draw every locale-independent option at least once."""
    choices = [make_invoice(seed, pages=1, **FAST).choices for seed in range(40)]
    for name, wanted in {
        "layout": {"side", "stacked"},
        "seller": {"left", "right"},
        "currency_mark": {"symbol", "code", "none"},
        "font": {"sans", "serif"},
    }.items():
        assert {c[name] for c in choices} == wanted, name
    assert len({c["locale"] for c in choices}) >= 7


# --- the truth holds together -----------------------------------------------------------

SEEDS = range(24)


@pytest.fixture(scope="module")
def documents() -> list[SyntheticInvoice]:
    return [make_invoice(seed, **FAST) for seed in SEEDS]


def check_amounts(truth: InvoiceTruth) -> None:
    assert truth.net == sum(item.amount for item in truth.items)
    for item in truth.items:
        exact = item.quantity * item.unit_price
        assert item.amount == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert truth.tax == (truth.net * truth.tax_rate / 100).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    if "wrong_total" in truth.errors:
        assert truth.net + truth.tax != truth.total
    else:
        assert truth.net + truth.tax == truth.total
    if "disagreeing_totals" in truth.errors:
        assert truth.other_totals and all(other != truth.total for other in truth.other_totals)
    else:
        assert truth.other_totals == ()


def test_truth_is_self_consistent(documents: list[SyntheticInvoice]) -> None:
    for document in documents:
        truth = document.truth
        check_amounts(truth)
        assert truth.issue_date < truth.due_date
        assert truth.vendor != truth.buyer
        assert len(document.pages) == document.choices["pages"]
        assert truth.locale == document.choices["locale"]
        assert truth.language == LOCALES[truth.locale].language
        assert truth.currency == LOCALES[truth.locale].currency
        if truth.locale == "en-US":
            assert truth.iban is None and truth.vat_id is None
        else:
            assert truth.iban and iban_valid(truth.iban), truth.iban
            assert truth.vat_id and vat_id_valid(truth.vat_id), truth.vat_id
            assert truth.iban[:2] == truth.vat_id[:2]


@pytest.mark.parametrize("error", ["wrong_total", "disagreeing_totals"])
def test_injected_errors(error: str) -> None:
    for seed in range(4):
        document = make_invoice(seed, error=error, **FAST)
        assert document.truth.errors == (error,)
        check_amounts(document.truth)
        if error == "disagreeing_totals":
            assert len(document.pages) >= 2  # the summary is on page 1, the box on the last


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_locale(locale: str) -> None:
    document = make_invoice(3, locale=locale, pages=1, **FAST)
    check_amounts(document.truth)
    assert document.truth.language == LOCALES[locale].language
    assert document.pages[0].size == (1240, 1754)  # A4 at 150 dpi


def test_ambiguous_dates() -> None:
    def both_ways(day: datetime.date) -> bool:
        return day.day <= 12 and day.day != day.month

    for seed in range(6):
        undecided = make_invoice(seed, ambiguous="undecided", date_style="dmy/", **FAST).truth
        assert undecided.ambiguous == "undecided"
        assert both_ways(undecided.issue_date) and both_ways(undecided.due_date)
        decided = make_invoice(seed, ambiguous="decided", date_style="mdy/", **FAST).truth
        assert both_ways(decided.issue_date) and decided.due_date.day > 12
    # a date written out cannot be ambiguous
    assert make_invoice(1, ambiguous="undecided", date_style="long", **FAST).truth.ambiguous is None


def test_several_pages() -> None:
    document = make_invoice(5, pages=3, note=True, **FAST)
    assert len(document.pages) == 3
    assert document.truth.printed["note"] in LANGUAGES[document.truth.language].notes
    assert document.truth.printed["note"] != document.truth.vendor
    data, extension = document.encode()
    assert extension == "tif"
    with Image.open(io.BytesIO(data)) as tiff:
        assert getattr(tiff, "n_frames", 1) == 3


# --- identifiers and formats --------------------------------------------------------------


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "FR1420041010050500013M02606",
        "CH9300762011623852957",
        "NL91ABNA0417164300",
        "ES9121000418450200051332",
        "PT50000201231234567890154",
        "IT60X0542811101000000123456",
    ],
)
def test_iban_check_on_published_examples(iban: str) -> None:
    assert iban_valid(iban)
    assert iban_valid(group_iban(iban))
    broken = iban[:-1] + str((int(iban[-1]) + 1) % 10)
    assert not iban_valid(broken)


def test_national_checks_inside_the_bban() -> None:
    assert _es_control("0021000418") + _es_control("0200051332") == "45"  # ES91 2100 0418 45..


@pytest.mark.parametrize(
    "vat_id",
    [
        "DE136695976",
        "FR40303265045",
        "IT00743110157",
        "NL004495445B01",
        "PT501964843",
        "GB980780684",
        "ESB58378431",
        "CHE-100.155.212 MWST",
    ],
)
def test_vat_id_check_on_published_examples(vat_id: str) -> None:
    assert vat_id_valid(vat_id)
    digits = [i for i, char in enumerate(vat_id) if char.isdigit()]
    last = digits[-1]
    broken = vat_id[:last] + str((int(vat_id[last]) + 1) % 10) + vat_id[last + 1 :]
    assert not vat_id_valid(broken)


def test_luhn() -> None:
    assert luhn_valid("303265045")


@pytest.mark.parametrize(
    ("style", "text"),
    [
        ("en", "1,234,567.89"),
        ("de", "1.234.567,89"),
        ("fr", "1 234 567,89"),
        ("ch", "1'234'567.89"),
    ],
)
def test_number_styles(style: str, text: str) -> None:
    assert format_number(Decimal("1234567.89"), style) == text
    assert format_number(Decimal("12.5"), style)[-3:] in (".50", ",50")
    assert parse_amount(text) == Decimal("1234567.89")


def test_money_and_dates() -> None:
    assert format_money(Decimal("1234.5"), "de", "EUR", "symbol", before=False) == "1.234,50 €"
    assert format_money(Decimal("9"), "en", "GBP", "symbol", before=True) == "£ 9.00"
    assert format_money(Decimal("9"), "ch", "CHF", "code", before=True) == "CHF 9.00"
    day = datetime.date(2024, 3, 12)
    assert format_date(day, "dmy.", "de") == "12.03.2024"
    assert format_date(day, "mdy/", "en") == "03/12/2024"
    assert format_date(day, "iso", "fr") == "2024-03-12"
    assert format_date(day, "long", "de") == "12. März 2024"
    assert format_date(datetime.date(2024, 2, 3), "short", "fr") == "3 févr. 2024"
    assert format_date(day, "long", "es") == "12 de marzo de 2024"
    assert format_date(day, "long_us", "en") == "March 12, 2024"


# --- the examples folder ------------------------------------------------------------------


def test_write_examples(tmp_path: Path) -> None:
    paths = write_examples(tmp_path, 4, seed=2, **FAST)
    assert [p.stem for p in paths] == ["000", "001", "002", "003"]
    manifest = [json.loads(line) for line in (tmp_path / "manifest.jsonl").read_text().splitlines()]
    assert len(manifest) == 4
    for path, meta in zip(paths, manifest, strict=True):
        key = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        assert all(isinstance(value, str) for value in key.values())
        assert {"number", "date", "due_date", "vendor", "total", "currency"} <= set(key)
        truth = meta["truth"]
        assert parse_date(key["date"]) == datetime.date.fromisoformat(truth["issue_date"])
        assert parse_amount(key["total"]) == Decimal(truth["total"])
        assert meta["document"] == path.name
        with Image.open(path) as image:
            assert getattr(image, "n_frames", 1) == meta["choices"]["pages"]
            assert image.format == ("PNG" if path.suffix == ".png" else "TIFF")


# --- the scorer ---------------------------------------------------------------------------


def answer(name: str, value: object, status: str = "ok") -> FieldResult:
    return FieldResult(name=name, raw_text=str(value), value=value, confidence=0.9, status=status)


def test_field_accuracy() -> None:
    truths = [make_invoice(seed, pages=1, **FAST).truth for seed in range(4)]
    empty: list[PageResult] = []

    def perfect(truth: InvoiceTruth) -> list[FieldResult]:
        return [
            answer("number", truth.number),
            answer("date", truth.issue_date),
            answer("due_date", truth.due_date),
            answer("vendor", truth.vendor.upper()),  # case does not matter
            answer("total", truth.total),
            answer("currency", truth.currency),
        ]

    right = iter([perfect(t) for t in truths])
    report = field_accuracy([(t, empty) for t in truths], lambda _pages: next(right))
    assert all(report[name]["accuracy"] == 1.0 for name in report)
    assert all(report[name]["ok_wrong"] == 0.0 for name in report)

    def confidently_wrong(truth: InvoiceTruth) -> list[FieldResult]:
        return [
            answer("total", truth.total + 1),
            answer("date", truth.due_date),
            answer("number", truth.number, status="needs_review"),
        ]

    wrong = iter([confidently_wrong(t) for t in truths])
    report = field_accuracy([(t, empty) for t in truths], lambda _pages: next(wrong))
    assert report["total"] == {
        **report["total"],
        "n": 4,
        "accuracy": 0.0,
        "ok": 1.0,
        "ok_wrong": 1.0,
    }
    assert report["number"]["accuracy"] == 1.0 and report["number"]["ok"] == 0.0
    assert report["vendor"]["ok"] == 0.0 and len(report["vendor"]["misses"]) == 4
    assert report["_all"]["n"] == 24


# --- the OCR reads the renders ------------------------------------------------------------


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.mark.slow
def test_ocr_reads_the_renders(engine: OcrEngine) -> None:
    """Three pages in three languages, with noise and a slight skew: the printed number, total
    and dates are among the recognised lines (spaces ignored; '€', '£', 'ä', 'é' included)."""
    documents = [
        make_invoice(
            21, locale="de-DE", pages=1, currency_mark="symbol", date_style="long", noise=0.3
        ),
        make_invoice(
            22, locale="fr-FR", pages=1, currency_mark="symbol", date_style="short", rotation=0.4
        ),
        make_invoice(
            23, locale="en-GB", pages=1, currency_mark="symbol", date_style="dmy/", font="serif"
        ),
    ]
    inputs = [DocumentInput(f"{d.seed}.png", d.encode()[0]) for d in documents]
    for document, result in zip(documents, engine.read(inputs), strict=True):
        text = squeeze(" ".join(line.text for page in result.pages for line in page.lines))
        printed = document.truth.printed
        for name in ("number", "issue_date", "due_date", "total", "net"):
            assert squeeze(printed[name]) in text, (document.truth.locale, name, printed[name])
        assert squeeze(document.truth.vendor) in text


class FakeEngine:
    """Reads every document as one page holding its source name; counts the calls."""

    def __init__(self) -> None:
        self.calls = 0

    def read(self, documents: Iterable[DocumentInput]) -> list[DocumentResult]:
        self.calls += 1
        results = []
        for document in documents:
            line = LineResult(order=0, text=document.source, confidence=0.9, polygon=[(0, 0)] * 4)
            page = PageResult(number=1, width=10, height=10, lines=[line])
            results.append(
                DocumentResult(source=document.source, pages=[page], model_set="x", runtime="x")
            )
        return results


def test_readings_are_cached(tmp_path: Path) -> None:
    documents = [make_invoice(seed, pages=1, **FAST) for seed in range(2)]
    engine = FakeEngine()
    first = read_documents(documents, tmp_path, "fake", engine)
    again = read_documents(documents, tmp_path, "fake", engine)
    assert engine.calls == 1
    assert first == again
    assert [pages[0].lines[0].text for pages in first] == ["synthetic-0.png", "synthetic-1.png"]
    other = read_documents([make_invoice(0, pages=1, noise=0.3)], tmp_path, "fake", engine)
    assert engine.calls == 2  # other choices, another reading
    assert other[0][0].lines[0].text == "synthetic-0.png"
