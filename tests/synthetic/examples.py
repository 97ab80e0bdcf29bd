"""A folder of generated documents with their expected values, like ``sroie/key/NNN.json``.

``write_examples(folder, count, seed)`` writes ``NNN.png`` (one page) or ``NNN.tif`` (a
multi-page TIFF), ``NNN.json`` (the expected values as strings, keyed by the ``invoice``
type's field names: ``{"number": "RE-2024-00012", "date": "2024-03-12", "total": "1234.56",
...}``) and one ``manifest.jsonl`` line per document with the seed, the choices and the full
truth (not ``.json``, so a reader globbing ``*.json`` sees only the keys).

With ``readings=True`` each document's recognised pages are written too, as
``NNN.pages.json`` (read once with the OCR and cached under /tmp, see
:func:`tests.synthetic.scoring.read_documents`), which ``ocrflow fields fit --examples DIR``
takes instead of reading the image again.

``python -m tests.synthetic DIR --count 50 --seed 0 [--readings]`` does the same from the shell.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tests.synthetic.invoices import SyntheticInvoice, make_invoice


def document_seed(seed: int, index: int) -> int:
    """The seed of the ``index``-th document of a set drawn with ``seed``."""
    return seed * 100_003 + index


def make_invoices(count: int, seed: int = 0, **choices: Any) -> list[SyntheticInvoice]:
    return [make_invoice(document_seed(seed, index), **choices) for index in range(count)]


def write_examples(
    folder: Path, count: int, seed: int = 0, *, readings: bool = False, **choices: Any
) -> list[Path]:
    """Write ``count`` documents into ``folder``; returns the document files."""
    folder.mkdir(parents=True, exist_ok=True)
    documents = make_invoices(count, seed, **choices)
    written = []
    with (folder / "manifest.jsonl").open("w", encoding="utf-8") as manifest:
        for index, document in enumerate(documents):
            data, extension = document.encode()
            path = folder / f"{index:03d}.{extension}"
            path.write_bytes(data)
            key = json.dumps(document.truth.key(), ensure_ascii=False, indent=4)
            (folder / f"{index:03d}.json").write_text(key + "\n", encoding="utf-8")
            meta = {"document": path.name, **document.meta()}
            manifest.write(json.dumps(meta, ensure_ascii=False, default=str) + "\n")
            written.append(path)
    if readings:
        from tests.synthetic.scoring import read_documents

        for path, pages in zip(written, read_documents(documents), strict=True):
            dumped = [page.model_dump(mode="json") for page in pages]
            path.with_suffix(".pages.json").write_text(json.dumps(dumped), encoding="utf-8")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--readings", action="store_true", help="also write NNN.pages.json")
    args = parser.parse_args()
    for path in write_examples(args.folder, args.count, args.seed, readings=args.readings):
        print(path)
