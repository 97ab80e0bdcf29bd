"""Names and addresses as printed: OCR slips tidied, titles over two lines, address lines."""

from __future__ import annotations

import numpy as np
import pytest

from ocrflow.ocr_tasks.fields import extract_fields
from ocrflow.ocr_tasks.fields.candidates import FEATURES, field_candidates
from ocrflow.ocr_tasks.fields.layout import page_lines
from ocrflow.ocr_tasks.fields.locales import ends_with_country, is_address_line, language_letters
from ocrflow.ocr_tasks.fields.localise import localised_specs
from ocrflow.ocr_tasks.fields.scorer import Committee, Example, fit_field
from ocrflow.ocr_tasks.fields.text import document_letters, tidy_text
from ocrflow.schemas.doctypes import Receipt
from tests.test_fields import by_name, make_page

NO_MARKS = frozenset[str]()


@pytest.mark.parametrize(
    ("read", "tidied"),
    [
        (". KMF FO0DICIOUS SDN BHD", "KMF FOODICIOUS SDN BHD"),
        ("URBAN 1DEA SDN BHD", "URBAN IDEA SDN BHD"),
        ("HQ: 7,J1n SS21/34,47400 PJ", "HQ: 7,Jln SS21/34,47400 PJ"),
        ("Gerbang Alaf Restäurants Sdn Bhd", "Gerbang Alaf Restaurants Sdn Bhd"),
        ("TSH POWER HARDWÀRE TRADING,", "TSH POWER HARDWARE TRADING"),
        ("52100 KUALA LUMPUR.", "52100 KUALA LUMPUR."),
        ("NO 29O, JALAN AIR PANAS, 456OO", "NO 290, JALAN AIR PANAS, 45600"),
        ("SO GOOD, NO 2O", "SO GOOD, NO 2O"),
        # A monospace zero for every O of a word, at its end too.
        ("AUT0 SENG SDN BHD", "AUTO SENG SDN BHD"),
        ("81100 J0H0R BAHRU, 31400 IP0H", "81100 JOHOR BAHRU, 31400 IPOH"),
        ("Caf0 Sonne", "Cafo Sonne"),
        ("B00K HARDWARE REST0RAN", "BOOK HARDWARE RESTORAN"),
        ("G00D F00D", "GOOD FOOD"),
        ("A00 0AA", "A00 0AA"),
        # Codes keep their digits: postcodes, unit numbers, road codes.
        ("London SW1A 1AA", "London SW1A 1AA"),
        ("London SW1A 0AA, JM0195368-D", "London SW1A 0AA, JM0195368-D"),
        ("A-16-1, Tower A, No1, Medan", "A-16-1, Tower A, No1, Medan"),
        ("JALAN KPB6, UPTOWN3, U3Shah", "JALAN KPB6, UPTOWN3, U3Shah"),
    ],
)
def test_tidy_text_undoes_the_usual_ocr_slips(read: str, tidied: str) -> None:
    assert tidy_text(read, NO_MARKS) == tidied


def test_tidy_text_keeps_the_letters_the_language_writes() -> None:
    german = frozenset(language_letters("de"))
    assert tidy_text("Müller Straßenbau GmbH", german) == "Müller Straßenbau GmbH"
    assert tidy_text("Müller Straßenbau GmbH", NO_MARKS) == "Muller Straßenbau GmbH"


def _lines(*texts: str) -> list:  # type: ignore[type-arg]
    return page_lines([make_page(*((t, 40, 10 + 25 * i) for i, t in enumerate(texts)))])


def test_document_letters_follow_the_locale_or_what_the_document_says() -> None:
    malaysian = _lines("KEDAI ABC SDN BHD", "GST REG NO: 000123456789", "TOTAL 9.00")
    german = _lines("Rechnung", "Rechnungsnummer 12", "Gesamtbetrag 9,00", "Zahlbar bis")
    assert document_letters(malaysian, "auto") == frozenset()
    assert "ä" in document_letters(german, "auto")
    assert document_letters(german, "en-GB") == frozenset()


def test_a_receipts_company_reads_without_stray_accents_or_digits() -> None:
    page = make_page(
        ("TSH POWER HARDWÀRE TRAD1NG", 40, 10),
        ("(002107265-V)", 60, 35),
        ("NO.15 JLN TSJ2, TMN SUBANG JASA", 40, 60),
        ("40000 SHAH ALAM, SELANGOR", 40, 85),
        ("GST ID: 001169362944", 40, 110),
        ("TOTAL 16.50", 40, 300),
    )
    for scorer in ("rules", "auto"):
        company = by_name(extract_fields("receipt", [page], scorer=scorer))["company"]  # type: ignore[arg-type]
        assert company.value == "TSH POWER HARDWARE TRADING", scorer
        assert company.raw_text == "TSH POWER HARDWÀRE TRAD1NG"


def test_what_follows_a_registration_number_is_not_the_name() -> None:
    page = make_page(
        ("KING'S CONFECTIONERY S/B 273500-U (KSB)", 40, 10),
        ("NO.41, JALAN SERI BINTANG 2", 40, 35),
        ("TOTAL 5.00", 40, 300),
    )
    fields = by_name(extract_fields("receipt", [page], scorer="rules"))
    assert fields["company"].value == "KING'S CONFECTIONERY S/B"


@pytest.mark.parametrize("scorer", ["rules", "auto"])
def test_a_title_printed_over_two_lines_is_not_the_company(scorer: str) -> None:
    page = make_page(
        ("TAX", 300, 5),
        ("INVOICE", 300, 30),
        ("BHPetrol Subang Airport", 40, 60),
        ("Jalan Lapangan Terbang Subang", 40, 85),
        ("TOTAL 16.50", 40, 300),
    )
    company = by_name(extract_fields("receipt", [page], scorer=scorer))["company"]  # type: ignore[arg-type]
    assert company.value == "BHPetrol Subang Airport"


@pytest.mark.parametrize(
    ("line", "postal"),
    [
        ("19-1, JALAN MALINJA 2, TAMAN BUNGA RAYA,", True),
        ("Hauptstraße 5", True),
        ("10115 Berlin", True),
        ("12 rue de la Paix", True),
        ("Selangor", True),
        ("Licensee of McDonald's", False),
        ("CARRY OUT NOW", False),
        ("TK DIVISION KITCHEN SDN BHD", False),
        ("Total 12.50", False),
        ("PREPAY CHIT NUMBER 29721", False),
        ("TEL: 03-4161 8936", False),
        ("Seksyen U3 Shah Alam, 40150", True),
        # A house number glued to its street, a unit code before it, streets in one word.
        ("54,JALANSS23/11.", True),
        ("K3-113, JL IBRAHIM SULTAN", True),
        ("Bahnhofstr. 110", True),
        ("Marktplatz 68", True),
        # A company's legal form is no place name (KG, not Kampung).
        ("Boulangerie Dupont KG", False),
        ("IKEA Cheras", False),
        ("B00K MUTIARA (484542-U)", False),  # zeros for Os, not a unit number
        ("Site: 1046", False),
        ("Ministry of Finance", False),
    ],
)
def test_address_lines(line: str, postal: bool) -> None:
    assert is_address_line(line) is postal


def _address_rows(*texts: str) -> dict[object, np.ndarray]:  # type: ignore[type-arg]
    """Each address candidate's feature row on a page of these lines."""
    from ocrflow.ocr_tasks.fields.rules import extract_declared

    lines = _lines(*texts)
    specs = {spec.name: spec for spec in localised_specs(Receipt)}
    rules = {r.name: r for r in extract_declared(list(specs.values()), lines)}
    found = field_candidates(specs["address"], lines, rules)
    return {c.value: found.features[i] for i, c in enumerate(found.candidates)}


def test_an_address_blocks_candidates_say_which_ends_are_postal() -> None:
    rows = _address_rows(
        "FASTFOOD SDN BHD", "Licensee of Fastfood", "Level 6, Bangunan TH,", "47400 Petaling Jaya"
    )
    first = FEATURES.index("address_first")
    assert rows["Level 6, Bangunan TH, 47400 Petaling Jaya"][first] == 1.0
    assert rows["Licensee of Fastfood Level 6, Bangunan TH, 47400 Petaling Jaya"][first] == 0.0


def test_the_fitted_scorer_is_the_committee_the_calibration_was_fitted_on() -> None:
    rng = np.random.default_rng(0)
    examples = []
    for i in range(30):
        x = rng.normal(size=(6, len(FEATURES)))
        right = np.zeros(6, dtype=bool)
        right[i % 6] = True
        x[i % 6, 0] += 3.0
        ones = np.ones(6)
        examples.append(Example(x, right, ones, ones, np.zeros(6), np.zeros(6), np.arange(6)))
    fitted = fit_field(examples, folds=5)
    assert isinstance(fitted.model.scorer, Committee)
    assert len(fitted.model.scorer.members) == 5
    probabilities = fitted.model.scorer.predict(examples[0].features)
    members = [m.predict(examples[0].features) for m in fitted.model.scorer.members]
    assert np.allclose(probabilities, np.mean(members, axis=0))


def test_an_address_block_holding_a_price_says_so() -> None:
    rows = _address_rows(
        "USJ SUMMIT SDN BHD", "USJ Summit, Subang (SS)", "22241 WS CUT SCISSORS 18.00"
    )
    priced = FEATURES.index("priced")
    assert rows["USJ Summit, Subang (SS)"][priced] == 0.0
    assert rows["USJ Summit, Subang (SS) 22241 WS CUT SCISSORS 18.00"][priced] == 1.0


def test_a_legal_form_misread_with_a_digit_still_marks_a_company() -> None:
    import re

    from ocrflow.ocr_tasks.fields.locales import company_pattern

    pattern = re.compile(company_pattern(region="my"))
    assert pattern.search("99 SPEED MART 5/B (519537-X)")
    assert not pattern.search("5 kg")


def test_a_page_in_a_language_with_marks_keeps_its_neighbours_marks() -> None:
    """A German till roll prints a French shop's name; only pages in languages that write no
    marks (English, Malay) lose the recogniser's stray accents."""
    german = _lines("Épicerie Green", "Datum 31.05.2019", "MwSt 19%", "Gesamtbetrag 9,00")
    assert tidy_text("Épicerie Green", document_letters(german, "auto")) == "Épicerie Green"
    assert "é" in document_letters(german, "de-DE")
    malaysian = _lines("Épicerie Green", "GST REG NO: 000123456789", "TOTAL 9.00")
    assert tidy_text("Épicerie Green", document_letters(malaysian, "auto")) == "Epicerie Green"


@pytest.mark.parametrize(
    "before_street",
    [
        ("IKEA Cheras",),  # a branch's name
        ("Site: 1046",),  # a site number
        ("formerly known as", "Golden Arches Restaurants Sdn Bhd", "Licensee of McDonald's"),
    ],
)
def test_an_address_starts_on_its_street(before_street: tuple[str, ...]) -> None:
    page = make_page(
        *((text, 40, 10 + 25 * i) for i, text in enumerate((
            "IKANO HANDEL SDN BHD", *before_street, "No 2A Jalan Cochrane", "Taman Maluri",
            "55100 KUALA LUMPUR", "TEL: 03-7952 7575", "TOTAL 16.50",
        )))
    )  # fmt: skip
    for scorer in ("rules", "auto"):
        address = by_name(extract_fields("receipt", [page], scorer=scorer))["address"]  # type: ignore[arg-type]
        assert address.value == "No 2A Jalan Cochrane Taman Maluri 55100 KUALA LUMPUR", scorer


def test_a_name_with_its_registration_number_anchors_the_address() -> None:
    page = make_page(
        ("UNIQUE CAHAYA (635978-H)", 40, 10),
        ("NO 237, PERSIARAN PERDANA,", 40, 35),
        ("TAMAN BUKIT INDAH,", 40, 60),
        ("75000 MELAKA, MALAYSIA", 40, 85),
        ("TEL: 08-8117010", 40, 110),
        ("TOTAL 16.50", 40, 300),
    )
    fields = by_name(extract_fields("receipt", [page], scorer="rules"))
    assert fields["company"].value == "UNIQUE CAHAYA"
    zeros = page.lines[0].model_copy(update={"text": "B00K MUTIARA (484542-U)"})
    read = page.model_copy(update={"lines": [zeros, *page.lines[1:]]})
    assert by_name(extract_fields("receipt", [read], scorer="rules"))["company"].value == (
        "BOOK MUTIARA"
    )
    assert fields["address"].value == (
        "NO 237, PERSIARAN PERDANA, TAMAN BUKIT INDAH, 75000 MELAKA, MALAYSIA"
    )


def test_a_brand_over_the_name_is_not_the_name() -> None:
    page = make_page(
        ("Markt", 60, 10),
        ("Markt Hofmann & Co.", 40, 35),
        ("Avenue Victor Hugo 92", 40, 60),
        ("69001 Lyon", 40, 85),
        ("TEL: 04-7811 2090", 40, 110),
        ("TOTAL 16,50", 40, 300),
    )
    for scorer in ("rules", "auto"):
        fields = by_name(extract_fields("receipt", [page], scorer=scorer))  # type: ignore[arg-type]
        assert fields["company"].value == "Markt Hofmann & Co.", scorer
        assert fields["address"].value == "Avenue Victor Hugo 92 69001 Lyon", scorer


def test_every_letter_of_a_value_counts_toward_its_sureness() -> None:
    from ocrflow.ocr_tasks.fields.decide import as_example
    from ocrflow.ocr_tasks.fields.rules import extract_declared

    lines = _lines("KEDAI ABC SDN BHD", "NO 12, JALAN MAJU", "TAMAN JAYA", "TEL: 03-1234 5678")
    specs = {spec.name: spec for spec in localised_specs(Receipt)}
    rules = {r.name: r for r in extract_declared(list(specs.values()), lines)}
    found = field_candidates(specs["address"], lines, rules)
    example = as_example(found)
    by_value = {c.value: i for i, c in enumerate(found.candidates)}
    one, two = by_value["NO 12, JALAN MAJU"], by_value["NO 12, JALAN MAJU TAMAN JAYA"]
    # make_page reads each line at 0.9 - order/100 and keeps no letter's own confidence; the
    # comma after 12 counts (a misread digit), the space does not.
    assert example.char_all[one] == pytest.approx(14 * np.log(0.89))
    assert example.char_all[two] == pytest.approx(14 * np.log(0.89) + 9 * np.log(0.88))
    assert example.char_min[two] == pytest.approx(0.88)


@pytest.mark.parametrize(("doubtful", "char_min"), [(":", 0.73), ("(", 0.99)])
def test_a_doubtful_mark_beside_a_digit_counts_a_doubtful_bracket_does_not(
    doubtful: str, char_min: float
) -> None:
    from ocrflow.ocr_tasks.fields.decide import as_example
    from ocrflow.ocr_tasks.fields.rules import extract_declared

    page = make_page(("KEDAI ABC SDN BHD", 40, 10), ("NO.5: 55,57 (TAMAN DAYA)", 40, 35),
                     ("81100 JOHOR BAHRU", 40, 60), ("TEL: 07-355 2616", 40, 85))  # fmt: skip
    text = page.lines[1].text
    confidences = [0.73 if char == doubtful else 0.99 for char in text]
    lines = [page.lines[0], page.lines[1].model_copy(update={"char_confidences": confidences}),
             *page.lines[2:]]  # fmt: skip
    found_lines = page_lines([page.model_copy(update={"lines": lines})])
    specs = {spec.name: spec for spec in localised_specs(Receipt)}
    rules = {r.name: r for r in extract_declared(list(specs.values()), found_lines)}
    found = field_candidates(specs["address"], found_lines, rules)
    example = as_example(found)
    index = next(i for i, c in enumerate(found.candidates) if c.value == text)  # one line
    assert example.char_min[index] == pytest.approx(char_min)


@pytest.mark.parametrize(
    ("mark_read_at", "name"), [(0.99, "Dupont Café & Co."), (0.6, "Dupont Cafe & Co.")]
)
def test_a_mark_read_surely_is_kept_on_an_english_receipt(mark_read_at: float, name: str) -> None:
    page = make_page(
        ("Dupont Café & Co.", 40, 10),
        ("12 High Street", 40, 35),
        ("London SW1A 1AA", 40, 60),
        ("TEL: 020 7946 0000", 40, 85),
        ("RECEIPT", 40, 110),
        ("SUBTOTAL 16.50", 40, 280),
        ("TOTAL 16.50", 40, 300),
        ("CASH 20.00", 40, 320),
        ("CHANGE 3.50", 40, 340),
        ("THANK YOU, PLEASE COME AGAIN", 40, 360),
    )
    text = page.lines[0].text
    sure = [mark_read_at if char == "é" else 0.99 for char in text]
    lines = [page.lines[0].model_copy(update={"char_confidences": sure}), *page.lines[1:]]
    page = page.model_copy(update={"lines": lines})
    assert document_letters(page_lines([page]), "auto") == (
        {"é"} if mark_read_at > 0.9 else frozenset()
    )
    for scorer in ("rules", "auto"):
        company = by_name(extract_fields("receipt", [page], scorer=scorer))["company"]  # type: ignore[arg-type]
        assert company.value == name, scorer
        assert company.raw_text == text


@pytest.mark.parametrize(
    ("streets", "after", "address"),
    [
        # A mall's name or a bill's title under the country is no part of the address.
        (("No 8, Jalan 7/118B, Desa Tun Razak", "56000 Kuala Lumpur, Malaysia"),
         "SUNWAY VELOCITY", "No 8, Jalan 7/118B, Desa Tun Razak 56000 Kuala Lumpur, Malaysia"),
        (("Lot 50, Floor T2, Sky Avenue", "69000 Pahang Malaysia"), "Guest Check",
         "Lot 50, Floor T2, Sky Avenue 69000 Pahang Malaysia"),
        # A street named after a country, before its postcode, does not end the address.
        (("NO 8 JALAN CHAD", "47400 PETALING JAYA"), "SELANGOR",
         "NO 8 JALAN CHAD 47400 PETALING JAYA SELANGOR"),
    ],
)  # fmt: skip
def test_an_address_ends_on_its_country(streets: tuple[str, ...], after: str, address: str) -> None:
    texts = ("KEDAI ABC SDN BHD", *streets, after, "TEL: 03-7952 7575", "TOTAL 16.50")
    page = make_page(*((text, 40, 10 + 25 * i) for i, text in enumerate(texts)))
    found = by_name(extract_fields("receipt", [page], scorer="rules"))["address"]
    assert found.value == address
    assert ends_with_country(streets[-1]) == (address.endswith("Malaysia"))


@pytest.mark.parametrize(
    ("read", "tidy"),
    [("Jalan 7/1l8B", "Jalan 7/118B"), ("Jalan 7/l18B", "Jalan 7/118B"),
     ("Il Forno", "Il Forno"), ("SW1A 1AA", "SW1A 1AA"), ("Hotel 1l", "Hotel 1l")],
)  # fmt: skip
def test_an_l_among_the_digits_of_a_number_is_a_one(read: str, tidy: str) -> None:
    assert tidy_text(read, frozenset()) == tidy
