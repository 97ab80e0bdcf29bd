"""Values printed across a line break: an IBAN whose last groups wrap onto the line below.

A narrow column or a long IBAN (27 characters in France, 31 in Malta) breaks after a group;
the part on the first line fails its check digits. When the groups that open the line below
complete it into an IBAN that passes, the field takes the whole of it, and both lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ocrflow.ocr_tasks.fields.checks import iban_error
from ocrflow.ocr_tasks.fields.layout import Line, below
from ocrflow.schemas.records import FieldResult, LineRef

_GROUPS = re.compile(r"\s*((?:[A-Z0-9]{1,4}\s?){1,5})")
MAX_IBAN_LENGTH = 34  # ISO 13616


def rejoined_wrapped(results: Sequence[FieldResult], lines: Sequence[Line]) -> list[FieldResult]:
    """Each result, with an IBAN cut at a line's end joined to its rest."""
    return [_rejoined_iban(r, lines) if r.name == "iban" else r for r in results]


def _rejoined_iban(result: FieldResult, lines: Sequence[Line]) -> FieldResult:
    if not isinstance(result.value, str) or not result.lines or iban_error(result.value) is None:
        return result
    last = result.lines[-1]
    line = next((x for x in lines if (x.page, x.line.order) == (last.page, last.order)), None)
    if line is None or not line.text.rstrip().endswith(result.raw_text.strip()):
        return result
    under = below(line, lines, max_gap=1.5)
    return _completed(result, under[0]) if under else result


def _completed(result: FieldResult, next_line: Line) -> FieldResult:
    """The IBAN with the longest run of groups opening ``next_line`` that makes it pass."""
    match = _GROUPS.match(next_line.text)
    groups = match.group(1).split() if match else []
    for count in range(len(groups), 0, -1):
        tail = " ".join(groups[:count])
        whole = f"{result.value} {tail}"
        if len("".join(whole.split())) <= MAX_IBAN_LENGTH and iban_error(whole) is None:
            ref = LineRef(page=next_line.page, order=next_line.line.order)
            update = {"value": whole, "raw_text": f"{result.raw_text} {tail}",
                      "lines": [*result.lines, ref]}  # fmt: skip
            return result.model_copy(update=update)
    return result
