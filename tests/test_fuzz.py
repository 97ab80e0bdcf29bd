"""Fuzzing the page decoder with mutated real scans (hypothesis, derandomised for CI).

Whatever the bytes, ``decode_pages`` must either give BGR pages or raise one of ocrflow's typed
``DocumentError``s, and must do so quickly: any other exception, or a case that runs past its
time guard, fails the test with the shrunk input that caused it.
"""

from __future__ import annotations

import io
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import cache
from types import FrameType

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from ocrflow.ocr_tasks.decode import DecodeLimits, decode_pages
from ocrflow.ocr_tasks.errors import DocumentError
from tests.conftest import SAMPLES, SHARED_DATA

FUZZ_CASES = 200
SECONDS_PER_CASE = 5  # hard guard; a normal case takes milliseconds
# Small limits keep a mutated header that claims a big page cheap to refuse or decode.
LIMITS = DecodeLimits(max_page_pixels=4_000_000, max_pages=20, max_file_bytes=10**7, pdf_dpi=72)

# Small real scans, one per format and flavour: bilevel TIFF, gray PNG, JPEGs with and
# without an EXIF orientation, a PDF; plus a two-page deflate TIFF made from two of them.
_SHARED_SEEDS = (
    "tesseract/phototest.tif",
    "rapidocr_reference/short.png",
    "rapidocr_reference/text_cls.jpg",
    "rapidocr_reference/img_exif_orientation.jpg",
)


@cache
def seeds() -> tuple[bytes, ...]:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data set not found at {SHARED_DATA} (set OCRFLOW_SHARED_DATA)")
    scans = [(SHARED_DATA / name).read_bytes() for name in _SHARED_SEEDS]
    pdf = (SAMPLES / "two-pages.pdf").read_bytes()
    return (*scans, pdf, _two_page_tiff(scans[1], scans[2]))


def _two_page_tiff(first: bytes, second: bytes) -> bytes:
    pages = [Image.open(io.BytesIO(data)).convert("L") for data in (first, second)]
    buffer = io.BytesIO()
    pages[0].save(
        buffer, "TIFF", save_all=True, append_images=pages[1:], compression="tiff_adobe_deflate"
    )
    return buffer.getvalue()


# --- mutations ------------------------------------------------------------------------------


@st.composite
def mutated_scan(draw: st.DrawFn) -> bytes:
    index = draw(st.integers(0, len(seeds()) - 1))
    data = bytearray(seeds()[index])
    for _ in range(draw(st.integers(1, 4))):
        data = draw(_one_mutation(bytes(data)))
    return bytes(data)


def _position(data: bytes) -> st.SearchStrategy[int]:
    """Past the signature (a broken one ends the case at once), in the header half the time:
    that is where sizes, offsets and counts are."""
    last = max(len(data) - 1, 0)
    first = min(_SIGNATURE_BYTES, last)
    return st.one_of(st.integers(first, min(last, 256)), st.integers(first, last))


_SIGNATURE_BYTES = 8


def _one_mutation(data: bytes) -> st.SearchStrategy[bytearray]:
    if not data:
        return st.just(bytearray())
    return st.one_of(
        st.tuples(_position(data), st.integers(0, 7)).map(lambda pb: _flip(data, *pb)),
        st.tuples(_position(data), st.binary(min_size=1, max_size=8)).map(
            lambda pv: _overwrite(data, *pv)
        ),
        _position(data).map(lambda cut: bytearray(data[:cut])),
        st.tuples(_position(data), st.integers(1, 64)).map(lambda pn: _delete(data, *pn)),
        st.tuples(_position(data), st.sampled_from(range(len(seeds())))).map(
            lambda ps: _splice_header(data, ps[0], seeds()[ps[1]])
        ),
        st.tuples(_position(data), st.sampled_from(_INTERESTING)).map(
            lambda pv: _overwrite(data, *pv)
        ),
    )


# Values that sizes, counts and offsets go wrong with.
_INTERESTING = tuple(
    value.to_bytes(4, order)
    for value in (0, 1, 0x7F, 0xFF, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF)
    for order in ("little", "big")
)


def _flip(data: bytes, position: int, bit: int) -> bytearray:
    out = bytearray(data)
    out[position] ^= 1 << bit
    return out


def _overwrite(data: bytes, position: int, value: bytes) -> bytearray:
    out = bytearray(data)
    out[position : position + len(value)] = value
    return out


def _delete(data: bytes, position: int, count: int) -> bytearray:
    return bytearray(data[:position] + data[position + count :])


def _splice_header(data: bytes, position: int, donor: bytes) -> bytearray:
    """Another scan's first bytes over this one's: a JPEG header on TIFF strips, and so on."""
    return bytearray(donor[: max(position, 8)] + data[max(position, 8) :])


# --- the guard and the property -------------------------------------------------------------


class CaseTimeoutError(Exception):
    pass


@contextmanager
def time_guard(seconds: float) -> Iterator[None]:
    """Interrupt a case that loops in Python code (a hang inside C code is left to the CI
    job's own timeout; hypothesis' deadline still reports a slow case that finishes)."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise CaseTimeoutError(f"decoding took over {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_seeds_decode_unmutated() -> None:
    """The fuzz starts from files that read, so mutations explore the parsers' far corners."""
    for data in seeds():
        assert list(decode_pages(data, "seed", LIMITS))


@settings(
    max_examples=FUZZ_CASES,
    derandomize=True,
    database=None,
    deadline=timedelta(seconds=SECONDS_PER_CASE),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=mutated_scan())
def test_decoder_raises_only_typed_errors_on_mutated_scans(data: bytes) -> None:
    with time_guard(SECONDS_PER_CASE):
        try:
            for page in decode_pages(data, "fuzzed", LIMITS):
                assert page.dtype == np.uint8 and page.ndim == 3 and page.shape[2] == 3
                assert page.flags.c_contiguous and page.size > 0
        except DocumentError as error:
            assert error.reason and error.source == "fuzzed"
