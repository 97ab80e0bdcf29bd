"""An S3 API on loopback: moto's server mode, reached with real boto3 calls over HTTP."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_env(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The standard AWS environment pointed at the loopback server, as a user would set it."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return s3_endpoint


def bucket_of_receipts(shared_data: Path, numbers: tuple[str, ...] = ("000", "001", "002")) -> str:
    """A new bucket holding SROIE receipts under ``in/NNN.jpg``."""
    from ocrflow.ocr_tasks.sources import s3_client

    name = f"receipts-{uuid.uuid4().hex[:8]}"
    client = s3_client()
    client.create_bucket(Bucket=name)
    for number in numbers:
        image = shared_data / "sroie" / "img" / f"{number}.jpg"
        client.upload_file(str(image), name, f"in/{number}.jpg")
    return name
