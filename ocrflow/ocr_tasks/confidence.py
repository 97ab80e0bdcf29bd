"""Filter stage: which lines pass the confidence threshold.

Scores are stored raw (they are not calibrated); only the threshold decides. Every line is
stored, marked ``kept`` when it passed, so that a query can apply another threshold without
reading the document again; each page counts the lines under the threshold so the user can
see what a threshold costs.
"""

from __future__ import annotations

from ocrflow.schemas.records import DocumentResult


def mark_unconfident_lines(document: DocumentResult, min_confidence: float) -> DocumentResult:
    """Every line, ``kept`` when at least ``min_confidence``, in its reading order as read
    (field line references point at these orders); ``lines_dropped`` counts the others."""
    pages = []
    for page in document.pages:
        lines = [
            line.model_copy(update={"kept": line.confidence >= min_confidence})
            for line in page.lines
        ]
        dropped = page.lines_dropped + sum(not line.kept for line in lines)
        pages.append(page.model_copy(update={"lines": lines, "lines_dropped": dropped}))
    return document.model_copy(update={"pages": pages})


def drop_unconfident_lines(document: DocumentResult, min_confidence: float) -> DocumentResult:
    """Only the lines at least ``min_confidence``, renumbered from 0 (for display)."""
    pages = []
    for page in document.pages:
        kept = [line for line in page.lines if line.confidence >= min_confidence]
        renumbered = [line.model_copy(update={"order": i}) for i, line in enumerate(kept)]
        dropped = page.lines_dropped + len(page.lines) - len(kept)
        pages.append(page.model_copy(update={"lines": renumbered, "lines_dropped": dropped}))
    return document.model_copy(update={"pages": pages})
