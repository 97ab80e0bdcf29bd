"""Locales as data: amounts, dates, labels and region packs on small strings."""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal
from importlib import resources

import babel.dates
import babel.numbers
import pytest

from ocrflow.ocr_tasks.fields.locales import (
    Locale,
    ParsedDate,
    UnknownLocaleError,
    choose_locale,
    company_pattern,
    concepts,
    currency_decimals,
    get_locale,
    label_words,
    locale_names,
    parse_amounts,
    parse_dates,
    region_names,
    region_pack,
    resolve_dates,
)

D = Decimal
date = datetime.date


def amounts(text: str, locale: str, **kwargs: bool) -> list[tuple[str, str | None]]:
    return [(str(a.value), a.currency) for a in parse_amounts(text, get_locale(locale), **kwargs)]


def dates(text: str, locale: str) -> list[tuple[datetime.date, tuple[datetime.date, ...]]]:
    return [(d.value, d.alternatives) for d in parse_dates(text, get_locale(locale))]


# --- locales ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "decimal", "order", "currency"),
    [
        ("en-US", ".", "MDY", "USD"),
        ("en-GB", ".", "DMY", "GBP"),
        ("de-DE", ",", "DMY", "EUR"),
        ("fr-FR", ",", "DMY", "EUR"),
        ("es-ES", ",", "DMY", "EUR"),
        ("it-IT", ",", "DMY", "EUR"),
        ("nl-NL", ",", "DMY", "EUR"),
        ("pt-PT", ",", "DMY", "EUR"),
        ("pt-BR", ",", "DMY", "BRL"),
        ("de-CH", ".", "DMY", "CHF"),
        ("en-IN", ".", "DMY", "INR"),
        ("en-MY", ".", "DMY", "MYR"),
        ("en-KW", ".", "DMY", "KWD"),
        ("ar-KW", ".", "DMY", "KWD"),
    ],
)
def test_table_locales(name: str, decimal: str, order: str, currency: str) -> None:
    locale = get_locale(name)
    assert (locale.decimal, locale.date_order, locale.currency) == (decimal, order, currency)
    assert not locale.permissive


def test_table_agrees_with_cldr_on_the_decimal_mark() -> None:
    # Swiss French prices use the Swiss point (CHF 1'234.50), whatever CLDR says.
    for name in locale_names():
        if name not in ("auto", "en-KW", "fr-CH"):
            cldr = babel.numbers.get_decimal_symbol(name.replace("-", "_"))
            assert get_locale(name).decimal == cldr, name


def test_names_are_normalised_and_aliased() -> None:
    assert get_locale("de_de") == get_locale("de-DE") == get_locale("de")
    assert get_locale("AUTO").permissive


def test_locales_outside_the_table_come_from_babel() -> None:
    swedish = get_locale("sv-SE")
    assert (swedish.decimal, swedish.date_order, swedish.currency) == (",", "YMD", "SEK")
    assert swedish.languages == ("sv", "en")
    assert amounts("Att betala 1 234,50 kr", "sv-SE") == [("1234.50", "SEK")]


def test_unknown_locale() -> None:
    with pytest.raises(UnknownLocaleError):
        get_locale("xx-QQ")


def test_overrides_per_run() -> None:
    locale = get_locale("en-GB", currency="EUR", languages=["en", "de"])
    assert isinstance(locale, Locale)
    assert (locale.currency, locale.languages, locale.decimal) == ("EUR", ("en", "de"), ".")


def test_three_decimal_currencies_from_cldr() -> None:
    assert [currency_decimals(c) for c in ("KWD", "BHD", "OMR", "EUR", "JPY", None)] == [
        3,
        3,
        3,
        2,
        0,
        2,
    ]


def test_choose_locale_takes_the_first_named() -> None:
    assert choose_locale(None, "de-DE").name == "de-DE"
    assert choose_locale("fr-FR", "de-DE").name == "fr-FR"
    assert choose_locale(None, None).permissive


# --- amounts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("Gesamtbetrag 1.234,56 €", "de-DE", [("1234.56", "EUR")]),
        ("Total Incl. GST@6% RM 15.00", "en-MY", [("15.00", "MYR")]),
        ("Total 12,34,567.89", "en-IN", [("1234567.89", None)]),
        ("Rs. 1,23,456", "en-IN", [("123456", "INR")]),
        ("Total CHF 1'234.50", "de-CH", [("1234.50", "CHF")]),
        ("Total 1’234.50", "de-CH", [("1234.50", None)]),
        ("Total TTC 1 234,50 €", "fr-FR", [("1234.50", "EUR")]),
        ("Total TTC 1\u202f234,50\u00a0€", "fr-FR", [("1234.50", "EUR")]),
        ("Net 12.345 KWD", "en-KW", [("12.345", "KWD")]),
        ("KD 1.250", "ar-KW", [("1.250", "KWD")]),
        ("Total $1,234.56", "en-US", [("1234.56", "USD")]),
        ("Total S$ 12.50", "en-SG", [("12.50", "SGD")]),
        ("Amount due $ 20.00", "en-AU", [("20.00", "AUD")]),
        ("Totale € 1.500", "it-IT", [("1500", "EUR")]),
        ("Totaal EUR 1.234,56", "nl-NL", [("1234.56", "EUR")]),
        ("Total R$ 1.234,56", "pt-BR", [("1234.56", "BRL")]),
        ("Total 1 234,56 EUR", "pt-PT", [("1234.56", "EUR")]),
        ("Importe total 99,95", "es-ES", [("99.95", None)]),
        ("Total £5", "en-GB", [("5", "GBP")]),
    ],
)
def test_amounts_in_a_locale(
    text: str, locale: str, expected: list[tuple[str, str | None]]
) -> None:
    assert amounts(text, locale) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("12,50", "12.50"),
        ("12.5", "12.5"),
        ("1,500", "1500"),
        ("1.500", "1500"),
        ("1'234.50", "1234.50"),
        ("12,34,567.89", "1234567.89"),
        ("1 234,50", "1234.50"),
        ("1.234.567", "1234567"),
    ],
)
def test_auto_decides_by_shape(text: str, expected: str) -> None:
    assert amounts(f"Total {text}", "auto") == [(expected, None)]


def test_the_locale_decides_a_three_digit_tail() -> None:
    assert amounts("1.500", "en-US") == [("1.500", None)]
    assert amounts("1.500", "de-DE") == [("1500", None)]
    assert amounts("1,500", "en-US") == [("1500", None)]
    assert amounts("12.345 KWD", "auto") == [("12.345", "KWD")]


def test_a_decimal_shape_reads_in_any_locale() -> None:
    # 15.00 cannot be a thousands group, so a German document printing it means fifteen.
    assert amounts("Summe 15.00", "de-DE") == [("15.00", None)]
    assert amounts("Total 1,234.56", "de-DE") == [("1234.56", None)]


def test_not_amounts() -> None:
    text = "MwSt 19% am 25.03.2024 um 12:30, Rechnung 2024-001, 500ml, 03/04/2024"
    assert amounts(text, "auto") == []
    assert amounts("Qty 2 x 3", "auto") == []


def test_integers_on_request() -> None:
    assert amounts("Qty 2 x 3", "auto", integers=True) == [("2", None), ("3", None)]


def test_negative_amounts() -> None:
    text = "Discount -5.00 (2.50) 3.50- -1,20 €"
    assert amounts(text, "auto") == [
        ("-5.00", None),
        ("-2.50", None),
        ("-3.50", None),
        ("-1.20", "EUR"),
    ]


def test_minus_signs_and_dashes() -> None:
    assert amounts("Rabatt −5,00 €", "de-DE") == [("-5.00", "EUR")]
    assert amounts("Storno 3,50–", "de-DE") == [("-3.50", None)]
    assert amounts("5.00-1.00", "auto") == []  # a range or a reference, not two amounts


def test_spaces_group_in_comma_locales() -> None:
    # DIN 5008 groups with spaces; German invoices print both 1.234,50 and 1 234,50.
    assert amounts("Gesamtbetrag 1 234,50 EUR", "de-DE") == [("1234.50", "EUR")]
    assert amounts("Total 1 234,50", "en-GB") == [("1234.50", None)]


def test_quantity_and_price_split_where_spaces_do_not_group() -> None:
    assert amounts("2 15.00 30.00", "en-US") == [("15.00", None), ("30.00", None)]
    # auto groups with spaces only before a decimal comma: 2 150.00 is a quantity and a price.
    assert amounts("2 150.00", "auto") == [("150.00", None)]


def test_spans_and_raw() -> None:
    text = "Gesamtbetrag 1.234,56 €"
    (found,) = parse_amounts(text, get_locale("de-DE"))
    assert text[found.start : found.end] == found.raw == "1.234,56 €"


def test_ocr_letter_o_for_zero() -> None:
    assert amounts("TOTAL 9.0O", "en-MY") == [("9.00", None)]


def test_shared_dollar_is_the_locale_currency() -> None:
    assert amounts("$ 5.00", "en-US") == [("5.00", "USD")]
    assert amounts("$ 5.00", "es-MX") == [("5.00", "MXN")]
    assert amounts("$ 5.00", "de-DE") == [("5.00", "USD")]


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("Date: 03/04/2024", "en-US", date(2024, 3, 4)),
        ("Date: 03/04/2024", "en-GB", date(2024, 4, 3)),
        ("Datum 03.04.2024", "de-DE", date(2024, 4, 3)),
        ("Datum 3.4.24", "de-DE", date(2024, 4, 3)),
        ("Fecha 03-04-2024", "es-ES", date(2024, 4, 3)),
        ("Date 2024-03-25", "en-US", date(2024, 3, 25)),
        ("Date 2024/03/05", "en-GB", date(2024, 3, 5)),
        ("20240325", "auto", date(2024, 3, 25)),
        ("Date: 2018/02/2213:34", "en-MY", date(2018, 2, 22)),
        ("12 MAR 2018", "en-MY", date(2018, 3, 12)),
        ("25Mar 20189:27PM", "en-MY", date(2018, 3, 25)),
        ("Tarikh: 12 Ogos 2018", "en-MY", date(2018, 8, 12)),  # Malay months via babel
        ("March 5, 2024", "en-US", date(2024, 3, 5)),
        ("5th March 2024", "en-GB", date(2024, 3, 5)),
        ("15. März 2024", "de-DE", date(2024, 3, 15)),
        ("15. Mär 2024", "de-DE", date(2024, 3, 15)),
        ("15. Mrz. 2024", "de-DE", date(2024, 3, 15)),
        ("3 févr. 2023", "fr-FR", date(2023, 2, 3)),
        ("1er août 2024", "fr-FR", date(2024, 8, 1)),
        ("5 de marzo de 2024", "es-ES", date(2024, 3, 5)),
        ("7 settembre 2024", "it-IT", date(2024, 9, 7)),
        ("7 set. 2024", "pt-PT", date(2024, 9, 7)),
        ("7 de dezembro de 2024", "pt-BR", date(2024, 12, 7)),
        ("12 mei 2024", "nl-NL", date(2024, 5, 12)),
        ("12 mrt 2024", "nl-NL", date(2024, 3, 12)),
        ("2 Okt 2024", "auto", date(2024, 10, 2)),
        ("20 fevrier 2024", "auto", date(2024, 2, 20)),
    ],
)
def test_one_date(text: str, locale: str, expected: datetime.date) -> None:
    assert dates(text, locale) == [(expected, ())]


def test_ambiguous_under_auto() -> None:
    assert dates("03/04/2024", "auto") == [(date(2024, 4, 3), (date(2024, 3, 4),))]
    (parsed,) = parse_dates("03/04/2024", get_locale("auto"))
    assert parsed.ambiguous and parsed.orders == ("DMY", "MDY")


def test_unambiguous_under_auto() -> None:
    assert dates("25/03/2024 04/25/2024 04/04/2024", "auto") == [
        (date(2024, 3, 25), ()),
        (date(2024, 4, 25), ()),
        (date(2024, 4, 4), ()),
    ]
    # Dots are written day first.
    assert dates("03.04.2024", "auto") == [(date(2024, 4, 3), ())]


def test_the_only_reading_wins_over_the_locale() -> None:
    assert dates("04/25/2024", "en-GB") == [(date(2024, 4, 25), ())]


def test_other_dates_decide() -> None:
    auto = get_locale("auto")
    found = parse_dates("Issued 03/04/2024, due 25/04/2024", auto)
    assert found[0].ambiguous and found[1].fixes_order == "DMY"
    decided = resolve_dates(found, auto)
    assert [(d.value, d.alternatives) for d in decided] == [
        (date(2024, 4, 3), ()),
        (date(2024, 4, 25), ()),
    ]
    month_first = resolve_dates(parse_dates("03/04/2024 04/25/2024", auto), auto)
    assert (month_first[0].value, month_first[0].alternatives) == (date(2024, 3, 4), ())


def test_undecided_stay_ambiguous() -> None:
    auto = get_locale("auto")
    nothing = resolve_dates(parse_dates("03/04/2024 05/06/2024", auto), auto)
    assert all(d.ambiguous for d in nothing)
    both = resolve_dates(parse_dates("03/04/2024 25/03/2024 04/25/2024", auto), auto)
    assert both[0].ambiguous


def test_a_fixed_locale_decides_what_remains() -> None:
    pending = ParsedDate(date(2024, 4, 3), (date(2024, 3, 4),), 0, 10, "03/04/2024", ("DMY", "MDY"))
    (decided,) = resolve_dates([pending], get_locale("en-US"))
    assert (decided.value, decided.alternatives) == (date(2024, 3, 4), ())


def test_date_spans_and_raw() -> None:
    text = "Rechnungsdatum: 15. März 2024"
    (found,) = parse_dates(text, get_locale("de-DE"))
    assert text[found.start : found.end] == found.raw == "15. März 2024"


def test_invalid_dates_are_not_dates() -> None:
    assert dates("31/02/2024 13/13/2024 1.234,56", "auto") == []
    assert dates("HC03-7 - 15", "en-MY") == []  # a code, not 3 July 2015


# --- labels and region packs --------------------------------------------------------------


def test_label_words_in_seven_languages() -> None:
    for concept in concepts():
        words = label_words(concept)
        assert words and all(w == w.lower() for w in words), concept
    invoice_concepts = ["invoice_number", "issue_date", "due_date", "total", "net", "tax"]
    invoice_concepts += ["currency", "vendor", "buyer", "iban", "vat_id"]
    receipt_concepts = ["company", "address", "date", "receipt_total"]
    for concept in invoice_concepts + receipt_concepts:
        for language in ("en", "de", "fr", "es", "it", "nl", "pt"):
            assert label_words(concept, [language]), (concept, language)


def test_german_invoice_labels() -> None:
    assert "rechnungsnummer" in label_words("invoice_number", ["de"])
    assert "rechnungsdatum" in label_words("issue_date", ["de"])
    assert {"zahlbetrag", "gesamtbetrag"} <= set(label_words("total", ["de"]))
    assert "verkäufer" in label_words("vendor", ["de"])
    assert "fournisseur" in label_words("vendor", ["fr"])
    assert {"seller", "from:"} <= set(label_words("vendor", ["en"]))


def test_label_words_follow_the_languages_given() -> None:
    german_first = label_words("date", ["de", "en"])
    assert german_first[0] == "datum" and "date" in german_first
    assert "tarikh" in label_words("date", get_locale("en-MY").languages)
    assert label_words("date", ["xx"]) == ()
    assert label_words("date", "de") == ("datum",)
    with pytest.raises(KeyError):
        label_words("colour")


def test_malaysian_region_pack() -> None:
    pack = region_pack("my")
    assert get_locale("en-MY").region == "my" and "my" in region_names()
    assert "SDN BHD" in pack.company_suffixes and "SR" in pack.tax_codes
    company = re.compile(pack.company_pattern())
    assert company.search("KEDAI RUNCIT ABC SDN.BHD")
    assert company.search("XYZ TRADING (123456-A)")
    assert company.search("ACME GMBH") is None
    registration = re.compile(pack.registration_pattern())
    for number in ("(123456-A)", "1234567-X", "201901012345", "W10-1808-32000012"):
        assert registration.search(number), number
    with pytest.raises(LookupError):
        region_pack("zz")


@pytest.mark.parametrize(
    ("line", "company"),
    [
        ("KEDAI RUNCIT ABC SDN.BHD", True),
        ("MR. D.I.Y. (M) SDN BHD", True),
        ("SYARIKAT PERNIAGAAN GIN KEE", True),
        ("TEO HENG STATIONERY & BOOKS", True),
        ("Müller & Söhne GmbH & Co. KG", True),
        ("Boulangerie Dupont SARL", True),
        ("Bar S.r.l.", True),
        ("Muster AG", True),
        ("ACME Inc.", True),
        ("CO. REG NO: 12345", False),
        ("5 kg sugar", False),
        ("sa mesa", False),
        ("Thank you Come again", False),
    ],
)
def test_company_pattern(line: str, company: bool) -> None:
    assert bool(re.search(company_pattern(region="my"), line)) is company


def test_company_pattern_without_the_region() -> None:
    assert re.search(company_pattern(), "ABC SDN BHD") is None
    assert re.search(company_pattern(["de"]), "Muster GmbH")


def test_data_files_are_well_formed() -> None:
    folder = resources.files("ocrflow.ocr_tasks.fields") / "locale_data"
    for name in ("locales.json", "currencies.json", "labels.json", "months.json"):
        assert isinstance(json.loads((folder / name).read_text(encoding="utf-8")), dict)


# --- babel as the oracle: what CLDR prints, the parsers read back --------------------------

_CLDR_LOCALES = [n for n in locale_names() if n not in ("auto", "en-KW")]
_VALUES = [D("0.5"), D("12.34"), D("999.99"), D("1000"), D("1234.56"), D("1234567.89")]
_DAYS = [date(2024, 3, 4), date(2023, 12, 25), date(2024, 2, 29), date(2025, 9, 1)]


@pytest.mark.parametrize("name", _CLDR_LOCALES)
def test_cldr_amounts_read_back(name: str) -> None:
    locale, cldr = get_locale(name), name.replace("-", "_")
    for value in _VALUES:
        plain = babel.numbers.format_decimal(value, locale=cldr)
        money = babel.numbers.format_currency(value, locale.currency, locale=cldr)
        assert amounts(plain, name) == [(str(value), None)], plain
        assert [a.value for a in parse_amounts(money, locale)] == [value], money
        assert parse_amounts(money, locale)[0].currency == locale.currency, money
        # auto reads them all too, deciding by shape.
        assert [a.value for a in parse_amounts(plain, get_locale("auto"))] == [value], plain


@pytest.mark.parametrize("name", _CLDR_LOCALES)
def test_cldr_dates_read_back(name: str) -> None:
    cldr = name.replace("-", "_")
    for day in _DAYS:
        for width in ("short", "medium", "long", "full"):
            printed = babel.dates.format_date(day, width, locale=cldr)
            assert dates(printed, name) == [(day, ())], printed
            (found,) = parse_dates(printed, get_locale("auto"))
            assert day in (found.value, *found.alternatives), printed


def test_three_decimal_dinar_as_cldr_prints_it() -> None:
    for cldr in ("en", "ar_KW"):
        printed = babel.numbers.format_currency(D("1212.345"), "KWD", locale=cldr)
        assert [(a.value, a.currency) for a in parse_amounts(printed, get_locale("en-KW"))] == [
            (D("1212.345"), "KWD")
        ], printed


def test_indian_region_pack() -> None:
    pack = region_pack("in")
    assert get_locale("en-IN").region == "in"
    assert re.search(pack.registration_pattern(), "GSTIN: 27AAPFU0939F1ZV")
    assert re.search(pack.company_pattern(), "ACME SOFTWARE PVT. LTD.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("27/032018", datetime.date(2018, 3, 27)),  # the separator before the year lost
        ("Date 05 02-18", datetime.date(2018, 2, 5)),  # the first separator read as a space
    ],
)
def test_a_numeric_date_with_one_separator_slipped(text: str, expected: datetime.date) -> None:
    found = parse_dates(text, get_locale("en-GB"))
    assert [d.value for d in found] == [expected]


@pytest.mark.parametrize("text", ["2 10.50", "05 X RM 12.50", "Qty 2 12/18", "Tel 03 5521"])
def test_numbers_that_are_no_slipped_date(text: str) -> None:
    assert parse_dates(text, get_locale("en-GB")) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18/03/2Ol8", datetime.date(2018, 3, 18)),  # not 18 March 2020, the year cut at the O
        ("Date: 18/O3/2018", datetime.date(2018, 3, 18)),
        ("18/03/201B 10:22", datetime.date(2018, 3, 18)),
        ("1O/12/2017", datetime.date(2017, 12, 10)),
        ("18/SEP/2018", datetime.date(2018, 9, 18)),  # a month name keeps its letters
    ],
)
def test_letters_read_for_digits_in_a_numeric_date(text: str, expected: datetime.date) -> None:
    found = parse_dates(text, get_locale("en-GB"))
    assert [d.value for d in found] == [expected]
    assert found[0].raw in text


@pytest.mark.parametrize("text", ["S/O 5", "Qty 2 12/18", "B/O S/B", "INV/2018/0012"])
def test_codes_with_lookalike_letters_are_no_dates(text: str) -> None:
    assert parse_dates(text, get_locale("en-GB")) == []
