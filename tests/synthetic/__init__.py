"""Synthetic multilingual invoices for the field tests (issue 13).

* :func:`make_invoice` (``tests.synthetic.invoices``): one seeded invoice, its page images and
  its truth; every layout, language, number/date format, page count and injected error is a
  keyword choice.
* :func:`write_examples` (``tests.synthetic.examples``): a folder of ``NNN.png``/``NNN.tif`` +
  ``NNN.json`` expected values, the shape of ``sroie/key``.
* :func:`field_accuracy` and :func:`read_documents` (``tests.synthetic.scoring``): score an
  extractor against the truth; OCR readings cached under ``/tmp``.
* ``python -m tests.synthetic DIR``: a folder of examples;
  ``python -m tests.synthetic.report --count 20``: the current ``invoice`` extractor's figures.
"""

from tests.synthetic.examples import make_invoices, write_examples
from tests.synthetic.invoices import InvoiceTruth, LineItem, SyntheticInvoice, make_invoice
from tests.synthetic.scoring import field_accuracy, format_accuracy, read_documents

__all__ = [
    "InvoiceTruth",
    "LineItem",
    "SyntheticInvoice",
    "field_accuracy",
    "format_accuracy",
    "make_invoice",
    "make_invoices",
    "read_documents",
    "write_examples",
]
