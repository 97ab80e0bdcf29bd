"""Locales as data: how a document writes amounts, dates and labels, and what its region adds.

The locale tables live in ``locale_data/`` (``locales.json``, ``currencies.json``, ``labels.json``,
``months.json``, ``regions/*.json``); babel's CLDR data fills in what they leave out (month names,
currency decimal places, and whole locales that the table does not list).

Amounts and dates are found with hand-written patterns and read by the locale: a library parser
(price-parser, babel's ``parse_decimal``, dateparser) reads one value from a whole string and
gives no span, and dateparser is slow and guesses where a document should go to review.
"""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal, cast

import babel
import babel.dates
import babel.numbers

DateOrder = Literal["DMY", "MDY", "YMD"]

_DATA = resources.files(__package__) / "locale_data"


@cache
def _data(name: str) -> dict[str, Any]:
    text = _DATA.joinpath(*name.split("/")).read_text(encoding="utf-8")
    return cast(dict[str, Any], json.loads(text))


# --- locales ------------------------------------------------------------------------------


class UnknownLocaleError(LookupError):
    """Neither the locale table nor babel knows the name."""


@dataclass(frozen=True)
class Locale:
    """How one kind of document writes numbers and dates, and the languages of its labels.

    ``groups`` are the thousands separators accepted (``" "`` stands for every kind of space);
    ``permissive`` (the ``auto`` locale) accepts both decimal marks and decides by shape, and
    leaves a numeric date that reads two ways ambiguous.
    """

    name: str
    decimal: str
    groups: tuple[str, ...]
    date_order: DateOrder
    currency: str | None
    languages: tuple[str, ...]
    indian: bool = False
    permissive: bool = False
    region: str | None = None
    # The order dotted numeric dates (03.04.2024) read in when the locale does not fix one:
    # dots are the German, Dutch, Swiss... way, always day first.
    dotted_order: DateOrder | None = None

    @property
    def day_first(self) -> bool:
        return self.date_order == "DMY"


def get_locale(name: str, **overrides: Any) -> Locale:
    """The locale of that name (``de-DE``, ``de_DE``, ``en-MY``, ``auto``), with overrides.

    Overrides replace fields for one run: ``get_locale("en-GB", currency="EUR")``.
    """
    locale = _locale(_canonical(name))
    if "groups" in overrides or "languages" in overrides:
        overrides = {
            k: tuple(v) if k in ("groups", "languages") else v for k, v in overrides.items()
        }
    return replace(locale, **overrides) if overrides else locale


def choose_locale(*names: str | None, **overrides: Any) -> Locale:
    """The first locale named (the run's, then the document type's...), else ``auto``."""
    return get_locale(next((n for n in names if n), "auto"), **overrides)


def locale_names() -> tuple[str, ...]:
    """The locales the table lists (babel knows many more)."""
    return tuple(_data("locales.json")["locales"])


def _canonical(name: str) -> str:
    parts = name.strip().replace("_", "-").split("-")
    if len(parts) == 1:
        key = parts[0].lower()
    else:
        key = "-".join([parts[0].lower(), *(p.upper() for p in parts[1:])])
    aliases: dict[str, str] = _data("locales.json")["aliases"]
    return aliases.get(key, key)


@cache
def _locale(name: str) -> Locale:
    entry = _data("locales.json")["locales"].get(name)
    if entry is None:
        return _babel_locale(name)
    return Locale(
        name=name,
        decimal=entry["decimal"],
        groups=tuple(entry["groups"]),
        date_order=entry["date_order"],
        currency=entry.get("currency"),
        languages=tuple(entry["languages"]),
        indian=entry.get("indian", False),
        permissive=entry.get("permissive", False),
        region=entry.get("region"),
        dotted_order="DMY" if entry.get("permissive", False) else None,
    )


def _babel_locale(name: str) -> Locale:
    """A locale the table does not list, from CLDR (``sv-SE``, ``pl-PL``...)."""
    try:
        cldr = babel.Locale.parse(name, sep="-")
    except (ValueError, babel.UnknownLocaleError) as error:
        raise UnknownLocaleError(f"unknown locale {name!r}") from error
    group = babel.numbers.get_group_symbol(cldr)
    short_date = babel.dates.get_date_format("short", cldr).pattern
    currencies = babel.numbers.get_territory_currencies(cldr.territory) if cldr.territory else []
    languages = (cldr.language,) if cldr.language == "en" else (cldr.language, "en")
    return Locale(
        name=name,
        decimal=babel.numbers.get_decimal_symbol(cldr),
        groups=(" " if group.isspace() else group,),
        date_order=_order_of(short_date),
        currency=currencies[0] if currencies else None,
        languages=languages,
        indian="#,##,##0" in cldr.decimal_formats[None].pattern,
    )


def _order_of(pattern: str) -> DateOrder:
    """``dd.MM.yy`` → DMY, ``M/d/yy`` → MDY, ``y-MM-dd`` → YMD."""
    positions = sorted((pattern.find(c), c) for c in "dMy" if c in pattern)
    order = "".join(c for _, c in positions).upper()
    return cast(DateOrder, order) if order in ("DMY", "MDY", "YMD") else "DMY"


# --- currencies ---------------------------------------------------------------------------


@cache
def _currency_marks() -> tuple[re.Pattern[str], dict[str, str], dict[str, list[str]]]:
    data = _data("currencies.json")
    symbols: dict[str, str] = {**{c: c for c in data["codes"]}, **data["symbols"]}
    shared: dict[str, list[str]] = data["shared"]
    marks = sorted([*symbols, *shared], key=len, reverse=True)
    return re.compile("|".join(re.escape(m) for m in marks)), symbols, shared


def currency_of(mark: str, locale: Locale) -> str | None:
    """The ISO code a printed mark stands for (``$`` is the locale's dollar, else USD)."""
    _, symbols, shared = _currency_marks()
    if mark in symbols:
        return symbols[mark]
    choices = shared.get(mark)
    if not choices:
        return None
    return locale.currency if locale.currency in choices else choices[0]


def currency_decimals(code: str | None) -> int:
    """Decimal places of a currency (CLDR): 3 for KWD, BHD, OMR..., 0 for JPY, else 2."""
    return babel.numbers.get_currency_precision(code) if code else 2


# --- amounts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedAmount:
    """An amount read from a text: its value, the currency printed beside it, and its span."""

    value: Decimal
    currency: str | None
    start: int
    end: int
    raw: str


# Digits joined by marks that may be decimal or thousands separators; which is which, and
# whether the whole run is one number at all, is the locale's to say (``_number_value``).
_SPACES = "\u00a0\u202f\u2009 "
_NUMBER = rf"\d+(?:[.,'’{_SPACES}]\d+)*"
_MINUS = "[-−–]"  # hyphen, minus sign, en dash


@cache
def _amount_pattern() -> re.Pattern[str]:
    marks = _currency_marks()[0].pattern
    return re.compile(
        # Not inside a word, a number, a date (03/04), a time (12:30) or a reference (2024-001).
        r"(?<![\w.,'’])(?<!\d[/:\-−–])"
        rf"(?:(?P<neg1>{_MINUS})\s?)?(?:(?P<open>\()\s?)?(?:(?P<cur1>{marks})\s?)?"
        rf"(?:(?P<neg2>{_MINUS})\s?)?"
        rf"(?P<num>{_NUMBER})"
        # Not a percentage (GST@6%), a date, a time, a reference, or a number glued to a unit.
        r"(?!\s?%|[/:\-.,'’]\d|\d)"
        rf"(?P<trail>{_MINUS}(?!\d))?(?:\s?(?P<cur2>{marks}))?(?:\s?(?P<close>\)))?"
        r"(?![^\W\d_])"
    )


def parse_amounts(text: str, locale: Locale, integers: bool = False) -> list[ParsedAmount]:
    """Every amount in a line of text, left to right.

    A whole number counts only beside a currency or with thousands separators, unless
    ``integers`` (quantities, years and reference numbers are whole numbers too).
    ``currency`` is what is printed; a caller falls back to ``locale.currency``.
    """
    found: list[ParsedAmount] = []
    for match in _amount_pattern().finditer(_digits_in_context(text)):
        found.extend(_amounts_in(match, text, locale, integers))
    return found


def _amounts_in(
    match: re.Match[str], text: str, locale: Locale, integers: bool
) -> Iterator[ParsedAmount]:
    cur1, cur2 = match.group("cur1"), match.group("cur2")
    pieces = list(_number_pieces(match.group("num"), match.start("num"), locale, cur1 or cur2))
    for i, (start, end, value, plain_int) in enumerate(pieces):
        first, last = i == 0, i == len(pieces) - 1
        mark = (cur1 if first else None) or (cur2 if last else None)
        if plain_int and mark is None and not integers:
            continue
        negative = first and bool(match.group("neg1") or match.group("neg2"))
        negative = negative or (last and bool(match.group("trail")))
        negative = negative or (
            first and last and bool(match.group("open") and match.group("close"))
        )
        span_start = match.start() if first else start
        span_end = match.end() if last else end
        yield ParsedAmount(
            value=-value if negative else value,
            currency=currency_of(mark, locale) if mark else None,
            start=span_start,
            end=span_end,
            raw=text[span_start:span_end].strip(),
        )


def _number_pieces(
    number: str, offset: int, locale: Locale, mark: str | None
) -> Iterator[tuple[int, int, Decimal, bool]]:
    """(start, end, value, is a plain integer) of the numbers in a run of digits and marks.

    A run that does not read as one number is split at its spaces, longest readable part
    first (``2 15.00`` in en-US: a quantity and a price).
    """
    decimals = currency_decimals(currency_of(mark, locale) if mark else locale.currency)
    pieces = [
        (m.start() + offset, m.end() + offset) for m in re.finditer(r"[^" + _SPACES + "]+", number)
    ]
    i = 0
    while i < len(pieces):
        for j in range(len(pieces), i, -1):
            start, end = pieces[i][0], pieces[j - 1][1]
            value = _number_value(number[start - offset : end - offset], locale, decimals)
            if value is not None:
                yield start, end, value[0], value[1]
                i = j
                break
        else:
            i += 1


def _number_value(number: str, locale: Locale, decimals: int) -> tuple[Decimal, bool] | None:
    """The value of one printed number and whether it is a plain integer, or None."""
    body = re.sub(f"[{_SPACES}]", " ", number).replace("’", "'")
    seps = [(i, c) for i, c in enumerate(body) if not c.isdigit()]
    if not seps:
        return Decimal(body), True
    point = _decimal_mark(body, seps, locale, decimals)
    whole, fraction = (body[:point], body[point + 1 :]) if point is not None else (body, "")
    if point is not None and not 1 <= len(fraction) <= 3:
        return None
    if " " in body and not _spaces_ok(locale, body[point] if point is not None else None, number):
        return None
    if not _grouping_ok(whole, locale):
        return None
    digits = re.sub(r"\D", "", whole)
    value = Decimal(f"{digits}.{fraction}") if fraction else Decimal(digits)
    return value, False


def _decimal_mark(
    body: str, seps: list[tuple[int, str]], locale: Locale, decimals: int
) -> int | None:
    """Where the decimal mark is, or None when every mark groups thousands."""
    last_at, last = seps[-1]
    if last not in ".,":
        return None
    earlier = {c for _, c in seps[:-1]} - {" "}
    if last in earlier:
        return None  # 1,234,567: a mark used twice groups thousands
    tail = len(body) - last_at - 1
    if earlier or tail != 3:
        return last_at  # 1.234,56 / 12,5: the shape says decimal
    # One mark before three digits (1.500): a three-decimal currency, else the locale decides.
    if decimals == 3:
        return last_at
    if locale.permissive:
        return None
    return last_at if last == locale.decimal else None


def _spaces_ok(locale: Locale, point: str | None, number: str) -> bool:
    """Whether spaces may group thousands here.

    Before a decimal comma they do in any locale (1 234,50, the continental way); otherwise
    only where the locale groups with spaces, and under ``auto`` only no-break spaces (set
    in type, never between columns): ``2 150.00`` on a till roll is a quantity and a price.
    """
    if point == ",":
        return True
    if " " not in locale.groups:
        return False
    return not locale.permissive or " " not in number


def _grouping_ok(whole: str, locale: Locale) -> bool:
    marks = set(re.sub(r"\d", "", whole))
    if not marks:
        return True
    if len(marks) > 1:
        return False
    mark = marks.pop()
    if mark == "'" and mark not in locale.groups:
        return False  # an apostrophe where the locale does not group with it (spaces: above)
    sizes = [len(g) for g in whole.split(mark)]
    western = 1 <= sizes[0] <= 3 and all(s == 3 for s in sizes[1:])
    indian = locale.indian and 1 <= sizes[0] <= 2 and sizes[-1] == 3
    indian = indian and all(s == 2 for s in sizes[1:-1])
    return western or indian


def _digits_in_context(text: str) -> str:
    """Letters OCR reads for digits (``9.0O``), turned back where digits surround (same length)."""
    return re.sub(r"(?<=[\d.,])[Oo]|[Oo](?=[\d.,]\d)", "0", text)


# --- dates --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedDate:
    """A date read from a text, with the other readings a numeric date allows.

    ``orders`` names the reading of ``value`` and of each alternative (``("DMY", "MDY")``);
    ``fixes_order`` is the order this date proves (25/03/2024 can only be DMY).
    """

    value: datetime.date
    alternatives: tuple[datetime.date, ...]
    start: int
    end: int
    raw: str
    orders: tuple[DateOrder, ...] = ()
    fixes_order: DateOrder | None = None

    @property
    def ambiguous(self) -> bool:
        return bool(self.alternatives)


_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")


@cache
def _month_table(languages: tuple[str, ...]) -> dict[str, int]:
    """Month name (lower case, no trailing dot) → number; earlier languages win a clash."""
    table: dict[str, int] = {}
    extra: dict[str, dict[str, int]] = _data("months.json")["extra"]
    for language in languages:
        names: dict[str, int] = dict(extra.get(language, {}))
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                try:
                    months = babel.dates.get_month_names(width, context, language)
                except babel.UnknownLocaleError:
                    continue
                names.update({str(n).lower().rstrip("."): int(k) for k, n in months.items()})
        for name, number in names.items():
            table.setdefault(name, number)
            table.setdefault(_strip_accents(name), number)  # OCR drops accents: fevr, marz
            table.setdefault(_strip_accents(name).replace("o", "0"), number)  # 0CT, N0V
    return table


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _month_languages(locale: Locale) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*locale.languages, *_LANGUAGES]))


_YEAR4 = r"(?:19|20)\d\d"
# After a year: no digit, unless the time is glued on (2018/02/2213:34, 25Mar 20189:27PM).
_END = r"(?=\d{1,2}:\d|(?!\d))"
_ISO = re.compile(
    rf"(?<![\w.,/\-])(?P<y>{_YEAR4})\s?(?P<s>[-/.])\s?(?P<m>\d{{1,2}})\s?(?P=s)\s?(?P<d>\d{{1,2}}){_END}"
    r"|(?<!\d)(?P<cy>20\d\d)(?P<cm>0[1-9]|1[0-2])(?P<cd>[0-2]\d|3[01])(?!\d)"
)
_NUMERIC = re.compile(
    r"(?<![\w.,/\-])(?P<a>\d{1,2})\s?(?P<s>[-/.])\s?(?P<b>\d{1,2})\s?(?P=s)\s?"
    rf"(?P<y>{_YEAR4}|\d\d){_END}"
)

# Numeric dates with one separator slipped in OCR: lost before a four-digit year (27/032018),
# or the first read as a space between two-digit day and month (05 02-18).
_SLIPPED = (
    re.compile(rf"(?<![\w.,/\-])(?P<a>\d{{1,2}})(?P<s>[-/.])(?P<b>\d\d)(?P<y>{_YEAR4}){_END}"),
    re.compile(rf"(?<![\w.,/\-])(?P<a>\d\d) (?P<b>\d\d)(?P<s>[-/])(?P<y>{_YEAR4}|\d\d){_END}"),
)


@cache
def _named_patterns(languages: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    names = sorted(_month_table(languages), key=len, reverse=True)
    month = r"(?P<mon>" + "|".join(re.escape(n) for n in names) + r")\.?(?![^\W\d_])"
    day_first = re.compile(
        r"(?<![\w.])(?P<d>\d{1,2})(?:st|nd|rd|th|er|º|°|\.)?[\s\-/.,]*(?:de\s+)?"
        rf"{month}[\s\-/.,']*(?:del?\s+)?(?P<y>{_YEAR4}|\d\d){_END}",
        re.IGNORECASE,
    )
    month_first = re.compile(
        rf"(?<![^\W\d_]){month}[\s\-/.]*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s,.]+(?P<y>{_YEAR4}){_END}",
        re.IGNORECASE,
    )
    return day_first, month_first


def parse_dates(text: str, locale: Locale) -> list[ParsedDate]:
    """Every calendar date in a line of text, left to right.

    ISO and month-name dates read one way; a numeric date reads as the locale says, and under
    ``auto`` keeps both readings when both are dates (``resolve_dates`` may decide later).
    """
    cleaned = _date_digits(_digits_in_context(text))
    found = [*_iso_dates(cleaned), *_numeric_dates(cleaned, locale), *_named_dates(cleaned, locale)]
    found.sort(key=lambda d: (d.start, -d.end))
    kept: list[ParsedDate] = []
    for date in found:
        if not kept or date.start >= kept[-1].end:
            kept.append(replace(date, raw=text[date.start : date.end]))
    return kept


# Letters OCR reads for digits (2Ol8, 18/O3, 201B), and the digits they stand for.
_DATE_LOOKALIKES = str.maketrans("OoQIl|SBZ", "000111582")
# A numeric date with such letters in it: digits and lookalikes around two separators, four
# digits at least (a month name or a word has no digit between its letters).
_LOOKALIKE_DIGIT = r"[\dOoQIl|SBZ]"
_DATE_SHAPED = re.compile(
    rf"(?<![^\W\d_]){_LOOKALIKE_DIGIT}{{1,4}}([-/.]){_LOOKALIKE_DIGIT}{{1,2}}\1"
    rf"{_LOOKALIKE_DIGIT}{{2,4}}(?![^\W\d_])"
)


def _date_digits(text: str) -> str:
    """Lookalike letters in a numeric date turned into their digits (same length: spans hold);
    without this ``18/03/2Ol8`` read as 18 March 2020, the year cut at the O."""

    def digits(match: re.Match[str]) -> str:
        token = match.group()
        fixed = token.translate(_DATE_LOOKALIKES)
        return fixed if sum(c.isdigit() for c in token) >= MIN_DATE_DIGITS else token

    return _DATE_SHAPED.sub(digits, text)


MIN_DATE_DIGITS = 4  # fewer real digits: a code (S/O/5), not a date read with slips


def _iso_dates(text: str) -> Iterator[ParsedDate]:
    for match in _ISO.finditer(text):
        g = match.groupdict()
        value = _date(g["y"] or g["cy"], g["m"] or g["cm"], g["d"] or g["cd"])
        if value is not None:
            yield ParsedDate(value, (), match.start(), match.end(), match.group())


def _named_dates(text: str, locale: Locale) -> Iterator[ParsedDate]:
    languages = _month_languages(locale)
    table = _month_table(languages)
    for pattern in _named_patterns(languages):
        for match in pattern.finditer(text):
            month = table[match.group("mon").lower()]
            value = _date(match.group("y"), str(month), match.group("d"))
            if value is not None:
                yield ParsedDate(value, (), match.start(), match.end(), match.group())


def _numeric_dates(text: str, locale: Locale) -> Iterator[ParsedDate]:
    matches = (m for pattern in (_NUMERIC, *_SLIPPED) for m in pattern.finditer(text))
    for match in matches:
        a, b, year = match.group("a"), match.group("b"), match.group("y")
        readings: dict[DateOrder, datetime.date] = {}
        for order, (day, month) in (("DMY", (a, b)), ("MDY", (b, a))):
            value = _date(year, month, day)
            if value is not None and value not in readings.values():
                readings[cast(DateOrder, order)] = value
        if readings:
            yield _numeric_date(match, readings, locale)


def _numeric_date(
    match: re.Match[str], readings: dict[DateOrder, datetime.date], locale: Locale
) -> ParsedDate:
    a, b = int(match.group("a")), int(match.group("b"))
    fixes: DateOrder | None = "DMY" if a > 12 >= b else "MDY" if b > 12 >= a else None
    preferred = locale.dotted_order if match.group("s") == "." else None
    if preferred is None and not locale.permissive and locale.date_order != "YMD":
        preferred = locale.date_order
    if preferred in readings and len(readings) > 1:
        readings = {preferred: readings[preferred]}
    orders = tuple(sorted(readings, key=lambda o: o != locale.date_order))
    values = tuple(readings[o] for o in orders)
    span = (match.start(), match.end())
    return ParsedDate(values[0], values[1:], *span, match.group(), orders, fixes)


def _date(year: str, month: str, day: str) -> datetime.date | None:
    full_year = int(year)
    if len(year) == 2:
        full_year += 2000 if full_year < 70 else 1900
    try:
        return datetime.date(full_year, int(month), int(day))
    except ValueError:
        return None


def resolve_dates(dates: Sequence[ParsedDate], locale: Locale) -> list[ParsedDate]:
    """Ambiguous dates decided by the order other dates on the document prove.

    25/03/2024 proves day first, so 03/04/2024 beside it is 3 April. When the dates prove
    nothing, or both orders, a fixed locale decides and ``auto`` leaves them ambiguous.
    """
    proven = {d.fixes_order for d in dates if d.fixes_order is not None}
    order: DateOrder | None = proven.pop() if len(proven) == 1 else None
    if order is None and not proven and not locale.permissive:
        order = locale.date_order
    if order is None:
        return list(dates)
    return [_decided(d, order) for d in dates]


def _decided(date: ParsedDate, order: DateOrder) -> ParsedDate:
    if not date.alternatives or order not in date.orders:
        return date
    value = (date.value, *date.alternatives)[date.orders.index(order)]
    return replace(date, value=value, alternatives=(), orders=(order,))


# --- labels -------------------------------------------------------------------------------


def label_words(concept: str, languages: Iterable[str] | None = None) -> tuple[str, ...]:
    """Label words of a field concept (``total``, ``due_date``...) in those languages, or all.

    Lower case, most specific first within each language; a word ending in ``:`` counts only
    with its colon. Languages the data lacks give nothing.
    """
    labels: dict[str, dict[str, list[str]]] = _data("labels.json")
    if concept not in labels or concept.startswith("_"):
        raise KeyError(f"no label words for {concept!r}: one of {', '.join(concepts())}")
    by_language = labels[concept]
    if isinstance(languages, str):
        languages = (languages,)  # label_words("total", "de"), not the letters d and e
    chosen = by_language if languages is None else list(languages)
    return tuple(dict.fromkeys(w for lang in chosen for w in by_language.get(lang, [])))


def document_language(texts: Iterable[str], margin: int = 2) -> str | None:
    """The language whose label words the texts hold most (by at least ``margin`` more than
    the runner-up), or None. Words shorter than five letters are left out: they are shared
    between languages (``total``, ``data``, ``iva``)."""
    text = " ".join(texts).casefold()
    counts = {language: 0 for language in _LANGUAGES}
    for language, words in _language_words().items():
        counts[language] = sum(1 for word in words if word in text)
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    (best, most), (_, second) = ranked[0], ranked[1]
    return best if most >= second + margin else None


@lru_cache(maxsize=32)  # the dates of one document ask in turn; a long run keeps no more
def implied_locale(texts: tuple[str, ...]) -> Locale | None:
    """The locale a document's own words point to: its label words' language when that is
    German, French, Spanish, Italian, Dutch or Portuguese (all write the day first), else the
    region pack whose marks it carries (``SDN BHD`` and ``GST REG NO``: ``en-MY``), else None:
    English alone fixes no date order (the US writes the month first, Britain the day)."""
    language = document_language(texts)
    if language is not None and language != "en":
        return get_locale(language)
    region = document_region(texts)
    return get_locale(region) if region is not None else None


# Words shared across languages' documents (legal forms, street words: "avenue", "route").
_NOT_LANGUAGE_EVIDENCE = ("company_suffix", "business_word", "address_word")


@cache
def _language_words() -> dict[str, tuple[str, ...]]:
    labels: dict[str, dict[str, list[str]]] = _data("labels.json")
    words: dict[str, set[str]] = {language: set() for language in _LANGUAGES}
    for concept, by_language in labels.items():
        if concept.startswith("_") or concept in _NOT_LANGUAGE_EVIDENCE:
            continue
        for language, found in by_language.items():
            if language in words:
                words[language].update(w.rstrip(":") for w in found if len(w) >= 5)
    shared = {w for a in _LANGUAGES for b in _LANGUAGES if a < b for w in words[a] & words[b]}
    return {language: tuple(sorted(found - shared)) for language, found in words.items()}


def is_document_title(text: str) -> bool:
    """Whether ``text`` is nothing but a document's title (``TAX INVOICE``, ``Rechnung``,
    ``Facture / Receipt``) in a supported language: a line that is never a name."""
    text = _TITLE_NUMBER.sub("", text)
    parts = [_words_only(part) for part in re.split(r"[/|]", text)]
    return any(parts) and all(not part or part in _document_titles() for part in parts)


# A title's own number after it: "RECHNUNG NR. 2024/8843", "Invoice #10452", "Facture FA-12".
_TITLE_NUMBER = re.compile(
    r"(?:\s+(?:nr|no|n°|nº|number|nummer|numéro|numero|núm)\.?)?\s*[:#]?\s*[\w/-]*\d[\w/-]*\s*$",
    re.IGNORECASE,
)


@cache
def _document_titles() -> frozenset[str]:
    return frozenset(_words_only(title) for title in label_words("document_title"))


def _words_only(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in text.casefold()).split())


def language_letters(language: str) -> str:
    """The letters with marks ``language`` writes, lower case (``de``: ``äöüß``); every
    marked letter for a language the table lacks."""
    table: dict[str, str] = _data("letters.json")
    if language in table:
        return table[language]
    return "".join(letters for name, letters in table.items() if not name.startswith("_"))


def is_address_line(text: str) -> bool:
    """Whether the line reads as part of a postal address: a street word in a supported
    language or a region's place name (``Jalan``, ``Hauptstraße``, ``rue``, ``Selangor``), a
    postcode, or a house number before a word (``12 High St``, ``19-1, JALAN``)."""
    folded = _words_only(text)
    if _ADDRESS_NUMBER.search(text) or _address_words().search(folded):
        return True
    return _ADDRESS_SUFFIXES.search(folded) is not None


def ends_with_country(text: str) -> bool:
    """Whether the line ends with a country's name in a supported language (babel's names:
    ``Malaysia``, ``Deutschland``, ``France``): the last line of a postal address."""
    words = _words_only(text).split()
    return any(" ".join(words[-size:]) in _country_names() for size in range(1, 4))


@cache
def _country_names() -> frozenset[str]:
    from babel import Locale as BabelLocale

    names: set[str] = set()
    for language in (*_LANGUAGES, "ms"):
        territories = BabelLocale.parse(language).territories
        names |= {_words_only(name) for code, name in territories.items() if code.isalpha()}
    return frozenset(names)


# A postcode (four or five digits before the town, or last after a comma; the UK's), or a
# house number starting the line. A number after a label (``NUMBER 29721``) is neither.
_ADDRESS_NUMBER = re.compile(
    r"(?<![\d.,:/-])\d{4,5}(?=\s*[^\W\d_]{2,})|,\s*\d{4,5}\W*$"
    r"|\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b"
    r"|^\W*(?:[A-Z]\d{1,4}-\d{1,4}[A-Z]?|\d{1,5}[A-Z]?(?:-\d{1,4}[A-Z]?)?)(?:,\s*|\s+)[^\W\d]{2,}"
)
# Street words written on the end of a name (Hauptstraße, Bahnhofstr., Marktplatz).
_ADDRESS_SUFFIXES = re.compile(r"\w(?:straße|strasse|str|gasse|allee|platz|straat|gracht)\b")


@cache
def _address_words() -> re.Pattern[str]:
    words = [
        *label_words("address_word"),
        *(w for name in region_names() for w in region_pack(name).address_words),
    ]
    folded = sorted(
        {_words_only(word) for word in words if _words_only(word)}, key=len, reverse=True
    )
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in folded) + r")(?!\w)")


def concepts() -> tuple[str, ...]:
    return tuple(k for k in _data("labels.json") if not k.startswith("_"))


# --- region packs -------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionPack:
    """What documents of one country carry besides the general fields: legal-form suffixes,
    tax words and codes, company registration numbers."""

    name: str
    country: str
    currency: str | None
    languages: tuple[str, ...]
    company_suffixes: tuple[str, ...]
    tax_words: tuple[str, ...]
    tax_codes: tuple[str, ...]
    registration_labels: tuple[str, ...]
    registration_patterns: tuple[str, ...]
    address_stop_words: tuple[str, ...]
    total_exclude: tuple[str, ...]
    address_words: tuple[str, ...] = ()  # states, cities: a line naming one is an address's

    def company_pattern(self) -> str:
        """A regex matching any company suffix as a word (spaces and dots loose: SDN.BHD)."""
        return r"\b(?:" + "|".join(_loose(s) for s in self.company_suffixes) + r")(?!\w)"

    def registration_pattern(self) -> str:
        """A regex matching any registration number of the region."""
        return "|".join(f"(?:{p})" for p in self.registration_patterns)


def _loose(word: str) -> str:
    """``SDN. BHD.`` → ``SDN\\.?\\s*BHD\\.?``, longest suffixes first left to the caller;
    a letter the recogniser reads as a digit matches both (``5/B`` for ``S/B``)."""
    parts = [_misread(p.rstrip(".")) + (r"\.?" if p.endswith(".") else "") for p in word.split()]
    return r"\s*".join(parts)


_MISREAD = {"S": "[S5]", "O": "[O0]", "s": "[s5]", "o": "[o0]"}


def _misread(word: str) -> str:
    return "".join(_MISREAD.get(char, re.escape(char)) for char in word)


def company_pattern(languages: Iterable[str] | None = None, region: str | None = None) -> str:
    """A regex for the legal form or trade word that marks a company name (GmbH, S.A., BAKERY,
    and the region's: SDN BHD), in those languages (all when None).

    Short forms (AG, SA, Inc.) count in upper or title case only, so that ``5 kg`` and
    ``sa`` in a sentence do not; none counts before REG or NO (``CO. REG NO`` is a label).
    """
    words = [*label_words("company_suffix", languages), *label_words("business_word", languages)]
    if region is not None:
        words += region_pack(region).company_suffixes
    unique = sorted(dict.fromkeys(words), key=len, reverse=True)  # SDN BHD before BHD
    body = "|".join(_cased(w) for w in unique)
    return rf"(?<!\w)(?:{body})(?!\w)(?![.\s]*(?:REG|NO\b|NO\.))"


def _cased(word: str) -> str:
    if len(re.sub(r"\W", "", word)) > 3:
        return f"(?i:{_loose(word)})"
    forms = {word.upper(), word.title()} | ({word} if "." in word else set())  # e.K., e.V.
    return "|".join(_loose(f) for f in sorted(forms))


def document_region(texts: Iterable[str], least: int = 1) -> str | None:
    """The locale (``en-MY``) of the region pack whose own marks (company suffixes,
    registration labels and tax words no other pack shares) the texts hold most, at least
    ``least`` times, or None when no pack or two packs equally do."""
    text = " ".join(texts).upper()
    counts = {
        name: sum(len(re.findall(rf"(?<!\w){re.escape(m)}(?!\w)", text)) for m in marks)
        for name, marks in _region_marks().items()
    }
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    if not ranked or ranked[0][1] < least or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    pack = region_pack(ranked[0][0])
    return f"{pack.languages[0]}-{pack.country}"


@cache
def _region_marks() -> dict[str, frozenset[str]]:
    marks = {
        name: frozenset(
            m.upper() for m in (*pack.company_suffixes, *pack.registration_labels, *pack.tax_words)
        )
        for name in region_names()
        if (pack := region_pack(name))
    }
    general = frozenset(w.upper() for w in label_words("company_suffix"))  # LTD, LIMITED
    return {
        name: own - general - frozenset().union(*(o for n, o in marks.items() if n != name))
        for name, own in marks.items()
    }


def region_pack(name: str) -> RegionPack:
    """The region pack of that name (``my``: Malaysia)."""
    return _region_pack(name.strip().lower())


def region_names() -> tuple[str, ...]:
    return tuple(sorted(p.name.removesuffix(".json") for p in (_DATA / "regions").iterdir()))


@cache
def _region_pack(name: str) -> RegionPack:
    if name not in region_names():
        raise LookupError(f"no region pack {name!r}: one of {', '.join(region_names())}")
    data = _data(f"regions/{name}.json")
    # Longest suffixes first, so SDN BHD wins over BHD in an alternation.
    suffixes = sorted(data["company_suffixes"], key=len, reverse=True)
    return RegionPack(
        name=name,
        country=data["country"],
        currency=data.get("currency"),
        languages=tuple(data["languages"]),
        company_suffixes=tuple(suffixes),
        tax_words=tuple(data["tax_words"]),
        tax_codes=tuple(data["tax_codes"]),
        registration_labels=tuple(data["registration_labels"]),
        registration_patterns=tuple(data["registration_patterns"]),
        address_stop_words=tuple(data["address_stop_words"]),
        total_exclude=tuple(data["total_exclude"]),
        address_words=tuple(data.get("address_words", ())),
    )
