"""A reviewer answers in the Prefect UI, in headless Chromium: two copies of the sample receipt
(``samples/receipt.png``, made by ``samples/make_samples.py``) are ingested with a line
threshold that sends their addresses to review (read at 0.989, under 0.995), a
``review-fields`` run started as a process of its own pauses for one address, the reviewer
opens the run's page, clicks Resume, reads the form (document, field, picture), chooses
"correct", types the address as printed and submits. The answer is in the results database
(PostgreSQL), and a forced re-ingest of the receipts (``ocrflow ingest --force``) keeps it.

The screenshot of the form is written to the test's tmp_path (review-form.png); the one in
docs/images/ was taken by this test.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocrflow.flows.review_flow import ReviewParameters
from ocrflow.ocr_tasks import query
from tests import prefect_harness
from tests.conftest import SAMPLES
from tests.databases import temporary_postgres_schema
from tests.ingest_runs import REPO_ROOT, start_logged
from tests.prefect_harness import base_env, kill_tree, tail, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("prefect-ui-review")]

workdir = prefect_harness.workdir
prefect_server = prefect_harness.prefect_server
browser = prefect_harness.browser

RECEIPTS = ("receipt-1", "receipt-2")  # copies of the sample receipt
WAIT_SECONDS = 120
# Lines read under this go to review with their fields (the sample's address: 0.989).
THRESHOLD = "0.995"
CORRECTED = "12 Jalan Merdeka, 50050 Kuala Lumpur, Malaysia"
FIELD = "address"


@pytest.fixture(scope="module")
def results_url() -> Iterator[str]:
    with temporary_postgres_schema("ocrflow_review_ui") as url:
        yield url


@pytest.fixture(scope="module")
def scans(workdir: Path) -> Path:
    folder = workdir / "scans"
    folder.mkdir()
    for name in RECEIPTS:
        shutil.copy(SAMPLES / "receipt.png", folder / f"{name}.png")
    return folder


def _ingest(api_url: str, results_url: str, folder: Path, workdir: Path, *more: str) -> None:
    """``ocrflow ingest FOLDER --type receipt`` as a user runs it, against the test's server
    (a process of its own: nothing of this one's Prefect client outlives the server)."""
    home = workdir / f"ingest-home-{uuid.uuid4().hex[:8]}"
    home.mkdir()
    command = [sys.executable, "-m", "ocrflow.flows.cli", "ingest", str(folder)]
    done = subprocess.run(
        [*command, "--db", results_url, "--type", "receipt", "--min-confidence", THRESHOLD, *more],
        env=base_env(home, api_url),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def _start_review(
    api_url: str, results_url: str, workdir: Path, parameters: ReviewParameters
) -> tuple[Any, str, Path]:
    """``review-fields`` as a process of its own, as a worker would run it."""
    name = f"review-ui-{uuid.uuid4().hex[:8]}"
    home = workdir / f"{name}-home"
    home.mkdir()
    env = base_env(home, api_url)
    env["OCRFLOW_STORAGE__DATABASE_URL"] = results_url
    code = (
        "import sys; from ocrflow.flows.review_flow import ReviewParameters, review_fields; "
        "review_fields.with_options(flow_run_name=sys.argv[1])"
        "(ReviewParameters.model_validate_json(sys.argv[2]))"
    )
    log = workdir / f"{name}.log"
    process = start_logged(
        [sys.executable, "-c", code, name, parameters.model_dump_json()], env, log
    )
    return process, name, log


def _paused_run(api_url: str, name: str, process: Any, log: Path) -> str:
    """The id of run ``name`` once it waits for input (its form saved)."""

    def paused() -> str | None:
        assert process.poll() is None, f"review-fields exited:\n{tail(log)}"
        body = {"flow_runs": {"name": {"any_": [name]}}}
        runs = httpx.post(f"{api_url}/flow_runs/filter", json=body, timeout=30).json()
        if not runs or runs[0]["state_type"] != "PAUSED":
            return None
        run_id = runs[0]["id"]
        found = httpx.post(
            f"{api_url}/flow_runs/{run_id}/input/filter",
            json={"prefix": "paused-", "limit": 10},
            timeout=30,
        ).json()
        described = any(i["key"].endswith("-description") for i in found)
        return str(run_id) if described else None

    return wait_until(paused, lambda: f"never paused:\n{tail(log)}", WAIT_SECONDS)


def test_a_reviewer_corrects_an_address_in_the_prefect_ui(
    browser: Any,  # first: without Chromium the test is skipped before anything starts
    scans: Path,
    prefect_server: str,
    results_url: str,
    workdir: Path,
    tmp_path: Path,
) -> None:
    _ingest(prefect_server, results_url, scans, workdir)
    queued = query.review_queue(results_url, name=FIELD).set_index("source")
    first, other = (str(scans / f"{name}.png") for name in RECEIPTS)
    assert set(queued.index) == {first, other}, queued
    extracted = queued.loc[first, "value"]
    parameters = ReviewParameters(
        field=FIELD, source_prefix=first, limit=1, reviewer="ana", timeout_seconds=600
    )
    process, name, log = _start_review(prefect_server, results_url, workdir, parameters)
    try:
        run_id = _paused_run(prefect_server, name, process, log)
        _answer_in_the_ui(browser, prefect_server, run_id, tmp_path)
        assert process.wait(timeout=WAIT_SECONDS) == 0, tail(log)
    finally:
        kill_tree(process)

    [review] = query.reviews(results_url).to_dict("records")
    assert (review["source"], review["name"], review["review"]) == (first, FIELD, "corrected")
    assert (review["value"], review["reviewer"], review["review_note"]) == (
        CORRECTED,
        "ana",
        "checked on the paper receipt",
    )
    # Every line and field read and stored again.
    _ingest(prefect_server, results_url, scans, workdir, "--force")
    shown = query.fields(results_url, name=FIELD).set_index("source")
    assert shown.loc[first, ["value", "status", "review"]].tolist() == [
        CORRECTED,
        "reviewed",
        "corrected",
    ]
    assert shown.loc[first, "extracted_value"] == extracted  # read again, and kept beside it
    assert query.review_queue(results_url, name=FIELD)["source"].tolist() == [other]
    run = httpx.get(f"{prefect_server}/flow_runs/{run_id}", timeout=30).json()
    assert run["state_type"] == "COMPLETED"


def _answer_in_the_ui(browser: Any, api_url: str, run_id: str, shots: Path) -> None:
    """On the run's page: Resume, read the form, answer "correct" with a value, Submit; the
    form's screenshot goes to ``shots`` (kept after the test, as pytest keeps tmp_path)."""
    ui = api_url.removesuffix("/api")
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{ui}/runs/flow-run/{run_id}")
        page.get_by_role("button", name="Resume").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_text("Field 1 of 1").wait_for()
        dialog.get_by_text("confidence", exact=False).first.wait_for()
        picture = dialog.locator("img[src^='data:image/png;base64,']")
        picture.wait_for()
        assert picture.evaluate("img => img.naturalWidth") > 50  # the picture decoded
        _choose(page, dialog, "correct")
        _text_box(dialog, "Value").fill(CORRECTED)
        _text_box(dialog, "Note").fill("checked on the paper receipt")
        page.screenshot(path=str(shots / "review-form.png"))
        dialog.get_by_role("button", name="Submit").click()
        dialog.wait_for(state="hidden")
    except Exception:
        page.screenshot(path=str(shots / "ui-failure.png"), full_page=True)
        (shots / "ui-failure.html").write_text(page.content())
        raise
    finally:
        page.close()


def _choose(page: Any, dialog: Any, option: str) -> None:
    """Pick ``option`` in the form's answer select (a pop-over listbox, not a native select).
    The pop-over is opened from the keyboard, as a keyboard user does: on Debian's Chromium
    156.0.8078.114 a mouse click on the select leaves it closed."""
    select = _property(dialog, "Answer").locator("button.p-select-button__control")
    select.focus()
    select.press("ArrowDown")
    page.get_by_role("option", name=option, exact=True).click()
    assert select.inner_text().strip() == option


def _property(dialog: Any, label: str) -> Any:
    """The form's property labelled ``label`` (its label, description and input)."""
    return dialog.locator(".schema-form-property").filter(
        has=dialog.page.locator(".schema-form-property__label", has_text=label)
    )


def _text_box(dialog: Any, label: str) -> Any:
    return _property(dialog, label).locator("textarea, input[type=text]").first
