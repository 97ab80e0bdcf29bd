"""Shared fixtures: the data sets beside the checkout, and one engine per test process."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Prefect reads these at import: a private home (no results leaking in from earlier runs),
# no analytics, quick workers. They must be set before anything imports prefect.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="ocrflow-prefect-")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_WORKER_QUERY_SECONDS"] = "1"

import pytest

from ocrflow.ocr_tasks.pipeline import OcrEngine
from ocrflow.schemas.settings import OcrSettings, settings_with

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("OCRFLOW_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
SAMPLES = REPO_ROOT / "samples"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data set not found at {SHARED_DATA} (set OCRFLOW_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def engine() -> OcrEngine:
    """The default engine (PP-OCRv6 small on ONNX Runtime), loaded once per test process."""
    return OcrEngine(OcrSettings())


@pytest.fixture(scope="session")
def engine_v4() -> OcrEngine:
    return OcrEngine(settings_with({"models.set": "ppocrv4"}))


# Storage fixtures (database_url runs each test on SQLite and PostgreSQL).
from tests.databases import database_url, postgres_url  # noqa: E402, F401
from tests.ingest_runs import prefect_api_url  # noqa: E402, F401
from tests.s3server import s3_endpoint, s3_env  # noqa: E402, F401
