"""Numeric dates that read two ways (03/04/2024), decided by the document or sent to review.

The locale decides when it fixes an order (``de-DE``: day first); otherwise another date on
the document that can only be read one way (25/03/2024 proves day first) decides for all of
them. When neither does, the field keeps the locale's first reading and goes to review.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from ocrflow.ocr_tasks.fields.layout import Line
from ocrflow.ocr_tasks.fields.locales import (
    ParsedDate,
    get_locale,
    implied_locale,
    parse_dates,
    resolve_dates,
)
from ocrflow.schemas.doctypes import FieldSpec
from ocrflow.schemas.records import FieldResult


def settle_dates(
    results: Sequence[FieldResult], specs: Sequence[FieldSpec], lines: Sequence[Line]
) -> list[FieldResult]:
    """Each date field whose text reads two ways, decided by the other dates or reviewed."""
    kinds = {spec.name: spec for spec in specs if spec.kind == "date"}
    out = []
    for result in results:
        spec = kinds.get(result.name)
        if spec is not None and isinstance(result.value, datetime.date):
            result = _settled(result, spec, lines)
        out.append(result)
    return out


def _settled(result: FieldResult, spec: FieldSpec, lines: Sequence[Line]) -> FieldResult:
    locale = get_locale(spec.locale)
    own = [d for d in parse_dates(result.raw_text, locale) if d.value == result.value]
    if not own or not own[0].ambiguous:
        return result
    others = [d for line in lines for d in parse_dates(line.text, locale)]
    decided = resolve_dates([own[0], *others], locale)[0]
    if decided.ambiguous and locale.permissive:
        implied = implied_locale(tuple(line.text for line in lines))
        if implied is not None:
            decided = resolve_dates([decided], implied)[0]
    if not decided.ambiguous:
        return result.model_copy(update={"value": decided.value})
    reason = _ambiguous_reason(decided)
    if result.status == "needs_review" and result.reason:
        reason = f"{result.reason}; {reason}"
    return result.model_copy(update={"status": "needs_review", "reason": reason})


def _ambiguous_reason(date: ParsedDate) -> str:
    readings = " or ".join(_spelled(d) for d in (date.value, *date.alternatives))
    return (
        f"the date {date.raw!r} reads as {readings}; neither the locale nor another date "
        "on the document decides"
    )


def _spelled(value: datetime.date) -> str:
    return f"{value.day} {value:%B %Y}"
