"""Reading order of boxed lines: rows top to bottom, each row left to right.

The one rule for the engine's line order (``geometry.reading_order``) and for the lines the
field rules read (``fields.layout.page_lines``).
"""

from __future__ import annotations

from collections.abc import Sequence

# A box joins a row when its centre is within this share of the shorter height (the box's or
# the row's first box's) of the row's first box's centre.
_ROW_CENTRE_SHARE = 0.4


def row_order(tops: Sequence[float], bottoms: Sequence[float], lefts: Sequence[float]) -> list[int]:
    """Indices of the boxes (``tops[i]``, ``bottoms[i]``, ``lefts[i]``) in reading order.

    Boxes are taken top to bottom by their vertical centre; a box belongs to the current row
    when its centre is within 0.4 of the shorter height of the row's first box's centre, which
    holds at any resolution (a fixed pixel tolerance does not) and keeps tall, slightly
    overlapping lines (large print) on rows of their own. Each row is read left to right.
    """
    centres = [(top + bottom) / 2 for top, bottom in zip(tops, bottoms, strict=True)]
    heights = [max(bottom - top, 1.0) for top, bottom in zip(tops, bottoms, strict=True)]
    rows: list[list[int]] = []
    for index in sorted(range(len(centres)), key=centres.__getitem__):
        if rows and _same_row(rows[-1][0], index, centres, heights):
            rows[-1].append(index)
        else:
            rows.append([index])
    return [index for row in rows for index in sorted(row, key=lambda i: lefts[i])]


def _same_row(first: int, index: int, centres: list[float], heights: list[float]) -> bool:
    limit = _ROW_CENTRE_SHARE * min(heights[first], heights[index])
    return abs(centres[index] - centres[first]) <= limit
