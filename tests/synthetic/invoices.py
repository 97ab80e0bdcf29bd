"""A seeded generator of invoice page images with their ground truth.

``make_invoice(seed, **choices)`` draws every choice it is not given from ``random.Random(seed)``
(so one seed gives the same document, pixel for pixel), renders the pages with PIL and DejaVu
fonts at ``dpi`` (A4) and returns the images with the truth. Choices:

* ``locale``: en-GB, en-US, de-DE, de-CH, fr-FR, es-ES, it-IT, nl-NL, pt-PT (sets the language,
  currency, VAT rates, IBAN and VAT ID country, usual number and date styles).
* ``layout``: ``side`` (label left, value right) or ``stacked`` (label above value).
* ``seller``: ``left`` (seller block top-left, buyer top-right) or ``right`` (seller top-right,
  buyer in the address window on the left under a one-line sender address).
* ``number_style``: en 1,234.56 / de 1.234,56 / fr 1 234,56 / ch 1'234.56;
  ``currency_mark``: symbol / code / none (on the totals; the code is then printed once as
  ``Currency: EUR``), ``symbol_before``.
* ``date_style``: dmy. / dmy/ / dmy- / mdy/ / iso / long / long_us / short.
* ``pages`` (1-3): line items continue on the next pages, the totals box is on the last page;
  ``note``: a header line repeated at the top of every page (a stylesheet or slogan, never
  the vendor); ``carry``: a running subtotal at the foot of a page that continues.
* ``vendor_label``: print ``Verkäufer`` / ``Fournisseur`` / ... above the seller's name.
* ``seller_grid``: the seller's block as an e-invoice viewer prints it: the heading, then rows
  of a label and its value (``Firmenname:  Lieferant GmbH``, ``Straße:``, ``PLZ und Ort:``).
* ``error``: None, ``wrong_total`` (printed total != net + tax) or ``disagreeing_totals`` (a
  summary on page 1 gives another total than the totals box on the last page).
* ``ambiguous``: None, ``undecided`` (issue and due date both read either way, 03/04/2024)
  or ``decided`` (the issue date is ambiguous, the due date is not and settles the order).
  Only numeric day/month styles can be ambiguous; other styles ignore it.
* ``buyer_vat``: the buyer's own VAT ID under the totals (``Ihre USt-IdNr.``, never the
  seller's); ``discount``: an early-payment discount sentence with a date before the due
  date (``Skonto``, never the due date); ``plain_number``: an invoice number of digits only.
  These three (and ``seller_grid``) are drawn from a second generator seeded from ``seed``,
  so adding them left every other choice of a seed as it was.
* ``noise`` (0..1, gaussian grain + blur), ``rotation`` (degrees, a slightly skewed scan),
  ``dpi`` (default 150).
"""

from __future__ import annotations

import datetime
import io
import random
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tests.synthetic.checksums import group_iban, make_iban, make_vat_id
from tests.synthetic.locales import (
    BUYER_VAT_WORDS,
    DISCOUNT_SENTENCES,
    LABEL_OVERRIDES,
    LANGUAGES,
    LEGAL_FORMS,
    LOCALES,
    PHONE_WORDS,
    Labels,
    Locale,
    format_date,
    format_money,
    format_number,
)

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FAMILIES = {
    "sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    "condensed": ("DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf"),  # till rolls
    "mono": ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
}
CENT = Decimal("0.01")
A4_INCHES = (8.27, 11.69)
FIRST_PAGE_ROWS = 12
NEXT_PAGE_ROWS = 22
TOTALS_ROWS = 7  # table rows the totals box takes on the last page


@dataclass(frozen=True)
class LineItem:
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class InvoiceTruth:
    """What the invoice says. Amounts are Decimal; ``printed`` keeps each value's printed text."""

    number: str
    issue_date: datetime.date
    due_date: datetime.date
    net: Decimal
    tax: Decimal
    tax_rate: Decimal
    total: Decimal  # as printed in the totals box (== net + tax unless ``wrong_total``)
    currency: str
    vendor: str
    buyer: str
    iban: str | None  # compact; None for en-US
    vat_id: str | None  # compact (CH as printed); None for en-US
    language: str
    locale: str
    items: tuple[LineItem, ...]
    errors: tuple[str, ...] = ()
    other_totals: tuple[Decimal, ...] = ()  # further printed totals that disagree
    ambiguous: str | None = None
    printed: dict[str, str] = field(default_factory=dict)

    def key(self) -> dict[str, str]:
        """The expected values as strings, keyed by the ``invoice`` type's field names (and
        ``net``, ``tax``, ``buyer``, ``iban``, ``vat_id``); dates ISO, amounts ``1234.56``."""
        values = {
            "number": self.number,
            "date": self.issue_date.isoformat(),
            "due_date": self.due_date.isoformat(),
            "vendor": self.vendor,
            "total": str(self.total),
            "currency": self.currency,
            "net": str(self.net),
            "tax": str(self.tax),
            "buyer": self.buyer,
            "iban": self.iban or "",
            "vat_id": self.vat_id or "",
        }
        return {name: value for name, value in values.items() if value}


@dataclass
class SyntheticInvoice:
    seed: int
    pages: list[Image.Image]
    truth: InvoiceTruth
    choices: dict[str, Any]

    def encode(self) -> tuple[bytes, str]:
        """The document's bytes and extension: PNG for one page, multi-page TIFF otherwise."""
        return encode_pages(self.pages)

    def meta(self) -> dict[str, Any]:
        truth = asdict(self.truth)
        truth.pop("items")
        return {"seed": self.seed, "choices": self.choices, "truth": truth}


def encode_pages(pages: list[Image.Image]) -> tuple[bytes, str]:
    """Page images as one file's bytes and extension: PNG for one page, multi-page TIFF
    otherwise."""
    buffer = io.BytesIO()
    if len(pages) == 1:
        pages[0].save(buffer, format="PNG", optimize=False)
        return buffer.getvalue(), "png"
    pages[0].save(
        buffer, format="TIFF", save_all=True, append_images=pages[1:], compression="tiff_deflate"
    )
    return buffer.getvalue(), "tif"


@cache
def load_font(family: str, bold: bool, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / FAMILIES[family][bold]), size)


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- choosing the content ---------------------------------------------------------------


def _company(rng: random.Random, labels: Labels, locale: str) -> str:
    first, second = rng.sample(labels.words, 2)
    trade = {
        "en": ("Supplies", "Consulting", "Trading", "Systems"),
        "de": ("Bürotechnik", "Handel", "Consulting", "Systeme"),
        "fr": ("Services", "Distribution", "Conseil", "Bureautique"),
        "es": ("Suministros", "Servicios", "Distribuciones", "Consultores"),
        "it": ("Forniture", "Servizi", "Sistemi", "Commerciale"),
        "nl": ("Kantoorartikelen", "Diensten", "Handel", "Advies"),
        "pt": ("Fornecimentos", "Serviços", "Comércio", "Consultoria"),
    }[_language_of(labels)]
    form = rng.choice(LEGAL_FORMS[locale])
    name = rng.choice(
        (
            f"{first} {rng.choice(trade)}",
            f"{first} & {second}",
            f"{first} {second}",
        )
    )
    return f"{name} {form}"


def _language_of(labels: Labels) -> str:
    return next(code for code, known in LANGUAGES.items() if known is labels)


def _address(rng: random.Random, labels: Labels, locale: str) -> list[str]:
    street = rng.choice(labels.streets)
    number = rng.randint(1, 180)
    cities = labels.cities
    if locale == "de-CH":
        cities = cities[3:]
    elif locale == "de-DE":
        cities = cities[:3]
    elif locale == "en-US":
        cities = cities[3:]
    elif locale == "en-GB":
        cities = cities[:3]
    postcode, city = rng.choice(cities)
    if locale in ("en-GB", "en-US"):
        return [
            f"{number} {street}",
            f"{city} {postcode}",
        ]
    if locale == "fr-FR":
        return [f"{number} {street}", f"{postcode} {city}"]
    if locale == "es-ES":
        return [f"{street}, {number}", f"{postcode} {city}"]
    if locale == "it-IT":
        return [f"{street}, {number}", f"{postcode} {city}"]
    return [f"{street} {number}", f"{postcode} {city}"]


def _invoice_number(rng: random.Random, year: int) -> str:
    return rng.choice(
        (
            f"RE-{year}-{rng.randint(1, 99999):05d}",
            f"F{year}/{rng.randint(1, 9999):04d}",
            f"INV-{rng.randint(1000, 999999):06d}",
            f"{year}-{rng.randint(100, 9999)}",
            f"FA{rng.randint(10000, 99999)}",
        )
    )


def _dates(
    rng: random.Random, ambiguous: str | None, numeric: bool
) -> tuple[datetime.date, datetime.date, int]:
    """Issue date, due date and the payment days between them."""
    for _ in range(1000):
        issue = datetime.date(2023, 1, 1) + datetime.timedelta(days=rng.randint(0, 900))
        days = rng.choice((7, 10, 14, 21, 30, 45, 60))
        due = issue + datetime.timedelta(days=days)

        def reads_both(d: datetime.date) -> bool:
            return d.day <= 12 and d.day != d.month

        if not numeric or ambiguous is None:
            return issue, due, days
        if ambiguous == "undecided" and reads_both(issue) and reads_both(due):
            return issue, due, days
        if ambiguous == "decided" and reads_both(issue) and due.day > 12:
            return issue, due, days
    raise RuntimeError("no dates found")  # pragma: no cover


def _items(rng: random.Random, labels: Labels, count: int) -> list[LineItem]:
    items = []
    for _ in range(count):
        quantity = (
            Decimal(rng.choice((1, 1, 1, 2, 2, 3, 4, 5, 10, 12)))
            if rng.random() < 0.8
            else Decimal(rng.choice(("0.5", "1.5", "2.5", "7.5")))
        )
        price = to_cents(Decimal(rng.randint(150, 90000)) / 100)
        description = rng.choice(labels.items)
        items.append(LineItem(description, quantity, price, to_cents(quantity * price)))
    return items


def _item_count(rng: random.Random, pages: int) -> int:
    if pages == 1:
        return rng.randint(2, FIRST_PAGE_ROWS - TOTALS_ROWS + 2)
    middle = (pages - 2) * NEXT_PAGE_ROWS
    return FIRST_PAGE_ROWS + middle + rng.randint(1, NEXT_PAGE_ROWS - TOTALS_ROWS)


def _paginate(count: int, pages: int) -> list[int]:
    """Items per page."""
    if pages == 1:
        return [count]
    split = [FIRST_PAGE_ROWS] + [NEXT_PAGE_ROWS] * (pages - 2)
    return [*split, count - sum(split)]


# --- drawing ----------------------------------------------------------------------------


class _Page:
    def __init__(self, dpi: int, family: str) -> None:
        self.scale = dpi / 150
        self.width, self.height = (round(side * dpi) for side in A4_INCHES)
        self.image = Image.new("L", (self.width, self.height), 255)
        self.draw = ImageDraw.Draw(self.image)
        self.family = family
        self.margin = self.px(90)

    def px(self, value: float) -> int:
        return round(value * self.scale)

    def font(self, size: float, bold: bool = False) -> ImageFont.FreeTypeFont:
        return load_font(self.family, bold, self.px(size))

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float = 21,
        bold: bool = False,
        anchor: str = "la",
        fill: int = 0,
    ) -> None:
        self.draw.text((x, y), text, font=self.font(size, bold), fill=fill, anchor=anchor)

    def text_width(self, text: str, size: float = 21, bold: bool = False) -> float:
        return self.draw.textlength(text, font=self.font(size, bold))


def _finish(page: _Page, rng: np.random.Generator, noise: float, rotation: float) -> Image.Image:
    image = page.image
    if noise > 0:
        image = image.filter(ImageFilter.GaussianBlur(radius=0.6 * noise * page.scale))
        pixels = np.asarray(image, dtype=np.float64) + rng.normal(0, 25 * noise, image.size[::-1])
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")
    if rotation:
        image = image.rotate(
            rotation, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255
        )
    return image


def make_invoice(seed: int, **choices: Any) -> SyntheticInvoice:
    """One invoice, the same for the same seed and choices (see the module's docstring)."""
    rng = random.Random(seed)

    extra_rng = random.Random(f"extras-{seed}")

    def choose(name: str, options: tuple[Any, ...] | list[Any], source: random.Random = rng) -> Any:
        drawn = source.choice(list(options))  # drawn even when given: the others stay put
        value = choices.get(name, drawn)
        chosen[name] = value
        return value

    unknown = set(choices) - {
        "locale",
        "layout",
        "seller",
        "number_style",
        "currency_mark",
        "symbol_before",
        "date_style",
        "pages",
        "note",
        "carry",
        "vendor_label",
        "error",
        "ambiguous",
        "noise",
        "rotation",
        "dpi",
        "font",
        "buyer_vat",
        "discount",
        "plain_number",
        "seller_grid",
    }
    if unknown:
        raise TypeError(f"unknown choices: {sorted(unknown)}")
    chosen: dict[str, Any] = {}
    locale: Locale = LOCALES[choose("locale", tuple(LOCALES))]
    labels = LANGUAGES[locale.language]
    layout = choose("layout", ("side", "stacked"))
    seller_side = choose("seller", ("left", "right"))
    number_style = choose("number_style", (locale.number_styles[0],) * 3 + locale.number_styles)
    currency_mark = choose("currency_mark", ("symbol", "symbol", "code", "none"))
    symbol_before = choose(
        "symbol_before", (locale.symbol_before,) * 3 + (not locale.symbol_before,)
    )
    date_style = choose("date_style", (locale.date_styles[0],) * 2 + locale.date_styles)
    pages = int(choose("pages", (1, 1, 2, 2, 3)))
    note = choose("note", (True, False))
    carry = choose("carry", (True, False))
    vendor_label = choose("vendor_label", (True, False, False))
    error = choose("error", (None,) * 6 + ("wrong_total", "disagreeing_totals"))
    ambiguous = choose("ambiguous", (None,) * 4 + ("undecided", "decided"))
    noise = float(choose("noise", (0.0, 0.0, 0.3, 0.6)))
    rotation = float(choose("rotation", (0.0, 0.0, 0.0, 0.4, -0.6)))
    dpi = int(choose("dpi", (150,)))
    family = choose("font", ("sans", "sans", "serif"))
    if error == "disagreeing_totals" and pages == 1 and "pages" not in choices:
        pages = chosen["pages"] = 2

    numeric = date_style in ("dmy.", "dmy/", "dmy-", "mdy/")
    if not numeric:
        ambiguous = chosen["ambiguous"] = None
    issue, due, days = _dates(rng, ambiguous, numeric)
    vendor = _company(rng, labels, locale.code)
    buyer = vendor
    while buyer.split()[0] == vendor.split()[0]:
        buyer = _company(rng, labels, locale.code)
    vendor_address, buyer_address = (
        _address(rng, labels, locale.code),
        _address(rng, labels, locale.code),
    )
    number = _invoice_number(rng, issue.year)
    buyer_vat = choose("buyer_vat", (True, False, False, False), extra_rng)
    discount = choose("discount", (True, False, False, False), extra_rng)
    if choose("plain_number", (True,) + (False,) * 4, extra_rng):
        number = str(extra_rng.randint(1000, 99999))
    seller_grid = choose("seller_grid", (True, False, False, False), extra_rng)
    items = _items(rng, labels, _item_count(rng, pages))
    rate = Decimal(str(rng.choice(locale.tax_rates)))
    net = sum((item.amount for item in items), Decimal(0))
    tax = to_cents(net * rate / 100)
    total = net + tax
    other_totals: tuple[Decimal, ...] = ()
    errors: tuple[str, ...] = ()
    if error == "wrong_total":
        total = total + rng.choice((Decimal(10), Decimal(-1), Decimal("0.10"), Decimal(100)))
        errors = ("wrong_total",)
    elif error == "disagreeing_totals":
        other_totals = (total - rng.choice((Decimal(50), Decimal("0.99"), Decimal(120))),)
        errors = ("disagreeing_totals",)
    country = locale.country
    iban = make_iban(country, rng) if country != "US" else None
    vat_id = make_vat_id(country, rng) if country != "US" else None
    digits = f"+{rng.randint(30, 49)} {rng.randint(10, 99)} {rng.randint(1000000, 9999999)}"
    phone = f"{PHONE_WORDS[locale.language]} {digits}"

    def money(value: Decimal, mark: str | None = None) -> str:
        return format_money(
            value, number_style, locale.currency, mark or currency_mark, symbol_before
        )

    picked = {
        name: rng.choice(LABEL_OVERRIDES.get(locale.code, {}).get(name, getattr(labels, name)))
        for name in (
            "title",
            "number",
            "issue_date",
            "due_date",
            "net",
            "tax",
            "total",
            "vendor",
            "buyer",
            "vat_id",
        )
    }
    rate_text = (
        format_number(rate, number_style).rstrip("0").rstrip(",.")
        if rate != rate.to_integral()
        else str(int(rate))
    )
    tax_label = picked["tax"].format(rate=rate_text)
    note_text = rng.choice(labels.notes)
    printed = {
        "number": number,
        "issue_date": format_date(issue, date_style, locale.language),
        "due_date": format_date(due, date_style, locale.language),
        "net": money(net),
        "tax": money(tax),
        "total": money(total),
        "iban": group_iban(iban) if iban else "",
        "vat_id": vat_id or "",
        "note": note_text if note else "",
        "total_label": picked["total"],
    }

    noise_rng = np.random.default_rng(seed)
    per_page = _paginate(len(items), pages)
    images = []
    done = 0
    running = Decimal(0)
    for index, count in enumerate(per_page, 1):
        page = _Page(dpi, family)
        m, px = page.margin, page.px
        y = float(px(50))
        if note:
            page.text(page.width / 2, y, note_text, size=16, anchor="ma", fill=90)
        y = float(px(95))
        if index == 1:
            y = _draw_header(
                page,
                y,
                seller_side,
                vendor,
                vendor_address,
                buyer,
                buyer_address,
                phone,
                vat_id,
                picked,
                vendor_label,
                GRID_WORDS.get(locale.language, GRID_WORDS["en"]) if seller_grid else None,
            )
            y = _draw_meta(page, y, layout, picked, printed, labels, days)
            if error == "disagreeing_totals":
                page.text(m, y, f"{picked['total']}: {money(other_totals[0])}", size=21, bold=True)
                y += px(45)
        else:
            page.text(m, y, vendor, size=21, bold=True)
            page.text(page.width - m, y, f"{picked['number']} {number}", size=19, anchor="ra")
            y += px(55)
        chunk = items[done : done + count]
        done += count
        y = _draw_table(page, y, labels, chunk, number_style, money)
        running += sum((item.amount for item in chunk), Decimal(0))
        if index < pages:
            if carry:
                page.text(
                    page.width - m,
                    y + px(10),
                    f"{labels.carried}: {money(running)}",
                    size=20,
                    anchor="ra",
                )
        else:
            y = _draw_totals(
                page,
                y + px(20),
                picked["net"],
                tax_label,
                picked["total"],
                money(net),
                money(tax),
                money(total),
            )
            if currency_mark == "none":
                page.text(
                    page.width - m,
                    y + px(10),
                    f"{_currency_word(locale.language)}: {locale.currency}",
                    size=19,
                    anchor="ra",
                )
            _draw_remarks(page, y + px(60), locale, buyer_vat, discount, issue, due,
                          date_style, extra_rng)  # fmt: skip
        _draw_footer(page, labels, index, pages, vendor, iban, vat_id, picked)
        images.append(_finish(page, noise_rng, noise, rotation))

    truth = InvoiceTruth(
        number=number,
        issue_date=issue,
        due_date=due,
        net=net,
        tax=tax,
        tax_rate=rate,
        total=total,
        currency=locale.currency,
        vendor=vendor,
        buyer=buyer,
        iban=iban,
        vat_id=vat_id,
        language=locale.language,
        locale=locale.code,
        items=tuple(items),
        errors=errors,
        other_totals=other_totals,
        ambiguous=ambiguous,
        printed=printed,
    )
    return SyntheticInvoice(seed, images, truth, chosen)


def _draw_remarks(
    page: _Page, y: float, locale: Locale, buyer_vat: bool, discount: bool,
    issue: datetime.date, due: datetime.date, date_style: str, rng: random.Random,
) -> None:  # fmt: skip
    """Lines under the totals that carry a trap: the buyer's VAT ID, a discount date."""
    if buyer_vat and locale.country != "US":
        text = f"{BUYER_VAT_WORDS[locale.language]}: {make_vat_id(locale.country, rng)}"
        page.text(page.margin, y, text, size=18)
        y += page.px(32)
    if discount and (due - issue).days > 2:
        early = issue + datetime.timedelta(days=rng.randint(1, (due - issue).days - 1))
        when = format_date(early, date_style, locale.language)
        sentence = DISCOUNT_SENTENCES[locale.language].format(pct=rng.choice((2, 3)), date=when)
        page.text(page.margin, y, sentence, size=18)


def _currency_word(language: str) -> str:
    return {
        "en": "Currency",
        "de": "Währung",
        "fr": "Devise",
        "es": "Moneda",
        "it": "Valuta",
        "nl": "Valuta",
        "pt": "Moeda",
    }[language]


def _draw_header(
    page: _Page,
    y: float,
    seller_side: str,
    vendor: str,
    vendor_address: list[str],
    buyer: str,
    buyer_address: list[str],
    phone: str,
    vat_id: str | None,
    picked: dict[str, str],
    vendor_label: bool,
    grid: tuple[str, ...] | None = None,
) -> float:
    m, px = page.margin, page.px
    right = page.width - m
    seller_lines = [*vendor_address, phone]
    if vat_id:
        seller_lines.append(f"{picked['vat_id']}: {vat_id}")
    if seller_side == "left":
        x, anchor = m, "la"
    else:
        x, anchor = right, "ra"
    top = y
    if grid is not None:  # a viewer's grid: the block's heading, then label and value rows
        y = _draw_seller_grid(page, x if seller_side == "left" else page.width * 0.5, y,
                              picked["vendor"], grid, [vendor, *vendor_address, phone])  # fmt: skip
    elif vendor_label:
        page.text(x, y, picked["vendor"], size=17, anchor=anchor, fill=80)
        y += px(28)
    if grid is None:
        page.text(x, y, vendor, size=30, bold=True, anchor=anchor)
        y += px(48)
    for line in seller_lines if grid is None else ():
        page.text(x, y, line, size=19, anchor=anchor)
        y += px(30)
    if seller_side == "left":
        by = top + px(30)
        bx = page.width * 0.58
    else:
        by = y + px(20)
        bx = m
        page.text(bx, by, f"{vendor} · {' · '.join(vendor_address)}", size=14, fill=60)
        by += px(32)
    page.text(bx, by, picked["buyer"], size=17, fill=80)
    by += px(28)
    page.text(bx, by, buyer, size=22, bold=True)
    by += px(34)
    for line in buyer_address:
        page.text(bx, by, line, size=20)
        by += px(30)
    y = max(y, by) + px(40)
    page.text(m, y, picked["title"], size=40, bold=True)
    return y + px(75)


# Row labels of a seller's block printed as a grid (an e-invoice viewer's layout): the name,
# the street, the town, the phone.
GRID_WORDS = {
    "de": ("Firmenname:", "Straße:", "PLZ und Ort:", "Telefon:"),
    "fr": ("Raison sociale :", "Adresse :", "Code postal et ville :", "Téléphone :"),
    "en": ("Company name:", "Street:", "Postcode and city:", "Phone:"),
    "es": ("Razón social:", "Dirección:", "C.P. y ciudad:", "Teléfono:"),
    "it": ("Ragione sociale:", "Indirizzo:", "CAP e città:", "Telefono:"),
    "nl": ("Bedrijfsnaam:", "Straat:", "Postcode en plaats:", "Telefoon:"),
    "pt": ("Denominação:", "Morada:", "Código postal:", "Telefone:"),
}


def _draw_seller_grid(
    page: _Page, x: float, y: float, heading: str, labels: tuple[str, ...], values: list[str]
) -> float:
    page.text(x, y, heading, size=19, bold=True)
    y += page.px(32)
    for label, value in zip(labels, values, strict=False):
        page.text(x, y, label, size=18, fill=70)
        page.text(x + page.px(230), y, value, size=19)
        y += page.px(30)
    return y


def _draw_meta(
    page: _Page,
    y: float,
    layout: str,
    picked: dict[str, str],
    printed: dict[str, str],
    labels: Labels,
    days: int,
) -> float:
    m, px = page.margin, page.px
    rows = [
        (picked["number"], printed["number"]),
        (picked["issue_date"], printed["issue_date"]),
        (picked["due_date"], printed["due_date"]),
    ]
    if layout == "side":
        label_width = max(page.text_width(label + ":", 21) for label, _ in rows)
        for label, value in rows:
            page.text(m, y, label + ":", size=21)
            page.text(m + label_width + px(30), y, value, size=21, bold=True)
            y += px(36)
    else:
        column = (page.width - 2 * m) / 3
        for position, (label, value) in enumerate(rows):
            x = m + position * column
            page.text(x, y, label, size=18, fill=70)
            page.text(x, y + px(30), value, size=22, bold=True)
        y += px(70)
    page.text(m, y + px(6), labels.terms.format(days=days), size=18)
    return y + px(60)


def _draw_table(
    page: _Page, y: float, labels: Labels, items: list[LineItem], number_style: str, money: Any
) -> float:
    m, px = page.margin, page.px
    right = page.width - m
    quantity_x, price_x = page.width * 0.60, page.width * 0.77
    page.draw.line((m, y - px(6), right, y - px(6)), fill=0, width=px(2))
    description, quantity, price, amount = labels.columns
    page.text(m, y, description, size=19, bold=True)
    page.text(quantity_x, y, quantity, size=19, bold=True, anchor="ra")
    page.text(price_x, y, price, size=19, bold=True, anchor="ra")
    page.text(right, y, amount, size=19, bold=True, anchor="ra")
    y += px(34)
    page.draw.line((m, y - px(4), right, y - px(4)), fill=0, width=1)
    for item in items:
        page.text(m, y, item.description, size=19)
        quantity_text = format_number(item.quantity, number_style)
        if item.quantity == item.quantity.to_integral():
            quantity_text = str(int(item.quantity))
        page.text(quantity_x, y, quantity_text, size=19, anchor="ra")
        page.text(price_x, y, format_number(item.unit_price, number_style), size=19, anchor="ra")
        page.text(right, y, money(item.amount, "none"), size=19, anchor="ra")
        y += px(36)
    page.draw.line((m, y, right, y), fill=0, width=1)
    return y + px(10)


def _draw_totals(
    page: _Page,
    y: float,
    net_label: str,
    tax_label: str,
    total_label: str,
    net: str,
    tax: str,
    total: str,
) -> float:
    px = page.px
    right = page.width - page.margin
    left = page.width * 0.52
    rows = [(net_label, net, False), (tax_label, tax, False), (total_label, total, True)]
    height = px(44) * len(rows) + px(24)
    page.draw.rectangle((left, y, right + px(12), y + height), outline=0, width=px(2))
    row_y = y + px(14)
    for label, value, bold in rows:
        if bold:
            page.draw.line((left, row_y - px(6), right + px(12), row_y - px(6)), fill=0, width=1)
        page.text(left + px(16), row_y, label, size=22 if bold else 20, bold=bold)
        page.text(right, row_y, value, size=22 if bold else 20, bold=bold, anchor="ra")
        row_y += px(44)
    return y + height


def _draw_footer(
    page: _Page,
    labels: Labels,
    index: int,
    pages: int,
    vendor: str,
    iban: str | None,
    vat_id: str | None,
    picked: dict[str, str],
) -> None:
    m, px = page.margin, page.px
    y = page.height - px(130)
    page.draw.line((m, y, page.width - m, y), fill=120, width=1)
    parts = [vendor]
    if iban:
        parts.append(f"IBAN {group_iban(iban)}")
    page.text(m, y + px(14), "  ·  ".join(parts), size=15, fill=50)
    if vat_id:
        page.text(m, y + px(40), f"{picked['vat_id']}: {vat_id}", size=15, fill=50)
    page.text(
        page.width - m,
        y + px(40),
        labels.page.format(page=index, pages=pages),
        size=15,
        anchor="ra",
        fill=50,
    )
