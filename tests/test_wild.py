"""The second (held-out) invoice generator, tests/synthetic/wild.py: deterministic, and its
amounts add up. No OCR."""

from __future__ import annotations

from decimal import Decimal

from tests.synthetic.wild import make_wild_invoice


def test_wild_invoice_is_deterministic_and_adds_up() -> None:
    for seed in (7001, 7002):  # a one-page and a two-page document
        pages, truth = make_wild_invoice(seed)
        again, truth_again = make_wild_invoice(seed)
        assert truth == truth_again
        assert [page.tobytes() for page in pages] == [page.tobytes() for page in again]
        assert 1 <= len(pages) <= 2
        assert all(page.size == (1240, 1754) for page in pages)
        assert Decimal(truth["total"]) == Decimal(truth["net"]) + Decimal(truth["tax"])
        assert {"number", "date", "total", "net", "tax", "vendor", "buyer"} <= truth.keys()
