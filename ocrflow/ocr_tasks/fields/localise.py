"""A document type's fields in one locale: label words and region pieces filled in.

A type declares its fields once, in general terms; the locale adds the label words of each
field's concept in its languages, and fills the patterns' ``${company}``,
``${registration}``, ``${registration_label}``, ``${address_stop}`` and ``${tax}`` from its
languages and region pack (the ``auto`` locale: every region pack, since these words mark a
company or end an address wherever they come from, and change no value).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from string import Template

from ocrflow.ocr_tasks.fields.locales import (
    Locale,
    RegionPack,
    company_pattern,
    concepts,
    get_locale,
    label_words,
    region_names,
    region_pack,
)
from ocrflow.schemas.doctypes import DocumentType, FieldSpec

NOTHING = r"(?!)"  # a pattern that matches nothing: the locale has no such pieces
TOTAL_CONCEPTS = frozenset({"total", "receipt_total"})


def localised_specs(kind: type[DocumentType], locale: str | None = None) -> list[FieldSpec]:
    """The type's field specs read in ``locale`` (default: the type's own)."""
    return [localised(spec) for spec in kind.field_specs(locale)]


@cache
def localised(spec: FieldSpec) -> FieldSpec:
    """The spec with its rule's labels extended and patterns filled in for its locale."""
    locale = get_locale(spec.locale)
    rule = spec.rule
    concept = _concept(spec)
    pieces = _pieces(locale)
    labels = rule.labels
    exclude = rule.exclude
    for other in rule.exclude_concepts:
        exclude = tuple(dict.fromkeys([*exclude, *label_words(other, _languages(locale))]))
    if concept:
        words = label_words(concept, _languages(locale))
        labels = tuple(dict.fromkeys([*labels, *words]))
        if concept in TOTAL_CONCEPTS:
            extra = [w for pack in _packs(locale) for w in pack.total_exclude]
            exclude = tuple(dict.fromkeys([*exclude, *extra]))
    filled = replace(
        rule,
        labels=labels,
        exclude=exclude,
        pattern=_fill(rule.pattern, pieces),
        stop=_fill(rule.stop, pieces),
        skip=_fill(rule.skip, pieces),
        remove=_fill(rule.remove, pieces),
        aliases=rule.aliases,
    )
    return replace(spec, rule=filled)


def _concept(spec: FieldSpec) -> str | None:
    """The label concept the field's words come from: its rule's, else its name's."""
    if spec.rule.concept is not None:
        return spec.rule.concept
    return spec.name if spec.name in concepts() else None


def is_total(spec: FieldSpec) -> bool:
    """Whether the field is a document's total (the amount paid or payable)."""
    return _concept(spec) in TOTAL_CONCEPTS


def _fill(pattern: str | None, pieces: dict[str, str]) -> str | None:
    return Template(pattern).safe_substitute(pieces) if pattern else pattern


def _packs(locale: Locale) -> list[RegionPack]:
    if locale.region:
        return [region_pack(locale.region)]
    return [region_pack(name) for name in region_names()] if locale.permissive else []


def _languages(locale: Locale) -> tuple[str, ...]:
    """The locale's languages and its region packs' (Malay for Malaysia)."""
    packs = [language for pack in _packs(locale) for language in pack.languages]
    return tuple(dict.fromkeys([*locale.languages, *packs]))


def _pieces(locale: Locale) -> dict[str, str]:
    packs = _packs(locale)
    languages = locale.languages
    regions = [pack.name for pack in packs]
    return {
        "company": _union([company_pattern(languages, r) for r in _or_none(regions)]),
        "registration": _union([pack.registration_pattern() for pack in packs]),
        "registration_label": _words([w for pack in packs for w in pack.registration_labels]),
        "address_stop": _words([w for pack in packs for w in pack.address_stop_words]),
        "tax": _words([w for pack in packs for w in pack.tax_words]),
    }


def _or_none(regions: list[str]) -> list[str | None]:
    return list(regions) if regions else [None]


def _union(patterns: Sequence[str]) -> str:
    kept = [p for p in patterns if p]
    return "|".join(f"(?:{p})" for p in kept) if kept else NOTHING


def _words(words: Sequence[str]) -> str:
    """Words as one pattern, each matched whole and ignoring case (longest first)."""
    unique = sorted(dict.fromkeys(words), key=len, reverse=True)
    if not unique:
        return NOTHING
    body = "|".join(r"\s*".join(re.escape(part) for part in w.split()) for w in unique)
    return rf"(?i:(?<!\w)(?:{body})(?!\w))"
