"""An invoice printed as a grid of labelled rows, as e-invoice viewers print one: the seller's
block under ``Verkäufer`` holds ``Firmenname:`` and its value, and the totals say ``ohne`` and
``einschl. Umsatzsteuer`` (issue 13)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from ocrflow.ocr_tasks.fields import extract_fields
from ocrflow.ocr_tasks.fields.rules import is_own_label, without_own_label
from ocrflow.schemas.doctypes import Invoice
from tests.test_fields import make_page

GRID = (
    ("Visualisierung einer elektronischen Rechnung", 40, 10),
    ("Rechnung", 40, 60),
    ("Käufer", 40, 110),
    ("Verkäufer", 420, 110),
    ("Name:", 40, 140),
    ("Musterkunde AG", 140, 140),
    ("Firmenname:", 420, 140),
    ("Lieferant GmbH", 560, 140),
    ("Straße:", 40, 170),
    ("Kundenweg 5", 140, 170),
    ("Straße:", 420, 170),
    ("Lieferantenstraße 20", 560, 170),
    ("PLZ und Ort:", 40, 200),
    ("10115 Berlin", 140, 200),
    ("PLZ und Ort:", 420, 200),
    ("80333 München", 560, 200),
    ("Rechnungsdaten", 40, 280),
    ("Rechnungsnummer:", 40, 310),
    ("471102", 240, 310),
    ("Rechnungsdatum:", 40, 340),
    ("05.03.2024", 240, 340),
    ("Fälligkeitsdatum:", 40, 370),
    ("04.04.2024", 240, 370),
    ("Gesamtbeträge der Rechnung", 40, 460),
    ("Summe aller Positionen", 40, 490),
    ("473,00", 500, 490),
    ("Gesamtbetrag ohne Umsatzsteuer", 40, 520),
    ("473,00", 500, 520),
    ("Summe Umsatzsteuer", 40, 550),
    ("56,87", 500, 550),
    ("Gesamtbetrag einschl. Umsatzsteuer", 40, 580),
    ("529,87", 500, 580),
    ("Zahlbetrag", 40, 610),
    ("529,87", 500, 610),
)


@pytest.mark.parametrize(
    ("text", "label"),
    [("Firmenname:", True), ("PLZ und Ort:", True), ("Lieferant GmbH", False), ("Name: X", False)],
)
def test_a_label_of_its_own(text: str, label: bool) -> None:
    assert is_own_label(text) is label


def test_the_text_after_a_label_of_its_own() -> None:
    assert without_own_label("Name: Lieferant GmbH") == "Lieferant GmbH"
    assert without_own_label("Lieferant GmbH") == "Lieferant GmbH"


def test_the_hand_rules_read_the_grid() -> None:
    found = {f.name: f for f in extract_fields(Invoice, [make_page(*GRID)], scorer="rules")}
    assert found["vendor"].value == "Lieferant GmbH"
    assert found["number"].value == "471102"
    assert found["date"].value == datetime.date(2024, 3, 5)
    assert found["net"].value == Decimal("473.00")
    assert found["tax"].value == Decimal("56.87")
    assert found["total"].value == Decimal("529.87")


def test_the_model_takes_the_seller_right_of_its_row_label() -> None:
    found = {f.name: f for f in extract_fields(Invoice, [make_page(*GRID)])}
    assert found["vendor"].value == "Lieferant GmbH"
    assert found["total"].value == Decimal("529.87")
