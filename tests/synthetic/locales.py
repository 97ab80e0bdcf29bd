"""What an invoice prints in each language: label words, month names, number and date styles.

The label variants are the ones real invoices use (``Rechnungsnummer``, ``Facture n°``,
``Total TTC``, ``Base imponible``, ``Totaal incl. btw``); one is picked per document.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Labels:
    title: tuple[str, ...]
    number: tuple[str, ...]
    issue_date: tuple[str, ...]
    due_date: tuple[str, ...]
    net: tuple[str, ...]
    tax: tuple[str, ...]  # formatted with {rate}
    total: tuple[str, ...]
    vendor: tuple[str, ...]
    buyer: tuple[str, ...]
    vat_id: tuple[str, ...]
    columns: tuple[str, str, str, str]  # description, quantity, unit price, amount
    page: str  # formatted with {page} and {pages}
    carried: str  # running subtotal at the foot of a page that continues
    terms: str  # formatted with {days}
    notes: tuple[str, ...]  # a header line repeated on every page (never the vendor)
    months: tuple[str, ...]
    short_months: tuple[str, ...]
    items: tuple[str, ...]
    units: tuple[str, ...]
    words: tuple[str, ...]  # company name words
    streets: tuple[str, ...]
    cities: tuple[tuple[str, str], ...]  # postcode, city


LANGUAGES: dict[str, Labels] = {
    "en": Labels(
        title=("INVOICE", "Invoice", "TAX INVOICE"),
        number=("Invoice No.", "Invoice Number", "Invoice #"),
        issue_date=("Invoice Date", "Date of issue", "Issue date"),
        due_date=("Due Date", "Payment due"),
        net=("Subtotal", "Net amount", "Total excl. VAT"),
        tax=("VAT {rate}%", "Tax ({rate}%)", "Sales Tax {rate}%"),
        total=("Total", "Amount Due", "Total due", "Balance due"),
        vendor=("From", "Seller", "Supplier"),
        buyer=("Bill To", "Invoice to", "Customer"),
        vat_id=("VAT Reg. No.", "VAT No."),
        columns=("Description", "Qty", "Unit price", "Amount"),
        page="Page {page} of {pages}",
        carried="Carried forward",
        terms="Payment within {days} days of the invoice date.",
        notes=(
            "Printed with stylesheet invoice-a4.css v2.3",
            "Quality you can trust since 1987",
            "Thank you for your business!",
        ),
        months=(
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        short_months=(
            "Jan",
            "Feb",
            "Mar",
            "Apr",
            "May",
            "Jun",
            "Jul",
            "Aug",
            "Sep",
            "Oct",
            "Nov",
            "Dec",
        ),
        items=(
            "Consulting services",
            "Printer paper A4, 500 sheets",
            "Toner cartridge black",
            "Website maintenance",
            "Office chair",
            "Software licence (annual)",
            "Shipping",
            "Installation and setup",
            "USB-C docking station",
            "Training workshop",
        ),
        units=("pcs", "h", "box"),
        words=("Northwind", "Bluebell", "Harbour", "Oakridge", "Summit", "Redwood", "Kingfisher"),
        streets=("High Street", "Station Road", "Church Lane", "Market Street", "Mill Road"),
        cities=(
            ("SW1A 1AA", "London"),
            ("M1 2AB", "Manchester"),
            ("EH1 1YZ", "Edinburgh"),
            ("10001", "New York, NY"),
            ("60601", "Chicago, IL"),
            ("94105", "San Francisco, CA"),
        ),
    ),
    "de": Labels(
        title=("RECHNUNG", "Rechnung"),
        number=("Rechnungsnummer", "Rechnungs-Nr.", "Rechnung Nr."),
        issue_date=("Rechnungsdatum", "Datum"),
        due_date=("Fälligkeitsdatum", "Fällig am", "Zahlbar bis"),
        net=("Nettobetrag", "Summe netto", "Zwischensumme"),
        tax=("MwSt {rate} %", "zzgl. {rate} % USt.", "Umsatzsteuer {rate} %"),
        total=("Gesamtbetrag", "Zahlbetrag", "Rechnungsbetrag", "Gesamt brutto"),
        vendor=("Verkäufer", "Rechnungssteller"),
        buyer=("Rechnungsempfänger", "Kunde"),
        vat_id=("USt-IdNr.", "USt-ID"),
        columns=("Bezeichnung", "Menge", "Einzelpreis", "Betrag"),
        page="Seite {page} von {pages}",
        carried="Übertrag",
        terms="Zahlbar innerhalb von {days} Tagen ohne Abzug.",
        notes=(
            "Gedruckt mit Vorlage rechnung-a4.css v3.1",
            "Qualität seit 1985 – Ihr Partner für Bürobedarf",
            "Vielen Dank für Ihren Auftrag!",
        ),
        months=(
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ),
        short_months=(
            "Jan.",
            "Feb.",
            "März",
            "Apr.",
            "Mai",
            "Juni",
            "Juli",
            "Aug.",
            "Sept.",
            "Okt.",
            "Nov.",
            "Dez.",
        ),
        items=(
            "Beratungsleistung",
            "Kopierpapier A4, 500 Blatt",
            "Tonerkartusche schwarz",
            "Wartung Webseite",
            "Bürostuhl ergonomisch",
            "Softwarelizenz (jährlich)",
            "Versandkosten",
            "Montage und Einrichtung",
            "Schulung vor Ort",
            "Druckerkabel 3 m",
        ),
        units=("Stk.", "Std.", "Pck."),
        words=("Müller", "Schneider", "Becker", "Rheintal", "Nordlicht", "Alpen", "Hansa"),
        streets=("Hauptstraße", "Bahnhofstraße", "Gartenweg", "Lindenallee", "Schillerstraße"),
        cities=(
            ("10115", "Berlin"),
            ("80331", "München"),
            ("50667", "Köln"),
            ("8001", "Zürich"),
            ("3011", "Bern"),
            ("4051", "Basel"),
        ),
    ),
    "fr": Labels(
        title=("FACTURE", "Facture"),
        number=("Facture n°", "N° de facture", "Numéro de facture"),
        issue_date=("Date de facture", "Date d'émission", "Date"),
        due_date=("Échéance", "Date d'échéance"),
        net=("Total HT", "Montant HT"),
        tax=("TVA {rate} %", "TVA ({rate} %)"),
        total=("Total TTC", "Net à payer", "Montant TTC"),
        vendor=("Fournisseur", "Émetteur", "Vendeur"),
        buyer=("Client", "Facturé à", "Destinataire"),
        vat_id=("N° TVA intracom.", "TVA intracommunautaire"),
        columns=("Désignation", "Qté", "Prix unitaire", "Montant"),
        page="Page {page} / {pages}",
        carried="Report",
        terms="Paiement à {days} jours date de facture.",
        notes=(
            "Imprimé avec la feuille de style facture-a4.css v1.8",
            "La qualité au service de nos clients depuis 1992",
            "Merci de votre confiance !",
        ),
        months=(
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ),
        short_months=(
            "janv.",
            "févr.",
            "mars",
            "avr.",
            "mai",
            "juin",
            "juil.",
            "août",
            "sept.",
            "oct.",
            "nov.",
            "déc.",
        ),
        items=(
            "Prestation de conseil",
            "Ramette papier A4",
            "Cartouche de toner noir",
            "Maintenance du site web",
            "Fauteuil de bureau",
            "Licence logicielle annuelle",
            "Frais de port",
            "Installation et paramétrage",
            "Formation sur site",
            "Câble réseau",
        ),
        units=("pce", "h", "lot"),
        words=("Dupont", "Lumière", "Provence", "Atlantique", "Bellevue", "Moreau", "Étoile"),
        streets=("rue de la République", "avenue Victor Hugo", "boulevard Voltaire", "rue Pasteur"),
        cities=(
            ("75011", "Paris"),
            ("69002", "Lyon"),
            ("13001", "Marseille"),
            ("33000", "Bordeaux"),
        ),
    ),
    "es": Labels(
        title=("FACTURA", "Factura"),
        number=("Factura n.º", "Número de factura", "Nº Factura"),
        issue_date=("Fecha de factura", "Fecha de emisión", "Fecha"),
        due_date=("Fecha de vencimiento", "Vencimiento"),
        net=("Base imponible", "Importe neto", "Subtotal"),
        tax=("IVA {rate} %", "IVA ({rate}%)"),
        total=("Total", "Total a pagar", "Importe total"),
        vendor=("Proveedor", "Emisor"),
        buyer=("Cliente", "Facturar a"),
        vat_id=("NIF", "CIF"),
        columns=("Concepto", "Cant.", "Precio unit.", "Importe"),
        page="Página {page} de {pages}",
        carried="Suma y sigue",
        terms="Pago a {days} días fecha factura.",
        notes=(
            "Impreso con la plantilla factura-a4.css v2.0",
            "Calidad y servicio desde 1979",
            "¡Gracias por su confianza!",
        ),
        months=(
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ),
        short_months=(
            "ene.",
            "feb.",
            "mar.",
            "abr.",
            "may.",
            "jun.",
            "jul.",
            "ago.",
            "sept.",
            "oct.",
            "nov.",
            "dic.",
        ),
        items=(
            "Servicios de consultoría",
            "Papel de impresora A4",
            "Cartucho de tóner negro",
            "Mantenimiento web",
            "Silla de oficina",
            "Licencia de software anual",
            "Gastos de envío",
            "Instalación y configuración",
            "Curso de formación",
            "Cable HDMI",
        ),
        units=("ud.", "h", "caja"),
        words=("Iberia", "Castilla", "Solana", "Mediterráneo", "Navarro", "Olivar", "Peña"),
        streets=("Calle Mayor", "Avenida de la Constitución", "Calle del Sol", "Paseo del Prado"),
        cities=(
            ("28013", "Madrid"),
            ("08002", "Barcelona"),
            ("41001", "Sevilla"),
            ("46001", "Valencia"),
        ),
    ),
    "it": Labels(
        title=("FATTURA", "Fattura"),
        number=("Fattura n.", "Numero fattura", "N. fattura"),
        issue_date=("Data fattura", "Data di emissione", "Data"),
        due_date=("Scadenza", "Data di scadenza"),
        net=("Imponibile", "Totale imponibile"),
        tax=("IVA {rate}%", "IVA ({rate} %)"),
        total=("Totale", "Totale documento", "Totale da pagare"),
        vendor=("Fornitore", "Cedente"),
        buyer=("Cliente", "Destinatario"),
        vat_id=("P. IVA", "Partita IVA"),
        columns=("Descrizione", "Q.tà", "Prezzo unit.", "Importo"),
        page="Pagina {page} di {pages}",
        carried="Riporto",
        terms="Pagamento a {days} giorni data fattura.",
        notes=(
            "Stampato con il foglio di stile fattura-a4.css v1.4",
            "Qualità italiana dal 1968",
            "Grazie per averci scelto!",
        ),
        months=(
            "gennaio",
            "febbraio",
            "marzo",
            "aprile",
            "maggio",
            "giugno",
            "luglio",
            "agosto",
            "settembre",
            "ottobre",
            "novembre",
            "dicembre",
        ),
        short_months=(
            "gen.",
            "feb.",
            "mar.",
            "apr.",
            "mag.",
            "giu.",
            "lug.",
            "ago.",
            "set.",
            "ott.",
            "nov.",
            "dic.",
        ),
        items=(
            "Consulenza tecnica",
            "Carta per stampanti A4",
            "Cartuccia toner nero",
            "Manutenzione sito web",
            "Sedia da ufficio",
            "Licenza software annuale",
            "Spese di spedizione",
            "Installazione e configurazione",
            "Corso di formazione",
        ),
        units=("pz", "ore", "conf."),
        words=("Rossi", "Bianchi", "Lombarda", "Adriatica", "Toscana", "Ferrari", "Sole"),
        streets=("Via Roma", "Corso Italia", "Via Garibaldi", "Piazza del Duomo", "Via Verdi"),
        cities=(("20121", "Milano"), ("00184", "Roma"), ("50122", "Firenze"), ("10121", "Torino")),
    ),
    "nl": Labels(
        title=("FACTUUR", "Factuur"),
        number=("Factuurnummer", "Factuur nr."),
        issue_date=("Factuurdatum", "Datum"),
        due_date=("Vervaldatum", "Uiterste betaaldatum"),
        net=("Subtotaal", "Totaal excl. btw"),
        tax=("BTW {rate}%", "Btw {rate}%"),
        total=("Totaal", "Totaal incl. btw", "Te betalen"),
        vendor=("Leverancier", "Afzender"),
        buyer=("Klant", "Factuur aan"),
        vat_id=("Btw-nummer", "BTW-nr."),
        columns=("Omschrijving", "Aantal", "Prijs", "Bedrag"),
        page="Pagina {page} van {pages}",
        carried="Transport",
        terms="Betaling binnen {days} dagen na factuurdatum.",
        notes=(
            "Afgedrukt met opmaakprofiel factuur-a4.css v2.2",
            "Kwaliteit sinds 1990",
            "Bedankt voor uw bestelling!",
        ),
        months=(
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ),
        short_months=(
            "jan.",
            "feb.",
            "mrt.",
            "apr.",
            "mei",
            "jun.",
            "jul.",
            "aug.",
            "sep.",
            "okt.",
            "nov.",
            "dec.",
        ),
        items=(
            "Advieswerkzaamheden",
            "Printpapier A4",
            "Tonercartridge zwart",
            "Onderhoud website",
            "Bureaustoel",
            "Softwarelicentie (jaarlijks)",
            "Verzendkosten",
            "Installatie",
            "Training op locatie",
        ),
        units=("st.", "uur", "doos"),
        words=("Van Dijk", "Polder", "Tulp", "De Vries", "Noordzee", "Molen", "Oranje"),
        streets=("Kerkstraat", "Dorpsstraat", "Stationsweg", "Molenweg", "Schoolstraat"),
        cities=(
            ("1012 AB", "Amsterdam"),
            ("3011 AD", "Rotterdam"),
            ("3511 LX", "Utrecht"),
            ("2511 CV", "Den Haag"),
        ),
    ),
    "pt": Labels(
        title=("FATURA", "Fatura"),
        number=("Fatura n.º", "Número da fatura", "Fatura Nº"),
        issue_date=("Data da fatura", "Data de emissão", "Data"),
        due_date=("Data de vencimento", "Vencimento"),
        net=("Total sem IVA", "Valor líquido", "Base tributável"),
        tax=("IVA {rate}%", "IVA ({rate} %)"),
        total=("Total", "Total a pagar", "Total com IVA"),
        vendor=("Fornecedor", "Emitente"),
        buyer=("Cliente", "Adquirente"),
        vat_id=("NIF", "Contribuinte n.º"),
        columns=("Descrição", "Qtd.", "Preço unit.", "Valor"),
        page="Página {page} de {pages}",
        carried="Transporte",
        terms="Pagamento a {days} dias.",
        notes=(
            "Impresso com a folha de estilo fatura-a4.css v1.2",
            "Qualidade desde 1975",
            "Obrigado pela sua preferência!",
        ),
        months=(
            "janeiro",
            "fevereiro",
            "março",
            "abril",
            "maio",
            "junho",
            "julho",
            "agosto",
            "setembro",
            "outubro",
            "novembro",
            "dezembro",
        ),
        short_months=(
            "jan.",
            "fev.",
            "mar.",
            "abr.",
            "mai.",
            "jun.",
            "jul.",
            "ago.",
            "set.",
            "out.",
            "nov.",
            "dez.",
        ),
        items=(
            "Serviços de consultoria",
            "Papel de impressão A4",
            "Tinteiro preto",
            "Manutenção do website",
            "Cadeira de escritório",
            "Licença de software anual",
            "Portes de envio",
            "Instalação e configuração",
            "Formação presencial",
        ),
        units=("un.", "h", "cx."),
        words=("Lusitana", "Atlântico", "Silva", "Douro", "Costa", "Oliveira", "Minho"),
        streets=("Rua Augusta", "Avenida da Liberdade", "Rua do Carmo", "Rua de Santa Catarina"),
        cities=(("1100-053", "Lisboa"), ("4000-322", "Porto"), ("3000-150", "Coimbra")),
    ),
}

LEGAL_FORMS = {
    "en-GB": ("Ltd", "Limited", "LLP"),
    "en-US": ("Inc.", "LLC", "Corp."),
    "de-DE": ("GmbH", "AG", "GmbH & Co. KG"),
    "de-CH": ("AG", "GmbH", "SA"),
    "fr-FR": ("SARL", "SAS", "SA"),
    "es-ES": ("S.L.", "S.A."),
    "it-IT": ("S.r.l.", "S.p.A."),
    "nl-NL": ("B.V.", "N.V."),
    "pt-PT": ("Lda.", "S.A."),
}


@dataclass(frozen=True)
class Locale:
    """A country's conventions: language, currency, VAT, how numbers and dates print."""

    code: str
    language: str
    country: str  # for the IBAN and VAT ID; "US" has neither
    currency: str
    tax_rates: tuple[int | str, ...]  # percent
    number_styles: tuple[str, ...]  # keys of NUMBER_STYLES, first the usual one
    date_styles: tuple[str, ...]  # keys of date styles, first the usual one
    symbol_before: bool  # does the currency symbol usually lead


LOCALES: dict[str, Locale] = {
    "en-GB": Locale("en-GB", "en", "GB", "GBP", (20,), ("en",), ("dmy/", "long", "iso"), True),
    "en-US": Locale(
        "en-US", "en", "US", "USD", ("7.25", 8), ("en",), ("mdy/", "long_us", "iso"), True
    ),
    "de-DE": Locale(
        "de-DE", "de", "DE", "EUR", (19, 7), ("de", "fr"), ("dmy.", "long", "iso"), False
    ),
    "de-CH": Locale("de-CH", "de", "CH", "CHF", ("8.1",), ("ch",), ("dmy.", "long"), True),
    "fr-FR": Locale(
        "fr-FR", "fr", "FR", "EUR", (20, 10), ("fr", "de"), ("dmy/", "short", "long"), False
    ),
    "es-ES": Locale(
        "es-ES", "es", "ES", "EUR", (21,), ("de", "fr"), ("dmy/", "long", "dmy-"), False
    ),
    "it-IT": Locale("it-IT", "it", "IT", "EUR", (22,), ("de",), ("dmy/", "long", "dmy."), True),
    "nl-NL": Locale("nl-NL", "nl", "NL", "EUR", (21, 9), ("de",), ("dmy-", "long", "short"), True),
    "pt-PT": Locale(
        "pt-PT", "pt", "PT", "EUR", (23,), ("fr", "de"), ("dmy/", "dmy-", "iso"), False
    ),
}

# labels a country words differently from the rest of its language
LABEL_OVERRIDES: dict[str, dict[str, tuple[str, ...]]] = {
    "en-US": {"tax": ("Sales Tax {rate}%", "Tax ({rate}%)"), "title": ("INVOICE", "Invoice")},
    "de-CH": {"tax": ("MWST {rate} %", "MwSt. {rate} %"), "vat_id": ("MWST-Nr.", "UID")},
}

# The buyer's own VAT ID, printed for reverse charge: never the seller's.
BUYER_VAT_WORDS = {
    "en": "Your VAT No.",
    "de": "Ihre USt-IdNr.",
    "fr": "Votre n° TVA",
    "es": "Su NIF",
    "it": "Vostra partita IVA",
    "nl": "Uw btw-nummer",
    "pt": "Seu NIF",
}
# An early-payment discount before the due date: its date is no due date.
DISCOUNT_SENTENCES = {
    "en": "{pct} % early payment discount if paid by {date}.",
    "de": "Bei Zahlung bis {date} gewähren wir {pct} % Skonto.",
    "fr": "Escompte de {pct} % pour paiement avant le {date}.",
    "es": "Descuento por pronto pago del {pct} % hasta el {date}.",
    "it": "Sconto del {pct} % per pagamento entro il {date}.",
    "nl": "{pct} % betalingskorting bij betaling vóór {date}.",
    "pt": "Desconto de {pct} % para pagamento até {date}.",
}

PHONE_WORDS = {
    "en": "Tel.",
    "de": "Tel.",
    "fr": "Tél.",
    "es": "Tel.",
    "it": "Tel.",
    "nl": "Tel.",
    "pt": "Tel.",
}

SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF"}

# (thousands separator, decimal separator)
NUMBER_STYLES = {"en": (",", "."), "de": (".", ","), "fr": (" ", ","), "ch": ("'", ".")}


def format_number(value: Decimal, style: str) -> str:
    """``1234.5`` → ``1,234.50`` (en), ``1.234,50`` (de), ``1 234,50`` (fr), ``1'234.50`` (ch)."""
    thousands, point = NUMBER_STYLES[style]
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):.2f}".split(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return sign + thousands.join([whole, *groups]) + point + cents


def format_money(value: Decimal, style: str, currency: str, mark: str, before: bool) -> str:
    """The amount with its currency: mark ``symbol`` (€ 12,00), ``code`` (12,00 EUR) or ``none``."""
    number = format_number(value, style)
    if mark == "none":
        return number
    sign = SYMBOLS[currency] if mark == "symbol" else currency
    return f"{sign} {number}" if before else f"{number} {sign}"


def format_date(day: datetime.date, style: str, language: str) -> str:
    """A date as the style prints it: ``dmy.`` 12.03.2024, ``dmy/`` 12/03/2024, ``dmy-``,
    ``mdy/`` 03/12/2024, ``iso`` 2024-03-12, ``long`` 12 März 2024 (en: 12 March 2024),
    ``long_us`` March 12, 2024, ``short`` 3 févr. 2024."""
    labels = LANGUAGES[language]
    if style.startswith("dmy"):
        return f"{day.day:02d}{style[3]}{day.month:02d}{style[3]}{day.year}"
    if style == "mdy/":
        return f"{day.month:02d}/{day.day:02d}/{day.year}"
    if style == "iso":
        return day.isoformat()
    if style == "long":
        month = labels.months[day.month - 1]
        if language == "de":
            return f"{day.day}. {month} {day.year}"
        if language in ("es", "pt"):
            return f"{day.day} de {month} de {day.year}"
        return f"{day.day} {month} {day.year}"
    if style == "long_us":
        return f"{labels.months[day.month - 1]} {day.day}, {day.year}"
    if style == "short":
        return f"{day.day} {labels.short_months[day.month - 1]} {day.year}"
    raise ValueError(f"unknown date style {style!r}")
