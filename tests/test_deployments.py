"""The deployments end to end: a real ``prefect server start`` (SQLite, its own home) and a real
``prefect worker start --pool cpu`` as subprocesses, the deployments registered with
``ocrflow.flows.deploy``, an ``ingest-documents`` run started through the REST API, receipts read
from the loopback S3 server and rows checked in PostgreSQL.

Every subprocess (and whatever it started: the worker runs each flow in a process of its own,
in a session of its own) is killed at teardown, also when a test fails.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from ocrflow.flows.deploy import (
    ParameterError,
    api_request,
    check_ingest_parameters,
    register_deployments,
    trigger_ingest,
    wait_for_flow_run,
)
from ocrflow.ocr_tasks import query
from ocrflow.ocr_tasks.store import upgrade_database
from tests import prefect_harness
from tests.conftest import SAMPLES
from tests.databases import fresh_postgres_schema
from tests.ingest_runs import start_logged
from tests.prefect_harness import PREFECT
from tests.prefect_harness import base_env as _base_env
from tests.prefect_harness import kill_tree as _kill_tree
from tests.prefect_harness import tail as _tail
from tests.s3server import bucket_of_receipts

# One server and worker per module: with `--dist loadgroup` xdist keeps these tests together
# (under the default `load` a second process may start its own server; still correct).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("prefect-server")]

REPO_ROOT = Path(__file__).resolve().parents[1]
RUN_SECONDS = 150

# The server, its working folder and Chromium (tests/prefect_harness.py), by name.
workdir = prefect_harness.workdir
prefect_server = prefect_harness.prefect_server
browser = prefect_harness.browser


@pytest.fixture(scope="module")
def pg_url(worker_id: str) -> str:
    url = fresh_postgres_schema(f"ocrflow_deploy_{worker_id}")
    upgrade_database(url)
    return url


@pytest.fixture(scope="module")
def deployments(prefect_server: str) -> dict[str, str]:
    """Both deployments (and the cpu and gpu pools) registered with ``ocrflow.flows.deploy``."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: prefect_server}):
        return register_deployments(code_dir=REPO_ROOT, document_type="receipt")


@contextlib.contextmanager
def _worker(
    pool: str, api_url: str, pg_url: str, s3_endpoint: str, workdir: Path
) -> Iterator[Path]:
    """``prefect worker start --pool POOL`` whose environment carries the database URL and the
    AWS settings; yields its log."""
    home = workdir / f"{pool}-worker-home"
    home.mkdir()
    env = _base_env(home, api_url)
    env.update(
        OCRFLOW_DATABASE_URL=pg_url,
        OCRFLOW_CODE_DIR=str(REPO_ROOT),  # where prefect.yaml's pull step changes into
        AWS_ENDPOINT_URL=s3_endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        # Background-task parameters and results: shared by the cpu worker's flow runs and
        # the task worker (one machine here; an S3 block across machines).
        PREFECT_LOCAL_STORAGE_PATH=str(workdir / "results"),
    )
    log = workdir / f"{pool}-worker.log"
    command = [*PREFECT, "worker", "start", "--pool", pool, "--type", "process"]
    if pool == "tasks":
        command = [str(Path(sys.executable).parent / "ocrflow"), "task-worker"]
    worker = start_logged(command, env, log)
    try:
        time.sleep(1)
        if worker.poll() is not None:
            pytest.fail(f"prefect worker exited ({worker.returncode}):\n{_tail(log)}")
        yield log
    finally:
        _kill_tree(worker)


@pytest.fixture(scope="module")
def cpu_worker(
    prefect_server: str, deployments: dict[str, str], pg_url: str, s3_endpoint: str, workdir: Path
) -> Iterator[Path]:
    with _worker("cpu", prefect_server, pg_url, s3_endpoint, workdir) as log:
        yield log


@pytest.fixture(scope="module")
def gpu_worker(
    prefect_server: str, deployments: dict[str, str], pg_url: str, s3_endpoint: str, workdir: Path
) -> Iterator[Path]:
    with _worker("gpu", prefect_server, pg_url, s3_endpoint, workdir) as log:
        yield log


@pytest.fixture(scope="module")
def task_worker(
    prefect_server: str, pg_url: str, s3_endpoint: str, workdir: Path
) -> Iterator[Path]:
    """``ocrflow task-worker``: serves ocr-chunk background tasks with a resident engine."""
    with _worker("tasks", prefect_server, pg_url, s3_endpoint, workdir) as log:
        yield log


@pytest.fixture
def bucket(s3_env: str, shared_data: Path) -> str:
    return bucket_of_receipts(shared_data)


def test_deployments_are_registered_on_their_pools(
    prefect_server: str, deployments: dict[str, str]
) -> None:
    assert set(deployments) == {
        "ingest-documents/ingest-documents",
        "ocr-documents/ocr-documents",
        "reextract-documents/reextract-documents",
        "review-fields/review-fields",
    }
    with httpx.Client(base_url=prefect_server + "/") as api:
        ingest_id = deployments["ingest-documents/ingest-documents"]
        ocr_id = deployments["ocr-documents/ocr-documents"]
        ingest = api_request(api, "GET", f"deployments/{ingest_id}")
        ocr = api_request(api, "GET", f"deployments/{ocr_id}")
        pool_list = api_request(api, "POST", "work_pools/filter", json={})
    pools = {p["name"]: p["type"] for p in pool_list}
    assert (ingest["work_pool_name"], ocr["work_pool_name"]) == ("cpu", "gpu")
    assert pools["cpu"] == "process" and pools["gpu"] == "process"
    assert ingest["entrypoint"] == "ocrflow/flows/ingest.py:ingest_documents"
    assert ingest["pull_steps"] == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO_ROOT)}}
    ]
    assert ingest["parameters"]["parameters"]["document_type"] == "receipt"
    [schedule] = ingest["schedules"]
    assert schedule["schedule"]["cron"] == "0 2 * * *" and schedule["active"] is False
    # The UI's run form: one typed model parameter.
    assert ingest["parameter_openapi_schema"]["required"] == ["parameters"]
    # What deploy registered is what prefect.yaml declares (document_type overridden above).
    spec = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text())
    for entry, registered in zip(spec["deployments"][:2], (ingest, ocr), strict=True):
        assert registered["name"] == entry["name"]
        assert registered["entrypoint"] == entry["entrypoint"]
        assert registered["work_pool_name"] == entry["work_pool"]["name"]
        assert registered["description"] == entry["description"]
        assert registered["tags"] == entry["tags"]
        assert [s["schedule"]["cron"] for s in registered["schedules"]] == [
            s["cron"] for s in entry["schedules"]
        ]
    declared = spec["deployments"][0]["parameters"]["parameters"]
    assert ingest["parameters"]["parameters"] == {**declared, "document_type": "receipt"}
    assert ocr["parameters"] == spec["deployments"][1]["parameters"]


def test_ingest_run_started_through_the_api_stores_rows(
    prefect_server: str, cpu_worker: Path, bucket: str, pg_url: str
) -> None:
    run_id = trigger_ingest(
        prefect_server,
        "ingest-documents/ingest-documents",
        {"source": f"s3://{bucket}/in/", "document_type": "receipt", "chunk_size": 2},
    )
    run = wait_for_flow_run(prefect_server, run_id, timeout=RUN_SECONDS)
    assert run["state_type"] == "COMPLETED", (
        f"{run['state_type']}: {run['state']['message']}\n{_tail(cpu_worker)}"
    )
    assert run["parameters"]["parameters"]["source"] == f"s3://{bucket}/in/"
    documents = query.documents(pg_url)
    ours = documents[documents["source"].str.startswith(f"s3://{bucket}/")]
    assert ours["source"].tolist() == [f"s3://{bucket}/in/{n}.jpg" for n in ("000", "001", "002")]
    assert ours["status"].tolist() == ["done", "done", "done"]
    assert set(ours["document_type"]) == {"receipt"}
    assert len(query.lines(pg_url)) > 20
    # The run went through the worker: a flow run of the deployment, with a subflow per chunk.
    with httpx.Client(base_url=prefect_server + "/") as api:
        runs = api_request(api, "POST", "flow_runs/filter", json={})
    assert any(r["parent_task_run_id"] for r in runs)  # ocr-documents ran as subflows


def test_chunks_fan_out_to_the_gpu_pool(
    prefect_server: str,
    cpu_worker: Path,
    gpu_worker: Path,
    shared_data: Path,
    s3_env: str,
    pg_url: str,
) -> None:
    bucket = bucket_of_receipts(shared_data, ("003", "004", "005"))
    run_id = trigger_ingest(
        prefect_server,
        "ingest-documents/ingest-documents",
        {
            "source": f"s3://{bucket}/in/",
            "document_type": "receipt",
            "chunk_size": 1,
            "chunk_deployment": "ocr-documents/ocr-documents",
        },
    )
    run = wait_for_flow_run(prefect_server, run_id, timeout=RUN_SECONDS)
    assert run["state_type"] == "COMPLETED", (
        f"{run['state_type']}: {run['state']['message']}\n{_tail(cpu_worker)}\n{_tail(gpu_worker)}"
    )
    documents = query.documents(pg_url)
    ours = documents[documents["source"].str.startswith(f"s3://{bucket}/")]
    assert ours["status"].tolist() == ["done", "done", "done"]
    with httpx.Client(base_url=prefect_server + "/") as api:
        runs = api_request(api, "POST", "flow_runs/filter", json={})
        ocr_id = api_request(api, "GET", "deployments/name/ocr-documents/ocr-documents")["id"]
    chunk_runs = [
        r for r in runs if r["deployment_id"] == ocr_id and r["state_type"] == "COMPLETED"
    ]
    assert len(chunk_runs) >= 3  # one run per chunk, on the gpu pool's worker


def _run_chunks(api_url: str, bucket: str, **chunking: object) -> dict[str, Any]:
    run_id = trigger_ingest(
        api_url,
        "ingest-documents/ingest-documents",
        {"source": f"s3://{bucket}/in/", "document_type": "receipt", "chunk_size": 1, **chunking},
    )
    return wait_for_flow_run(api_url, run_id, timeout=RUN_SECONDS)


def test_chunks_run_on_a_task_worker_with_the_engine_resident(
    prefect_server: str,
    cpu_worker: Path,
    gpu_worker: Path,
    task_worker: Path,
    shared_data: Path,
    s3_env: str,
    pg_url: str,
) -> None:
    """The same three one-receipt chunks through the task worker and through chunk runs on the
    gpu process worker; prints both wall times (the README's comparison), asserts the rows."""
    timings = {}
    for runner, numbers in (
        ("task worker", ("006", "007", "008")),
        ("process worker", ("009", "010", "011")),
    ):
        bucket = bucket_of_receipts(shared_data, numbers)
        chunking: dict[str, object] = (
            {"task_workers": True}
            if runner == "task worker"
            else {"chunk_deployment": "ocr-documents/ocr-documents"}
        )
        started = time.perf_counter()
        try:
            run = _run_chunks(prefect_server, bucket, **chunking)
        except TimeoutError as error:
            raise AssertionError(f"{runner}\n{_tail(cpu_worker)}\n{_tail(task_worker)}") from error
        timings[runner] = time.perf_counter() - started
        assert run["state_type"] == "COMPLETED", (
            f"{run['state']['message']}\n{_tail(cpu_worker)}\n{_tail(task_worker)}"
        )
        documents = query.documents(pg_url)
        ours = documents[documents["source"].str.startswith(f"s3://{bucket}/")]
        assert ours["status"].tolist() == ["done", "done", "done"]
    assert "ocr-chunk" in _tail(task_worker, 100_000)
    print(f"3 one-receipt chunks, wall time per ingest run: {timings}")


# Not strict: it passes where the UI works. On the CI machine's Debian Chromium 156.0.8078.114
# the Prefect 3.8.8 UI lists no runs on a deployment's Runs tab and a Custom run submit can end
# in "Oops. Something went wrong."; the last landed commit (1c692eb) fails the same way there.
@pytest.mark.xfail(
    reason="Prefect UI on Debian Chromium 156.0.8078.114: Runs tab empty, Custom run submit fails",
    strict=False,
)
def test_ingest_run_started_from_the_prefect_ui_completes(
    prefect_server: str,
    deployments: dict[str, str],
    cpu_worker: Path,
    browser: Any,
    bucket: str,
    pg_url: str,
    workdir: Path,
) -> None:
    """Open the deployment in the UI, Run > Custom run, fill the typed form, submit, and
    watch the run page until it says Completed."""
    ui = prefect_server.removesuffix("/api")
    deployment_id = deployments["ingest-documents/ingest-documents"]
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.set_default_timeout(90_000)
    try:
        page.goto(f"{ui}/deployments/deployment/{deployment_id}")
        page.get_by_role("button", name="Run", exact=True).click()
        page.get_by_text("Custom run").click()
        page.get_by_role("button", name="Submit").wait_for()
        run_name = f"ui-run-{uuid.uuid4().hex[:8]}"
        _fill_run_form(page, run_name, f"s3://{bucket}/in/", chunk_size="2")
        page.get_by_role("button", name="Submit").click()
        page.wait_for_url(re.compile(rf".*/deployments/deployment/{deployment_id}(\?.*)?$"))
        # The run is found by its name through the API, then watched on its own page: the
        # deployment's Runs tab of Debian's Chromium 156.0.8078.114 lists no runs at all.
        run_id = _flow_run_named(prefect_server, run_name)
        page.goto(f"{ui}/runs/flow-run/{run_id}")
        _reload_until(
            page,
            lambda: page.get_by_text("Completed", exact=True).first.is_visible(),
            cpu_worker,
            on_run_page=True,
        )
    except Exception:
        page.screenshot(path=str(workdir / "ui-failure.png"), full_page=True)
        raise
    finally:
        page.close()
    run = wait_for_flow_run(prefect_server, run_id, timeout=10)
    assert run["state_type"] == "COMPLETED"
    assert run["parameters"]["parameters"]["source"] == f"s3://{bucket}/in/"
    assert run["parameters"]["parameters"]["chunk_size"] == 2
    documents = query.documents(pg_url)
    ours = documents[documents["source"].str.startswith(f"s3://{bucket}/")]
    assert ours["status"].tolist() == ["done", "done", "done"]


def _fill_run_form(page: Any, run_name: str, source: str, chunk_size: str) -> None:
    """Fill Run Name, the source (the form's first field) and the chunk size, once the form
    has loaded the deployment's defaults: a fill made before that is overwritten by them."""
    name_box = page.locator("input[type=text]").first  # Run Name
    source_box = page.locator("textarea").first  # the first field: source
    chunk_box = page.locator("input[type=number]").first  # chunk size
    deadline = time.monotonic() + 60
    while source_box.input_value() == "":
        assert time.monotonic() < deadline, "the run form never showed the deployment's defaults"
        page.wait_for_timeout(500)
    for _attempt in range(5):
        name_box.fill(run_name)
        source_box.fill(source)
        chunk_box.fill(chunk_size)
        page.wait_for_timeout(1000)
        if (name_box.input_value(), source_box.input_value()) == (run_name, source):
            return
    raise AssertionError("the run form did not keep the values filled in")


def _flow_run_named(api_url: str, name: str, timeout: float = RUN_SECONDS) -> str:
    """The id of the flow run called ``name``, waiting until the server has it."""
    deadline = time.monotonic() + timeout
    body = {"flow_runs": {"name": {"any_": [name]}}}
    while True:
        runs = httpx.post(f"{api_url}/flow_runs/filter", json=body, timeout=30).json()
        if runs:
            return str(runs[0]["id"])
        assert time.monotonic() < deadline, f"no flow run named {name}"
        time.sleep(1)


def _reload_until(
    page: Any, seen: Callable[[], bool], worker_log: Path, on_run_page: bool = False
) -> None:
    deadline = time.monotonic() + RUN_SECONDS
    while not seen():
        assert time.monotonic() < deadline, f"not seen in {page.url}:\n{_tail(worker_log)}"
        if on_run_page:
            assert not page.get_by_text("Failed", exact=True).first.is_visible(), _tail(worker_log)
        page.wait_for_timeout(2000)
        page.reload()


def test_unknown_parameter_is_refused_before_any_request() -> None:
    # Port 9 is closed: a request would raise ConnectError, not ParameterError.
    with pytest.raises(ParameterError, match=r"unknown ingest parameter\(s\): sorce"):
        trigger_ingest("http://127.0.0.1:9/api", "ingest-documents", {"sorce": "s3://b/"})
    with pytest.raises(ParameterError, match="chunk_size"):
        check_ingest_parameters({"source": "s3://b/", "chunk_size": 0})
    with pytest.raises(ParameterError, match="source: Field required"):
        check_ingest_parameters({})


def test_refused_parameters_create_no_flow_run(
    prefect_server: str, deployments: dict[str, str]
) -> None:
    with httpx.Client(base_url=prefect_server + "/") as api:
        before = api_request(api, "POST", "flow_runs/count", json={})
        with pytest.raises(ParameterError, match="unknown"):
            trigger_ingest(prefect_server, "ingest-documents", {"source": "s3://b/", "x": 1})
        with pytest.raises(ParameterError, match="chunk_size"):
            trigger_ingest(prefect_server, "ingest-documents", {"chunk_size": -1})
        assert api_request(api, "POST", "flow_runs/count", json={}) == before


def test_prefect_yaml_deploys_with_the_cli_and_runs_on_the_worker(
    prefect_server: str, cpu_worker: Path, pg_url: str, workdir: Path
) -> None:
    """``prefect deploy --all`` reads prefect.yaml; its pull step finds the checkout through
    OCRFLOW_CODE_DIR on the worker. Runs last: it replaces the deployments of
    ocrflow.flows.deploy."""
    home = workdir / "cli-home"
    home.mkdir()
    done = subprocess.run(
        [*PREFECT, "--no-prompt", "deploy", "--all"],
        env=_base_env(home, prefect_server),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    spec = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text())
    with httpx.Client(base_url=prefect_server + "/") as api:
        for entry in spec["deployments"]:
            flow_name = entry["entrypoint"].split(":")[1].replace("_", "-")
            deployment = api_request(api, "GET", f"deployments/name/{flow_name}/{entry['name']}")
            assert deployment["work_pool_name"] == entry["work_pool"]["name"]
            assert deployment["pull_steps"] == spec["pull"]
            assert deployment["parameters"] == entry["parameters"]
            assert [s["active"] for s in deployment["schedules"]] == [
                s["active"] for s in entry["schedules"]
            ]
    folder = workdir / "scans"
    folder.mkdir()
    (folder / "receipt.png").write_bytes((SAMPLES / "receipt.png").read_bytes())
    run_id = trigger_ingest(prefect_server, "ingest-documents", {"source": str(folder)})
    run = wait_for_flow_run(prefect_server, run_id, timeout=RUN_SECONDS)
    assert run["state_type"] == "COMPLETED", (
        f"{run['state_type']}: {run['state']['message']}\n{_tail(cpu_worker)}"
    )
    # The deployment's defaults filled what the run did not give (document_type: receipt).
    assert run["parameters"]["parameters"]["document_type"] == "receipt"
    totals = query.fields(pg_url, name="total", source=str(folder / "receipt.png"))
    assert totals["value"].tolist() == ["16.50"]


def test_api_request_retries_a_busy_server() -> None:
    answers = iter([503, 503, 201])
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(next(answers), json={"id": "run"}, headers={"Retry-After": "0"})

    with httpx.Client(transport=httpx.MockTransport(handler), base_url="http://api/") as api:
        assert api_request(api, "POST", "deployments/x/create_flow_run", json={}) == {"id": "run"}
    assert len(seen) == 3


def test_api_request_retries_a_timeout() -> None:
    answers = iter([None, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        if status is None:
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(status, json={"state_type": "RUNNING"})

    with httpx.Client(transport=httpx.MockTransport(handler), base_url="http://api/") as api:
        assert api_request(api, "GET", "flow_runs/x") == {"state_type": "RUNNING"}
