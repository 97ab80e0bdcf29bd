"""Filter stage: lines under the confidence threshold do not become records.

Scores are stored raw (they are not calibrated); only the threshold decides, and each page
counts what it dropped so the user can see what a threshold costs.
"""

from __future__ import annotations

from ocrflow.schemas.records import DocumentResult


def drop_unconfident_lines(document: DocumentResult, min_confidence: float) -> DocumentResult:
    pages = []
    for page in document.pages:
        kept = [line for line in page.lines if line.confidence >= min_confidence]
        renumbered = [line.model_copy(update={"order": i}) for i, line in enumerate(kept)]
        dropped = page.lines_dropped + len(page.lines) - len(kept)
        pages.append(page.model_copy(update={"lines": renumbered, "lines_dropped": dropped}))
    return document.model_copy(update={"pages": pages})
