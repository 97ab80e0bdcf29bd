"""Invoice fields in several languages and formats, on pages made by hand (issue 13).

Each test states one behaviour: labels in the seven languages, the locale's number and date
formats, a total on the last page, the net + tax check, ambiguous dates decided by another
date or sent to review, a running header that is never the vendor, region words kept out
of the core types.
"""

from __future__ import annotations

import datetime
import inspect
import re
from decimal import Decimal

import pytest

from ocrflow.ocr_tasks.fields import Scorer, extract_fields
from ocrflow.ocr_tasks.fields.localise import localised_specs
from ocrflow.schemas import doctypes
from ocrflow.schemas.doctypes import Invoice, Receipt
from ocrflow.schemas.records import FieldResult, PageResult
from tests.test_fields import by_name, make_page


def numbered(page: PageResult, number: int) -> PageResult:
    return page.model_copy(update={"number": number})


GERMAN = make_page(
    ("Müller Bürotechnik GmbH", 40, 20),
    ("Hauptstraße 5, 10115 Berlin", 40, 45),
    ("Rechnungsnummer:", 420, 120),
    ("RE-2024-0815", 600, 120),
    ("Rechnungsdatum:", 420, 150),
    ("15. März 2024", 600, 150),
    ("Fällig am:", 420, 180),
    ("14.04.2024", 600, 180),
    ("Nettobetrag", 420, 600),
    ("1.037,39 €", 640, 600),
    ("MwSt. 19 %", 420, 630),
    ("197,10 €", 640, 630),
    ("Gesamtbetrag", 420, 660),
    ("1.234,49 €", 640, 660),
    ("IBAN: DE89 3704 0044 0532 0130 00", 40, 900),
)

FRENCH = make_page(
    ("Atelier Lumière SARL", 40, 20),
    ("Facture N° F-2024-117", 420, 120),
    ("Date de facture : 3 févr. 2024", 420, 150),
    ("Total HT", 420, 600),
    ("1 954,67 €", 640, 600),
    ("TVA 20 %", 420, 630),
    ("390,93 €", 640, 630),
    ("Net à payer", 420, 660),
    ("2 345,60 €", 640, 660),
)


@pytest.mark.parametrize("scorer", ["rules", "auto"])
def test_german_labels_amounts_and_dates(scorer: str) -> None:
    chosen: Scorer = "rules" if scorer == "rules" else "auto"
    fields = by_name(extract_fields("invoice", [GERMAN], scorer=chosen, locale="de-DE"))
    assert fields["number"].value == "RE-2024-0815"
    assert fields["date"].value == datetime.date(2024, 3, 15)
    assert fields["due_date"].value == datetime.date(2024, 4, 14)
    assert fields["total"].value == Decimal("1234.49")
    assert fields["vendor"].value == "Müller Bürotechnik GmbH"


def test_german_fields_on_the_auto_locale() -> None:
    fields = by_name(extract_fields("invoice", [GERMAN], scorer="rules"))
    assert fields["date"].value == datetime.date(2024, 3, 15)
    assert fields["total"].value == Decimal("1234.49")
    assert fields["net"].value == Decimal("1037.39")
    assert fields["iban"].value == "DE89 3704 0044 0532 0130 00"


def test_french_space_grouping_and_month_abbreviation() -> None:
    fields = by_name(extract_fields("invoice", [FRENCH], scorer="rules", locale="fr-FR"))
    assert fields["number"].value == "F-2024-117"
    assert fields["date"].value == datetime.date(2024, 2, 3)
    assert fields["total"].value == Decimal("2345.60")
    assert fields["net"].value == Decimal("1954.67")


def test_the_total_on_the_last_page_of_several() -> None:
    first = make_page(
        ("Northwind Traders Ltd", 40, 20),
        ("Invoice No: NW-7781", 420, 120),
        ("Invoice Date: 2024-05-02", 420, 150),
        ("Widget A    3 x 10.00    30.00", 40, 400),
        ("Continued on next page", 300, 1100),
    )
    second = make_page(
        ("Widget B    1 x 70.00    70.00", 40, 100),
        ("Subtotal", 420, 600),
        ("100.00", 640, 600),
        ("VAT 20%", 420, 630),
        ("20.00", 640, 630),
        ("Total due", 420, 660),
        ("120.00", 640, 660),
    )
    fields = by_name(extract_fields("invoice", [first, numbered(second, 2)], scorer="rules"))
    assert fields["total"].value == Decimal("120.00")
    assert fields["total"].lines[0].page == 2
    assert fields["number"].value == "NW-7781"


def test_a_total_that_is_not_net_plus_tax_goes_to_review() -> None:
    page = make_page(
        ("Northwind Traders Ltd", 40, 20),
        ("Invoice No: NW-7782", 420, 120),
        ("Subtotal", 420, 600),
        ("100.00", 640, 600),
        ("VAT 20%", 420, 630),
        ("20.00", 640, 630),
        ("Total due", 420, 660),
        ("129.00", 640, 660),
    )
    total = by_name(extract_fields("invoice", [page], scorer="rules"))["total"]
    assert total.value == Decimal("129.00")
    assert total.status == "needs_review"
    assert "100.00" in (total.reason or "") and "129.00" in (total.reason or "")


def _dated(*rows: tuple[str, float, float], locale: str | None = None) -> FieldResult:
    page = make_page(("Northwind Traders Ltd", 40, 20), *rows)
    return by_name(extract_fields("invoice", [page], scorer="rules", locale=locale))["date"]


def test_an_ambiguous_date_alone_goes_to_review() -> None:
    date = _dated(("Invoice Date: 03/04/2024", 420, 150))
    assert date.status == "needs_review"
    assert "3 April 2024 or 4 March 2024" in (date.reason or "")


def test_an_ambiguous_date_is_decided_by_another_date() -> None:
    date = _dated(("Invoice Date: 03/04/2024", 420, 150), ("Due Date: 25/04/2024", 420, 180))
    assert date.value == datetime.date(2024, 4, 3)
    assert "reads as" not in (date.reason or "")


def test_an_ambiguous_date_is_decided_by_the_locale() -> None:
    date = _dated(("Invoice Date: 03/04/2024", 420, 150), locale="en-US")
    assert date.value == datetime.date(2024, 3, 4)
    assert "reads as" not in (date.reason or "")


def test_a_line_on_every_page_is_never_the_vendor() -> None:
    note = ("Printed with stylesheet INV-A4 v2 Corp", 40, 5)
    first = make_page(note, ("Fabrikam Supplies Ltd", 40, 40), ("Invoice No: FB-1", 420, 120))
    second = make_page(note, ("Total due 10.00", 420, 600))
    fields = by_name(extract_fields("invoice", [first, numbered(second, 2)], scorer="rules"))
    assert fields["vendor"].value == "Fabrikam Supplies Ltd"


@pytest.mark.parametrize("scorer", ["rules", "auto"])
@pytest.mark.parametrize("title", ["TAX INVOICE", "Rechnung", "FACTURE", "Official Receipt"])
def test_a_document_title_is_never_the_company_or_vendor(scorer: Scorer, title: str) -> None:
    page = make_page(
        (title, 300, 5),
        ("Fabrikam Trading Sdn Bhd", 40, 40),
        ("12 Jalan Besar, 50050 Kuala Lumpur", 40, 70),
        ("Date: 14/03/2024", 420, 120),
        ("TOTAL 16.50", 420, 600),
    )
    company = by_name(extract_fields("receipt", [page], scorer=scorer))["company"]
    vendor = by_name(extract_fields("invoice", [page], scorer=scorer))["vendor"]
    assert company.value == "Fabrikam Trading Sdn Bhd"
    assert vendor.value != title


def test_a_title_in_any_supported_language_reads_as_one() -> None:
    from ocrflow.ocr_tasks.fields.locales import is_document_title

    for title in ("TAX INVOICE", "Facture / Receipt", "Fattura", "Kassenbon", "Invois Cukai"):
        assert is_document_title(title), title
    for name in ("INVOICE MASTERS SDN BHD", "Bon Appetit Cafe", "12 INVOICE", ""):
        assert not is_document_title(name), name


def test_region_words_come_from_the_locale_pack_not_the_core_types() -> None:
    source = inspect.getsource(doctypes)
    assert not re.search(r"SDN|BHD|BERHAD|KEDAI|JUMLAH|TARIKH", source)
    by_locale = {
        locale: {s.name: s for s in localised_specs(Receipt, locale)}
        for locale in ("en-US", "en-MY", "auto")
    }
    assert not re.search(by_locale["en-US"]["company"].rule.pattern or "", "KEDAI ABC SDN BHD")
    assert re.search(by_locale["en-MY"]["company"].rule.pattern or "", "KEDAI ABC SDN BHD")
    assert re.search(by_locale["auto"]["company"].rule.pattern or "", "KEDAI ABC SDN BHD")
    assert "jumlah" in by_locale["en-MY"]["total"].rule.labels
    assert "jumlah" not in by_locale["en-US"]["total"].rule.labels


def test_labels_in_seven_languages_for_every_invoice_concept() -> None:
    specs = {spec.name: spec for spec in localised_specs(Invoice, "auto")}
    wanted = {
        "number": ("rechnungsnummer", "numéro de facture", "número de factura", "numero fattura",
                   "factuurnummer", "número da fatura"),
        "total": ("zahlbetrag", "gesamtbetrag", "net à payer", "total a pagar"),
        "vendor": ("verkäufer", "fournisseur", "seller"),
        "vat_id": ("ust-idnr.", "partita iva", "btw-nummer"),
    }  # fmt: skip
    for name, words in wanted.items():
        for word in words:
            assert word in specs[name].rule.labels, (name, word)


def test_an_ambiguous_date_is_decided_by_the_documents_language() -> None:
    spanish = _dated(
        ("Factura n.º: F2024/3487", 420, 120),
        ("Fecha de factura: 05/08/2024", 420, 150),
        ("Base imponible 100,00", 420, 600),
        ("Total a pagar 121,00", 420, 630),
    )
    assert spanish.value == datetime.date(2024, 8, 5)
    assert "reads as" not in (spanish.reason or "")
    english = _dated(
        ("Invoice Number: F2024/3487", 420, 120), ("Invoice Date: 05/08/2024", 420, 150)
    )
    assert english.status == "needs_review" and "reads as" in (english.reason or "")


def test_the_locale_setting_reaches_stored_fields() -> None:
    from ocrflow.ocr_tasks.extract import finish_document
    from ocrflow.schemas.records import DocumentResult, SourceObject
    from ocrflow.schemas.settings import FieldSettings

    page = make_page(("Northwind Traders Ltd", 40, 20), ("Invoice Date: 03/04/2024", 420, 150))
    document = DocumentResult(source="a.png", pages=[page], model_set="m", runtime="r")
    origin = SourceObject(uri="a.png", key="a.png", etag="1")
    dates = {
        locale: by_name(
            finish_document(document, origin, Invoice, 0.5, FieldSettings(locale=locale)).fields
        )["date"]
        for locale in ("en-US", "en-GB")
    }
    assert dates["en-US"].value == datetime.date(2024, 3, 4)
    assert dates["en-GB"].value == datetime.date(2024, 4, 3)


def test_an_excluded_label_above_a_lone_value_marks_it_excluded() -> None:
    """The Malaysian pack's "Total Included GST" names the tax in a receipt's footer; its
    amount may stand alone on the line under it ("1.42)"), where the label above must still
    exclude it, while a total under a plain TOTAL is not."""
    from ocrflow.ocr_tasks.fields.candidates import FEATURES, field_candidates
    from ocrflow.ocr_tasks.fields.layout import page_lines

    page = make_page(
        ("TOTAL", 40, 300),
        ("25.15", 40, 330),
        ("(Total Included GST @ 6%", 40, 460),
        ("1.42)", 40, 490),
    )
    [spec] = [s for s in localised_specs(Receipt, "en-MY") if s.name == "total"]
    found = field_candidates(spec, page_lines([page]), {})
    column = found.features[:, FEATURES.index("excluded")]
    excluded = dict(zip([str(c.value) for c in found.candidates], column, strict=True))
    assert excluded == {"25.15": 0.0, "1.42": 1.0}
