"""An IBAN printed across a line break is read whole (issue 13)."""

from __future__ import annotations

from ocrflow.ocr_tasks.fields import extract_fields
from ocrflow.ocr_tasks.fields.checks import iban_error
from tests.test_fields import by_name, make_page

WHOLE = "FR76 1760 5401 3063 9929 8034 376"


def _invoice(*iban_rows: str) -> dict[str, object]:
    rows = [("Facture", 40, 20), ("Numéro de facture : F-2031", 40, 60),
            ("Total TTC 120,00 EUR", 40, 100), ("Coordonnées bancaires", 40, 900)]  # fmt: skip
    rows += [(text, 40 + (0 if i == 0 else 60), 930 + 24 * i) for i, text in enumerate(iban_rows)]
    fields = by_name(extract_fields("invoice", [make_page(*rows)], locale="fr-FR"))
    return {"value": fields["iban"].value, "lines": len(fields["iban"].lines)}


def test_the_groups_that_wrapped_onto_the_next_line_complete_the_iban() -> None:
    assert iban_error(WHOLE) is None
    found = _invoice("IBAN : FR76 1760 5401 3063 9929", "8034 376")
    assert found == {"value": WHOLE, "lines": 2}


def test_a_next_line_that_does_not_complete_it_is_left_alone() -> None:
    found = _invoice("IBAN : FR76 1760 5401 3063 9929", "BIC : CCBPFRPPXXX")
    assert found["value"] == "FR76 1760 5401 3063 9929" and found["lines"] == 1
