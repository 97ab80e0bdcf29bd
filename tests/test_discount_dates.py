"""A date that a sentence names as something else (a discount's) is no due date (issue 13)."""

from __future__ import annotations

import datetime

from ocrflow.ocr_tasks.fields import extract_fields
from ocrflow.ocr_tasks.fields.candidates import FEATURES, field_candidates
from ocrflow.ocr_tasks.fields.layout import page_lines
from ocrflow.ocr_tasks.fields.localise import localised_specs
from ocrflow.schemas.doctypes import Invoice
from tests.test_fields import by_name, make_page

ROWS = (
    ("Rechnung", 40, 20),
    ("Rechnungsdatum: 13.05.2024", 40, 60),
    ("Gesamtbetrag 2.048,74 €", 40, 600),
    ("Zahlungsziel 14 Tage netto.", 40, 640),
    ("Bei Zahlung bis zum 18.05.2024 gewähren wir 3 % Skonto.", 40, 664),
)


def test_the_rules_take_no_value_from_a_line_under_the_label_that_names_a_discount() -> None:
    fields = by_name(extract_fields("invoice", [make_page(*ROWS)], scorer="rules"))
    # The payment terms are shown for review; the discount's date is not taken.
    assert fields["due_date"].value is None and fields["due_date"].status == "needs_review"
    assert fields["date"].value == datetime.date(2024, 5, 13)


def test_a_discount_named_after_the_date_marks_the_candidate_excluded() -> None:
    spec = next(s for s in localised_specs(Invoice, "de-DE") if s.name == "due_date")
    found = field_candidates(spec, page_lines([make_page(*ROWS)]), {})
    excluded = {
        c.value: found.features[i][FEATURES.index("excluded")]
        for i, c in enumerate(found.candidates)
    }
    assert excluded[datetime.date(2024, 5, 18)] == 1.0
    assert excluded[datetime.date(2024, 5, 13)] == 0.0
