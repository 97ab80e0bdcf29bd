"""Document types: which fields a kind of document has, how to find them, what type they are.

A document type is a pydantic model whose fields are annotated with a :class:`FieldRule`; the
annotation gives the value's type (``str``, ``int``, ``Decimal`` amounts, ``datetime.date``,
:data:`Phone`), the rule says where on the page the value is::

    from decimal import Decimal
    from typing import Annotated, ClassVar

    from ocrflow.schemas.doctypes import DocumentType, FieldRule

    class Delivery(DocumentType):
        type_name: ClassVar[str] = "delivery"
        note_no: Annotated[str | None, FieldRule(labels=("Delivery Note No", "DN No"))] = None
        weight: Annotated[Decimal | None, FieldRule(labels=("Net Wt",), position="below")] = None

A type outside ocrflow is found by dotted path (``package.module:Delivery``) or registered
under a name by an entry point in the group ``ocrflow.document_types``::

    [project.entry-points."ocrflow.document_types"]
    delivery = "package.module:Delivery"

The extractor (``ocrflow.ocr_tasks.fields.extract_fields``) reads the rules; the model itself can
hold the extracted values (``Delivery(**values)``).
"""

from __future__ import annotations

import datetime
import importlib
import types
import typing
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.metadata import entry_points
from typing import Annotated, ClassVar, Literal, NewType

from pydantic import BaseModel, ConfigDict

ENTRY_POINT_GROUP = "ocrflow.document_types"

Phone = NewType("Phone", str)
"""A phone number: kept as its digits (and a leading ``+``)."""

Position = Literal["right", "below", "right_or_below", "top", "after", "anywhere"]
ValueKind = Literal["str", "int", "amount", "date", "phone"]
Pick = Literal["first", "last", "largest"]


@dataclass(frozen=True)
class FieldRule:
    """How to find one field on a page.

    ``position`` says where the value sits:

    * ``right``: after the label on the same line, or in the nearest line to its right on the
      same row; ``below``: in the lines under the label; ``right_or_below``: right, then below.
    * ``top``: a line near the top of the page (the issuer's name); ``pattern`` picks it when
      given, otherwise the first line with enough letters.
    * ``after``: the block of lines following the field named by ``after``, which must be
      declared earlier (an address under the company name): up to ``max_lines`` lines, lines
      matching ``skip`` (and ``stop`` lines before the block starts) left out, ending before
      a line matching ``stop``. With ``postal`` the block is a postal address: lines
      before its first address line (a branch name, a site number) are left out.
    * ``anywhere``: the first line, in reading order, holding a value (``pattern`` or a value
      that parses as the field's type).

    ``labels`` are matched ignoring case, spaces, punctuation and the usual OCR confusions
    (``T0TAL``, ``Total :``); a line that matches one of ``exclude`` is never a label. When no
    label is found and ``fallback_anywhere`` is set, the field is looked for ``anywhere``.
    ``pick`` chooses among several labelled candidates: the first or last in reading order,
    or the largest value (amounts); with ``ranked``, a candidate found by an earlier label
    wins over one found by a later label, and ``pick`` chooses among equals. ``remove`` is a
    pattern cut out of the value's text (a registration number after a name). ``aliases``
    maps raw values to canonical ones (``$`` → ``USD``). Values outside
    ``min_year``..``max_year`` (dates) or below ``minimum`` (amounts and ints) are kept for
    review.

    ``concept`` names the field's meaning in the locale tables (``total``, ``issue_date``,
    ``vendor``...; default: the field's name when the tables know it; ``""``: none): its
    label words in the languages of the document's locale are added after ``labels``;
    ``exclude_concepts`` name concepts whose words in those languages join ``exclude`` (a
    VAT ID is the buyer's under ``Ihre USt-IdNr.``, a date after ``Skonto`` is no due date).
    ``day_first`` fixes how this field's numeric dates read (None: the locale's order).
    Patterns may name the locale's pieces, filled in from its languages and region pack:
    ``${company}`` (legal forms and trade words: GmbH, S.A., Pty Ltd), ``${registration}``
    (company registration numbers), ``${registration_label}``, ``${address_stop}`` (words
    that end an address block), ``${tax}`` (tax words); an amount field whose concept is a
    total also excludes the region's ``total_exclude``.
    """

    labels: tuple[str, ...] = ()
    pattern: str | None = None
    position: Position = "right_or_below"
    exclude: tuple[str, ...] = ()
    stop: str | None = None
    skip: str | None = None
    after: str | None = None
    max_lines: int = 3
    postal: bool = False
    fallback_anywhere: bool = False
    pick: Pick = "first"
    required: bool = True
    day_first: bool | None = None
    min_year: int = 1950
    max_year: int = 2100
    minimum: Decimal | None = Decimal(0)
    remove: str | None = None
    ranked: bool = False
    aliases: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    concept: str | None = None
    exclude_concepts: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldSpec:
    """A declared field as the extractor sees it: its name, rule, value kind and the locale
    its values are read in (``auto``: any of the supported ones, decided by shape)."""

    name: str
    rule: FieldRule
    kind: ValueKind
    locale: str = "auto"


class DocumentType(BaseModel):
    """Base of every document type; subclasses declare fields annotated with a FieldRule.

    ``generic_pairs`` types (``form``) declare no fields: every label → value pair on the page
    is returned, named after its label.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    type_name: ClassVar[str] = ""
    generic_pairs: ClassVar[bool] = False
    # Lines under this confidence are dropped for this type; None: the setting decides.
    min_confidence: ClassVar[float | None] = None
    # "auto": the type's fitted field model when it has one (``ocrflow fields fit``), else the
    # rules; "rules": the rules only, whatever model there is.
    field_scorer: ClassVar[Literal["auto", "rules"]] = "auto"
    # How the type's documents write numbers and dates and which languages their labels are
    # in (``de-DE``, ``en-MY``; ``auto``: any supported one); a run may override it.
    locale: ClassVar[str] = "auto"

    @classmethod
    def field_specs(cls, locale: str | None = None) -> list[FieldSpec]:
        """The declared fields, read in ``locale`` (default: the type's)."""
        specs: list[FieldSpec] = []
        for name, info in cls.model_fields.items():
            rules = [m for m in info.metadata if isinstance(m, FieldRule)]
            if rules:
                kind = value_kind(info.annotation)
                specs.append(FieldSpec(name, rules[0], kind, locale or cls.locale))
        return specs


def value_kind(annotation: object) -> ValueKind:
    """The value kind of a field annotation (``X | None`` is ``X``)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = inner[0] if len(inner) == 1 else str
    if annotation is Phone:
        return "phone"
    if annotation is datetime.date:
        return "date"
    if annotation is Decimal or annotation is float:
        return "amount"
    if annotation is int:
        return "int"
    if annotation is str:
        return "str"
    raise TypeError(f"unsupported field type {annotation!r}: use str, int, Decimal, date, Phone")


# --- built-in types ---------------------------------------------------------------------

# Patterns name the locale's pieces (``${company}``...: see FieldRule); nothing here belongs
# to one country: the region packs in ocrflow/ocr_tasks/fields/locale_data/regions hold that.
_COMPANY = "${company}"
_REGISTRATION_NO = "${registration}"
_ADDRESS_STOP = (
    r"(?i)\b(TE[L1]|TELEPHONE|PHONE|FAX|TAX|TAX\s*INVOICE|INVOICE|RECEIPT|DATE|CASHIER|"
    r"TABLE|DOC|DOCUMENT|BILL|EMAIL|E-MAIL|WWW|HTTP|OPEN|STAFF|MEMBER)\b|${address_stop}"
    r"|${tax}|@\w|\b[TF]\s*:\s*\d|\b(0?[1-9]|[12]\d|3[01])[/-](0?[1-9]|1[0-2])[/-]\d{2,4}\b"
    r"|^\W*\d{2,4}[\s-]*\d{3,4}[\s-]*\d{3,4}\W*$"
)
_ADDRESS_SKIP = (
    r"(?i)^\s*\(.*\d.*\)\s*$|^\s*[A-Z]{0,4}\d{5,}-[A-Z0-9]+\s*$"
    rf"|^.{{0,24}}(?:{_REGISTRATION_NO})\s*$"
    r"|^\W*(CO\.?\s*(REG|NO)|COMPANY\s*(REG|NO)|REG\.?\s*NO)|^\W*(?:${registration_label})"
    r"|\b\d{1,2}\s*(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*\s*\d{2,4}\b"
)
_TOTAL_EXCLUDE = (
    "subtotal",
    "sub total",
    "total qty",
    "total quantity",
    "total item",
    "total items",
    "total tax",
    "total vat",
    "total discount",
    "total saving",
    "total savings",
    "total excl",
    "total exclusive",
    "total excluding",
    "total sales (excluding",
    "total amount (excluding",
    "before",
)


class Receipt(DocumentType):
    """A till receipt: who issued it, where, when, and the amount paid."""

    type_name: ClassVar[str] = "receipt"

    company: Annotated[
        str | None,
        FieldRule(
            position="top",
            pattern=_COMPANY,
            remove=rf"\s*(?:{_REGISTRATION_NO}).*$",  # a registration number ends the name
            concept="",  # a receipt prints its shop's name, not a label before it
        ),
    ] = None
    address: Annotated[
        str | None,
        FieldRule(
            position="after",
            after="company",
            stop=_ADDRESS_STOP,
            skip=_ADDRESS_SKIP,
            max_lines=5,
            postal=True,
        ),
    ] = None
    date: Annotated[
        datetime.date | None,
        FieldRule(labels=("date", "dated"), fallback_anywhere=True),
    ] = None
    total: Annotated[
        Decimal | None,
        FieldRule(
            labels=(
                "total rounded",
                "rounded total",
                "total amt rounded",
                "grand total",
                "nett total",
                "net total",
                "total payable",
                "amount due",
                "amt due",
                "total incl",
                "total inclusive",
                "total amount",
                "total amt",
                "total",
            ),
            concept="receipt_total",
            ranked=True,
            exclude=_TOTAL_EXCLUDE,
            exclude_concepts=("tender", "change", "without_tax"),  # cash handed over, given back
            position="right",
            pick="largest",
            minimum=Decimal("0.01"),  # a receipt for nothing is a misread (``00`` of ``190 00``)
        ),
    ] = None


# Letters and digits with / _ -, a digit at least; never a date (25/03/2023 is no number).
_INVOICE_NUMBER = (
    r"(?<![\w.,/-])(?!\d{1,4}[/-]\d{1,2}[/-]\d{1,4}(?![\w/-]))"
    r"(?=[A-Z0-9/_\-]*\d)[A-Z0-9][A-Z0-9/_\-]*[A-Z0-9](?![\w]|[.,]\d)"
)


class Invoice(DocumentType):
    """An invoice: its number, dates, seller, buyer's amounts, currency and payment details.

    Labels in the seven languages of the locale tables; the seller is the block under its
    label (``Verkäufer``, ``Fournisseur``, ``From``) or the issuer's name at the top of the
    first page, never a line that repeats on every page.
    """

    type_name: ClassVar[str] = "invoice"

    number: Annotated[
        str | None,
        FieldRule(
            labels=("invoice no", "invoice number", "invoice #", "inv no", "invoice"),
            concept="invoice_number",
            pattern=_INVOICE_NUMBER,
            exclude=("invoice date", "invoice to", "invoice total"),
            exclude_concepts=("other_reference",),
        ),
    ] = None
    date: Annotated[
        datetime.date | None,
        FieldRule(
            labels=("invoice date", "date of issue", "issue date", "date"),
            concept="issue_date",
            exclude=("due date", "delivery date"),
            fallback_anywhere=True,
        ),
    ] = None
    due_date: Annotated[
        datetime.date | None,
        FieldRule(
            labels=("due date", "payment due", "due"),
            exclude_concepts=("discount_terms",),
            required=False,
        ),
    ] = None
    vendor: Annotated[str | None, FieldRule(labels=("from",), position="top", pattern=_COMPANY)] = (
        None
    )
    net: Annotated[
        Decimal | None,
        FieldRule(
            labels=("subtotal", "sub total"),
            exclude_concepts=("carried_forward",),
            position="right",
            required=False,
        ),
    ] = None
    tax: Annotated[
        Decimal | None,
        FieldRule(labels=("vat", "tax"), exclude=("vat id", "vat no", "vat reg"),
                  exclude_concepts=("without_tax", "gross"),  # the net and gross beside it
                  position="right", required=False),
    ] = None  # fmt: skip
    total: Annotated[
        Decimal | None,
        FieldRule(
            labels=("total", "grand total", "amount due", "amt due", "balance due", "total due"),
            exclude=("subtotal", "sub total", "total tax", "total vat", "total excl", "total net"),
            exclude_concepts=("carried_forward", "without_tax"),
            position="right",
            pick="largest",
        ),
    ] = None
    currency: Annotated[
        str | None,
        FieldRule(
            position="anywhere",
            pattern=r"(?<![A-Z])(USD|EUR|GBP|MYR|SGD|AUD|CAD|CHF|JPY|CNY|INR|RM)(?![A-Z])|[$€£¥]",
            aliases={"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "RM": "MYR"},
            required=False,
        ),
    ] = None
    iban: Annotated[
        str | None,
        FieldRule(pattern=r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b",
                  position="right_or_below", fallback_anywhere=True, required=False),
    ] = None  # fmt: skip
    vat_id: Annotated[
        str | None,
        FieldRule(pattern=r"\b[A-Z]{2}\s?[0-9A-Z][0-9A-Z .\-]{6,13}[0-9A-Z]\b",
                  exclude_concepts=("buyer_vat_id",), position="right_or_below",
                  required=False),
    ] = None  # fmt: skip


class Form(DocumentType):
    """Any form: every ``label → value`` pair on the page (value right of or below its label)."""

    type_name: ClassVar[str] = "form"
    generic_pairs: ClassVar[bool] = True


BUILT_IN: dict[str, type[DocumentType]] = {t.type_name: t for t in (Receipt, Invoice, Form)}


# --- the registry -----------------------------------------------------------------------


class UnknownDocumentTypeError(LookupError):
    """No built-in, entry point or importable dotted path of that name."""


def document_type_names() -> list[str]:
    """Built-in names and those registered by entry point, sorted."""
    names = set(BUILT_IN) | {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(names)


def get_document_type(name: str) -> type[DocumentType]:
    """A document type by name (built-in or entry point) or dotted path ``pkg.mod:Class``."""
    if ":" in name:
        return _checked(_import_dotted(name), name)
    if name in BUILT_IN:
        return BUILT_IN[name]
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=name):
        return _checked(ep.load(), name)
    known = ", ".join(document_type_names())
    raise UnknownDocumentTypeError(
        f"unknown document type {name!r} (known: {known}; or pkg.mod:Class)"
    )


def _import_dotted(path: str) -> object:
    module_name, _, attribute = path.partition(":")
    try:
        target: object = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as error:
        raise UnknownDocumentTypeError(f"cannot load document type {path!r}: {error}") from error
    return target


def _checked(candidate: object, name: str) -> type[DocumentType]:
    if isinstance(candidate, type) and issubclass(candidate, DocumentType):
        return candidate
    raise UnknownDocumentTypeError(f"{name!r} is {candidate!r}, not a DocumentType subclass")
