"""Accuracy scoring against ground truth: character error rate on FUNSD, SROIE and full pages.

The character error rate (CER) of a corpus is the sum of edit distances over the sum of
reference characters, so every figure here is carried as an :class:`ErrorCount` and added up
before dividing; averaging per-page rates would let short pages weigh as much as long ones.

Run ``python -m ocrflow.bench.evaluation --help`` for the command-line benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, get_args

from rapidfuzz.distance import Levenshtein

from ocrflow.schemas.records import DocumentResult, PageResult, Point
from ocrflow.schemas.settings import LineOrientationMode, OcrSettings, RuntimeName, settings_with

Box = tuple[float, float, float, float]  # x0, y0, x1, y1

# An item belongs to a target only when their overlap covers at least this much of the
# smaller of the two boxes: below it, a box that merely grazes a neighbouring line would be
# scored against the wrong text.
MIN_OVERLAP = 0.5

# The two 300 dpi UNLV magazine pages among the tesseract test pages.
UNLV_PAGES = ("8071_093.3B", "8087_054.3B")


# --- edit distance and CER --------------------------------------------------------------


@dataclass(frozen=True)
class ErrorCount:
    """Edits against a reference, summed over any number of comparisons.

    ``deleted_chars`` and ``inserted_chars`` are the parts of ``edits`` that come from
    reference text nothing was matched to, and from recognised text matched to no reference;
    they are kept apart to tell detection misses from recognition errors.
    """

    edits: int = 0
    reference_chars: int = 0
    deleted_chars: int = 0
    inserted_chars: int = 0

    def __add__(self, other: ErrorCount) -> ErrorCount:
        return ErrorCount(
            self.edits + other.edits,
            self.reference_chars + other.reference_chars,
            self.deleted_chars + other.deleted_chars,
            self.inserted_chars + other.inserted_chars,
        )

    @property
    def rate(self) -> float:
        """Edits per reference character (0.0 for an empty reference with no edits)."""
        if self.reference_chars == 0:
            return 0.0 if self.edits == 0 else float("inf")
        return self.edits / self.reference_chars


def total(counts: Iterable[ErrorCount]) -> ErrorCount:
    return sum(counts, ErrorCount())


def edit_distance(first: str, second: str) -> int:
    """Levenshtein distance (unit-cost insert, delete, substitute), by rapidfuzz."""
    return int(Levenshtein.distance(first, second))


def character_error_rate(reference: str, hypothesis: str) -> ErrorCount:
    """Edits turning ``hypothesis`` into ``reference``, with the reference's length.

    ``.rate`` gives the CER of this one pair; add counts first to get a corpus CER.
    """
    return ErrorCount(edit_distance(reference, hypothesis), len(reference))


# --- normalisation ------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
# A space next to punctuation: FUNSD transcribes "12 /10 /98" and "Ext. :" where the print
# (and the recogniser) has "12/10/98" and "Ext.:", so such spaces carry no information.
_SPACE_BY_PUNCTUATION = re.compile(r" ?([^\w\s]) ?")


def normalise_whitespace(text: str) -> str:
    """Collapse every run of whitespace (newlines too) into one space; trim the ends."""
    return _SPACES.sub(" ", text).strip()


def normalise_funsd(text: str) -> str:
    """Whitespace collapsed, then spaces on either side of punctuation removed."""
    return _SPACE_BY_PUNCTUATION.sub(r"\1", normalise_whitespace(text))


def normalise_sroie(text: str) -> str:
    """As :func:`normalise_funsd`, and case-folded: SROIE transcribes all in upper case.

    SROIE spaces punctuation as loosely as FUNSD (``TOTAL :`` against a printed ``TOTAL:``).
    """
    return normalise_funsd(text).casefold()


# --- boxes and matching -------------------------------------------------------------------


@dataclass(frozen=True)
class TextBox:
    """A piece of text and the axis-aligned box around it."""

    box: Box
    text: str


def polygon_box(points: Sequence[Point]) -> Box:
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    return min(xs), min(ys), max(xs), max(ys)


def box_area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def intersection_area(a: Box, b: Box) -> float:
    return box_area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def assign(items: Sequence[TextBox], targets: Sequence[TextBox]) -> list[int | None]:
    """For each item, the index of the target it overlaps most, or None.

    A pair counts only when the intersection covers at least ``MIN_OVERLAP`` of the smaller
    box; among those the largest intersection wins, which for a word against lines is the
    line covering most of the word.
    """
    return [_best_target(item.box, targets) for item in items]


def _best_target(box: Box, targets: Sequence[TextBox]) -> int | None:
    best, best_area = None, 0.0
    for index, target in enumerate(targets):
        shared = intersection_area(box, target.box)
        if _overlap(box, target.box) >= MIN_OVERLAP and shared > best_area:
            best, best_area = index, shared
    return best


def _overlap(a: Box, b: Box) -> float:
    """Intersection over the smaller box's area (0.0 when either box is degenerate)."""
    smaller = min(box_area(a), box_area(b))
    return intersection_area(a, b) / smaller if smaller > 0 else 0.0


def _group(items: Sequence[TextBox], owners: Sequence[int | None], size: int) -> list[str]:
    """Join the items of each owner left to right with spaces; '' for an owner with none."""
    groups: list[list[TextBox]] = [[] for _ in range(size)]
    for item, owner in zip(items, owners, strict=True):
        if owner is not None:
            groups[owner].append(item)
    return [_join(group) for group in groups]


def _compare(reference: str, hypothesis: str) -> ErrorCount:
    """CER of one pair, marking a pair with one side empty as a deletion or an insertion."""
    count = character_error_rate(reference, hypothesis)
    if not hypothesis:
        return ErrorCount(count.edits, count.reference_chars, deleted_chars=count.edits)
    if not reference:
        return ErrorCount(count.edits, 0, inserted_chars=count.edits)
    return count


def page_lines(page: PageResult) -> list[TextBox]:
    """The recognised lines of a page as boxes (the bounding box of each polygon)."""
    return [TextBox(polygon_box(line.polygon), line.text) for line in page.lines]


# --- FUNSD --------------------------------------------------------------------------------


def load_funsd_words(annotation: Path) -> list[TextBox]:
    """Every word of every entity in a FUNSD annotation file, skipping words with no text."""
    form = json.loads(annotation.read_text(encoding="utf-8"))["form"]
    return [
        TextBox(tuple(float(v) for v in word["box"]), word["text"])  # type: ignore[arg-type]
        for entity in form
        for word in entity["words"]
        if word["text"].strip()
    ]


def score_funsd_page(words: Sequence[TextBox], lines: Sequence[TextBox]) -> ErrorCount:
    """CER of recognised lines against FUNSD's word-level ground truth.

    1. Each ground-truth word goes to the recognised line whose bounding box covers most of
       the word's box (at least ``MIN_OVERLAP`` of it); FUNSD's words are finer than lines.
    2. Per recognised line, the reference is its words sorted by left edge and joined with
       spaces; the hypothesis is the line's text. Both pass through :func:`normalise_funsd`.
       A line that received no word is scored against an empty reference (all insertions).
    3. A word no line covers is a deletion: each of its characters counts as one edit.
    """
    owners = assign(words, lines)
    references = _group(words, owners, len(lines))
    count = total(
        _compare(normalise_funsd(ref), normalise_funsd(line.text))
        for ref, line in zip(references, lines, strict=True)
    )
    missed = [w for w, owner in zip(words, owners, strict=True) if owner is None]
    return count + total(_compare(normalise_funsd(w.text), "") for w in missed)


# --- SROIE --------------------------------------------------------------------------------


def load_sroie_lines(box_file: Path) -> list[TextBox]:
    """The text lines of a SROIE ``box/NNN.csv`` file (its text may hold commas)."""
    lines: list[TextBox] = []
    for row in box_file.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = row.split(",", 8)
        if len(fields) < 9 or not fields[8].strip():
            continue
        coords = [float(v) for v in fields[:8]]
        lines.append(
            TextBox(polygon_box(list(zip(coords[0::2], coords[1::2], strict=True))), fields[8])
        )
    return lines


def score_sroie_page(truth: Sequence[TextBox], lines: Sequence[TextBox]) -> ErrorCount:
    """CER of recognised lines against SROIE's line-level ground truth.

    SROIE's lines and ours are of about the same size, but either side may split what the
    other keeps whole (``TEL: ... FAX: ...`` read as one line, ``1 x 19.00`` cut in three), so
    the match is many-to-many:

    1. A ground-truth line and a recognised line are linked when their boxes' intersection
       covers at least ``MIN_OVERLAP`` of the smaller box.
    2. Each connected group of linked boxes is compared as one pair: its ground-truth lines
       sorted by left edge and joined with spaces against its recognised lines likewise,
       both through :func:`normalise_sroie` (case-folded, punctuation spacing dropped).
    3. A ground-truth line linked to nothing is a deletion of all its characters; a
       recognised line linked to nothing counts as insertions.
    """
    count = ErrorCount()
    for references, hypotheses in linked_groups(truth, lines):
        count += _compare(normalise_sroie(_join(references)), normalise_sroie(_join(hypotheses)))
    return count


def linked_groups(
    first: Sequence[TextBox], second: Sequence[TextBox]
) -> list[tuple[list[TextBox], list[TextBox]]]:
    """Connected groups of boxes from both sides, linked where they overlap enough."""
    parent = list(range(len(first) + len(second)))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for i, a in enumerate(first):
        for j, b in enumerate(second):
            if _overlap(a.box, b.box) >= MIN_OVERLAP:
                parent[root(len(first) + j)] = root(i)
    groups: dict[int, tuple[list[TextBox], list[TextBox]]] = {}
    for node, box in enumerate([*first, *second]):
        group = groups.setdefault(root(node), ([], []))
        group[0 if node < len(first) else 1].append(box)
    return list(groups.values())


def _join(boxes: Sequence[TextBox]) -> str:
    return " ".join(box.text for box in sorted(boxes, key=lambda b: b.box[0]))


# --- whole pages --------------------------------------------------------------------------


def score_page_text(reference: str, hypothesis: str) -> ErrorCount:
    """Page-level CER of whole texts after collapsing whitespace.

    Approximate: it depends on reading order, so a multi-column page read in another
    column order scores worse than its character accuracy; see :func:`word_recall`.
    """
    return character_error_rate(normalise_whitespace(reference), normalise_whitespace(hypothesis))


def word_recall(reference: str, hypothesis: str) -> float:
    """Share of the reference's words (as a multiset) found in the hypothesis, any order."""
    wanted = Counter(reference.split())
    found = Counter(hypothesis.split())
    matched = sum(min(n, found[word]) for word, n in wanted.items())
    return matched / max(1, sum(wanted.values()))


# --- data sets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One page image and the function that scores a page read from it.

    ``reference`` holds a whole-page text where there is one, for :func:`word_recall`.
    """

    image: Path
    score: Callable[[PageResult], ErrorCount]
    reference: str = ""


def shared_data_dir() -> Path:
    """``$OCRFLOW_SHARED_DATA``, else ``shared/data`` beside the repository."""
    default = Path(__file__).resolve().parents[3] / "shared" / "data"
    return Path(os.environ.get("OCRFLOW_SHARED_DATA", default))


def funsd_samples(root: Path, count: int) -> list[Sample]:
    """The first ``count`` FUNSD forms, by file name."""
    folder = root / "funsd" / "training_data"
    images = sorted((folder / "images").glob("*.png"))[:count]
    return [_funsd_sample(image, folder / "annotations" / f"{image.stem}.json") for image in images]


def _funsd_sample(image: Path, annotation: Path) -> Sample:
    words = load_funsd_words(annotation)
    return Sample(image, lambda page: score_funsd_page(words, page_lines(page)))


def sroie_samples(root: Path, count: int) -> list[Sample]:
    """The first ``count`` SROIE receipts, by file name."""
    images = sorted((root / "sroie" / "img").glob("*.jpg"))[:count]
    return [_sroie_sample(image, root / "sroie" / "box" / f"{image.stem}.csv") for image in images]


def _sroie_sample(image: Path, box_file: Path) -> Sample:
    truth = load_sroie_lines(box_file)
    return Sample(image, lambda page: score_sroie_page(truth, page_lines(page)))


def page_text_samples(root: Path, names: Sequence[str] = UNLV_PAGES) -> list[Sample]:
    """Tesseract test pages scored on their whole text (``NAME.tif`` against ``NAME.txt``)."""
    folder = root / "tesseract"
    return [_page_text_sample(folder / f"{name}.tif", _text_file(folder, name)) for name in names]


def _text_file(folder: Path, name: str) -> Path:
    """``NAME.txt``, or ``NAME.gold.txt`` where that is how the page's text is named."""
    gold = folder / f"{name}.gold.txt"
    return gold if gold.exists() else folder / f"{name}.txt"


def _page_text_sample(image: Path, text_file: Path) -> Sample:
    reference = text_file.read_text(encoding="utf-8", errors="replace")
    return Sample(image, lambda page: score_page_text(reference, page.text), reference)


# --- running the engine -------------------------------------------------------------------


class PageReader(Protocol):
    """What scoring needs from an engine: :meth:`ocr_tasks.OcrEngine.read_paths`."""

    def read_paths(self, paths: Iterable[Path]) -> list[DocumentResult]: ...


@dataclass(frozen=True)
class SetResult:
    """A data set read and scored: its summed errors, wall and CPU time, the pages read.

    CPU time (all threads of this process) is kept beside wall time because on a shared
    machine wall time measures the neighbours as much as the engine.
    """

    name: str
    pages: int
    errors: ErrorCount
    seconds: float
    documents: tuple[DocumentResult, ...] = ()
    cpu_seconds: float = 0.0

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0


def score_documents(samples: Sequence[Sample], documents: Sequence[DocumentResult]) -> ErrorCount:
    """Sum the errors of each sample's first page; a failed document scores as all-deleted."""
    counts = []
    for sample, document in zip(samples, documents, strict=True):
        empty = PageResult(number=1, width=0, height=0)
        counts.append(sample.score(document.pages[0] if document.pages else empty))
    return total(counts)


def evaluate(
    engine: PageReader, name: str, samples: Sequence[Sample], *, warm_up: bool = True
) -> SetResult:
    """Read every sample in one call, timed after reading the first one once to warm up.

    Tests that only want the errors pass ``warm_up=False`` to save the extra page.
    """
    paths = [sample.image for sample in samples]
    if warm_up:
        engine.read_paths(paths[:1])  # first calls pay for lazy allocations; keep them out
    started, cpu_started = time.perf_counter(), time.process_time()
    documents = engine.read_paths(paths)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    errors = score_documents(samples, documents)
    return SetResult(name, len(samples), errors, seconds, tuple(documents), cpu)


def peak_rss_mib() -> float:
    """Peak resident memory of this process's own program so far.

    Read from ``VmHWM``: Linux carries ``ru_maxrss`` across exec, so a process started from a
    large parent (a test worker holding engines) reports the parent's peak there, not its own
    (measured: 1.6 GB reported for a child whose own peak was 0.8 GB)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- command line -------------------------------------------------------------------------


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ocrflow.bench.evaluation", description="CER and speed on the shared data."
    )
    parser.add_argument("--model-set", default="ppocrv6-small")
    parser.add_argument("--runtime", default="onnxruntime", choices=get_args(RuntimeName))
    parser.add_argument("--sroie", type=int, default=20, help="first N SROIE receipts")
    parser.add_argument("--funsd", type=int, default=10, help="first N FUNSD forms")
    parser.add_argument("--unlv", action="store_true", help="also the two UNLV tesseract pages")
    parser.add_argument("--det-max-side", type=int, default=None)
    parser.add_argument("--line-orientation", default=None, choices=get_args(LineOrientationMode))
    parser.add_argument("--threads", type=int, default=None, help="threads per session")
    return parser.parse_args(argv)


def _settings(args: argparse.Namespace) -> OcrSettings:
    overrides: dict[str, object] = {"models.set": args.model_set, "engine.runtime": args.runtime}
    optional = {
        "detection.max_side": args.det_max_side,
        "orientation.line": args.line_orientation,
        "engine.threads": args.threads,
    }
    overrides.update({path: value for path, value in optional.items() if value is not None})
    return settings_with(overrides)


def flipped_lines(documents: Iterable[DocumentResult]) -> int:
    """How many lines were read turned by 180°."""
    return sum(line.angle == 180 for d in documents for page in d.pages for line in page.lines)


def _row(result: SetResult, settings: OcrSettings) -> str:
    errors = result.errors
    deleted = errors.deleted_chars / max(1, errors.reference_chars)
    return (
        f"{result.name:<6} {settings.models.set:<14} {settings.engine.runtime:<11} "
        f"{settings.detection.max_side:>5} {settings.orientation.line:<7} {result.pages:>5} "
        f"{100 * errors.rate:>6.2f} {100 * deleted:>6.2f} {result.pages_per_second:>7.2f} "
        f"{result.cpu_seconds / max(1, result.pages):>8.2f} "
        f"{peak_rss_mib():>7.0f} {flipped_lines(result.documents):>5}"
    )


def _recall_note(samples: Sequence[Sample], result: SetResult) -> str:
    """Mean word recall where samples carry a page text; it does not depend on line order."""
    pairs = [(s.reference, d.text) for s, d in zip(samples, result.documents, strict=True)]
    recalls = [word_recall(ref, hyp) for ref, hyp in pairs if ref]
    return f"  word recall {100 * sum(recalls) / len(recalls):.1f}%" if recalls else ""


def main(argv: Sequence[str] | None = None) -> None:
    """Print a row per data set: pages, CER %, deleted %, pages/s, CPU s/page, peak RSS."""
    from ocrflow.ocr_tasks.pipeline import (
        OcrEngine,  # loads the runtimes; keep scoring import-light
    )

    args = _arguments(argv)
    root = shared_data_dir()
    sets = [("sroie", sroie_samples(root, args.sroie)), ("funsd", funsd_samples(root, args.funsd))]
    if args.unlv:
        sets.append(("unlv", page_text_samples(root)))
    settings = _settings(args)
    engine = OcrEngine(settings)
    print(
        f"{'set':<6} {'model_set':<14} {'runtime':<11} {'det':>5} {'lines':<7} {'pages':>5} "
        f"{'CER%':>6} {'del%':>6} {'pages/s':>7} {'cpu_s/pg':>8} {'RSS_MiB':>7} {'flips':>5}"
    )
    for name, samples in sets:
        if samples:
            result = evaluate(engine, name, samples)
            print(_row(result, settings) + _recall_note(samples, result), flush=True)


if __name__ == "__main__":
    main()
