"""Deployments of the two flows, and starting ingest runs through the Prefect REST API.

``ocrflow deploy`` registers ``ingest-documents`` (on the ``cpu`` process work pool) and
``ocr-documents`` (on the ``gpu`` work pool) against the Prefect API in ``PREFECT_API_URL``,
creating the pools when they are missing. What they are (names, entrypoints, descriptions,
tags, parameters, pools, schedules) is read from ``prefect.yaml`` at the repository root, the
file ``prefect deploy --all`` reads (shipped in the package as ``ocrflow/flows/prefect.yaml``).
The code is not copied anywhere: each deployment's pull step sets the working directory to the
ocrflow checkout on the worker: the directory ``ocrflow deploy`` is run from, unless
``--code-dir`` names another (the path is the workers', so run it from the checkout at the
path they share, or say where theirs is).

``trigger_ingest`` starts an ``ingest-documents`` run through Prefect's client (the
deployment's ``create_flow_run``, with an idempotency key) after checking the parameters against
``IngestParameters`` here: the server accepts a run with a parameter name the flow does not
know, and the run only crashes later on the worker.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import typer
from pydantic import ValidationError

from ocrflow.flows.cli_options import ExitStatus, ModifiedSinceOption, finish
from ocrflow.flows.parameters import IngestParameters

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

REPO_ROOT = Path(__file__).resolve().parents[2]
# The repository's prefect.yaml (in a checkout a link to it; in a wheel, a copy of it).
DEPLOYMENTS_FILE = Path(__file__).with_name("prefect.yaml")
INGEST_FLOW = "ingest-documents"
TERMINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


class ParameterError(ValueError):
    """Run parameters that ``ingest-documents`` would refuse; nothing was sent to the API."""


def refuse_unknown_names(parameters: dict[str, Any]) -> None:
    """Raise ``ParameterError`` naming every key that is not a field of ``IngestParameters``."""
    unknown = sorted(set(parameters) - set(IngestParameters.model_fields))
    if unknown:
        known = ", ".join(IngestParameters.model_fields)
        raise ParameterError(f"unknown ingest parameter(s): {', '.join(unknown)} (known: {known})")


def check_ingest_parameters(parameters: dict[str, Any]) -> IngestParameters:
    """Validate ``parameters`` (the fields of ``IngestParameters``) and refuse unknown names."""
    refuse_unknown_names(parameters)
    try:
        return IngestParameters.model_validate(parameters)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or 'parameters'}: {e['msg']}"
            for e in error.errors()
        )
        raise ParameterError(f"invalid ingest parameters: {problems}") from error


def _prefect_client(api_url: str, timeout: float) -> SyncPrefectClient:
    """Prefect's own client for the API at ``api_url``, with the credentials in the Prefect
    settings; it tries again on the answers of a busy server (429, 502, 503), timeouts and
    dropped connections."""
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.settings import get_current_settings

    api = get_current_settings().api
    return SyncPrefectClient(
        api_url,
        api_key=api.key.get_secret_value() if api.key else None,
        auth_string=api.auth_string.get_secret_value() if api.auth_string else None,
        httpx_settings={"timeout": timeout},
    )


RETRY_STATUSES = {429, 502, 503, 504}
RETRIES = 5


def api_request(client: httpx.Client, method: str, url: str, **options: Any) -> Any:
    """One raw REST call through a plain ``httpx`` client, tried again on the answers Prefect's
    own client retries (a busy server, its database locked: 503; a proxy in between) and on
    timeouts and dropped connections. Returns the decoded JSON answer. Only for requests that
    are safe to repeat. ``trigger_ingest`` and ``wait_for_flow_run`` use Prefect's client."""
    for attempt in range(RETRIES + 1):
        delay = 0.5 * 2**attempt
        try:
            response = client.request(method, url, **options)
        except httpx.TransportError:
            if attempt == RETRIES:
                raise
            time.sleep(delay)
            continue
        if response.status_code not in RETRY_STATUSES or attempt == RETRIES:
            return _answer(response)
        retry_after = response.headers.get("Retry-After", "")
        time.sleep(min(float(retry_after) if retry_after.isdigit() else delay, 10.0))
    raise AssertionError("unreachable")


def _answer(response: httpx.Response) -> Any:
    if response.is_error:
        raise RuntimeError(
            f"Prefect API {response.request.method} {response.request.url} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
    return response.json()


def trigger_ingest(
    api_url: str,
    deployment_name: str,
    parameters: dict[str, Any],
    *,
    timeout: float = 30.0,
) -> str:
    """Start a run of the ``ingest-documents`` deployment ``deployment_name`` and return the
    flow run's id.

    ``api_url`` is the API root (``http://host:4200/api``); ``deployment_name`` is the
    deployment's name, or ``flow-name/deployment-name``. ``parameters`` holds fields of
    ``IngestParameters`` (``source``, ``document_type``, ...); the deployment's own defaults
    fill the fields left out. Unknown names and invalid values raise ``ParameterError``
    before any request is sent.
    """
    refuse_unknown_names(parameters)  # before any request
    flow_name, _, name = deployment_name.rpartition("/")
    flow_name = flow_name or INGEST_FLOW
    with _prefect_client(api_url, timeout) as client:
        deployment = client.read_deployment_by_name(f"{flow_name}/{name}")
        defaults = (deployment.parameters or {}).get("parameters") or {}
        model = check_ingest_parameters({**defaults, **parameters})
        run = client.create_flow_run_from_deployment(
            deployment.id,
            parameters={"parameters": model.model_dump(mode="json", exclude_unset=True)},
            # A retried POST whose first try did get through returns that run, not a second.
            idempotency_key=f"ocrflow-trigger-{uuid.uuid4()}",
        )
    return str(run.id)


def wait_for_flow_run(
    api_url: str, flow_run_id: str, timeout: float = 600.0, poll: float = 1.0
) -> dict[str, Any]:
    """Poll the flow run until it reaches a final state; return the run (as the API's JSON)."""
    deadline = time.monotonic() + timeout
    with _prefect_client(api_url, 30.0) as client:
        while True:
            run = client.read_flow_run(uuid.UUID(flow_run_id)).model_dump(mode="json")
            if run.get("state_type") in TERMINAL_STATES:
                return run
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"flow run {flow_run_id} still {run.get('state_type')} after {timeout}s"
                )
            time.sleep(poll)


def register_deployments(**options: Any) -> dict[str, str]:
    """Create or update every deployment of prefect.yaml against the current Prefect API; return
    ``{"flow/deployment": id}``. Takes the keyword arguments of :func:`aregister_deployments`.

    The flows are loaded from the installed package; on the workers the pull step changes
    into ``code_dir`` (by default the current working directory), where
    ``ocrflow/flows/ingest.py`` must be found.
    """
    return asyncio.run(aregister_deployments(**options))


def declared_deployments(path: Path = DEPLOYMENTS_FILE) -> list[dict[str, Any]]:
    """The ``deployments`` of ``prefect.yaml`` (the one declaration of every deployment)."""
    import yaml  # type: ignore[import-untyped]

    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: it is the repository's prefect.yaml, shipped in the package"
        )
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    deployments: list[dict[str, Any]] = spec["deployments"]
    return deployments


async def aregister_deployments(
    code_dir: Path | str | None = None,
    cpu_pool: str = "cpu",
    gpu_pool: str = "gpu",
    source: str | None = None,
    document_type: str | None = None,
    schedule_active: bool = False,
    create_pools: bool = True,
) -> dict[str, str]:
    """``register_deployments`` for callers already inside an event loop.

    Registers what ``prefect.yaml`` declares (name, entrypoint, description, tags, parameters,
    work pool, schedules), with these overrides: the ``cpu`` and ``gpu`` pools renamed to
    ``cpu_pool`` and ``gpu_pool``, the ingest defaults ``source`` and ``document_type`` when
    given, schedules turned on by ``schedule_active``, and the pull step's ``code_dir``.
    """
    from prefect import Flow
    from prefect.runner.storage import LocalStorage
    from prefect.schedules import Cron

    if create_pools:
        await ensure_work_pools([cpu_pool, gpu_pool])
    pools = {"cpu": cpu_pool, "gpu": gpu_pool}
    given = {"source": source, "document_type": document_type}
    overrides = {key: value for key, value in given.items() if value is not None}
    here = LocalStorage(path=str(REPO_ROOT))
    ids: dict[str, str] = {}
    for entry in declared_deployments():
        parameters = dict(entry.get("parameters") or {})
        if entry["name"] == "ingest-documents":  # one IngestParameters model
            model = check_ingest_parameters({**parameters["parameters"], **overrides})
            parameters["parameters"] = model.model_dump(mode="json", exclude_unset=True)
        flow = await Flow.afrom_source(source=here, entrypoint=entry["entrypoint"])
        declared_pool = entry["work_pool"]["name"]
        deployment = await flow.ato_deployment(
            name=entry["name"],
            work_pool_name=pools.get(declared_pool, declared_pool),
            parameters=parameters,
            schedules=[
                Cron(
                    schedule["cron"],
                    timezone=schedule.get("timezone"),
                    active=schedule_active or schedule.get("active", True),
                )
                for schedule in entry.get("schedules") or []
            ],
            description=entry.get("description"),
            tags=entry.get("tags") or [],
        )
        # Loaded from the installed package, run from the checkout on the worker.
        deployment.storage = LocalStorage(path=str(code_directory(code_dir)))
        ids[f"{deployment.flow_name}/{deployment.name}"] = str(await deployment.aapply())
    return ids


def code_directory(code_dir: Path | str | None) -> Path:
    """The directory the workers' pull step changes into: ``code_dir``, else where this
    command runs (the checkout the deployer stands in), absolute."""
    return Path(code_dir).expanduser().resolve() if code_dir else Path.cwd()


def missing_entrypoints(code_dir: Path) -> list[str]:
    """The entrypoint files of ``prefect.yaml`` not found under ``code_dir`` here."""
    files = {entry["entrypoint"].partition(":")[0] for entry in declared_deployments()}
    return sorted(name for name in files if not (code_dir / name).is_file())


async def ensure_work_pools(names: list[str]) -> None:
    """Create the named process work pools that do not exist yet (existing ones are kept)."""
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    async with get_client() as client:
        for name in names:
            try:
                await client.read_work_pool(name)
            except ObjectNotFound:
                await client.create_work_pool(
                    WorkPoolCreate(
                        name=name,
                        type="process",
                        base_job_template=ProcessWorker.get_default_base_job_template(),
                    )
                )


def deploy(
    code_dir: Annotated[
        Path | None,
        typer.Option(
            help="The ocrflow checkout on the workers, which the pull step changes into "
            "(default: the current directory)."
        ),
    ] = None,
    cpu_pool: Annotated[str, typer.Option(help="Work pool for ingest-documents.")] = "cpu",
    gpu_pool: Annotated[str, typer.Option(help="Work pool for ocr-documents.")] = "gpu",
    source: Annotated[
        str | None,
        typer.Option(help="Default source of ingest-documents runs (default: prefect.yaml's)."),
    ] = None,
    document_type: Annotated[
        str | None,
        typer.Option("--type", help="Default document type of ingest runs (prefect.yaml's)."),
    ] = None,
    schedule_active: Annotated[
        bool, typer.Option(help="Turn on prefect.yaml's example nightly schedule.")
    ] = False,
    create_pools: Annotated[
        bool, typer.Option(help="Create the work pools (process type) if missing.")
    ] = True,
) -> None:
    """Register the deployments prefect.yaml declares (ingest-documents, ocr-documents) with
    the Prefect API in PREFECT_API_URL; the workers run them from the current directory's
    path (or --code-dir), where the ocrflow checkout must be on every worker."""
    from prefect.settings import get_current_settings

    if not get_current_settings().api.url:
        typer.echo("PREFECT_API_URL is not set: point it at your Prefect server.", err=True)
        raise typer.Exit(1)
    directory = code_directory(code_dir)
    for missing in missing_entrypoints(directory):
        # The workers' checkout may be elsewhere than here: a warning, not a refusal.
        typer.echo(
            f"warning: {directory / missing} not found here; is {directory} the "
            "checkout on the workers?",
            err=True,
        )
    ids = register_deployments(
        code_dir=directory,
        cpu_pool=cpu_pool,
        gpu_pool=gpu_pool,
        source=source,
        document_type=document_type,
        schedule_active=schedule_active,
        create_pools=create_pools,
    )
    for name, deployment_id in ids.items():
        typer.echo(f"{name}: {deployment_id}")


def run_deployment(
    source: Annotated[str | None, typer.Argument(help="s3://bucket/prefix or a folder.")] = None,
    deployment: Annotated[
        str, typer.Option(help="flow-name/deployment-name to run.")
    ] = f"{INGEST_FLOW}/{INGEST_FLOW}",
    document_type: Annotated[
        str | None, typer.Option("--type", help="receipt, invoice, form, or pkg.module:Class.")
    ] = None,
    min_confidence: Annotated[float | None, typer.Option(help="Drop lines under this.")] = None,
    chunk_size: Annotated[int | None, typer.Option(help="Documents per OCR chunk.")] = None,
    force: Annotated[
        bool | None, typer.Option("--force/--no-force", help="Read unchanged documents again.")
    ] = None,
    modified_since: ModifiedSinceOption = None,
    wait: Annotated[bool, typer.Option(help="Wait for the run to finish.")] = False,
) -> None:
    """Start an ingest-documents run on the workers through the Prefect API in
    PREFECT_API_URL; the deployment's defaults fill what is not given.

    With --wait, prints the run's summary and exits with status 2 when any document could
    not be read, 1 when the run itself failed (or was refused).
    """
    from prefect.settings import get_current_settings

    api_url = get_current_settings().api.url
    if not api_url:
        typer.echo("PREFECT_API_URL is not set: point it at your Prefect server.", err=True)
        raise typer.Exit(1)
    given = {
        "source": source,
        "document_type": document_type,
        "min_confidence": min_confidence,
        "chunk_size": chunk_size,
        "force": force,
        "modified_since": modified_since,
    }
    parameters = {key: value for key, value in given.items() if value is not None}
    try:
        run_id = trigger_ingest(api_url, deployment, parameters)
    except ParameterError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(ExitStatus.RUN_FAILED) from error
    typer.echo(f"flow run {run_id}")
    if wait:
        _report_run(api_url, run_id)


def _report_run(api_url: str, run_id: str) -> None:
    """Wait for the run; print its state and its summary (from its ``ingest-summary``
    artifact); end with the exit status of every command that reads documents."""
    from ocrflow.flows.cli_ingest import report_summary
    from ocrflow.flows.ingestion import read_ingest_summary

    run = wait_for_flow_run(api_url, run_id)
    completed = run["state_type"] == "COMPLETED"
    message = "" if completed else f" ({(run.get('state') or {}).get('message') or ''})"
    typer.echo(f"flow run {run_id}: {run['state_type']}{message}", err=not completed)
    with _prefect_client(api_url, 30.0) as client:
        summary = read_ingest_summary(client, uuid.UUID(run_id))
    report_summary(summary)
    finish(documents_failed=len(summary.failed) if summary else 0, run_failed=not completed)


__all__ = [
    "ParameterError",
    "api_request",
    "aregister_deployments",
    "check_ingest_parameters",
    "declared_deployments",
    "deploy",
    "ensure_work_pools",
    "refuse_unknown_names",
    "register_deployments",
    "run_deployment",
    "trigger_ingest",
    "wait_for_flow_run",
]
