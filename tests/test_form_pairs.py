"""The learned ``form`` pairing on small made pages (no OCR): candidates, the decision, the
shipped model."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from ocrflow.ocr_tasks.fields import extract_fields
from ocrflow.ocr_tasks.fields.layout import page_lines
from ocrflow.ocr_tasks.fields.pairing import (
    PAIR_FEATURES,
    PairModel,
    choose_pairs,
    describe,
    extract_learned_pairs,
    pair_candidates,
    pair_model,
)
from ocrflow.schemas.doctypes import Form
from ocrflow.schemas.records import FieldResult
from tests.test_fields import by_name, make_page

FORM = make_page(
    ("Date:", 20, 20),
    ("9/3/92", 120, 21),
    ("Name / Phone Ext. :", 20, 80),
    ("M. Hamann", 20, 104),
    ("Supervisor: J. S. Wigand", 20, 160),
)


def shipped() -> PairModel:
    model = pair_model(Form)
    assert model is not None, "ocrflow/ocr_tasks/fields/models/form.json is missing"
    return model


def pairs(results: list[FieldResult]) -> list[tuple[str, object]]:
    return [(result.name, result.value) for result in results]


def test_candidates_right_below_and_inline() -> None:
    found = {(c.key_text, c.value_text, c.how) for c in pair_candidates(page_lines([FORM]))}
    assert ("Date", "9/3/92", "right") in found
    assert ("Name / Phone Ext.", "M. Hamann", "below") in found
    assert ("Supervisor", "J. S. Wigand", "inline") in found


def test_features_one_row_per_candidate() -> None:
    candidates, features = describe(page_lines([FORM]))
    assert features.shape == (len(candidates), len(PAIR_FEATURES))
    assert np.isfinite(features).all()


def test_learned_pairs_right_below_and_inline() -> None:
    found = pairs(extract_fields("form", [FORM]))
    assert ("date", "9/3/92") in found
    assert ("name / phone ext.", "M. Hamann") in found
    assert ("supervisor", "J. S. Wigand") in found


def test_paragraph_value_continues_underneath() -> None:
    page = make_page(
        ("Remarks:", 20, 20),
        ("Discontinue coal retention analyses on", 120, 20),
        ("licensee submitted product samples.", 120, 42),
    )
    found = dict(pairs(extract_fields("form", [page])))
    assert found["remarks"] == (
        "Discontinue coal retention analyses on licensee submitted product samples."
    )


def test_a_value_goes_to_one_key() -> None:
    lines = page_lines([make_page(("From:", 20, 20), ("To:", 20, 60), ("ACME Ltd", 80, 40))])
    candidates = pair_candidates(lines)
    value = next(line for line in lines if line.text == "ACME Ltd")
    wanting = [i for i, c in enumerate(candidates) if c.lines == (value,) and c.how != "inline"]
    assert len({id(candidates[i].key.line) for i in wanting}) >= 2  # both keys are offered it
    scores = np.full(len(candidates), 0.1)
    scores[wanting] = np.linspace(0.9, 0.8, len(wanting))
    chosen = [d.candidate for d in choose_pairs(candidates, scores)]
    holders = [c for c in chosen if any(line is value for line in c.lines)]
    assert [c.key.line for c in holders] == [candidates[wanting[0]].key.line]


def test_no_line_in_two_pairs() -> None:
    page = make_page(
        ("Date:", 20, 20), ("9/3/92", 120, 20), ("Due:", 20, 46), ("To:", 400, 20),
        ("ACME", 480, 20), ("From:", 400, 46),
    )  # fmt: skip
    refs = [(r.page, r.order) for f in extract_fields("form", [page]) for r in f.lines]
    assert len(refs) == len(set(refs))


def test_doubtful_pair_needs_review() -> None:
    strict = shipped().model_copy(update={"threshold": 1.01})
    found = extract_learned_pairs(page_lines([FORM]), strict)
    assert found
    assert all(f.status == "needs_review" and "threshold" in (f.reason or "") for f in found)
    assert all(0.0 <= f.confidence <= 1.0 for f in found)


def test_under_the_floor_dropped() -> None:
    none_kept = shipped().model_copy(update={"floor": 1.01, "threshold": 1.01})
    assert extract_learned_pairs(page_lines([FORM]), none_kept) == []


def test_shipped_model_has_fitted_thresholds() -> None:
    model = shipped()
    assert model.scorer.features == list(PAIR_FEATURES)
    assert 0.0 < model.floor < 1.0
    assert 0.0 < model.threshold <= 1.01
    assert model.fitted_on


def test_predicts_with_numpy_only() -> None:
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "from tests.test_form_pairs import FORM\n"
        "from ocrflow.ocr_tasks.fields import extract_fields\n"
        "print(len(extract_fields('form', [FORM])))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 3


@pytest.mark.parametrize("scorer", ["rules", "auto"])
def test_rules_or_model_by_scorer(scorer: str) -> None:
    found = extract_fields("form", [FORM], scorer=scorer)  # type: ignore[arg-type]
    assert ("date", "9/3/92") in pairs(found)


def test_learned_pairing_differs_from_the_rules() -> None:
    """The rules take the line on a key's right however far and call it ok at the OCR's
    confidence; the model scores the far ``Page 1`` as doubtful and sends it to review."""
    page = make_page(("Date:", 20, 20), ("Page 1", 600, 20), ("9/3/92", 20, 44))
    rules = extract_fields("form", [page], scorer="rules")
    learned = extract_fields("form", [page])
    assert [(f.name, f.value, f.status) for f in rules] == [("date", "Page 1", "ok")]
    assert [(f.status, f.reason is not None) for f in learned] == [("needs_review", True)]
    near = by_name(extract_fields("form", [FORM]))["date"]
    assert learned[0].confidence < near.confidence < rules[0].confidence + 1
