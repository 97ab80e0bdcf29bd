"""A second, independent invoice generator: layouts the ``invoice`` scorer was not fitted on.

``make_wild_invoice(seed)`` returns the page images (A4, 150 dpi, one or two pages, grey
scale) and the truth as a dict of strings (``number``, ``date`` ISO, ``due_date`` ISO when a
due date is printed, ``total``/``net``/``tax`` as ``1234.56``, ``vendor``, ``buyer``,
``currency``, ``iban`` and ``vat_id`` when printed). Everything is drawn from
``random.Random(seed)``, so a seed gives the same pixels.

Written apart from ``tests/synthetic/invoices.py`` (only its font folder and the checksum
helpers are shared), so that figures measured here do not flatter a scorer fitted there.
Layout families:

* ``letterhead``: the vendor's name large and centred with a slogan, a small sender line over
  the address window, the date in running text (``Berlin, den 12. März 2024``) and the number
  in the title (``Rechnung Nr. 2024-0815``);
* ``grid``: the vendor top left with a logo box top right, a metadata grid (a row of labels,
  the values in the row beneath);
* ``banner``: a grey band with the vendor's name and ``INVOICE #INV-00231``, a ``Bill to``
  block and a one-line ``Datum: … | Kunden-Nr. …`` strip;
* ``sidebar``: the vendor's details, the invoice data and the bank in a right-hand column.

German (most), French and English (UK); due dates as sentences or a labelled value, or only
payment terms (then no due date); totals as a right-aligned table; a footer with bank, VAT ID
and register on every page; two-page documents carry a subtotal (``Übertrag``) over.
"""

from __future__ import annotations

import datetime
import io
import math
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tests.synthetic.checksums import make_iban, make_vat_id
from tests.synthetic.invoices import encode_pages

WILD_VERSION = "1"  # bump when the renders change
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {  # regular, bold, italic
    "sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf"),
    "serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf"),
    "condensed": (
        "DejaVuSansCondensed.ttf",
        "DejaVuSansCondensed-Bold.ttf",
        "DejaVuSansCondensed-Oblique.ttf",
    ),
    "serif-condensed": (
        "DejaVuSerifCondensed.ttf",
        "DejaVuSerifCondensed-Bold.ttf",
        "DejaVuSerifCondensed-Italic.ttf",
    ),
}
DPI = 150
MM = DPI / 25.4
PAGE_W, PAGE_H = round(210 * MM), round(297 * MM)
CENT = Decimal("0.01")
BODY_BOTTOM = 258.0  # mm: the body ends here, the footer starts below
FOOTER_TOP = 266.0

# --- words ------------------------------------------------------------------------------


def _w(text: str) -> tuple[str, ...]:
    return tuple(text.split())


DE_SURNAMES = _w(
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter "
    "Klein Wolf Schröder Neumann Schwarz Braun Zimmermann Krüger Hartmann Lange Werner Krause "
    "Lehmann Köhler Maier Huber Kaiser Fuchs Brandt Vogel Jäger Sommer"
)
DE_FIRST = _w(
    "Thomas Andreas Stefan Michael Sabine Claudia Katrin Jürgen Markus Anja Frank Petra Uwe "
    "Birgit Tobias Julia Lukas Sandra Dirk Monika"
)
DE_FEMALE = {"Sabine", "Claudia", "Katrin", "Anja", "Petra", "Birgit", "Julia", "Sandra", "Monika"}
DE_TRADES = _w(
    "Haustechnik Elektrotechnik Metallbau Druckerei Logistik Gebäudereinigung Softwareentwicklung "
    "Holzbau Werbetechnik Maschinenbau Büroservice Gartenbau Feinmechanik Medientechnik Umzüge "
    "Kältetechnik Bürobedarf Dachdeckerei Sanitärtechnik Messebau"
)
DE_WORDS = _w("Nord Süd Rhein Elbe Alpen Havel Main Spree Weser Isar Ostsee Harz Taunus Eifel")
DE_SUFFIXES = _w("tec plan werk data form line print bau log soft")
DE_FORMS = ("GmbH", "GmbH", "GmbH", "AG", "e.K.", "GmbH & Co. KG", "KG", "OHG")
DE_STREETS = (
    *_w(
        "Hauptstraße Bahnhofstraße Gartenstraße Schillerstraße Goethestraße Lindenallee "
        "Industriestraße Kirchweg Rosenweg Mühlenweg Friedrichstraße Hafenstraße Ringstraße "
        "Schulstraße Waldweg Dorfstraße Kastanienallee Birkenweg Talstraße Bergstraße "
        "Uferstraße Lessingstraße Kantstraße Heinrich-Heine-Straße"
    ),
    "Am Marktplatz",
    "Berliner Straße",
    "Am Stadtpark",
    "Im Gewerbepark",
    "Alte Gasse",
)
DE_CITIES = (  # postcode, city, register court
    ("10115", "Berlin", "Charlottenburg"),
    ("20095", "Hamburg", "Hamburg"),
    ("80331", "München", "München"),
    ("50667", "Köln", "Köln"),
    ("60311", "Frankfurt am Main", "Frankfurt am Main"),
    ("70173", "Stuttgart", "Stuttgart"),
    ("40213", "Düsseldorf", "Düsseldorf"),
    ("04109", "Leipzig", "Leipzig"),
    ("01067", "Dresden", "Dresden"),
    ("30159", "Hannover", "Hannover"),
    ("90402", "Nürnberg", "Nürnberg"),
    ("28195", "Bremen", "Bremen"),
    ("44135", "Dortmund", "Dortmund"),
    ("45127", "Essen", "Essen"),
    ("68159", "Mannheim", "Mannheim"),
    ("76133", "Karlsruhe", "Mannheim"),
    ("53111", "Bonn", "Bonn"),
    ("48143", "Münster", "Münster"),
    ("24103", "Kiel", "Kiel"),
    ("93047", "Regensburg", "Regensburg"),
    ("79098", "Freiburg im Breisgau", "Freiburg"),
    ("99084", "Erfurt", "Jena"),
    ("18055", "Rostock", "Rostock"),
    ("86150", "Augsburg", "Augsburg"),
    ("65183", "Wiesbaden", "Wiesbaden"),
)
DE_BANKS = (
    "Sparkasse {city}",
    "Commerzbank",
    "Deutsche Bank",
    "Volksbank {city} eG",
    "Postbank",
    "GLS Bank",
    "HypoVereinsbank",
    "Stadtsparkasse {city}",
)
DE_SLOGANS = (
    "Qualität seit {year}",
    "Ihr Partner für Technik und Service",
    "Zuverlässig. Schnell. Regional.",
    "Meisterbetrieb seit {year}",
    "Lösungen, die passen",
    "Wir bewegen Ihre Ideen",
    "Handwerk mit Verantwortung",
    "Alles aus einer Hand",
)
DE_ITEMS = (
    "Wartung Heizungsanlage",
    "Montage Kabelkanal",
    "Beratung vor Ort",
    "Druck Flyer A5, 4/4-farbig",
    "Versandkosten",
    "Anfahrtspauschale",
    "Kupferrohr 15 mm",
    "Softwarelizenz Jahresabo",
    "Entsorgung Altmaterial",
    "Arbeitszeit Geselle",
    "Arbeitszeit Meister",
    "Büropapier A4, 500 Blatt",
    "Toner schwarz",
    "Schrauben-Set Edelstahl",
    "Projektmanagement",
    "Fensterreinigung",
    "Transport Palette",
    "Lagerung pro Monat",
    "Dichtungsset",
    "Reparatur Schließanlage",
    "Messestand Aufbau",
    "Layout und Satz",
)
DE_DETAILS = (
    "KW {week}",
    "Objekt {street}",
    "lt. Angebot {offer}",
    "Los {lot}",
    "Bauabschnitt {lot}",
)
DE_UNITS = ("Stk.", "Std.", "m", "pausch.", "Pal.", "kg", "Monat")
DE_MONTHS = _w("Januar Februar März April Mai Juni Juli August September Oktober November Dezember")

FR_SURNAMES = _w(
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
    "Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Mercier "
    "Dupont Lambert Bonnet François Legrand Garnier Faure Rousseau Blanc Guérin"
)
FR_FIRST = _w(
    "Jean Marie Pierre Sophie Nicolas Isabelle Philippe Camille Julien Claire Olivier "
    "Nathalie Antoine Céline Laurent"
)
FR_FEMALE = {"Marie", "Sophie", "Isabelle", "Camille", "Claire", "Nathalie", "Céline"}
FR_TRADES = _w(
    "Transports Menuiserie Boulangerie Imprimerie Électricité Plomberie Conseil Informatique "
    "Nettoyage Ateliers Architecture Jardins Carrosserie Traiteur Bureautique"
)
FR_WORDS = _w("Atlantique Provence Loire Alpes Horizon Azur Lumière Rivage Étoile Océan Bretagne")
FR_FORMS = ("SARL", "SARL", "SAS", "SA", "EURL", "SASU")
FR_STREETS = (
    "rue de la République",
    "rue Victor Hugo",
    "avenue Jean Jaurès",
    "boulevard Voltaire",
    "rue du Moulin",
    "place de la Gare",
    "rue des Lilas",
    "avenue de la Libération",
    "rue Pasteur",
    "chemin des Vignes",
    "rue Nationale",
    "quai des Chartrons",
    "allée des Pins",
    "rue du Commerce",
    "impasse des Roses",
    "rue Émile Zola",
)
FR_CITIES = (
    ("75011", "Paris"),
    ("69003", "Lyon"),
    ("13001", "Marseille"),
    ("31000", "Toulouse"),
    ("33000", "Bordeaux"),
    ("44000", "Nantes"),
    ("67000", "Strasbourg"),
    ("59000", "Lille"),
    ("35000", "Rennes"),
    ("34000", "Montpellier"),
    ("06000", "Nice"),
    ("21000", "Dijon"),
    ("37000", "Tours"),
    ("49000", "Angers"),
    ("38000", "Grenoble"),
)
FR_BANKS = (
    "Crédit Agricole",
    "BNP Paribas",
    "Société Générale",
    "LCL",
    "Banque Populaire",
    "Crédit Mutuel",
    "CIC",
    "La Banque Postale",
)
FR_SLOGANS = (
    "Votre partenaire depuis {year}",
    "Qualité et savoir-faire",
    "L'excellence au quotidien",
    "Artisan de confiance",
    "Solutions sur mesure",
)
FR_ITEMS = (
    "Main d'œuvre",
    "Déplacement",
    "Fourniture câble 3G2,5",
    "Maintenance annuelle",
    "Impression brochures A4",
    "Frais de port",
    "Licence logiciel",
    "Nettoyage bureaux",
    "Pose de parquet",
    "Location échafaudage",
    "Conseil stratégique",
    "Peinture murale",
    "Remplacement serrure",
    "Livraison palette",
    "Formation utilisateurs",
)
FR_DETAILS = ("semaine {week}", "chantier {street}", "selon devis {offer}", "lot {lot}")
FR_UNITS = ("h", "u.", "forfait", "m²", "jour")
FR_MONTHS = _w(
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
)

EN_SURNAMES = _w(
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans "
    "Walker White Roberts Green Hall Wood Jackson Clarke Harrison Whitfield Ashworth Pemberton "
    "Fletcher Hughes Turner Cooper Hill Ward"
)
EN_FIRST = _w("James Oliver Emma Charlotte Harry George Sophie Daniel Lucy Thomas Hannah Jack")
EN_TRADES = (
    "Print",
    "Consulting",
    "Logistics",
    "Joinery",
    "Electrical",
    "Plumbing",
    "Software",
    "Cleaning Services",
    "Engineering",
    "Design",
    "Catering",
    "Roofing",
    "Surveying",
    "Signs",
    "Plant Hire",
)
EN_WORDS = _w(
    "Northgate Riverside Kingsway Oakfield Redbrick Greenway Highland Brightwater "
    "Stonebridge Meadow Castle Harbour"
)
EN_FORMS = ("Ltd", "Ltd", "Limited", "LLP", "Plc")
EN_STREETS = (
    "Station Road",
    "High Street",
    "Church Lane",
    "Victoria Street",
    "Mill Lane",
    "Queen's Road",
    "Park Avenue",
    "Kingsway",
    "Manor Close",
    "Albert Road",
    "Green Lane",
    "London Road",
    "York Way",
    "Castle Street",
)
EN_CITIES = (
    ("London", "EC1A 1BB"),
    ("Manchester", "M1 2AB"),
    ("Birmingham", "B1 1AA"),
    ("Leeds", "LS1 4AP"),
    ("Bristol", "BS1 5TR"),
    ("Glasgow", "G1 2FF"),
    ("Edinburgh", "EH1 1YZ"),
    ("Liverpool", "L2 2DP"),
    ("Sheffield", "S1 2HE"),
    ("Nottingham", "NG1 5DT"),
    ("Cardiff", "CF10 1EP"),
    ("Leicester", "LE1 5YA"),
    ("Oxford", "OX1 2JD"),
    ("York", "YO1 7HH"),
)
EN_BANKS = ("Barclays", "HSBC UK", "Lloyds Bank", "NatWest", "Santander UK", "Metro Bank")
EN_SLOGANS = (
    "Quality you can rely on",
    "Established {year}",
    "Print · Design · Finish",
    "Trusted by businesses across the region",
    "Making logistics simple",
)
EN_ITEMS = (
    "Consultancy",
    "Site visit",
    "Delivery charge",
    "Annual maintenance contract",
    "Printing – A5 leaflets",
    "Software licence (12 months)",
    "Labour",
    "Materials",
    "Office cleaning – monthly",
    "Skip hire",
    "Design work",
    "Cable, 2.5mm twin & earth",
    "Call-out fee",
    "Training session",
    "Web hosting (annual)",
)
EN_DETAILS = ("week {week}", "site: {street}", "as quoted {offer}", "phase {lot}")
EN_UNITS = ("hrs", "ea", "day", "lot")
EN_MONTHS = _w(
    "January February March April May June July August September October November December"
)

# --- labels -----------------------------------------------------------------------------

LABELS: dict[str, dict[str, Any]] = {
    "de": {
        "title_numbered": (
            "Rechnung Nr. {n}",
            "RECHNUNG NR. {n}",
            "Rechnung {n}",
            "Rechnung Nr.: {n}",
        ),
        "title": ("Rechnung", "RECHNUNG"),
        "number": ("Rechnungs-Nr.", "Rechnungsnummer", "Beleg-Nr.", "Rechnung Nr."),
        "date": ("Datum", "Rechnungsdatum", "Belegdatum"),
        "customer": ("Kunden-Nr.", "Kundennummer", "Kd.-Nr."),
        "page": ("Seite",),
        "delivery": ("Lieferdatum", "Leistungsdatum"),
        "order": ("Auftrags-Nr.", "Bestell-Nr."),
        "due": ("Fällig am", "Zahlbar bis", "Fälligkeit"),
        "date_line": (
            "{city}, den {long}",
            "{city}, {numeric}",
            "{city}, den {numeric}",
            "{city}, {long}",
        ),
        "due_sentence": (
            "Zahlbar bis {d} ohne Abzug.",
            "Bitte überweisen Sie den Rechnungsbetrag bis zum {d} auf das unten genannte Konto.",
            "Der Rechnungsbetrag ist zahlbar bis {d}.",
            "Bitte begleichen Sie den Betrag bis spätestens {d}.",
        ),
        "terms": (
            "Zahlungsziel 14 Tage netto.",
            "Zahlbar innerhalb von 30 Tagen ohne Abzug.",
            "Zahlungsziel: 10 Tage nach Rechnungseingang.",
            "Der Rechnungsbetrag ist sofort nach Erhalt fällig.",
        ),
        "skonto": (
            "Bei Zahlung innerhalb von 7 Tagen gewähren wir 2 % Skonto.",
            "Bei Zahlung bis zum {d} gewähren wir 3 % Skonto.",
        ),
        "greeting": ("Sehr geehrte Damen und Herren,",),
        "intro": (
            "wir berechnen Ihnen für unsere Leistungen wie folgt:",
            "für die erbrachten Leistungen erlauben wir uns zu berechnen:",
            "vielen Dank für Ihren Auftrag. Wir stellen Ihnen folgende Positionen in Rechnung:",
        ),
        "thanks": ("Vielen Dank für Ihren Auftrag!", "Mit freundlichen Grüßen"),
        "order_line": ("Ihre Bestellung Nr. {order} vom {d}", "Ihr Auftrag {order} vom {d}"),
        "pos": "Pos.",
        "desc": ("Beschreibung", "Bezeichnung", "Artikel / Leistung", "Leistung"),
        "qty": ("Menge", "Anz."),
        "unit": ("Einheit", "ME"),
        "price": ("Einzelpreis", "E-Preis", "Preis/Einh."),
        "amount": ("Gesamt", "Betrag", "Gesamtpreis"),
        "carry_out": ("Übertrag", "Zwischensumme (Übertrag)"),
        "carry_in": ("Übertrag", "Übertrag von Seite 1"),
        "net": ("Zwischensumme", "Nettobetrag", "Summe netto", "Warenwert netto", "Gesamt netto"),
        "tax": (
            "zzgl. {r} % MwSt.",
            "{r} % USt.",
            "Umsatzsteuer {r} %",
            "MwSt. {r}%",
            "+ {r}% MwSt.",
        ),
        "total": (
            "Gesamtbetrag",
            "Rechnungsbetrag",
            "Zahlbetrag",
            "Gesamtsumme",
            "Endbetrag",
            "Bruttobetrag",
        ),
        "bill_to": ("Rechnungsempfänger:", "Rechnung an:", "Kunde:"),
        "attn": ("z. Hd. {title} {first} {last}",),
        "mr_mrs": ("Herrn", "Frau"),
        "page_of": ("Seite {p} von {n}", "Seite {p}/{n}"),
        "continued": ("Rechnung {n} – Seite {p}", "Seite {p} zur Rechnung Nr. {n}"),
        "vat_label": ("USt-IdNr.:", "USt-IdNr.", "USt-ID:", "Umsatzsteuer-ID:"),
        "buyer_vat": "Ihre USt-IdNr.: {vat}",
        "tax_no": "Steuernummer: {a}/{b}/{c}",
        "bank": "Bankverbindung",
        "director": ("Geschäftsführer: {name}", "Geschäftsführung: {name}"),
        "owner": "Inhaber: {name}",
        "tel": "Tel.",
        "currency_note": "Alle Beträge in Euro.",
        "contact": ("Ihr Ansprechpartner: {name}", "Bearbeiter: {name}"),
        "data_head": "Rechnungsdaten",
        "period": "Leistungszeitraum: {month} {year}",
    },
    "fr": {
        "title_numbered": ("Facture n° {n}", "FACTURE N° {n}", "Facture {n}", "Facture N°{n}"),
        "title": ("Facture", "FACTURE"),
        "number": ("N° de facture", "Facture n°", "Numéro"),
        "date": ("Date", "Date de facture", "Date d'émission"),
        "customer": ("Code client", "N° client"),
        "page": ("Page",),
        "delivery": ("Date de livraison", "Date de prestation"),
        "order": ("Commande n°", "Réf. commande"),
        "due": ("Échéance", "Date d'échéance"),
        "date_line": ("{city}, le {long}", "Fait à {city}, le {long}", "{city}, le {numeric}"),
        "due_sentence": (
            "Date d'échéance : {d}",
            "À régler avant le {d}.",
            "Paiement à réception, au plus tard le {d}.",
            "Facture payable avant le {d}.",
        ),
        "terms": (
            "Paiement à 30 jours fin de mois.",
            "Conditions de paiement : 30 jours net.",
            "Paiement à réception de facture.",
        ),
        "skonto": ("Pas d'escompte pour paiement anticipé.",),
        "greeting": ("Madame, Monsieur,",),
        "intro": (
            "veuillez trouver ci-dessous le détail de nos prestations :",
            "nous vous prions de bien vouloir régler la facture suivante :",
        ),
        "thanks": ("Nous vous remercions de votre confiance.", "Merci pour votre commande."),
        "order_line": ("Votre commande n° {order} du {d}", "Selon bon de commande {order} du {d}"),
        "pos": "Réf.",
        "desc": ("Désignation", "Description"),
        "qty": ("Qté", "Quantité"),
        "unit": ("Unité", "U."),
        "price": ("P.U. HT", "Prix unitaire"),
        "amount": ("Montant HT", "Total HT"),
        "carry_out": ("À reporter",),
        "carry_in": ("Report",),
        "net": ("Total HT", "Montant HT", "Sous-total HT"),
        "tax": ("TVA {r} %", "TVA ({r} %)", "Montant TVA {r}%"),
        "total": ("Total TTC", "Montant TTC", "Net à payer", "Total à payer"),
        "bill_to": ("Facturé à :", "Client :", "Adressé à :"),
        "attn": ("À l'attention de {title} {first} {last}",),
        "mr_mrs": ("M.", "Mme"),
        "page_of": ("Page {p}/{n}", "Page {p} sur {n}"),
        "continued": ("Facture {n} – page {p}", "Suite de la facture n° {n} – page {p}"),
        "vat_label": ("TVA intracommunautaire :", "N° TVA :", "N° TVA intracom. :"),
        "buyer_vat": "Votre n° TVA : {vat}",
        "tax_no": "Code APE {a}Z",
        "bank": "Coordonnées bancaires",
        "director": ("Gérant : {name}", "Président : {name}"),
        "owner": "Gérant : {name}",
        "tel": "Tél.",
        "currency_note": "Montants exprimés en euros.",
        "contact": ("Votre contact : {name}", "Dossier suivi par {name}"),
        "data_head": "Informations",
        "period": "Période : {month} {year}",
    },
    "en": {
        "title_numbered": ("INVOICE #{n}", "Invoice {n}", "Invoice No. {n}", "TAX INVOICE {n}"),
        "title": ("INVOICE", "Invoice", "TAX INVOICE"),
        "number": ("Invoice No.", "Invoice #", "Invoice Number"),
        "date": ("Date", "Invoice Date", "Tax Point"),
        "customer": ("Account No.", "Customer ID"),
        "page": ("Page",),
        "delivery": ("Delivery Date", "Date of Supply"),
        "order": ("PO Number", "Your Ref."),
        "due": ("Due Date", "Payment Due"),
        "date_line": ("{city}, {long}", "Date: {long}", "Issued {long}"),
        "due_sentence": (
            "Payment due by {d}.",
            "Please pay before {d}.",
            "This invoice is payable before {d}.",
            "Kindly settle this invoice by {d}.",
        ),
        "terms": (
            "Payment terms: 30 days net.",
            "Please pay within 14 days of the invoice date.",
            "Terms: strictly 30 days.",
        ),
        "skonto": ("A 2% early settlement discount applies if paid within 7 days.",),
        "greeting": ("Dear Sir or Madam,",),
        "intro": ("Please find below our charges for work carried out:",),
        "thanks": ("Thank you for your business.", "Many thanks for your custom."),
        "order_line": ("Your order {order} dated {d}", "PO {order} of {d}"),
        "pos": "No.",
        "desc": ("Description", "Item"),
        "qty": ("Qty", "Quantity"),
        "unit": ("Unit",),
        "price": ("Unit Price", "Rate"),
        "amount": ("Amount", "Line Total"),
        "carry_out": ("Carried forward",),
        "carry_in": ("Brought forward",),
        "net": ("Subtotal", "Net amount", "Total excl. VAT", "Net total"),
        "tax": ("VAT @ {r}%", "VAT {r}%", "VAT at {r}%"),
        "total": ("Amount due", "Balance due", "Total", "Total due", "Invoice total"),
        "bill_to": ("Bill to:", "Invoice to:", "Customer:"),
        "attn": ("Attn: {first} {last}", "FAO {first} {last}"),
        "mr_mrs": ("", ""),
        "page_of": ("Page {p} of {n}",),
        "continued": ("Invoice {n} – page {p}", "Continuation of invoice {n}, page {p}"),
        "vat_label": ("VAT Reg No:", "VAT No.", "VAT Registration No."),
        "buyer_vat": "Your VAT No.: {vat}",
        "tax_no": "Company No. {a}{b}{c}",
        "bank": "Bank details",
        "director": ("Director: {name}", "Directors: {name}"),
        "owner": "Director: {name}",
        "tel": "Tel:",
        "currency_note": "All amounts in {currency}.",
        "contact": ("Your contact: {name}", "Account manager: {name}"),
        "data_head": "Invoice details",
        "period": "Period: {month} {year}",
    },
}

# --- values -----------------------------------------------------------------------------


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _group(digits: str, separator: str) -> str:
    if not separator:
        return digits
    parts = []
    while len(digits) > 3:
        parts.insert(0, digits[-3:])
        digits = digits[:-3]
    parts.insert(0, digits)
    return separator.join(parts)


def _ascii(text: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e"})
    folded = text.lower().translate(table)
    return "".join(char for char in folded if char.isascii() and char.isalnum())


@dataclass
class _Style:
    """How numbers, dates and money are written in one document."""

    language: str
    thousands: str
    decimal: str
    mark: str  # "", "€", "EUR", "£", "GBP"
    mark_before: bool
    numeric_date: str  # strftime-like: "dmy.", "dmy/", "dmy-", "dm.y"
    long_date: str  # "plain", "ordinal" (en), "first" (fr 1er)

    def amount(self, value: Decimal) -> str:
        integer, fraction = f"{_cents(value):.2f}".split(".")
        return _group(integer, self.thousands) + self.decimal + fraction

    def money(self, value: Decimal) -> str:
        number = self.amount(value)
        if not self.mark:
            return number
        if self.mark_before:
            return f"{self.mark}{number}" if self.mark == "£" else f"{self.mark} {number}"
        return f"{number} {self.mark}"

    def quantity(self, value: Decimal) -> str:
        if value == value.to_integral_value():
            return str(int(value))
        return str(value.normalize()).replace(".", self.decimal)

    def numeric(self, day: datetime.date) -> str:
        if self.numeric_date == "dm.y":
            return f"{day.day}.{day.month}.{day.year}"
        separator = self.numeric_date[-1]
        return f"{day.day:02d}{separator}{day.month:02d}{separator}{day.year}"

    def long(self, day: datetime.date) -> str:
        if self.language == "de":
            return f"{day.day}. {DE_MONTHS[day.month - 1]} {day.year}"
        if self.language == "fr":
            number = "1er" if day.day == 1 and self.long_date == "first" else str(day.day)
            return f"{number} {FR_MONTHS[day.month - 1]} {day.year}"
        if self.long_date == "ordinal":
            suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}
            return f"{day.day}{suffix.get(day.day, 'th')} {EN_MONTHS[day.month - 1]} {day.year}"
        return f"{day.day} {EN_MONTHS[day.month - 1]} {day.year}"


@dataclass
class _Item:
    description: str
    quantity: Decimal
    unit: str
    price: Decimal
    amount: Decimal


@dataclass
class _Party:
    name: str
    street: str
    postcode: str
    city: str
    lines: list[str]  # the address as printed in the window (name first)


@dataclass
class _Doc:
    """Everything one invoice says and how it is laid out."""

    rng: random.Random
    language: str
    words: dict[str, Any]
    style: _Style
    family: str
    fonts: tuple[str, str, str]
    vendor: _Party
    buyer: _Party
    slogan: str
    phone: str
    email: str
    web: str
    number: str
    customer_no: str
    issue: datetime.date
    due: datetime.date | None
    delivery: datetime.date
    order: str
    order_date: datetime.date
    rate: int
    items: list[_Item]
    net: Decimal
    tax: Decimal
    total: Decimal
    currency: str
    iban: str | None
    iban_printed: str
    bic: str
    bank: str
    vat_id: str | None
    vat_printed: str
    buyer_vat: str | None
    register: str
    director: str
    contact: str
    choices: dict[str, Any] = field(default_factory=dict)

    def pick(self, key: str) -> str:
        options = self.words[key]
        return options if isinstance(options, str) else self.rng.choice(options)


def _person(rng: random.Random, language: str) -> tuple[str, str, bool]:
    first, last, female = {
        "de": (DE_FIRST, DE_SURNAMES, DE_FEMALE),
        "fr": (FR_FIRST, FR_SURNAMES, FR_FEMALE),
        "en": (EN_FIRST, EN_SURNAMES, {"Emma", "Charlotte", "Sophie", "Lucy", "Hannah"}),
    }[language]
    name = rng.choice(first)
    return name, rng.choice(last), name in female


def _company(rng: random.Random, language: str) -> tuple[str, str]:
    """A company name and its legal form."""
    if language == "de":
        form = rng.choice(DE_FORMS)
        a, b = rng.sample(DE_SURNAMES, 2)
        trade = rng.choice(DE_TRADES)
        pattern = rng.randrange(5)
        if form == "e.K.":
            first, last, _ = _person(rng, "de")
            return f"{trade} {first} {last} e.K.", form  # the owner's name is the 2nd/3rd word
        if pattern == 0:
            return f"{a} {trade} {form}", form
        if pattern == 1:
            return f"{rng.choice(DE_WORDS)}{rng.choice(DE_SUFFIXES)} {form}", form
        if pattern == 2:
            return f"{a} & {b} {form}", form
        if pattern == 3:
            return f"{rng.choice(DE_WORDS)}-{trade} {form}", form
        return f"{trade} {a} {form}", form
    if language == "fr":
        form = rng.choice(FR_FORMS)
        a, b = rng.sample(FR_SURNAMES, 2)
        pattern = rng.randrange(5)
        if pattern == 0:
            return f"{rng.choice(FR_TRADES)} {a} {form}", form
        if pattern == 1:
            return f"{a} & Fils {form}", form
        if pattern == 2:
            return f"{a}-{b} {form}", form
        if pattern == 3:
            return f"{rng.choice(FR_WORDS)} {rng.choice(FR_TRADES)} {form}", form
        return f"Groupe {a} {form}", form
    form = rng.choice(EN_FORMS)
    a, b = rng.sample(EN_SURNAMES, 2)
    pattern = rng.randrange(4)
    if pattern == 0:
        return f"{a} {rng.choice(EN_TRADES)} {form}", form
    if pattern == 1:
        return f"{a} & Sons {form}", form
    if pattern == 2:
        return f"{rng.choice(EN_WORDS)} {rng.choice(EN_TRADES)} {form}", form
    return f"{a} {b} {form}", form


def _party(rng: random.Random, language: str, name: str, window: bool) -> _Party:
    number = rng.randint(1, 140)
    if language == "de":
        postcode, city, _court = rng.choice(DE_CITIES)
        street = f"{rng.choice(DE_STREETS)} {number}{rng.choice(['', '', '', 'a', 'b'])}"
        lines = [name, street, f"{postcode} {city}"]
    elif language == "fr":
        postcode, city = rng.choice(FR_CITIES)
        street = f"{number}{rng.choice([',', ''])} {rng.choice(FR_STREETS)}"
        town = city.upper() if rng.random() < 0.6 else city
        lines = [name, street, f"{postcode} {town}"]
    else:
        city, postcode = rng.choice(EN_CITIES)
        if rng.random() < 0.2:
            street = f"Unit {rng.randint(1, 30)}, {rng.choice(EN_WORDS)} Business Park"
        else:
            street = f"{number} {rng.choice(EN_STREETS)}"
        lines = [name, street, city, postcode]
    if window and rng.random() < 0.45:
        first, last, female = _person(rng, language)
        title = LABELS[language]["mr_mrs"][1 if female else 0]
        attn = rng.choice(LABELS[language]["attn"]).format(title=title, first=first, last=last)
        lines.insert(1, " ".join(attn.split()))
    return _Party(name, street, postcode, city, lines)


def _invoice_number(rng: random.Random, language: str, day: datetime.date) -> str:
    serial = rng.randint(1, 9999)
    y, m = day.year, day.month
    options = {
        "de": (
            f"{y}-{serial:04d}",
            f"RE{y % 100:02d}{serial:05d}",
            f"RE-{y}-{serial:05d}",
            f"{rng.randint(100000, 999999)}",
            f"R{y}{m:02d}-{serial % 1000:03d}",
            f"{y}/{serial:04d}",
        ),
        "fr": (
            f"F-{y}-{serial % 1000:03d}",
            f"FA{y}{serial:04d}",
            f"{y}{m:02d}-{serial % 1000:03d}",
            f"FAC-{serial:05d}",
        ),
        "en": (
            f"INV-{serial:05d}",
            f"{rng.randint(1000, 99999)}",
            f"INV{y}{serial:04d}",
            f"SI-{serial:04d}",
        ),
    }[language]
    return rng.choice(options)


def _items(rng: random.Random, language: str, count: int) -> list[_Item]:
    bases, details, units = {
        "de": (DE_ITEMS, DE_DETAILS, DE_UNITS),
        "fr": (FR_ITEMS, FR_DETAILS, FR_UNITS),
        "en": (EN_ITEMS, EN_DETAILS, EN_UNITS),
    }[language]
    streets = {"de": DE_STREETS, "fr": FR_STREETS, "en": EN_STREETS}[language]
    chosen = rng.sample(bases, min(count, len(bases)))
    while len(chosen) < count:
        chosen.append(rng.choice(bases))
    items = []
    for base in chosen:
        description = base
        if rng.random() < 0.3 or chosen.count(base) > 1:
            detail = rng.choice(details).format(
                week=rng.randint(1, 52),
                street=rng.choice(streets),
                offer=rng.randint(1000, 9999),
                lot=rng.randint(1, 9),
            )
            description = f"{base}, {detail}"
        unit = rng.choice(units)
        if rng.random() < 0.25:
            quantity = Decimal(rng.randint(1, 30)) / 2
        else:
            quantity = Decimal(rng.choice((1, 1, 1, 2, 3, 4, 5, 6, 8, 10, 12, 20, 25, 40)))
        price = _cents(Decimal(str(round(math.exp(rng.uniform(math.log(3), math.log(1500))), 2))))
        if price > 250:
            quantity = Decimal(rng.choice((1, 1, 1, 2, 3)))
        items.append(_Item(description, quantity, unit, price, _cents(quantity * price)))
    return items


def _bic(rng: random.Random, country: str) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    bank = "".join(rng.choice(letters) for _ in range(4))
    location = rng.choice(letters) + rng.choice(letters + "0123456789")
    branch = rng.choice(("", "XXX", f"{rng.randint(100, 999)}"))
    return f"{bank}{country}{location}{branch}"


def _content(seed: int) -> _Doc:
    rng = random.Random(seed)
    language = rng.choices(("de", "fr", "en"), weights=(6, 2, 2))[0]
    words = LABELS[language]
    country = {"de": "DE", "fr": "FR", "en": "GB"}[language]
    if language == "en":
        currency = "GBP" if rng.random() < 0.85 else "EUR"
        thousands = rng.choice((",", ",", ""))
        decimal = "."
        mark = rng.choice(("£", "£", "GBP", "")) if currency == "GBP" else rng.choice(("€", "EUR"))
        mark_before = mark in ("£", "€") or (mark == "GBP" and rng.random() < 0.3)
    else:
        currency = "EUR"
        thousands = rng.choice((".", ".", "")) if language == "de" else rng.choice((" ", " ", ""))
        decimal = ","
        mark = rng.choice(("€", "€", "EUR", ""))
        mark_before = mark == "EUR" and rng.random() < 0.35
    style = _Style(
        language,
        thousands,
        decimal,
        mark,
        mark_before,
        numeric_date=rng.choice(("dmy.", "dmy.", "dmy.", "dm.y"))
        if language == "de"
        else rng.choice(("dmy/", "dmy/", "dmy.", "dmy-")),
        long_date=rng.choice(("plain", "ordinal"))
        if language == "en"
        else rng.choice(("plain", "first")),
    )
    family = rng.choices(("letterhead", "grid", "banner", "sidebar"), weights=(3, 3, 2, 2))[0]
    fonts = FONTS[rng.choice(tuple(FONTS))]

    vendor_name, form = _company(rng, language)
    vendor = _party(rng, language, vendor_name, window=False)
    buyer_name = vendor_name
    while buyer_name == vendor_name:
        buyer_name, _ = _company(rng, language)
    buyer = _party(rng, language, buyer_name, window=True)

    year = rng.randint(1962, 2012)
    slogan = rng.choice({"de": DE_SLOGANS, "fr": FR_SLOGANS, "en": EN_SLOGANS}[language])
    domain = _ascii(vendor_name.split()[0]) + (
        _ascii(vendor_name.split()[1])[:6] if rng.random() < 0.5 else ""
    )
    tld = {"de": "de", "fr": "fr", "en": "co.uk"}[language]
    mailbox = rng.choice(
        {
            "de": ("info", "buchhaltung", "kontakt"),
            "fr": ("contact", "compta", "info"),
            "en": ("accounts", "info", "hello"),
        }[language]
    )
    email = f"{mailbox}@{domain}.{tld}"
    if language == "de":
        phone = f"0{rng.randint(30, 999)} {rng.randint(100000, 9999999)}"
    elif language == "fr":
        phone = "0" + str(rng.randint(1, 5)) + "".join(f" {rng.randint(10, 99)}" for _ in range(4))
    else:
        phone = f"0{rng.randint(113, 199)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"

    issue = datetime.date(2023, 1, 1) + datetime.timedelta(days=rng.randint(0, 960))
    due = issue + datetime.timedelta(days=rng.choice((7, 10, 14, 14, 21, 30, 30)))
    has_due = rng.random() < 0.7
    delivery = issue - datetime.timedelta(days=rng.randint(1, 12))
    order_date = issue - datetime.timedelta(days=rng.randint(13, 40))

    pages = 2 if rng.random() < 0.3 else 1
    rate = {"de": rng.choice((19, 19, 19, 19, 7)), "fr": rng.choice((20, 20, 20, 10)), "en": 20}[
        language
    ]
    iban = make_iban(country, rng) if rng.random() < 0.92 else None
    iban_printed = ""
    if iban:
        grouped = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        iban_printed = grouped if rng.random() < 0.85 else iban
    vat_id = make_vat_id(country, rng) if rng.random() < 0.9 else None
    vat_printed = ""
    if vat_id:
        if rng.random() < 0.3:
            if country == "DE":
                vat_printed = f"DE {vat_id[2:5]} {vat_id[5:8]} {vat_id[8:]}"
            elif country == "FR":
                vat_printed = f"FR {vat_id[2:4]} {vat_id[4:7]} {vat_id[7:10]} {vat_id[10:]}"
            else:
                vat_printed = f"GB {vat_id[2:5]} {vat_id[5:9]} {vat_id[9:]}"
        else:
            vat_printed = vat_id
    buyer_vat = make_vat_id(country, rng) if rng.random() < 0.15 else None
    bank = rng.choice({"de": DE_BANKS, "fr": FR_BANKS, "en": EN_BANKS}[language]).format(
        city=vendor.city.split()[0]
    )
    first, last, _ = _person(rng, language)
    director = f"{first} {last}"
    if form == "e.K.":
        director = " ".join(vendor_name.split()[1:3])
    contact_first, contact_last, _ = _person(rng, language)
    if language == "de":
        court = next(court for code, city, court in DE_CITIES if city == vendor.city)
        kind = "HRA" if form in ("e.K.", "KG", "OHG", "GmbH & Co. KG") else "HRB"
        register = f"Amtsgericht {court} {kind} {rng.randint(1000, 199999)}"
    elif language == "fr":
        siren = (vat_id or make_vat_id("FR", rng))[4:]
        register = f"RCS {vendor.city} {siren[:3]} {siren[3:6]} {siren[6:]}"
    else:
        register = f"Registered in England and Wales No. {rng.randint(1000000, 14999999):08d}"

    doc = _Doc(
        rng=rng,
        language=language,
        words=words,
        style=style,
        family=family,
        fonts=fonts,
        vendor=vendor,
        buyer=buyer,
        slogan=slogan.format(year=year),
        phone=phone,
        email=email,
        web=f"www.{domain}.{tld}",
        number=_invoice_number(rng, language, issue),
        customer_no=str(rng.randint(1000, 99999)),
        issue=issue,
        due=due if has_due else None,
        delivery=delivery,
        order=str(rng.choice((rng.randint(4500000000, 4599999999), rng.randint(1000, 99999)))),
        order_date=order_date,
        rate=rate,
        items=[],
        net=Decimal(0),
        tax=Decimal(0),
        total=Decimal(0),
        currency=currency,
        iban=iban,
        iban_printed=iban_printed,
        bic=_bic(rng, country),
        bank=bank,
        vat_id=vat_id,
        vat_printed=vat_printed,
        buyer_vat=buyer_vat,
        register=register,
        director=director,
        contact=f"{contact_first} {contact_last}",
    )
    doc.choices = {"language": language, "family": family, "pages": pages, "form": form}
    return doc


# --- drawing ----------------------------------------------------------------------------


@cache
def _font(name: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / name), px)


class _Sheet:
    """One A4 page; coordinates in millimetres, text sizes in points."""

    def __init__(self, fonts: tuple[str, str, str]) -> None:
        self.image = Image.new("L", (PAGE_W, PAGE_H), 255)
        self.draw = ImageDraw.Draw(self.image)
        self.fonts = fonts

    def font(self, pt: float, style: str = "r") -> ImageFont.FreeTypeFont:
        return _font(self.fonts["rbi".index(style)], round(pt * DPI / 72))

    def width(self, text: str, pt: float, style: str = "r") -> float:
        return self.draw.textlength(text, font=self.font(pt, style)) / MM

    def text(
        self,
        x: float,
        y: float,
        text: str,
        pt: float = 9.5,
        style: str = "r",
        align: str = "l",
        fill: int = 0,
        max_width: float | None = None,
    ) -> float:
        """Draws ``text`` with its top at ``y``; returns the line height (mm)."""
        while max_width is not None and pt > 6.5 and self.width(text, pt, style) > max_width:
            pt -= 0.5
        anchor = {"l": "la", "r": "ra", "c": "ma"}[align]
        self.draw.text((x * MM, y * MM), text, font=self.font(pt, style), fill=fill, anchor=anchor)
        return pt * 0.3528 * 1.45

    def hline(self, x1: float, x2: float, y: float, weight: float = 0.25, fill: int = 0) -> None:
        self.draw.line(
            [(x1 * MM, y * MM), (x2 * MM, y * MM)], fill=fill, width=max(1, round(weight * MM))
        )

    def vline(self, x: float, y1: float, y2: float, weight: float = 0.25, fill: int = 0) -> None:
        self.draw.line(
            [(x * MM, y1 * MM), (x * MM, y2 * MM)], fill=fill, width=max(1, round(weight * MM))
        )

    def box(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        outline: int | None = 0,
        fill: int | None = None,
        weight: float = 0.25,
    ) -> None:
        self.draw.rectangle(
            [x1 * MM, y1 * MM, x2 * MM, y2 * MM],
            outline=outline,
            fill=fill,
            width=max(1, round(weight * MM)),
        )


def _sender_line(doc: _Doc) -> str:
    separator = doc.rng.choice((" · ", " – ", " | ", ", "))
    v = doc.vendor
    place = f"{v.postcode} {v.city}" if doc.language != "en" else f"{v.city} {v.postcode}"
    return separator.join((v.name, v.street, place))


def _window(sheet: _Sheet, doc: _Doc, x: float, y: float, sender: bool = True) -> float:
    if sender:
        line = _sender_line(doc)
        sheet.text(x, y, line, pt=6.5, max_width=85)
        if doc.rng.random() < 0.5:
            sheet.hline(x, x + min(85, sheet.width(line, 6.5)), y + 3.2, weight=0.15)
        y += 6
    for line in doc.buyer.lines:
        y += sheet.text(x, y, line, pt=10, max_width=85)
    if doc.buyer_vat:
        y += 1.5
        y += sheet.text(x, y, doc.words["buyer_vat"].format(vat=doc.buyer_vat), pt=8)
    return y


def _date_line(doc: _Doc) -> str:
    template = doc.pick("date_line")
    return template.format(
        city=doc.vendor.city, long=doc.style.long(doc.issue), numeric=doc.style.numeric(doc.issue)
    )


def _title(doc: _Doc) -> str:
    return doc.pick("title_numbered").format(n=doc.number)


def _header_letterhead(sheet: _Sheet, doc: _Doc) -> tuple[float, float, float]:
    rng = doc.rng
    name = doc.vendor.name.upper() if rng.random() < 0.3 else doc.vendor.name
    y = 12.0
    y += sheet.text(105, y, name, pt=rng.choice((20, 24, 26)), style="b", align="c", max_width=170)
    y += sheet.text(105, y + 0.5, doc.slogan, pt=9.5, style="i", align="c")
    if rng.random() < 0.5:
        v = doc.vendor
        line = f"{v.street} · {v.postcode} {v.city} · {doc.words['tel']} {doc.phone} · {doc.email}"
        if doc.language == "en":
            line = f"{v.street} · {v.city} {v.postcode} · {doc.words['tel']} {doc.phone}"
        y += 1 + sheet.text(105, y + 1, line, pt=7.5, align="c", max_width=175)
    sheet.hline(20, 190, y + 2, weight=rng.choice((0.2, 0.5)))
    _window(sheet, doc, 22, 48)
    info_y = 48.0
    if rng.random() < 0.6:
        for line in (
            rng.choice(doc.words["contact"]).format(name=doc.contact),
            f"{doc.words['tel']} {doc.phone}",
            f"{rng.choice(doc.words['customer'])} {doc.customer_no}",
        ):
            info_y += sheet.text(190, info_y, line, pt=8, align="r")
    sheet.text(190, 88, _date_line(doc), pt=9.5, align="r")
    y = 98.0
    y += sheet.text(22, y, _title(doc), pt=rng.choice((13, 14, 16)), style="b") + 1.5
    if rng.random() < 0.3:
        line = doc.pick("order_line").format(order=doc.order, d=doc.style.numeric(doc.order_date))
        y += sheet.text(22, y, line, pt=9) + 1
    if rng.random() < 0.6:
        y += 1.5
        y += sheet.text(22, y, doc.pick("greeting"), pt=9.5)
        y += sheet.text(22, y, doc.pick("intro"), pt=9.5)
    return y + 4, 20.0, 190.0


def _header_grid(sheet: _Sheet, doc: _Doc) -> tuple[float, float, float]:
    rng = doc.rng
    v = doc.vendor
    y = 14.0
    y += sheet.text(20, y, v.name, pt=rng.choice((15, 17, 19)), style="b", max_width=120) + 0.5
    for line in (
        v.street,
        f"{v.postcode} {v.city}" if doc.language != "en" else f"{v.city} {v.postcode}",
        f"{doc.words['tel']} {doc.phone}",
        doc.email,
    ):
        y += sheet.text(20, y, line, pt=8.5)
    # a logo: initials in a box or circle
    initials = "".join(word[0] for word in v.name.split()[:2] if word[0].isalpha()).upper() or "X"
    if rng.random() < 0.5:
        sheet.box(160, 12, 190, 34, outline=0, fill=rng.choice((None, 230)), weight=0.6)
    else:
        sheet.draw.ellipse([163 * MM, 11 * MM, 187 * MM, 35 * MM], outline=0, width=round(0.6 * MM))
    sheet.text(175, 18, initials, pt=22, style="b", align="c")
    _window(sheet, doc, 20, 52)
    y = 96.0
    y += sheet.text(20, y, doc.pick("title"), pt=rng.choice((18, 20, 22)), style="b") + 3
    # the metadata grid: a row of labels, the values beneath
    columns = [
        (rng.choice(doc.words["number"]), doc.number),
        (rng.choice(doc.words["date"]), doc.style.numeric(doc.issue)),
        (rng.choice(doc.words["customer"]), doc.customer_no),
    ]
    if rng.random() < 0.4:
        columns.insert(2, (rng.choice(doc.words["delivery"]), doc.style.numeric(doc.delivery)))
    if doc.due is not None and doc.choices.setdefault("due_in_grid", rng.random() < 0.4):
        columns.append((rng.choice(doc.words["due"]), doc.style.numeric(doc.due)))
    if rng.random() < 0.6:
        columns.append((doc.words["page"][0], f"1/{doc.choices['pages']}"))
    if rng.random() < 0.3:
        rng.shuffle(columns)
    width = 170 / len(columns)
    boxed = rng.random() < 0.6
    shaded = rng.random() < 0.5
    if boxed:
        sheet.box(20, y, 190, y + 13, fill=None)
        if shaded:
            sheet.box(20, y, 190, y + 6, fill=225, outline=0)
        sheet.hline(20, 190, y + 6)
        for index in range(1, len(columns)):
            sheet.vline(20 + index * width, y, y + 13)
    else:
        sheet.hline(20, 190, y + 6, weight=0.2)
    for index, (label, value) in enumerate(columns):
        x = 20 + index * width + 1.5
        sheet.text(x, y + 1.2, label, pt=8, style="b", max_width=width - 3)
        sheet.text(x, y + 7.3, value, pt=9.5, max_width=width - 3)
    y += 18
    if rng.random() < 0.3:
        line = doc.pick("order_line").format(order=doc.order, d=doc.style.numeric(doc.order_date))
        y += sheet.text(20, y, line, pt=9) + 2
    return y + 2, 20.0, 190.0


def _header_banner(sheet: _Sheet, doc: _Doc) -> tuple[float, float, float]:
    rng = doc.rng
    v = doc.vendor
    shade = rng.choice((215, 225, 235))
    sheet.box(0, 0, 210, 34, outline=None, fill=shade)
    sheet.text(15, 9, v.name, pt=rng.choice((16, 18)), style="b", max_width=100)
    sheet.text(15, 19, doc.slogan, pt=8.5, style="i")
    sheet.text(195, 12, _title(doc), pt=rng.choice((15, 17)), style="b", align="r", max_width=80)
    y = 44.0
    sheet.text(15, y, doc.pick("bill_to"), pt=8.5, style="b")
    _window(sheet, doc, 15, y + 5, sender=False)
    right = 195.0
    ry = y
    place = f"{v.postcode} {v.city}" if doc.language != "en" else f"{v.city} {v.postcode}"
    lines = [v.street, place, f"{doc.words['tel']} {doc.phone}", doc.email, doc.web]
    if doc.vat_id and rng.random() < 0.5:
        lines.append(f"{rng.choice(doc.words['vat_label'])} {doc.vat_printed}")
        doc.choices["vat_in_header"] = True
    for line in lines:
        ry += sheet.text(right, ry, line, pt=8, align="r")
    y = 86.0
    parts = []
    if rng.random() < 0.5:
        parts.append(f"{rng.choice(doc.words['date'])}: {doc.style.numeric(doc.issue)}")
    else:
        sheet.text(right, y - 7, _date_line(doc), pt=9, align="r")
    parts.append(f"{rng.choice(doc.words['customer'])} {doc.customer_no}")
    if rng.random() < 0.5:
        parts.append(
            doc.words["period"].format(month=_month(doc, doc.delivery), year=doc.delivery.year)
        )
    if rng.random() < 0.4:
        parts.append(f"{rng.choice(doc.words['order'])} {doc.order}")
    sheet.hline(15, right, y - 1.5, weight=0.2)
    sheet.text(15, y, "   |   ".join(parts), pt=8.5, max_width=180)
    sheet.hline(15, right, y + 5, weight=0.2)
    return y + 11, 15.0, right


def _month(doc: _Doc, day: datetime.date) -> str:
    months = {"de": DE_MONTHS, "fr": FR_MONTHS, "en": EN_MONTHS}[doc.language]
    return months[day.month - 1]


def _header_sidebar(sheet: _Sheet, doc: _Doc) -> tuple[float, float, float]:
    rng = doc.rng
    v = doc.vendor
    x = 150.0
    if rng.random() < 0.5:
        sheet.vline(x - 4, 15, 150, weight=0.3)
    y = 18.0
    for part in _wrap(sheet, v.name, 11, "b", 45):
        y += sheet.text(x, y, part, pt=11, style="b")
    y += 1
    place = f"{v.postcode} {v.city}" if doc.language != "en" else f"{v.city} {v.postcode}"
    for line in (v.street, place, "", f"{doc.words['tel']} {doc.phone}", doc.email, doc.web):
        y += sheet.text(x, y, line, pt=7.5, max_width=45) if line else 2
    y += 5
    sheet.text(x, y, doc.words["data_head"], pt=8.5, style="b")
    y += 5
    pairs = [
        (rng.choice(doc.words["number"]), doc.number),
        (rng.choice(doc.words["date"]), doc.style.numeric(doc.issue)),
        (rng.choice(doc.words["customer"]), doc.customer_no),
    ]
    if doc.due is not None and doc.choices.setdefault("due_in_grid", rng.random() < 0.5):
        pairs.append((rng.choice(doc.words["due"]), doc.style.numeric(doc.due)))
    stacked = rng.random() < 0.5
    for label, value in pairs:
        if stacked:
            y += sheet.text(x, y, label, pt=7.5, fill=70)
            y += sheet.text(x, y, value, pt=9) + 1
        else:
            y += sheet.text(x, y, f"{label}: {value}", pt=8, max_width=45) + 0.5
    if doc.iban and rng.random() < 0.6:
        doc.choices["bank_in_sidebar"] = True
        y += 4
        y += sheet.text(x, y, doc.words["bank"], pt=8.5, style="b")
        y += sheet.text(x, y, doc.bank, pt=7.5, max_width=45)
        for part in _wrap(sheet, f"IBAN {doc.iban_printed}", 7.5, "r", 45):
            y += sheet.text(x, y, part, pt=7.5)
        y += sheet.text(x, y, f"BIC {doc.bic}", pt=7.5)
    _window(sheet, doc, 20, 45)
    y = 95.0
    y += sheet.text(20, y, doc.pick("title"), pt=rng.choice((16, 18)), style="b") + 2
    if rng.random() < 0.5:
        y += sheet.text(20, y, doc.pick("greeting"), pt=9)
        y += sheet.text(20, y, doc.pick("intro"), pt=9, max_width=118)
    return max(y + 4, 112.0), 20.0, 140.0


def _wrap(sheet: _Sheet, text: str, pt: float, style: str, width: float) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and sheet.width(f"{lines[-1]} {word}", pt, style) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


HEADERS = {
    "letterhead": _header_letterhead,
    "grid": _header_grid,
    "banner": _header_banner,
    "sidebar": _header_sidebar,
}


@dataclass
class _Table:
    left: float
    right: float
    pt: float
    row: float  # row height, mm
    columns: list[tuple[str, str, float]]  # key, label, right edge (numbers) or left edge (text)
    shaded_head: bool
    zebra: bool
    rules: bool


def _table(doc: _Doc, left: float, right: float) -> _Table:
    rng = doc.rng
    words = doc.words
    pt = rng.choice((8.5, 9, 9.5)) if right - left < 150 else rng.choice((9, 9.5, 10))
    width = right - left
    keys = ["desc", "qty", "price", "amount"]
    if rng.random() < 0.6:
        keys.insert(0, "pos")
    if rng.random() < 0.5:
        keys.insert(keys.index("qty") + 1, "unit")
    share = {"pos": 0.07, "desc": 0.0, "qty": 0.09, "unit": 0.09, "price": 0.16, "amount": 0.17}
    share["desc"] = 1 - sum(share[key] for key in keys if key != "desc")
    columns = []
    x = left
    for key in keys:
        span = share[key] * width
        label = words["pos"] if key == "pos" else rng.choice(words[key])
        edge = x + span - 1 if key in ("qty", "price", "amount") else x + 1
        columns.append((key, label, edge))
        x += span
    return _Table(
        left,
        right,
        pt,
        row=pt * 0.3528 * 2.0,
        columns=columns,
        shaded_head=rng.random() < 0.5,
        zebra=rng.random() < 0.25,
        rules=rng.random() < 0.4,
    )


def _table_head(sheet: _Sheet, table: _Table, y: float) -> float:
    height = table.row + 0.5
    if table.shaded_head:
        sheet.box(table.left, y, table.right, y + height, outline=None, fill=220)
    else:
        sheet.hline(table.left, table.right, y + height, weight=0.35)
    for key, label, edge in table.columns:
        align = "r" if key in ("qty", "price", "amount") else "l"
        sheet.text(edge, y + 1.3, label, pt=table.pt - 0.5, style="b", align=align)
    return y + height + 1


def _table_row(sheet: _Sheet, doc: _Doc, table: _Table, y: float, index: int, item: _Item) -> float:
    if table.zebra and index % 2 == 0:
        sheet.box(table.left, y - 0.6, table.right, y + table.row - 0.6, outline=None, fill=240)
    cells = {
        "pos": str(index),
        "desc": item.description,
        "qty": doc.style.quantity(item.quantity),
        "unit": item.unit,
        "price": doc.style.amount(item.price),
        "amount": doc.style.amount(item.amount),
    }
    edges = [edge for _key, _label, edge in table.columns]
    for position, (key, _label, edge) in enumerate(table.columns):
        align = "r" if key in ("qty", "price", "amount") else "l"
        room = None
        if key == "desc":
            room = edges[position + 1] - edge - 16 if position + 1 < len(edges) else None
        sheet.text(edge, y, cells[key], pt=table.pt, align=align, max_width=room)
    if table.rules:
        sheet.hline(table.left, table.right, y + table.row - 1, weight=0.12, fill=150)
    return y + table.row


def _carry(sheet: _Sheet, doc: _Doc, table: _Table, y: float, label: str, value: Decimal) -> float:
    sheet.hline(table.left, table.right, y, weight=0.3)
    amount_edge = table.columns[-1][2]
    sheet.text(table.columns[-2][2] - 10, y + 1.5, label, pt=table.pt, style="b", align="r")
    sheet.text(amount_edge, y + 1.5, doc.style.amount(value), pt=table.pt, style="b", align="r")
    return y + table.row + 2


def _totals(sheet: _Sheet, doc: _Doc, left: float, right: float, y: float) -> float:
    rng = doc.rng
    words = doc.words
    style = doc.style
    pt = rng.choice((9, 9.5, 10))
    line = pt * 0.3528 * 1.9
    value_edge = right - 1
    label_edge = right - rng.choice((38, 42, 48))
    label_align = rng.choice(("r", "l"))
    label_x = label_edge if label_align == "r" else min(label_edge - 45, right - 95)
    code_in_label = not style.mark and rng.random() < 0.5
    rows = [
        (rng.choice(words["net"]), doc.net, False),
        (rng.choice(words["tax"]).format(r=doc.rate), doc.tax, False),
        (rng.choice(words["total"]), doc.total, True),
    ]
    if code_in_label:
        rows[-1] = (f"{rows[-1][0]} {doc.currency}", doc.total, True)
    boxed = rng.random() < 0.3
    y += 4
    if boxed:
        box_left = (label_edge - 48 if label_align == "r" else label_x) - 3
        sheet.box(box_left, y - 1.5, right + 1, y + 3 * line + 3.5, fill=242, outline=0)
    for label, value, strong in rows:
        if strong:
            sheet.hline(
                label_x - 2 if label_align == "l" else label_edge - 45, right, y, weight=0.35
            )
            y += 1.5
        face = "b" if strong else "r"
        size = pt + 1 if strong else pt
        money = style.money(value) if (strong or rng.random() < 0.6) else style.amount(value)
        sheet.text(label_x, y, label, pt=size, style=face, align=label_align)
        sheet.text(value_edge, y, money, pt=size, style=face, align="r")
        y += line
    if rng.random() < 0.5:
        sheet.hline(
            label_edge - 45 if label_align == "r" else label_x - 2, right, y - 0.3, weight=0.3
        )
        sheet.hline(
            label_edge - 45 if label_align == "r" else label_x - 2, right, y + 0.6, weight=0.3
        )
    if not style.mark and not code_in_label:
        y += 1
        note = words["currency_note"].format(currency=doc.currency)
        sheet.text(value_edge, y, note, pt=7.5, align="r")
        y += 4
    return y + 5


def _closing(sheet: _Sheet, doc: _Doc, left: float, right: float, y: float) -> float:
    rng = doc.rng
    width = right - left
    lines: list[str] = []
    if doc.due is not None and not doc.choices.get("due_in_grid"):
        day = doc.style.long(doc.due) if rng.random() < 0.35 else doc.style.numeric(doc.due)
        lines.append(doc.pick("due_sentence").format(d=day))
    elif doc.due is None:
        lines.append(doc.pick("terms"))
    if rng.random() < 0.25:
        early = doc.style.numeric(doc.issue + datetime.timedelta(days=5))
        lines.append(doc.pick("skonto").format(d=early))
    if doc.iban and rng.random() < 0.3 and doc.language == "de":
        lines.append(
            f"Bitte überweisen Sie den Betrag von {doc.style.money(doc.total)} unter Angabe der "
            f"Rechnungsnummer auf unser Konto bei der {doc.bank}."
        )
    if doc.language == "fr" and rng.random() < 0.6:
        lines.append(
            "En cas de retard de paiement, une pénalité égale à 3 fois le taux d'intérêt légal "
            "sera exigible, ainsi qu'une indemnité forfaitaire de 40 € pour frais de recouvrement."
        )
    if rng.random() < 0.5:
        lines.append(doc.pick("thanks"))
    for text in lines:
        for part in _wrap(sheet, text, 9, "r", width):
            y += sheet.text(left, y, part, pt=9)
        y += 1.5
    return y


def _footer(sheet: _Sheet, doc: _Doc, page: int, pages: int) -> None:
    rng = doc.rng
    words = doc.words
    v = doc.vendor
    place = f"{v.postcode} {v.city}" if doc.language != "en" else f"{v.city} {v.postcode}"
    name_here = doc.choices.setdefault("vendor_in_footer", rng.random() < 0.6)
    address = ([v.name] if name_here else []) + [v.street, place]
    form = doc.choices["form"]
    people = (words["owner"] if form == "e.K." else words["director"][0]).format(name=doc.director)
    legal = [people, doc.register]
    if doc.vat_id and not doc.choices.get("vat_in_header"):
        label = doc.choices.setdefault("vat_label", rng.choice(words["vat_label"]))
        legal.append(f"{label} {doc.vat_printed}")
    if doc.language == "de" and doc.choices.setdefault("tax_no", rng.random() < 0.3):
        legal.append(words["tax_no"].format(a=21, b=815, c=40712))
    bank = []
    if doc.iban and not doc.choices.get("bank_in_sidebar"):
        bank = [doc.bank, f"IBAN {doc.iban_printed}", f"BIC {doc.bic}"]
    if doc.language == "en" and doc.choices.setdefault("sort_code", rng.random() < 0.5):
        sort_code = (
            "-".join(doc.iban[8:14][i : i + 2] for i in (0, 2, 4)) if doc.iban else "20-45-77"
        )
        account = doc.iban[14:] if doc.iban else "43218765"
        bank = (bank or [doc.bank]) + [f"Sort code {sort_code} · Account {account}"]
    columns = [address, legal] + ([bank] if bank else [])
    layout = doc.choices.setdefault("footer", rng.choice(("columns", "columns", "centred")))
    pt = doc.choices.setdefault("footer_pt", rng.choice((6.5, 7, 7.5)))
    sheet.hline(20, 190, FOOTER_TOP - 2, weight=0.2, fill=90)
    page_text = doc.choices.setdefault("page_of", rng.choice(words["page_of"])).format(
        p=page, n=pages
    )
    if layout == "columns":
        width = 170 / len(columns)
        for index, column in enumerate(columns):
            y = FOOTER_TOP
            for line in column:
                for part in _wrap(sheet, line, pt, "r", width - 3):
                    y += sheet.text(20 + index * width, y, part, pt=pt)
        if pages > 1:
            sheet.text(190, 290, page_text, pt=7, align="r")
    else:
        y = FOOTER_TOP
        for column in columns:
            y += sheet.text(105, y, " · ".join(column), pt=pt, align="c", max_width=175)
        if pages > 1:
            sheet.text(105, y + 1, page_text, pt=7, align="c")


def _continuation(sheet: _Sheet, doc: _Doc, page: int) -> float:
    rng = doc.rng
    text = doc.pick("continued").format(n=doc.number, p=page)
    if rng.random() < 0.5:
        sheet.text(20, 14, doc.vendor.name, pt=11, style="b")
        sheet.text(190, 14.5, text, pt=9, align="r")
    else:
        sheet.text(20, 14, text, pt=9.5)
    sheet.hline(20, 190, 21, weight=0.2)
    return 30.0


# --- scan effects -----------------------------------------------------------------------


def _scan(image: Image.Image, rng: random.Random, noise: np.random.Generator) -> Image.Image:
    angle = rng.uniform(-1.0, 1.0) if rng.random() < 0.7 else 0.0
    paper = rng.randint(238, 255)
    if angle:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    blur = rng.choice((0, 0, 0.4, 0.6, 0.8))
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    pixels = np.asarray(image, dtype=np.float32)
    pixels = pixels * (paper / 255.0)
    sigma = rng.choice((0, 3, 6, 9))
    if sigma:
        pixels = pixels + noise.normal(0, sigma, pixels.shape)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")
    if rng.random() < 0.5:
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=rng.randint(55, 88))
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    return image


# --- the document -----------------------------------------------------------------------


@dataclass
class WildInvoice:
    seed: int
    pages: list[Image.Image]
    truth: dict[str, str]
    choices: dict[str, Any]

    def encode(self) -> tuple[bytes, str]:
        """PNG for one page, multi-page TIFF otherwise."""
        return encode_pages(self.pages)


def make_wild_document(seed: int) -> WildInvoice:
    """The seeded invoice with its truth and the layout choices made."""
    doc = _content(seed)
    rng = doc.rng
    pages = doc.choices["pages"]
    first = _Sheet(doc.fonts)
    y, left, right = HEADERS[doc.family](first, doc)
    table = _table(doc, left, right)
    y = _table_head(first, table, y)
    room = int((BODY_BOTTOM - y - (table.row + 4)) // table.row)
    closing_room = 62  # totals and closing lines
    if pages == 1:
        fit = int((BODY_BOTTOM - y - closing_room) // table.row)
        count = rng.randint(2, max(2, min(9, fit)))
    else:
        count = room + rng.randint(2, 8)
    doc.items = _items(rng, doc.language, count)
    doc.net = sum((item.amount for item in doc.items), Decimal(0))
    doc.tax = _cents(doc.net * doc.rate / 100)
    doc.total = doc.net + doc.tax

    sheets = [first]
    on_first = doc.items if pages == 1 else doc.items[:room]
    for index, item in enumerate(on_first, 1):
        y = _table_row(first, doc, table, y, index, item)
    if pages == 2:
        carried = sum((item.amount for item in on_first), Decimal(0))
        _carry(first, doc, table, y + 1, rng.choice(doc.words["carry_out"]), carried)
        second = _Sheet(doc.fonts)
        sheets.append(second)
        y = _continuation(second, doc, 2)
        y = _table_head(second, table, y)
        y = _carry(second, doc, table, y, rng.choice(doc.words["carry_in"]), carried) - 1
        for index, item in enumerate(doc.items[room:], room + 1):
            y = _table_row(second, doc, table, y, index, item)
    last = sheets[-1]
    last.hline(table.left, table.right, y + 0.5, weight=0.3)
    y = _totals(last, doc, left, right, y + 1)
    _closing(last, doc, left, right, y + 2)
    for number, sheet in enumerate(sheets, 1):
        _footer(sheet, doc, number, pages)

    noise = np.random.default_rng(seed)
    images = [_scan(sheet.image, rng, noise) for sheet in sheets]
    truth = {
        "number": doc.number,
        "date": doc.issue.isoformat(),
        "due_date": doc.due.isoformat() if doc.due else "",
        "total": str(doc.total),
        "net": str(doc.net),
        "tax": str(doc.tax),
        "vendor": doc.vendor.name,
        "buyer": doc.buyer.name,
        "currency": doc.currency,
        "iban": doc.iban or "",
        "vat_id": doc.vat_id or "",
    }
    truth = {name: value for name, value in truth.items() if value}
    return WildInvoice(seed, images, truth, dict(doc.choices))


def make_wild_invoice(seed: int) -> tuple[list[Image.Image], dict[str, str]]:
    """The page images (grey, A4 at 150 dpi) and the truth of the invoice drawn from ``seed``."""
    document = make_wild_document(seed)
    return document.pages, document.truth
