"""Invoice lines that look like a field and are not (issue 13): the buyer's VAT ID, an
early-payment discount date, a carried subtotal, a customer number, a date where a number
is wanted, a title with its number; and a seller's name wrapped over two lines or opening a
one-line sender address. Each was a miss on the second invoice generator
(``tests/synthetic/wild.py``)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from ocrflow.ocr_tasks.fields import Scorer, extract_fields
from ocrflow.ocr_tasks.fields.candidates import FEATURES, field_candidates
from ocrflow.ocr_tasks.fields.layout import page_lines
from ocrflow.ocr_tasks.fields.localise import localised_specs
from ocrflow.ocr_tasks.fields.rules import extract_declared
from ocrflow.schemas.doctypes import Invoice
from tests.test_fields import by_name, make_page

SCORERS = ["rules", "auto"]


def invoice(*rows: tuple[str, float, float]) -> dict[str, object]:
    page = make_page(*rows)
    return {f.name: f.value for f in extract_fields("invoice", [page], scorer="rules")}


def test_the_buyers_vat_id_is_not_the_sellers() -> None:
    fields = invoice(
        ("Müller Bürotechnik GmbH", 40, 20),
        ("Ihre USt-IdNr.: DE943200344", 40, 300),
        ("Gesamtbetrag 119,00 €", 420, 600),
        ("USt-IdNr.: DE212688298", 40, 1100),
    )
    assert fields["vat_id"] == "DE212688298"


def test_an_early_payment_discount_date_is_not_the_due_date() -> None:
    fields = invoice(
        ("Müller Bürotechnik GmbH", 40, 20),
        ("Rechnungsdatum: 01.03.2024", 420, 120),
        ("Bei Zahlung bis 08.03.2024 gewähren wir 2 % Skonto.", 40, 700),
        ("Zahlbar bis 31.03.2024 ohne Abzug.", 40, 730),
        ("Gesamtbetrag 119,00 €", 420, 600),
    )
    assert fields["due_date"] == datetime.date(2024, 3, 31)


def test_a_carried_subtotal_is_not_the_net() -> None:
    fields = invoice(
        ("Müller Bürotechnik GmbH", 40, 20),
        ("Zwischensumme (Übertrag)", 420, 500),
        ("80,00 €", 640, 500),
        ("Summe netto", 420, 600),
        ("100,00 €", 640, 600),
        ("Gesamtbetrag", 420, 640),
        ("119,00 €", 640, 640),
    )
    assert fields["net"] == Decimal("100.00")


def test_a_customer_number_or_a_date_is_not_the_invoice_number() -> None:
    fields = invoice(
        ("Müller Bürotechnik GmbH", 40, 20),
        ("Kunden-Nr.: 88769", 420, 100),
        ("Datum: 25/03/2023", 420, 130),
        ("Rechnungs-Nr.: 2025-0891", 420, 160),
        ("Gesamtbetrag 119,00 €", 420, 600),
    )
    assert fields["number"] == "2025-0891"


@pytest.mark.parametrize("scorer", SCORERS)
def test_a_title_with_its_number_is_not_the_vendor(scorer: Scorer) -> None:
    page = make_page(
        ("RECHNUNG NR. 2024/8843", 40, 10),
        ("Südform GmbH", 40, 60),
        ("Gesamtbetrag 119,00 €", 420, 600),
    )
    vendor = by_name(extract_fields("invoice", [page], scorer=scorer))["vendor"]
    assert vendor.value == "Südform GmbH"


def test_a_name_wrapped_in_a_narrow_column_is_read_whole() -> None:
    fields = invoice(
        ("Elektrotechnik", 880, 100),
        ("Schwarz GmbH", 880, 122),
        ("Friedrichstraße 62", 880, 160),
        ("Gesamtbetrag 119,00 €", 420, 600),
    )
    assert fields["vendor"] == "Elektrotechnik Schwarz GmbH"


def _candidates(name: str, *rows: tuple[str, float, float]) -> dict[object, list[float]]:
    lines = page_lines([make_page(*rows)])
    specs = localised_specs(Invoice)
    rules = {r.name: r for r in extract_declared(specs, lines)}
    spec = next(s for s in specs if s.name == name)
    found = field_candidates(spec, lines, rules)
    return {c.value: list(found.features[i]) for i, c in enumerate(found.candidates)}


def test_the_name_opening_a_sender_line_is_a_vendor_candidate() -> None:
    found = _candidates(
        "vendor",
        ("Ihr Partner für Technik", 40, 20),
        ("Schneider & Zimmermann GmbH · Kastanienallee 120b · 50667 Köln", 40, 260),
        ("Gesamtbetrag 119,00 €", 420, 600),
    )
    assert "Schneider & Zimmermann GmbH" in found


def test_dates_rank_by_time_so_the_latest_is_known() -> None:
    found = _candidates(
        "due_date",
        ("Datum: 01.03.2024", 420, 120),
        ("Lieferdatum: 25.02.2024", 420, 150),
        ("Bitte überweisen Sie den Betrag bis zum 31.03.2024.", 40, 700),
    )
    latest = FEATURES.index("is_largest")
    assert found[datetime.date(2024, 3, 31)][latest] == 1.0
    assert found[datetime.date(2024, 3, 1)][latest] == 0.0
