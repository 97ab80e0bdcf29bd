"""infra/: the compose file, the Dockerfiles and the Kubernetes GPU work-pool template, checked
without a Docker engine (the development machines have a docker client but no engine).

``docker compose config`` runs when a compose CLI (the docker plugin or ``docker-compose``) is
installed; it needs no engine.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
INFRA = REPO_ROOT / "infra"
COMPOSE = INFRA / "compose.yaml"
K8S_TEMPLATE = INFRA / "k8s-gpu-work-pool.json"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(K8S_TEMPLATE.read_text())
    return loaded


def _command(service: dict[str, Any]) -> list[str]:
    entrypoint = service.get("entrypoint") or []
    command = service.get("command") or []
    return [*entrypoint, *command]


def _pool(arguments: list[str]) -> str:
    return arguments[arguments.index("--pool") + 1]


def test_compose_has_every_service(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"prefect-server", "postgres", "minio", "worker-cpu", "worker-gpu"} <= set(services)
    assert _command(services["prefect-server"])[:2] == ["prefect", "server"]
    server_env = services["prefect-server"]["environment"]
    assert server_env["PREFECT_SERVER_UI_API_URL"].endswith("/api}")  # ${VAR:-default}
    assert server_env["PREFECT_API_DATABASE_CONNECTION_URL"].startswith("postgresql+asyncpg://")


def test_workers_start_on_their_pools(compose: dict[str, Any]) -> None:
    cpu = _command(compose["services"]["worker-cpu"])
    gpu = _command(compose["services"]["worker-gpu"])
    assert cpu[:3] == ["prefect", "worker", "start"] and _pool(cpu) == "cpu"
    assert gpu[:3] == ["prefect", "worker", "start"] and _pool(gpu) == "gpu"
    assert gpu[gpu.index("--limit") + 1] == "1"
    assert "--limit" not in cpu


def test_gpu_worker_reserves_an_nvidia_device(compose: dict[str, Any]) -> None:
    [device] = compose["services"]["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["count"] == 1
    assert "gpu" in device["capabilities"]
    assert "deploy" not in compose["services"]["worker-cpu"]
    assert compose["services"]["worker-gpu"]["build"]["dockerfile"] == "infra/Dockerfile.gpu"


def test_workers_reach_postgres_and_minio(compose: dict[str, Any]) -> None:
    services = compose["services"]
    minio_ports = {port.split(":")[-1] for port in services["minio"]["ports"]}
    for name in ("worker-cpu", "worker-gpu", "deploy"):
        env = services[name]["environment"]
        assert env["PREFECT_API_URL"] == "http://prefect-server:4200/api"
        assert env["OCRFLOW_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert "@postgres:5432/" in env["OCRFLOW_DATABASE_URL"]
        assert env["AWS_ENDPOINT_URL"] == "http://minio:9000" and "9000" in minio_ports
        assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= set(env)
        assert env["OCRFLOW_CODE_DIR"] == "/opt/ocrflow"  # prefect.yaml's pull step
    assert services["worker-gpu"]["environment"]["OCRFLOW_DEVICE"] == "cuda"
    for mount in services["postgres"]["volumes"]:
        source = mount.split(":")[0]
        if source.startswith("./"):
            assert (INFRA / source).is_file(), source


def test_compose_pools_match_prefect_yaml(compose: dict[str, Any]) -> None:
    spec = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text())
    pools = {entry["name"]: entry["work_pool"]["name"] for entry in spec["deployments"]}
    assert pools == {
        "ingest-documents": "cpu",
        "ocr-documents": "gpu",
        "reextract-documents": "cpu",
        "review-fields": "cpu",
    }
    worker_pools = {_pool(_command(compose["services"][n])) for n in ("worker-cpu", "worker-gpu")}
    assert worker_pools == set(pools.values())
    [step] = spec["pull"]
    assert step == {
        "prefect.deployments.steps.set_working_directory": {"directory": "{{ $OCRFLOW_CODE_DIR }}"}
    }


def _compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=30
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    return [standalone] if standalone else None


def test_docker_compose_config_accepts_the_file() -> None:
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no compose CLI here (neither the docker compose plugin nor docker-compose)")
    done = subprocess.run(
        [*cli, "-f", str(COMPOSE), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
    )
    assert done.returncode == 0, done.stderr


def _package_dirs() -> list[str]:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    return [pattern.rstrip("*") for pattern in include]


@pytest.mark.parametrize("name", ["Dockerfile.cpu", "Dockerfile.gpu"])
def test_dockerfiles_copy_every_package_and_prefect_yaml(name: str) -> None:
    text = (INFRA / name).read_text()
    copied = set(re.findall(r"^COPY (\S+) \./\1$", text, flags=re.MULTILINE))
    assert set(_package_dirs()) <= copied
    assert "prefect.yaml" in text and "pip install -c constraints.txt ." in text
    assert "OCRFLOW_CODE_DIR=/opt/ocrflow" in text and "WORKDIR /opt/ocrflow" in text


def test_gpu_dockerfile_swaps_in_onnxruntime_gpu() -> None:
    text = (INFRA / "Dockerfile.gpu").read_text()
    base = re.search(r"^FROM (\S+)", text, flags=re.MULTILINE)
    assert base and base.group(1).startswith("nvidia/cuda:") and "runtime" in base.group(1)
    assert "python3.11" in text
    assert text.index("pip uninstall -y onnxruntime") < text.index("onnxruntime-gpu==")


def test_k8s_template_is_a_valid_base_job_template(template: dict[str, Any]) -> None:
    from prefect.server.schemas.actions import WorkPoolCreate

    # The server's own check: every placeholder is a declared variable.
    WorkPoolCreate(name="gpu-k8s", type="kubernetes", base_job_template=template)
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft7Validator.check_schema(template["variables"])


def test_k8s_template_has_what_the_kubernetes_worker_reads(template: dict[str, Any]) -> None:
    import prefect

    metadata = json.loads(
        (
            Path(prefect.__file__).parent
            / "server/api/collections_data/views/aggregate-worker-metadata.json"
        ).read_text()
    )
    stock = metadata["prefect-kubernetes"]["kubernetes"]["default_base_job_configuration"]
    assert set(stock["job_configuration"]) <= set(template["job_configuration"])


def test_k8s_template_renders_a_job_with_one_gpu(template: dict[str, Any]) -> None:
    from prefect.utilities.templating import apply_values

    variables = template["variables"]["properties"]
    values = {name: spec["default"] for name, spec in variables.items() if "default" in spec}
    values["name"] = "ocr-run"
    rendered = apply_values(template["job_configuration"], values)
    pod = rendered["job_manifest"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert container["image"] == "ocrflow-gpu:latest"
    assert container["envFrom"] == [{"secretRef": {"name": "ocrflow-worker-env"}}]
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]
    assert rendered["env"]["OCRFLOW_DEVICE"] == "cuda"
    assert rendered["job_manifest"]["metadata"]["generateName"] == "ocr-run-"
