"""A seeded generator of till receipts (a printed roll) with their ground truth.

``make_receipt(seed, **choices)`` draws every choice it is not given from
``random.Random(seed)`` and renders one narrow page with PIL in a monospace or condensed font. The
truth has the built-in ``receipt`` type's fields, in the shape of ``sroie/key/NNN.json``: the
company (the legal name line, without its registration number), the address (its lines joined
by spaces), the date and the total paid. Choices:

* ``region``: ``my`` (ringgit, GST/SST, ``SDN BHD``, Malay words) or ``eu`` (German, French or
  English shops in euros or pounds, VAT, ``GmbH``).
* ``total_label``: the words before the total, from the labels the extractor knows and from
  others it does not (``Net Amount``, ``Bill Total``, ``TOTAL TO PAY``): the other amounts
  and the layout must decide those.
* ``arrangement``: ``row`` (label left, amount right), ``column`` (a currency column between
  them: ``TOTAL  RM  12.50``) or ``below`` (the amount on the line under its label).
* ``rounding`` (cash rounding to 0.05 with a ``Rounding Adj`` line; the total is the rounded
  amount), ``tax_inclusive`` (the tax is printed as included in the total, ``Total Incl. GST
  @6%  1.42``), ``tender`` (cash with change, a card, or none), ``summary`` (a tax summary
  table after the totals), ``quantity`` (a ``TOTAL QTY`` line with an integer), ``repeat``
  (the total printed again at the foot).
* ``noise`` (0..1), ``rotation`` (degrees), ``fade`` (grey print of a worn thermal head).
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tests.synthetic.examples import document_seed
from tests.synthetic.invoices import encode_pages, load_font, to_cents

GENERATOR_VERSION = "2"  # bump when the renders change: cached readings are keyed by it
NICKEL = Decimal("0.05")


@dataclass(frozen=True)
class Region:
    """What a shop of one region prints: words, suffixes, taxes, currency, places."""

    currency: str  # as printed in the totals column
    suffixes: tuple[str, ...]
    name_words: tuple[str, ...]
    streets: tuple[str, ...]
    places: tuple[tuple[str, str], ...]  # (postcode and town, state or country)
    titles: tuple[str, ...]
    taxes: tuple[tuple[str, Decimal], ...]
    date_styles: tuple[str, ...]
    date_labels: tuple[str, ...]
    months: tuple[str, ...]


MY = Region(
    currency="RM",
    suffixes=("SDN BHD", "SDN. BHD.", "ENTERPRISE", "TRADING", "S/B", "RESTORAN", "PLT", ""),
    name_words=(
        "KEDAI",
        "MAKAN",
        "SRI",
        "MAJU",
        "JAYA",
        "GOLDEN",
        "PARADISE",
        "HARDWARE",
        "BOOK",
        "MINI",
        "MARKET",
        "BAKERY",
        "WONG",
        "TAN",
        "LIM",
        "KITCHEN",
        "STATIONERY",
        "FRESH",
        "UNIQUE",
        "CAHAYA",
        "BINTANG",
        "MUTIARA",
        "HOCK",
        "SENG",
        "HUAT",
        "AEON",
        "PHARMACY",
        "TEA",
        "GARDEN",
        "NASI",
        "KANDAR",
        "ELECTRICAL",
        "AUTO",
        "PARTS",
        "FURNITURE",
    ),
    streets=(
        "JALAN MAWAR",
        "JALAN BUKIT",
        "JLN SS 2/24",
        "JALAN PERMAS",
        "JALAN TUN RAZAK",
        "PERSIARAN PERDANA",
        "LORONG MAJU",
        "JALAN KENARI",
        "JALAN USJ 10/1",
        "JALAN DATO ONN",
    ),
    places=(
        ("81100 JOHOR BAHRU", "JOHOR"),
        ("47400 PETALING JAYA", "SELANGOR"),
        ("50450 KUALA LUMPUR", "MALAYSIA"),
        ("40150 SHAH ALAM", "SELANGOR DARUL EHSAN"),
        ("10200 GEORGETOWN", "PULAU PINANG"),
        ("75000 MELAKA", "MALAYSIA"),
        ("43000 KAJANG", "SELANGOR"),
        ("31400 IPOH", "PERAK"),
    ),
    titles=("TAX INVOICE", "SIMPLIFIED TAX INVOICE", "RECEIPT", "CASH SALE", "OFFICIAL RECEIPT"),
    taxes=(("GST", Decimal("0.06")), ("SST", Decimal("0.06")), ("SERVICE TAX", Decimal("0.06"))),
    date_styles=("dmy/", "dmy-", "dmy/yy", "ymd-", "dMy-", "d M y"),
    date_labels=("DATE:", "Date", "DATE :", "TARIKH:", "", "Date/Time:"),
    months=("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
)
EU = Region(
    currency="EUR",
    suffixes=("GmbH", "KG", "SARL", "SAS", "Ltd", "& Co.", "e.K.", ""),
    name_words=(
        "Bäckerei",
        "Müller",
        "Café",
        "Rosen",
        "Markt",
        "Boulangerie",
        "Dupont",
        "Corner",
        "Shop",
        "Apotheke",
        "Sonne",
        "Épicerie",
        "Martin",
        "Green",
        "Grocer",
        "Getränke",
        "Hofmann",
        "Papeterie",
        "Bistro",
        "Fischer",
    ),
    streets=(
        "Hauptstraße",
        "Bahnhofstr.",
        "Rue de la Paix",
        "High Street",
        "Marktplatz",
        "Avenue Victor Hugo",
        "Lindenallee",
        "Church Road",
    ),
    places=(
        ("10115 Berlin", "Deutschland"),
        ("80331 München", ""),
        ("75002 Paris", "France"),
        ("69001 Lyon", ""),
        ("London SW1A 1AA", "United Kingdom"),
        ("50667 Köln", ""),
    ),
    titles=("Kassenbon", "Quittung", "TICKET DE CAISSE", "RECEIPT", "Rechnung", ""),
    taxes=(
        ("MwSt 19%", Decimal("0.19")),
        ("TVA 20%", Decimal("0.20")),
        ("VAT 20%", Decimal("0.20")),
        ("MwSt 7%", Decimal("0.07")),
    ),
    date_styles=("dmy.", "dmy/", "dmy.yy", "ymd-"),
    date_labels=("Datum:", "Date:", "Le", "", "Datum"),
    months=("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
)
REGIONS = {"my": MY, "eu": EU}

KNOWN_TOTALS = {
    "my": ("TOTAL", "GRAND TOTAL", "NETT TOTAL", "TOTAL (RM)", "Total Incl. GST", "TOTAL AMOUNT",
           "Total Sales (Inclusive of GST)", "AMOUNT DUE", "TOTAL PAYABLE", "JUMLAH", "Total:"),
    "eu": ("SUMME", "Gesamt", "TOTAL TTC", "Total", "Zu zahlen", "À PAYER", "Total due",
           "GESAMTBETRAG", "Montant"),
}  # fmt: skip
UNKNOWN_TOTALS = {
    "my": ("Net Amount", "Bill Total", "TOTAL TO PAY", "NET AMT", "Total Bill", "AMOUNT"),
    "eu": ("Endbetrag", "Bon-Summe", "Net a regler", "Balance due", "Kartenzahlung Betrag"),
}
SUBTOTALS = {
    "my": ("SUB TOTAL", "Subtotal", "SUB-TOTAL", "Total Excl. GST", "Total Sales (Excl. Tax)"),
    "eu": ("Zwischensumme", "Sous-total", "Subtotal", "Netto"),
}
ROUNDINGS = ("Rounding Adj", "ROUNDING", "Rounding Adjustment", "Rundung", "Arrondi")
CASH = {
    "my": ("CASH", "Cash Tendered", "TUNAI", "Paid"),
    "eu": ("BAR", "Espèces", "Cash", "Gegeben"),
}
CHANGE = {"my": ("CHANGE", "Change Due", "BALANCE", "BAKI"), "eu": ("Rückgeld", "Rendu", "Change")}
CARDS = ("VISA", "MASTER CARD", "DEBIT CARD", "EC-Karte", "CB", "Touch n Go")
QUANTITIES = ("TOTAL QTY:", "Item(s):", "No. of Items", "Anzahl Artikel", "QTY")
ITEMS = (
    "MINERAL WATER 500ML",
    "NASI LEMAK",
    "TEH TARIK",
    "A4 PAPER 80GSM",
    "PEN BLUE 0.5",
    "SCREW 6MM (100)",
    "Brötchen",
    "Croissant",
    "Milch 1L",
    "Baguette",
    "Kaffee",
    "COFFEE",
    "CHICKEN RICE",
    "MILO ICE",
    "BATTERY AA 4S",
    "PVC PIPE 1/2",
    "ROTI CANAI",
    "Sandwich",
    "TAPE 24MM",
    "FOLDER A4",
    "Eau minérale",
    "Tomates 1kg",
    "MEE GORENG",
    "KOPI O",
)
FOOTERS = (
    "THANK YOU. PLEASE COME AGAIN",
    "GOODS SOLD ARE NOT RETURNABLE",
    "Vielen Dank!",
    "Merci de votre visite",
    "Thank you for shopping with us",
    "KEEP RECEIPT FOR EXCHANGE",
)


CHOICES = (
    "region", "total_label", "arrangement", "rounding", "tax_inclusive", "tender", "summary",
    "quantity", "repeat", "noise", "rotation", "fade", "family",
)  # fmt: skip


@dataclass(frozen=True)
class ReceiptTruth:
    company: str
    address: str
    date: datetime.date
    total: Decimal
    locale: str  # the region, shown in misses

    def key(self) -> dict[str, str]:
        """Expected values as strings, as ``sroie/key/NNN.json`` has them."""
        return {
            "company": self.company,
            "address": self.address,
            "date": self.date.isoformat(),
            "total": f"{self.total:.2f}",
        }


@dataclass
class SyntheticReceipt:
    seed: int
    pages: list[Image.Image]
    truth: ReceiptTruth
    choices: dict[str, Any]

    def encode(self) -> tuple[bytes, str]:
        return encode_pages(self.pages)


def _amount(value: Decimal, region: str) -> str:
    text = f"{value:,.2f}"
    return text.replace(",", " ").replace(".", ",") if region == "eu" else text


def _date_text(day: datetime.date, style: str, region: Region) -> str:
    month = region.months[day.month - 1]
    return {
        "dmy/": f"{day:%d/%m/%Y}", "dmy-": f"{day:%d-%m-%Y}", "dmy/yy": f"{day:%d/%m/%y}",
        "ymd-": day.isoformat(), "dMy-": f"{day.day:02d}-{month}-{day.year}",
        "d M y": f"{day.day} {month.title()} {day.year}", "dmy.": f"{day:%d.%m.%Y}",
        "dmy.yy": f"{day:%d.%m.%y}",
    }[style]  # fmt: skip


class _Roll:
    """A till roll being printed: lines of text top to bottom, in columns of a fixed width."""

    def __init__(self, width: int, family: str, size: int, ink: int) -> None:
        self.width, self.family, self.size, self.ink = width, family, size, ink
        self.margin = round(width * 0.06)
        self.rows: list[tuple[str, str, str, bool, float]] = []  # left, centre, right, bold, scale

    def centre(self, text: str, bold: bool = False, scale: float = 1.0) -> None:
        self.rows.append(("", text, "", bold, scale))

    def row(self, left: str, right: str = "", bold: bool = False, scale: float = 1.0) -> None:
        self.rows.append((left, "", right, bold, scale))

    def rule(self) -> None:
        self.rows.append(("", "-" * 40, "", False, 0.7))

    def render(self) -> Image.Image:
        step = round(self.size * 1.45)
        height = self.margin * 2 + sum(round(step * scale) for *_, scale in self.rows)
        image = Image.new("L", (self.width, height), 255)
        draw = ImageDraw.Draw(image)
        y = self.margin
        for left, middle, right, bold, scale in self.rows:
            font = load_font(self.family, bold, round(self.size * scale))
            if middle:
                font = _fitting(
                    draw, middle, self.family, bold, font.size, self.width - 2 * self.margin
                )
                draw.text((self.width / 2, y), middle, font=font, fill=self.ink, anchor="ma")
            if left:
                draw.text((self.margin, y), left, font=font, fill=self.ink)
            if right:
                draw.text((self.width - self.margin, y), right, font=font, fill=self.ink,
                          anchor="ra")  # fmt: skip
            y += round(step * scale)
        return image


def _fitting(
    draw: ImageDraw.ImageDraw, text: str, family: str, bold: bool, size: int, width: int
) -> ImageFont.FreeTypeFont:
    """The font at ``size`` or smaller in which the text fits the roll (the truth is what is
    printed: a line is never cut)."""
    font = load_font(family, bold, size)
    while size > 8 and draw.textlength(text, font=font) > width:
        size -= 1
        font = load_font(family, bold, size)
    return font


def _finish(
    image: Image.Image, rng: np.random.Generator, noise: float, rotation: float
) -> Image.Image:
    if noise > 0:
        image = image.filter(ImageFilter.GaussianBlur(radius=0.7 * noise))
        pixels = np.asarray(image, dtype=np.float64) + rng.normal(0, 22 * noise, image.size[::-1])
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")
    if rotation:
        image = image.rotate(rotation, resample=Image.Resampling.BICUBIC, expand=True,
                             fillcolor=255)  # fmt: skip
    return image


def make_receipt(seed: int, **choices: Any) -> SyntheticReceipt:
    """One receipt; ``choices`` fix any of the module's choices."""
    unknown = set(choices) - set(CHOICES)
    if unknown:
        raise TypeError(f"make_receipt: unknown choices {sorted(unknown)}")
    rng = random.Random(seed)
    chosen: dict[str, Any] = {}

    def choose(name: str, options: tuple[Any, ...] | list[Any]) -> Any:
        chosen[name] = choices[name] if name in choices else rng.choice(list(options))
        return chosen[name]

    region_name = choose("region", ("my", "my", "my", "eu"))
    region = REGIONS[region_name]
    labels = KNOWN_TOTALS[region_name] + UNKNOWN_TOTALS[region_name]
    total_label = choose("total_label", labels)
    arrangement = choose("arrangement", ("row", "row", "row", "column", "below"))
    rounding = choose("rounding", (True, False, False) if region_name == "my" else (False,))
    tax_inclusive = choose("tax_inclusive", (True, False))
    tender = choose("tender", ("cash", "cash", "card", "none"))
    summary = choose("summary", (True, False, False) if region_name == "my" else (False,))
    quantity = choose("quantity", (True, False))
    repeat = choose("repeat", (True, False, False, False))
    noise = choose("noise", (0.0, 0.3, 0.6))
    rotation = choose("rotation", (0.0, 0.0, -0.8, 0.6))
    fade = choose("fade", (0, 0, 60, 100))
    family = choose("family", ("mono", "mono", "condensed"))

    roll = _Roll(rng.choice((520, 600, 680)), family, rng.choice((19, 21, 23)), fade)
    company = _company(rng, region)
    address = _address(rng, region)
    day = datetime.date(2017, 1, 1) + datetime.timedelta(days=rng.randrange(0, 900))
    _print_head(roll, rng, region, company, address)
    _print_meta(roll, rng, region, day)
    subtotal, count = _print_items(roll, rng, region_name)
    total = _print_totals(
        roll, rng, region_name, region, subtotal, count,
        total_label=total_label, arrangement=arrangement, rounding=rounding,
        tax_inclusive=tax_inclusive, tender=tender, quantity=quantity,
    )  # fmt: skip
    if summary:
        _print_summary(roll, region, total)
    if repeat:
        roll.row(f"{total_label}:", _amount(total, region_name))
    roll.centre(rng.choice(FOOTERS))
    image = _finish(roll.render(), np.random.default_rng(seed), noise, rotation)
    truth = ReceiptTruth(company, " ".join(address), day, total, region_name)
    return SyntheticReceipt(seed, [image], truth, chosen)


def _company(rng: random.Random, region: Region) -> str:
    words = " ".join(rng.sample(region.name_words, rng.choice((2, 2, 3))))
    suffix = rng.choice(region.suffixes)
    return f"{words} {suffix}".strip()


def _address(rng: random.Random, region: Region) -> list[str]:
    number = f"NO {rng.randint(1, 250)}, " if region is MY else f"{rng.randint(1, 120)} "
    street = rng.choice(region.streets)
    first = f"{number}{street}," if region is MY else f"{street} {rng.randint(1, 120)}"
    town, state = rng.choice(region.places)
    lines = [first]
    if region is MY and rng.random() < 0.6:
        lines.append(rng.choice(("TAMAN BUKIT INDAH,", "TAMAN SRI MUDA,", "BANDAR BARU,")))
    lines.append(f"{town}, {state}".rstrip(", ") if rng.random() < 0.5 or not state else town)
    if state and not lines[-1].endswith(state):
        lines.append(state)
    return lines


def _print_head(
    roll: _Roll, rng: random.Random, region: Region, company: str, address: list[str]
) -> None:
    if rng.random() < 0.3:  # a brand over the legal name, as a logo's text
        roll.centre(company.split()[0], bold=True, scale=1.6)
    registration = f"({rng.randint(100000, 999999)}-{rng.choice('ADHKPTUVWX')})"
    if region is MY and rng.random() < 0.4:
        roll.centre(f"{company} {registration}", bold=True)
    else:
        roll.centre(company, bold=True, scale=rng.choice((1.0, 1.2)))
        if region is MY and rng.random() < 0.6:
            roll.centre(f"CO. REG: {registration}")
    for line in address:
        roll.centre(line)
    roll.centre(f"TEL: 0{rng.randint(3, 9)}-{rng.randint(2000000, 9999999)}")
    if region is MY and rng.random() < 0.7:
        roll.centre(f"GST ID: {rng.randint(10**11, 10**12 - 1)}")
    title = rng.choice(region.titles)
    if title:
        roll.centre(title, bold=True)


def _print_meta(roll: _Roll, rng: random.Random, region: Region, day: datetime.date) -> None:
    roll.row(f"INV NO: CS{rng.randint(10000, 999999):07d}")
    date = _date_text(day, rng.choice(region.date_styles), region)
    time = f"{rng.randint(8, 22):02d}:{rng.randint(0, 59):02d}"
    label = rng.choice(region.date_labels)
    if rng.random() < 0.5:
        roll.row(f"{label} {date}".strip(), time)
    else:
        roll.row(f"{label} {date} {time}".strip())
    roll.row(f"CASHIER: {rng.choice(('ALI', 'SITI', 'ANNA', '01', 'JOHN'))}")
    roll.rule()


def _print_items(roll: _Roll, rng: random.Random, region: str) -> tuple[Decimal, int]:
    subtotal, count = Decimal(0), 0
    for _ in range(rng.randint(1, 9)):
        quantity = rng.choice((1, 1, 1, 2, 3, 5))
        price = to_cents(Decimal(rng.randint(50, 4000)) / 100)
        amount = price * quantity
        name = rng.choice(ITEMS)
        code = " SR" if region == "my" and rng.random() < 0.5 else ""
        if quantity > 1 or rng.random() < 0.3:
            roll.row(name)
            roll.row(f"  {quantity} x {_amount(price, region)}", _amount(amount, region) + code)
        else:
            roll.row(name, _amount(amount, region) + code)
        subtotal += amount
        count += quantity
    roll.rule()
    return subtotal, count


def _print_totals(
    roll: _Roll, rng: random.Random, region_name: str, region: Region, subtotal: Decimal,
    count: int, *, total_label: str, arrangement: str, rounding: bool, tax_inclusive: bool,
    tender: str, quantity: bool,
) -> Decimal:  # fmt: skip
    """Print the totals block; returns the amount paid (the truth's total)."""
    tax_name, rate = rng.choice(region.taxes)
    if tax_inclusive:
        gross = subtotal
        tax = to_cents(gross * rate / (1 + rate))
    else:
        tax = to_cents(subtotal * rate)
        gross = subtotal + tax
        roll.row(rng.choice(SUBTOTALS[region_name]), _amount(subtotal, region_name))
        roll.row(f"{tax_name} @{rate * 100:.0f}%" if region is MY else tax_name,
                 _amount(tax, region_name))  # fmt: skip
    total = gross
    if rounding:
        total = (gross / NICKEL).quantize(Decimal(1), rounding=ROUND_HALF_UP) * NICKEL
        if total != gross:
            roll.row(rng.choice(("TOTAL", "Total Sales")), _amount(gross, region_name))
            roll.row(rng.choice(ROUNDINGS), _amount(total - gross, region_name))
    _print_total(roll, total_label, _amount(total, region_name), region.currency, arrangement)
    if tax_inclusive:
        roll.row(_included_tax(rng, region, tax_name, rate), _amount(tax, region_name))
    if quantity:
        roll.row(f"{rng.choice(QUANTITIES)} {count}")
    if tender == "cash":
        notes = [Decimal(n) for n in (5, 10, 20, 50, 100, 200, 500, 1000) if n >= total]
        paid = total if rng.random() < 0.2 or not notes else rng.choice(notes[:2])
        roll.row(rng.choice(CASH[region_name]), _amount(to_cents(paid), region_name))
        roll.row(rng.choice(CHANGE[region_name]), _amount(to_cents(paid - total), region_name))
    elif tender == "card":
        roll.row(rng.choice(CARDS), _amount(total, region_name))
    roll.rule()
    return total


def _included_tax(rng: random.Random, region: Region, tax_name: str, rate: Decimal) -> str:
    """The words of a tax line inside the total: some read like a total's label too."""
    if region is not MY:
        return f"inkl. {tax_name}" if "MwSt" in tax_name else f"dont {tax_name}"
    tax, percent = tax_name.split()[0], f"{rate * 100:.0f}%"
    return rng.choice((f"Total Incl. {tax} @{percent}", f"{tax} @{percent} Included",
                       f"Incl. {tax} {percent}", f"Total Included {tax} @{percent}"))  # fmt: skip


def _print_total(roll: _Roll, label: str, amount: str, currency: str, arrangement: str) -> None:
    if arrangement == "column":
        roll.row(f"{label}   {currency}", amount, bold=True)
    elif arrangement == "below":
        roll.row(label, bold=True)
        roll.row("", amount, bold=True, scale=1.3)
    else:
        roll.row(label, amount, bold=True, scale=1.15)


def _print_summary(roll: _Roll, region: Region, total: Decimal) -> None:
    tax_name, rate = region.taxes[0]
    net = to_cents(total / (1 + rate))
    roll.row(f"{tax_name} Summary", "Amount  Tax")
    roll.row(f"SR @ {rate * 100:.0f}%", f"{net:.2f}  {total - net:.2f}")


def make_receipts(count: int, seed: int = 0, **choices: Any) -> list[SyntheticReceipt]:
    return [make_receipt(document_seed(seed, index), **choices) for index in range(count)]
